"""Prototype, benchmarks only: wait for a task in the controller's worker process, no module process.

``inprocess_wait: {job_id, task_id, heartbeat, wait_sleep, wait_timeout}`` polls with the
collection's own module_utils (ApiClient, MigrationApi, TaskStatusWatcher), one chunk of
``heartbeat`` seconds at a time, and prints one progress line per chunk. The connection comes
from the ATLASSIAN_* environment of the controller. Only for tasks on localhost: it reads the
API from the controller, not from the host. It measures what a fast path for
``connection: local`` would cost; it is not a supported plugin.
"""

import os
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.migrationops.atlassian.plugins.module_utils._migration_api import MigrationApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import TaskStatusWatcher
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import normalize_api_url

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        client = ApiClient(
            normalize_api_url(os.environ["ATLASSIAN_API_URL"]), os.environ["ATLASSIAN_API_TOKEN"], email=os.environ.get("ATLASSIAN_EMAIL")
        )
        watcher = TaskStatusWatcher(MigrationApi(client), args["job_id"], [], False, task_id=args["task_id"])
        heartbeat, wait_sleep, timeout = int(args["heartbeat"]), int(args["wait_sleep"]), int(args["wait_timeout"])
        started, polls, chunks = time.monotonic(), 0, 0
        while True:
            left = timeout - (time.monotonic() - started)
            chunk, _problem = watcher.watch(True, False, max(0, min(heartbeat, left)), wait_sleep)
            polls += chunk["polls"]
            chunks += 1
            elapsed = time.monotonic() - started
            display.display("%s: %s after %d s, %d polls" % (task_vars.get("inventory_hostname"), chunk["status"], elapsed, polls))
            if not chunk["timed_out"] or elapsed >= timeout:
                break
        result.update(changed=False, status=chunk["status"], outcome=chunk["outcome"], timed_out=chunk["timed_out"], polls=polls, chunks=chunks)
        return result
