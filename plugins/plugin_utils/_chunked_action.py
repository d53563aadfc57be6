# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the same-name action plugins that implement ``heartbeat``.

With ``wait`` and a ``heartbeat``, the module runs in chunks of ``heartbeat`` seconds
(``fail_on_timeout: false`` for each) and one progress line is printed after each chunk, live
under the running task: on the controller's output and, through ansible-runner, as a ``verbose``
event. The line starts with the inventory host name, because such an event carries no host.
Otherwise the module runs once, exactly as without this plugin.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._progress import ChunkedWait

display = Display()

# Options whose chunk value differs from the task's; the result's invocation shows the task's.
CHUNK_OPTIONS = ("wait_timeout", "fail_on_timeout", "heartbeat")
# Options of every module of the collection that hold a secret.
SECRET_OPTIONS = ("api_token", "server_password", "server_token")


class MaskedSecret(str):
    """A secret option's value: itself for the module, ``********`` where ansible-core prints the
    module's arguments with their repr (the ``done with _execute_module`` line of ANSIBLE_DEBUG)."""

    def __repr__(self):
        return "'********'"


def mask_secrets(args):
    """``args`` with the value of every secret option wrapped in MaskedSecret."""
    masked = dict(args)
    for option in SECRET_OPTIONS:
        if isinstance(masked.get(option), str):
            masked[option] = MaskedSecret(masked[option])
    return masked


class ChunkedModuleAction(ActionBase):
    """Subclasses set MODULE and the module's defaults, and say how a chunk hands on to the next.

    Every module of the collection has such a same-name action plugin, if only to mask its secrets;
    one that does not wait (no ``wait`` option) always runs as one call.
    """

    _supports_check_mode = True
    _supports_async = True

    MODULE = None
    DEFAULT_WAIT = False
    DEFAULT_WAIT_TIMEOUT = 3600
    # Environment variables for the module when this plugin sees its result (not async), with ``finish``.
    MODULE_ENVIRONMENT = {}

    def line(self, result, args, elapsed):
        """The progress line after a chunk, without the host name."""
        raise NotImplementedError

    def next_args(self, args, result):
        """The arguments of the chunk after one that returned ``result``."""
        return args

    def timeout_message(self, result, args):
        """The failure message of a wait that ran out of time."""
        raise NotImplementedError

    def resumable(self, result):
        """Whether a failed chunk is resumed by one call with the rest of the wait (ChunkedWait.add)."""
        return False

    def finish(self, result):
        """The task's result from the module's, when this plugin saw it (not async); changed in place."""
        return result

    def run(self, tmp=None, task_vars=None):
        result = super(ChunkedModuleAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = mask_secrets(self._task.args)
        module = self.MODULE
        heartbeat = self._int(args.get("heartbeat"), 0)
        wrap_async = self._task.async_val
        if wrap_async:
            # One call, as the module alone; an async task cannot print between chunks, and its
            # result is read by async_status, never by this plugin.
            return merge_hash(result, self._execute_module(module_name=module, module_args=args, task_vars=task_vars, wrap_async=wrap_async))
        environment = self._task.environment
        if self.MODULE_ENVIRONMENT:
            listed = environment if isinstance(environment, list) else [environment] if environment else []
            self._task.environment = listed + [dict(self.MODULE_ENVIRONMENT)]
        try:
            if heartbeat <= 0 or not self._bool(args.get("wait"), self.DEFAULT_WAIT):
                result = merge_hash(result, self._execute_module(module_name=module, module_args=args, task_vars=task_vars))
            else:
                result = merge_hash(result, self._wait_in_chunks(module, args, heartbeat, task_vars))
        finally:
            self._task.environment = environment
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return self.finish(result)

    def _wait_in_chunks(self, module, args, heartbeat, task_vars):
        wait = ChunkedWait(self._int(args.get("wait_timeout"), self.DEFAULT_WAIT_TIMEOUT), heartbeat, time.monotonic)
        fail_on_timeout = self._bool(args.get("fail_on_timeout"), True)
        host = task_vars.get("inventory_hostname", "localhost") if task_vars else "localhost"
        quiet = self._task.no_log or self._play_context.no_log
        chunk_args = dict(args, heartbeat=0, fail_on_timeout=False)
        while True:
            chunk_args["wait_timeout"] = wait.next_timeout()
            chunk = self._execute_module(module_name=module, module_args=chunk_args, task_vars=task_vars)
            more = wait.add(chunk, self.resumable(chunk))
            if not quiet:
                display.display("%s: %s" % (host, self.line(chunk, args, wait.elapsed())))
            if not more:
                break
            chunk_args = self.next_args(chunk_args, chunk)
        final = wait.result()
        invocation = final.get("invocation")
        if isinstance(invocation, dict) and isinstance(invocation.get("module_args"), dict):
            for option in CHUNK_OPTIONS:
                if option in args:
                    invocation["module_args"][option] = args[option]
        if final.get("timed_out") and fail_on_timeout and not final.get("failed"):
            final.update(failed=True, msg=self.timeout_message(final, args))
        return final

    @staticmethod
    def _int(value, default):
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            # The module's own argument check names the bad value.
            return default

    @staticmethod
    def _bool(value, default):
        return default if value is None else boolean(value, strict=False)
