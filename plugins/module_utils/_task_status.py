# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and waiting on a task's status tree, and turning it into the module's result.

``TaskStatusWatcher`` polls through a MigrationApi; ``build_result`` and ``gate_message`` are pure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import TRANSIENT_ERRORS, NotVisibleYet
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import (
    count_outcomes,
    flat_nodes,
    is_finished,
    level_label,
    progress,
    unfinished_levels,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._waiter import honour_retry_after, wait_for

MAX_LISTED = 10


class Snapshot:
    """One poll: the node when visible, else why not."""

    def __init__(self, task_id, node=None, problem=None):
        self.task_id = task_id
        self.node = node
        self.problem = problem


def subtree_finished(node, nodes, wait_for_children):
    if not is_finished(node):
        return False
    return not wait_for_children or all(entry["status"] == "FINISHED" for entry in nodes)


def build_result(job_id, task_id, level, node, wait_for_children):
    """The contract's return keys for ``node`` (None when it was never visible)."""
    nodes = flat_nodes(node, level) if node else []
    return {
        "changed": False,
        "job_id": job_id,
        "task_id": task_id,
        "level": list(level),
        "status": node.get("status") if node else None,
        "outcome": node.get("outcome") if node else None,
        "message": node.get("message") if node else None,
        "finished": bool(node) and subtree_finished(node, nodes, wait_for_children),
        "progress": progress(node) if node else None,
        "tree": node,
        "nodes": nodes,
        "counts": count_outcomes(nodes),
        "failed_levels": [e["level"] for e in nodes if e["status"] == "FINISHED" and e["outcome"] == "FAILED"],
        "warning_levels": [e["level"] for e in nodes if e["status"] == "FINISHED" and e["outcome"] == "WARNING"],
        "excludable_failures": _unique(e["name"] for e in nodes if e["outcome"] == "FAILED" and e["excludable"]),
        "unfinished": unfinished_levels(node, level, nodes, wait_for_children) if node else [",".join(level)],
        "timed_out": False,
        "elapsed": 0.0,
        "polls": 0,
    }


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _listing(items):
    shown = list(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown.append("and %d more" % (len(items) - MAX_LISTED))
    return ", ".join(shown)


def gate_message(result, fail_on_outcomes, wait_for_children):
    """Why the finished node fails the gate, naming each failing node, or None when it passes.

    The node's own outcome decides; with ``wait_for_children`` the subtree is the unit, so a
    descendant's outcome (an app scope that failed after core finished) decides as well.
    """
    gated = set(fail_on_outcomes)
    if not gated or not result["finished"]:
        return None
    failing = [e for e in result["nodes"] if e["status"] == "FINISHED" and e["outcome"] in gated]
    if result["outcome"] not in gated and not (wait_for_children and failing):
        return None
    where = "task %s at level %s" % (result["task_id"], level_label(result["level"]))
    lines = ["%s finished with outcome %s (%s)" % (where, result["outcome"], result["message"] or "no message")]
    if failing:
        lines.append("%d node(s) with outcome %s:" % (len(failing), "/".join(sorted(gated))))
        for entry in failing[:MAX_LISTED]:
            excludable = ""
            # Excludability is a property of checks; migration scopes (under "migrate") have none.
            if entry["outcome"] == "FAILED" and not entry["level"].startswith("migrate"):
                excludable = ", excludable" if entry["excludable"] else ", not excludable"
            lines.append("- %s (%s%s): %s" % (entry["level"], entry["outcome"], excludable, entry["message"] or "no message"))
        if len(failing) > MAX_LISTED:
            lines.append("- and %d more (see failed_levels / warning_levels)" % (len(failing) - MAX_LISTED))
    if result["excludable_failures"]:
        lines.append(
            "Excludable failed checks can be overridden by a new Migrate task with "
            "options.checkTypes.excludeKeys: %s" % ", ".join(result["excludable_failures"])
        )
    return "\n".join(lines)


def timeout_message(result, timeout, problem):
    where = "task %s of job %s at level %s" % (result["task_id"] or "(not resolved)", result["job_id"], level_label(result["level"]))
    parts = ["timed out after %ss (%d polls) waiting for %s to finish" % (timeout, result["polls"], where)]
    if result["status"]:
        percent = (result["progress"] or {}).get("percent")
        parts.append("last status %s%s" % (result["status"], " %s%%" % percent if percent is not None else ""))
    if result["unfinished"]:
        parts.append("unfinished: %s" % _listing([level or level_label([]) for level in result["unfinished"]]))
    if problem:
        parts.append("last problem: %s" % problem)
    return "; ".join(parts)


class TaskStatusWatcher:
    """Reads one level of one task, resolving ``task_type`` to the newest task once it is listed."""

    def __init__(self, api, job_id, level, expand_children, task_id=None, task_type=None):
        self.api = api
        self.job_id = job_id
        self.level = level
        self.expand_children = expand_children
        self.task_id = task_id
        self.task_type = task_type
        self.interval = 0
        self.sleep = time.sleep

    def read(self):
        """One poll. Not-yet-visible and transient failures are returned as the snapshot's problem."""
        try:
            if self.task_id is None:
                self.task_id = self.api.newest_task(self.job_id, self.task_type)["taskId"]
            node = self.api.status_tree(self.job_id, self.task_id, self.level, self.expand_children)
            return Snapshot(self.task_id, node)
        except NotVisibleYet as exc:
            return Snapshot(self.task_id, problem=exc)
        except TRANSIENT_ERRORS as exc:
            honour_retry_after(exc, self.interval, self.sleep)
            return Snapshot(self.task_id, problem=exc)

    def watch(self, wait, wait_for_children, timeout, interval, clock=time.monotonic, sleep=time.sleep):
        """(result, problem): the built result after one read or a whole wait, and the last problem seen."""
        self.interval, self.sleep = interval, sleep
        last_node = [None]

        def poll():
            snapshot = self.read()
            if snapshot.node is not None:
                last_node[0] = snapshot.node
            return snapshot

        def done(snapshot):
            if snapshot.node is None:
                return False
            nodes = flat_nodes(snapshot.node, self.level) if wait_for_children else []
            return subtree_finished(snapshot.node, nodes, wait_for_children)

        def read_once(snapshot):
            return True

        outcome = wait_for(poll, done if wait else read_once, timeout if wait else 0, interval, clock=clock, sleep=sleep)
        snapshot = outcome.value
        node = snapshot.node if snapshot.node is not None else last_node[0]
        result = build_result(self.job_id, self.task_id, self.level, node, wait_for_children)
        result.update(timed_out=outcome.timed_out, elapsed=round(outcome.elapsed, 3), polls=outcome.polls)
        return result, snapshot.problem
