# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waits in chunks of a heartbeat, for the action plugins: the plan of each chunk, the result over
the whole wait and the progress line printed after each chunk.

Pure: plain module results and an injectable clock; the action plugins do the I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

# True in the result over the whole wait when true in any chunk.
STICKY_KEYS = ("changed", "triggered")

# A task root whose children are these is a migrate task; any other root is a check task.
MIGRATE_ROOT_CHILDREN = frozenset(["check", "migrate"])


def hms(seconds):
    """``HH:MM:SS`` for a number of seconds (hours grow past 99)."""
    total = max(0, int(seconds or 0))
    return "%02d:%02d:%02d" % (total // 3600, (total % 3600) // 60, total % 60)


def _children(result):
    return ((result.get("tree") or {}).get("children") or {}) if isinstance(result.get("tree"), dict) else {}


def _task_type(task_type, level, result):
    if task_type:
        return task_type
    if level:
        return "migrate" if level[0] in MIGRATE_ROOT_CHILDREN else None
    children = _children(result)
    if not children:
        return None
    return "migrate" if set(children) <= MIGRATE_ROOT_CHILDREN else "check"


def wait_label(task_type, level, result):
    """What a wait is on: ``check`` (a check task), ``migrate/check`` (the check level of a migrate
    task), ``migrate`` (its migrate level), ``migrate,apps``, ...; ``task`` while the type is unknown."""
    level = list(level or [])
    kind = _task_type(task_type, level, result)
    if not level:
        return kind or "task"
    if level[0] == "check":
        return "migrate/" + ",".join(level)
    return ",".join(level)


def _counts_checks(task_type, level, result):
    return (not level and _task_type(task_type, level, result) == "check") or (bool(level) and level[-1] == "check")


def _child_part(name, node):
    status = node.get("status")
    state = "done" if status == "FINISHED" else ("pending" if status == "PENDING" else "running")
    if status == "SUSPENDED":
        state = "SUSPENDED"
    details = node.get("progressDetails") or {}
    if state == "running" and details.get("isSupported") and isinstance(details.get("percent"), (int, float)):
        return "%s running %d%%" % (name, int(details["percent"]))
    return "%s %s" % (name, state)


def status_line(result, task_type, level, elapsed):
    """The progress line of a migration_task_status wait (without the host), for example
    ``migrate: IN_PROGRESS 62% - apps running 40%, projects done - 01:10:00 elapsed``."""
    label = wait_label(task_type, level, result)
    if result.get("status"):
        words = [result["status"]]
        if result.get("outcome"):
            words.append(result["outcome"])
        percent = (result.get("progress") or {}).get("percent")
        if isinstance(percent, (int, float)):
            words.append("%d%%" % int(percent))
        head = " ".join(words)
    else:
        problem = result.get("last_problem")
        head = "not visible yet" + (" (%s)" % problem if problem else "")
    children = _children(result)
    if _counts_checks(task_type, level, result):
        done = len([c for c in children.values() if isinstance(c, dict) and c.get("status") == "FINISHED"])
        parts = ["%d of %d checks done" % (done, len(children))] if children else []
    else:
        parts = [_child_part(name, node) for name, node in sorted(children.items()) if isinstance(node, dict)]
    line = "%s: %s" % (label, head)
    if parts:
        line += " - " + ", ".join(parts)
    return "%s - %s elapsed" % (line, hms(elapsed))


def idmapping_line(result, elapsed):
    """The progress line of an idmapping_job wait (without the host)."""
    if result.get("failed") and not result.get("job_id"):
        text = "idmapping: failed - %s" % (result.get("msg") or "no message")
    elif not result.get("job_id") and result.get("sha256"):
        text = "idmapping: report already at %s (%s bytes), nothing requested" % (result.get("dest"), result.get("size"))
    elif not result.get("job_id"):
        text = "idmapping: a report job would be triggered (check mode)"
    else:
        text = "idmapping: %s - job %s" % (result.get("status") or "no status yet", result["job_id"])
        if result.get("sha256") and not result.get("timed_out") and not result.get("failed"):
            text += " - report saved to %s (%s bytes)" % (result.get("dest"), result.get("size"))
    return "%s - %s elapsed" % (text, hms(elapsed))


class ChunkedWait:
    """One wait of ``wait_timeout`` seconds in module calls of at most ``heartbeat`` seconds.

    ``next_timeout()`` is the ``wait_timeout`` of the next chunk (None once the time is up),
    ``add(result)`` records a chunk's result and says whether the wait goes on, and ``result()``
    is the last chunk's result with ``polls``, ``elapsed`` and ``last_problem`` over the whole wait.
    """

    def __init__(self, wait_timeout, heartbeat, clock):
        self.wait_timeout = max(0, int(wait_timeout))
        self.heartbeat = max(1, int(heartbeat))
        self.clock = clock
        self.start = clock()
        self.polls = 0
        self.chunks = 0
        self.sticky = {}
        self.last_problem = None
        self.last = None
        # After a chunk that must be resumed without a heartbeat (see add), the rest is one call.
        self.whole_rest = False

    def elapsed(self):
        return self.clock() - self.start

    def left(self):
        return self.wait_timeout - self.elapsed()

    def next_timeout(self):
        left = self.left()
        if self.chunks and left <= 0:
            return None
        chunk = math.ceil(left) if self.whole_rest else min(self.heartbeat, math.ceil(left))
        return int(max(0, chunk))

    def add(self, result, resumable=False):
        """Record one chunk; True when another chunk should follow.

        ``resumable``: the chunk failed only because its own deadline ended work that a call with
        more time finishes (a large download); the rest of the wait then goes to one last call.
        """
        self.chunks += 1
        self.polls += int(result.get("polls") or 0)
        for key in STICKY_KEYS:
            if key in result:
                self.sticky[key] = self.sticky.get(key, False) or bool(result[key])
        self.last_problem = result.get("last_problem") or self.last_problem
        self.last = result
        if resumable and not self.whole_rest and self.left() > 0:
            self.whole_rest = True
            return True
        if result.get("failed") or not result.get("timed_out"):
            return False
        return self.next_timeout() is not None

    def result(self):
        merged = dict(self.last or {})
        merged.update(self.sticky)
        merged.update(polls=self.polls, elapsed=round(self.elapsed(), 3))
        if "last_problem" in merged or self.last_problem:
            merged["last_problem"] = self.last_problem
        return merged


def idmapping_timeout_message(result, wait_timeout):
    """Why an idmapping_job wait in chunks failed at its ``wait_timeout``."""
    message = "timed out after %ss waiting for ID mapping report job %s: last status %s, status reads %d, elapsed %.0fs" % (
        wait_timeout,
        result.get("job_id"),
        result.get("status") or "unknown",
        int(result.get("polls") or 0),
        float(result.get("elapsed") or 0),
    )
    if result.get("last_problem"):
        message += "; last problem: %s" % result["last_problem"]
    return message + ". The job is kept beside dest and the next run resumes it"
