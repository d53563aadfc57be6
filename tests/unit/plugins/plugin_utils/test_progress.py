# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._progress import (
    ChunkedWait,
    hms,
    idmapping_line,
    idmapping_timeout_message,
    status_line,
    wait_label,
)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def node(status, outcome=None, percent=None, children=None):
    value = {"status": status, "outcome": outcome}
    if percent is not None:
        value["progressDetails"] = {"isSupported": True, "percent": percent}
    if children is not None:
        value["children"] = children
    return value


def status_result(tree, percent=None, **extra):
    result = {"status": tree["status"] if tree else None, "outcome": tree.get("outcome") if tree else None, "tree": tree}
    result["progress"] = {"percent": percent, "steps": []} if percent is not None else None
    result.update(extra)
    return result


def test_hms():
    assert [hms(0), hms(59.9), hms(3661), hms(100 * 3600), hms(None)] == ["00:00:00", "00:00:59", "01:01:01", "100:00:00", "00:00:00"]


@pytest.mark.parametrize(
    "task_type, level, children, label",
    [
        ("check", [], {}, "check"),
        (None, [], {"AnonPermission": {}}, "check"),
        (None, [], {"check": {}, "migrate": {}}, "migrate"),
        ("migrate", [], {"check": {}}, "migrate"),
        (None, [], {}, "task"),
        (None, ["check"], {}, "migrate/check"),
        ("migrate", ["check", "AnonPermission"], {}, "migrate/check,AnonPermission"),
        (None, ["migrate"], {}, "migrate"),
        (None, ["migrate", "apps"], {}, "migrate,apps"),
    ],
)
def test_wait_label(task_type, level, children, label):
    assert wait_label(task_type, level, {"tree": {"children": children}}) == label


def test_status_line_lists_children_with_percent_and_suspended():
    tree = node(
        "IN_PROGRESS",
        children={
            "usersAndGroups": node("FINISHED", "SUCCESS"),
            "projects": node("IN_PROGRESS", percent=40),
            "apps": node("PENDING"),
            "boards": node("SUSPENDED"),
        },
    )
    line = status_line(status_result(tree, percent=62), "migrate", ["migrate"], 4210)
    assert line == "migrate: IN_PROGRESS 62% - apps pending, boards SUSPENDED, projects running 40%, usersAndGroups done - 01:10:10 elapsed"


def test_status_line_counts_checks():
    tree = node("FINISHED", "WARNING", children={"A": node("FINISHED", "SUCCESS"), "B": node("IN_PROGRESS")})
    assert status_line(status_result(tree), "check", [], 3) == "check: FINISHED WARNING - 1 of 2 checks done - 00:00:03 elapsed"
    assert status_line(status_result(tree), None, ["check"], 3).startswith("migrate/check: FINISHED WARNING - 1 of 2 checks done")


def test_status_line_names_the_last_problem_while_not_visible():
    result = status_result(None, last_problem="HTTP 404 from GET /jobs/j/tasks/t/status")
    assert status_line(result, None, ["migrate"], 30) == "migrate: not visible yet (HTTP 404 from GET /jobs/j/tasks/t/status) - 00:00:30 elapsed"
    assert status_line(status_result(None), "check", [], 0) == "check: not visible yet - 00:00:00 elapsed"


def test_idmapping_lines():
    assert idmapping_line({"job_id": "j1", "status": "IN_PROGRESS", "timed_out": True}, 5) == "idmapping: IN_PROGRESS - job j1 - 00:00:05 elapsed"
    saved = {"job_id": "j1", "status": "SUCCESS", "dest": "/r.csv", "size": 10, "sha256": "ab"}
    assert idmapping_line(saved, 7) == "idmapping: SUCCESS - job j1 - report saved to /r.csv (10 bytes) - 00:00:07 elapsed"
    there = {"job_id": None, "dest": "/r.csv", "size": 10, "sha256": "ab"}
    assert idmapping_line(there, 0) == "idmapping: report already at /r.csv (10 bytes), nothing requested - 00:00:00 elapsed"
    assert idmapping_line({"job_id": None}, 0).startswith("idmapping: a report job would be triggered")
    assert idmapping_line({"failed": True, "msg": "bad"}, 0) == "idmapping: failed - bad - 00:00:00 elapsed"


def test_chunks_are_a_heartbeat_long_and_the_last_is_what_is_left():
    clock = FakeClock()
    wait = ChunkedWait(25, 10, clock)
    timeouts = []
    more = True
    while more:
        timeouts.append(wait.next_timeout())
        clock.now += timeouts[-1] + 0.4  # module start-up costs time too
        more = wait.add({"timed_out": True, "polls": 3, "last_problem": "HTTP 404" if len(timeouts) == 1 else None})
    assert timeouts == [10, 10, 5]
    result = wait.result()
    assert result["polls"] == 9 and result["elapsed"] == pytest.approx(26.2) and result["last_problem"] == "HTTP 404"
    assert wait.next_timeout() is None


def test_a_finished_or_failed_chunk_ends_the_wait_and_sticky_keys_survive():
    clock = FakeClock()
    wait = ChunkedWait(3600, 60, clock)
    assert wait.add({"timed_out": True, "polls": 1, "triggered": True, "changed": True}) is True
    assert wait.add({"timed_out": False, "polls": 2, "triggered": False, "changed": False, "status": "SUCCESS"}) is False
    assert wait.result()["triggered"] is True and wait.result()["changed"] is True and wait.result()["polls"] == 3
    assert "last_problem" not in wait.result()
    failed = ChunkedWait(3600, 60, clock)
    assert failed.add({"failed": True, "timed_out": True, "msg": "401"}) is False


def test_a_resumable_failure_gives_the_rest_of_the_wait_to_one_last_call_once():
    clock = FakeClock()
    wait = ChunkedWait(100, 10, clock)
    assert wait.next_timeout() == 10
    clock.now += 12
    cut = {"failed": True, "status": "SUCCESS", "error": {"type": "DeadlineExceededError"}, "polls": 2}
    assert wait.add(cut, resumable=True) is True
    assert wait.next_timeout() == 88  # no heartbeat any more: the download needs the time
    clock.now += 30
    assert wait.add(dict(cut), resumable=True) is False  # only once: a second cut is the failure
    assert wait.result()["failed"] is True and wait.result()["polls"] == 4


def test_a_resumable_failure_with_no_time_left_ends_the_wait():
    clock = FakeClock()
    wait = ChunkedWait(10, 10, clock)
    clock.now += 15
    assert wait.add({"failed": True}, resumable=True) is False


def test_zero_timeout_reads_once():
    wait = ChunkedWait(0, 10, FakeClock())
    assert wait.next_timeout() == 0
    assert wait.add({"timed_out": True}) is False


def test_idmapping_timeout_message():
    message = idmapping_timeout_message({"job_id": "j1", "status": "IN_PROGRESS", "polls": 12, "elapsed": 61.2, "last_problem": "HTTP 503"}, 60)
    assert message == (
        "timed out after 60s waiting for ID mapping report job j1: last status IN_PROGRESS, status reads 12, elapsed 61s; "
        "last problem: HTTP 503. The job is kept beside dest and the next run resumes it"
    )
