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
    OUTCOMES,
    is_finished,
    level_label,
    outcome_key,
    progress,
    summarize,
    unfinished_levels,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import scrub
from ansible_collections.migrationops.atlassian.plugins.module_utils._waiter import honour_retry_after, wait_for

MAX_LISTED = 10
# Set by the same-name action plugin for a task it runs itself (not async): the module leaves
# ``nodes`` out and the plugin lists them from ``tree`` on the controller, so that the largest
# key of a big tree is neither encoded by the module, nor sent, nor decoded.
NODES_ON_CONTROLLER = "MIGRATIONOPS_NODES_ON_CONTROLLER"


class Snapshot:
    """One poll: the node when visible, else why not.

    ``missing_levels`` is set when the level asked for was missing under a FINISHED task root:
    ``node`` is then that root, and ``node_level`` (the node's own level) is the root's ``[]``.
    """

    def __init__(self, task_id, node=None, problem=None, node_level=None, missing_levels=()):
        self.task_id = task_id
        self.node = node
        self.problem = problem
        self.node_level = node_level
        self.missing_levels = list(missing_levels)
        self.summary = None

    def summarize(self, keep_nodes):
        """The summary of the node's descendants, computed once per snapshot."""
        if self.summary is None:
            self.summary = summarize(self.node, self.node_level, keep_nodes)
        return self.summary

    def finished(self, wait_for_children, keep_nodes=True):
        """A terminal task root finishes every level; else the node (and with ``wait_for_children`` its subtree)."""
        if self.node is None:
            return False
        if self.missing_levels:
            return True
        if not is_finished(self.node):
            return False
        return not wait_for_children or self.summarize(keep_nodes).all_finished


def build_result(job_id, task_id, level, node, wait_for_children, summary_only=False, snapshot=None, nodes=True):
    """The contract's return keys for ``node`` (None when it was never visible).

    ``snapshot`` (the poll that read ``node``) says whether it is a terminal task root standing in
    for a missing level and carries the summary already computed while waiting. With ``nodes``
    false the result has no ``nodes`` key: the caller adds it from ``tree`` (``nodes_of``).
    """
    if snapshot is None:
        snapshot = Snapshot(task_id, node, node_level=level)
    keep_nodes = not summary_only and nodes
    summary = snapshot.summarize(keep_nodes) if node else None
    terminal = bool(snapshot.missing_levels)
    if summary is None:
        unfinished = [",".join(level)]
    elif terminal:
        unfinished = []
    else:
        unfinished = unfinished_levels(node, level, summary, wait_for_children)
    result = {
        "changed": False,
        "job_id": job_id,
        "task_id": task_id,
        "level": list(level),
        "status": node.get("status") if node else None,
        "outcome": node.get("outcome") if node else None,
        "message": node.get("message") if node else None,
        "finished": snapshot.finished(wait_for_children, keep_nodes),
        "missing_levels": list(snapshot.missing_levels),
        "progress": progress(node) if node else None,
        "tree": None if summary_only else node,
        "nodes": summary.nodes if summary and keep_nodes else [],
        "counts": summary.counts if summary else summarize({}, level).counts,
        "failed_levels": summary.failed_levels if summary else [],
        "warning_levels": summary.warning_levels if summary else [],
        "excludable_failures": summary.excludable_failures if summary else [],
        "unfinished": unfinished,
        "last_problem": None,
        "timed_out": False,
        "elapsed": 0.0,
        "polls": 0,
    }
    if not (nodes or summary_only):
        del result["nodes"]
    return result


def nodes_of(result):
    """The contract's ``nodes`` of a result built with ``nodes`` false: every descendant of its ``tree``."""
    tree = result.get("tree")
    if not isinstance(tree, dict):
        return []
    return summarize(tree, [] if result.get("missing_levels") else list(result.get("level") or []), keep_nodes=True).nodes


