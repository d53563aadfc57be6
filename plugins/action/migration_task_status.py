# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs migration_task_status; with ``wait`` and ``heartbeat``, in chunks with a progress line each."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import NODES_ON_CONTROLLER, nodes_of, timeout_message
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._chunked_action import ChunkedModuleAction
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._progress import status_line


def _level(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value or [])


class ActionModule(ChunkedModuleAction):
    MODULE = "migrationops.atlassian.migration_task_status"
    DEFAULT_WAIT = False
    DEFAULT_WAIT_TIMEOUT = 3600
    MODULE_ENVIRONMENT = {NODES_ON_CONTROLLER: "1"}

    def line(self, result, args, elapsed):
        return status_line(result, args.get("task_type"), _level(args.get("level")), elapsed)

    def next_args(self, args, result):
        # The task resolved from task_type by the first chunk is read by its ID from then on.
        if result.get("task_id") and args.get("task_type"):
            args = dict(args, task_id=result["task_id"])
            del args["task_type"]
        return args

    def timeout_message(self, result, args):
        return timeout_message(result, args.get("wait_timeout", self.DEFAULT_WAIT_TIMEOUT), result.get("last_problem"))

    def finish(self, result):
        # The module left nodes out (NODES_ON_CONTROLLER): they are listed here from the tree.
        if "nodes" not in result and "tree" in result:
            result["nodes"] = nodes_of(result)
        return result
