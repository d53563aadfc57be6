# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs idmapping_job; with ``wait`` and ``heartbeat``, in chunks with a progress line each.

Each chunk after the first resumes the job of the chunk before it, and once a chunk has replaced
a dead job (``retrigger``) the later chunks may not replace another: one fresh job per task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._chunked_action import ChunkedModuleAction
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._progress import idmapping_line, idmapping_timeout_message


class ActionModule(ChunkedModuleAction):
    MODULE = "migrationops.atlassian.idmapping_job"
    DEFAULT_WAIT = True
    DEFAULT_WAIT_TIMEOUT = 3600

    def line(self, result, args, elapsed):
        return idmapping_line(result, elapsed)

    def next_args(self, args, result):
        # A chunk that was handed a job and triggered one has replaced it: no more replacing.
        retriggered = bool(args.get("job_id")) and bool(result.get("triggered"))
        args = dict(args, job_id=result.get("job_id") or args.get("job_id"))
        if retriggered:
            args["retrigger"] = False
        return args

    def resumable(self, result):
        # The report was ready but its download outgrew the chunk's deadline: the journal keeps
        # the job, and one call with the rest of the wait downloads it.
        error = result.get("error") if isinstance(result.get("error"), dict) else {}
        return bool(result.get("failed")) and result.get("status") == "SUCCESS" and error.get("type") == "DeadlineExceededError"

    def timeout_message(self, result, args):
        return idmapping_timeout_message(result, args.get("wait_timeout", self.DEFAULT_WAIT_TIMEOUT))