def _listing(items):
    shown = list(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown.append("and %d more" % (len(items) - MAX_LISTED))
    return ", ".join(shown)


def normalize_outcomes(values):
    """``fail_on_outcomes`` in upper case; raise ValueError naming a value that is not an outcome."""
    normalized = []
    for value in values or []:
        key = str(value).strip().upper()
        if key not in OUTCOMES:
            raise ValueError("fail_on_outcomes: %r is not an outcome; use any of %s (any case)" % (value, ", ".join(OUTCOMES)))
        if key not in normalized:
            normalized.append(key)
    return normalized


def _describe(entry):
    excludable = ""
    # Excludability is a property of checks; migration scopes (under "migrate") have none.
    if outcome_key(entry["outcome"]) == "FAILED" and not entry["level"].startswith("migrate"):
        excludable = ", excludable" if entry["excludable"] else ", not excludable"
    return "- %s (%s%s): %s" % (entry["level"], entry["outcome"], excludable, entry["message"] or "no message")


def gate_message(result, fail_on_outcomes, wait_for_children, nodes=None):
    """Why the finished node fails the gate, naming each failing node, or None when it passes.

    The node's own outcome decides; with ``wait_for_children`` the subtree is the unit, so a
    descendant's outcome (an app scope that failed after core finished) decides as well. Outcomes
    compare without case, and a gate fails closed: an outcome it does not know fails any
    non-empty gate. ``nodes`` are the descendants to list (default: the result's ``nodes``; a
    summary-only result passes the summary's entries).
    """
    gated = set(outcome.upper() for outcome in fail_on_outcomes)
    if not gated or not result["finished"]:
        return None
    nodes = result["nodes"] if nodes is None else nodes
    own = outcome_key(result["outcome"])
    own_unknown = own not in OUTCOMES
    failing = [e for e in nodes if outcome_key(e["outcome"]) in gated and is_finished(e)]
    unknown = [e for e in nodes if is_finished(e) and outcome_key(e["outcome"]) not in OUTCOMES] if wait_for_children else []
    counted = wait_for_children and any(result["counts"].get(outcome) for outcome in gated)
    if own not in gated and not own_unknown and not counted and not unknown:
        return None
    where = "task %s at level %s" % (result["task_id"], level_label(result["level"]))
    if result["missing_levels"]:
        where = "task %s (level %s is missing: the task's root is FINISHED)" % (result["task_id"], level_label(result["level"]))
    lines = ["%s finished with outcome %s (%s)" % (where, result["outcome"], result["message"] or "no message")]
    if own_unknown or unknown:
        names = ["%s (the node itself)" % (result["outcome"],)] if own_unknown else []
        names.extend("%s at %s" % (e["outcome"], e["level"]) for e in unknown[:MAX_LISTED])
        lines.append("unknown outcome(s), failing because fail_on_outcomes is set (known: %s): %s" % (", ".join(OUTCOMES), ", ".join(names)))
    if failing:
        lines.append("%d node(s) with outcome %s:" % (len(failing), "/".join(sorted(gated))))
        lines.extend(_describe(entry) for entry in failing[:MAX_LISTED])
        if len(failing) > MAX_LISTED:
            lines.append("- and %d more (see failed_levels / warning_levels)" % (len(failing) - MAX_LISTED))
    if result["excludable_failures"]:
        lines.append(
            "Excludable failed checks can be overridden by a new Migrate task with "
            "options.checkTypes.excludeKeys: %s" % ", ".join(result["excludable_failures"])
        )
    return "\n".join(lines)


def timeout_message(result, timeout, problem=None):
    where = "task %s of job %s at level %s" % (result["task_id"] or "(not resolved)", result["job_id"], level_label(result["level"]))
    parts = ["timed out after %ss (%d polls) waiting for %s to finish" % (timeout, result["polls"], where)]
    if result["status"]:
        percent = (result["progress"] or {}).get("percent")
        parts.append("last status %s%s" % (result["status"], " %s%%" % percent if percent is not None else ""))
    if result["unfinished"]:
        parts.append("unfinished: %s" % _listing([level or level_label([]) for level in result["unfinished"]]))
    last_problem = result.get("last_problem") or (scrub(problem) if problem else None)
    if last_problem:
        parts.append("last problem: %s" % last_problem)
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
        self.clock = time.monotonic
        self.deadline = None
        self.summary = None

    def read(self):
        """One poll. Not-yet-visible and transient failures are returned as the snapshot's problem."""
        try:
            if self.task_id is None:
                self.task_id = self.api.newest_task(self.job_id, self.task_type)["taskId"]
            try:
                node = self.api.status_tree(self.job_id, self.task_id, self.level, self.expand_children)
            except NotVisibleYet as missing:
                return self._read_root(missing)
            return Snapshot(self.task_id, node, node_level=self.level)
        except NotVisibleYet as exc:
            return Snapshot(self.task_id, problem=exc)
        except TRANSIENT_ERRORS as exc:
            remaining = self.deadline - self.clock() if self.deadline is not None else 0
            honour_retry_after(exc, self.interval, self.sleep, remaining)
            return Snapshot(self.task_id, problem=exc)

    def _read_root(self, missing):
        """A level is missing: the task's root decides whether it is still to come or never will.

        The Migration Assistant answers a task it refuses with the root alone, FINISHED with the
        reason as its message, so a FINISHED root ends the wait for every level.
        """
        if not self.level:
            raise missing
        root = self.api.status_tree(self.job_id, self.task_id, [], False)
        if not is_finished(root):
            raise missing
        if self.expand_children:
            root = self.api.status_tree(self.job_id, self.task_id, [], True)
        return Snapshot(self.task_id, root, node_level=[], missing_levels=[",".join(self.level)])

    def watch(self, wait, wait_for_children, timeout, interval, clock=time.monotonic, sleep=time.sleep, summary_only=False, nodes=True):
        """(result, problem): the built result after one read or a whole wait, and the last poll's problem.

        The result's ``last_problem`` is the most recent problem of any poll, even when a later
        poll succeeded. ``self.summary`` keeps the summary of the node the result describes.
        ``nodes``: see ``build_result``.
        """
        self.interval, self.sleep, self.clock = interval, sleep, clock
        self.deadline = clock() + (timeout if wait else 0)
        keep_nodes = not summary_only and nodes
        state = {"visible": None, "polls": 0, "problem": None}

        def poll():
            state["polls"] += 1
            snapshot = self.read()
            if snapshot.node is not None:
                state["visible"] = snapshot
            if snapshot.problem is not None:
                state["problem"] = "poll %d: %s" % (state["polls"], scrub(snapshot.problem))
            return snapshot

        def done(snapshot):
            return snapshot.finished(wait_for_children, keep_nodes)

        def read_once(snapshot):
            return True

        outcome = wait_for(poll, done if wait else read_once, timeout if wait else 0, interval, clock=clock, sleep=sleep)
        snapshot = outcome.value if outcome.value.node is not None else (state["visible"] or outcome.value)
        result = build_result(self.job_id, self.task_id, self.level, snapshot.node, wait_for_children, summary_only, snapshot, nodes)
        self.summary = snapshot.summary
        result.update(last_problem=state["problem"], timed_out=outcome.timed_out, elapsed=round(outcome.elapsed, 3), polls=outcome.polls)
        return result, outcome.value.problem
