# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AuthenticationError, NotVisibleYet, ServerError
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import (
    TaskStatusWatcher,
    build_result,
    gate_message,
    timeout_message,
)

CHECK_TREE = {
    "status": "FINISHED",
    "outcome": "FAILED",
    "message": "At least one Preflight check has failed.",
    "children": {
        "AnonPermission": {
            "status": "FINISHED",
            "outcome": "FAILED",
            "message": "Project settings will allow public access",
            "details": {"excludable": True},
        },
        "CloudFreeUserLimit": {"status": "FINISHED", "outcome": "FAILED", "message": "Too many users", "details": {"excludable": False}},
        "AppLicenseCheck": {"status": "FINISHED", "outcome": "WARNING", "message": "Licences"},
        "CloudSiteNotEmpty": {"status": "FINISHED", "outcome": "SKIPPED"},
    },
}
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock


class FakeApi:
    """Answers status reads from a script of trees or exceptions; tasks by type from a dict."""

    def __init__(self, statuses, tasks=None):
        self.statuses = list(statuses)
        self.tasks = tasks or {}
        self.status_calls = 0
        self.task_calls = 0

    def newest_task(self, job_id, task_type):
        self.task_calls += 1
        answer = self.tasks.get(task_type)
        if answer is None:
            raise NotVisibleYet("job %s has no %s task" % (job_id, task_type))
        return {"taskId": answer}

    def status_tree(self, job_id, task_id, level, expand_children):
        self.status_calls += 1
        answer = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def watch(api, wait=True, wait_for_children=False, timeout=100, interval=10, level=("check",), task_id="t1", task_type=None):
    clock = FakeClock()
    watcher = TaskStatusWatcher(api, "job1", list(level), True, task_id=task_id, task_type=task_type)
    return watcher.watch(wait, wait_for_children, timeout, interval, clock=clock.clock, sleep=clock.sleep)


def test_build_result_has_every_contract_key():
    result = build_result("job1", "t1", ["check"], CHECK_TREE, False)
    for key in (
        "job_id task_id level status outcome message finished progress tree nodes counts failed_levels "
        "warning_levels excludable_failures unfinished timed_out elapsed polls changed"
    ).split():
        assert key in result
    assert result["failed_levels"] == ["check,AnonPermission", "check,CloudFreeUserLimit"]
    assert result["warning_levels"] == ["check,AppLicenseCheck"]
    assert result["excludable_failures"] == ["AnonPermission"]
    assert result["counts"] == {"SUCCESS": 0, "WARNING": 1, "FAILED": 2, "SKIPPED": 1, "IN_PROGRESS": 0}
    assert result["finished"] is True and result["unfinished"] == [] and result["changed"] is False


def test_build_result_for_a_node_never_seen():
    result = build_result("job1", None, ["migrate"], None, True)
    assert result["status"] is None and result["tree"] is None and result["finished"] is False
    assert result["unfinished"] == ["migrate"] and result["counts"]["FAILED"] == 0


def test_gate_names_each_failing_check_and_excludability():
    result = build_result("job1", "t1", ["check"], CHECK_TREE, False)
    message = gate_message(result, ["FAILED"], False)
    assert "check,AnonPermission (FAILED, excludable): Project settings will allow public access" in message
    assert "check,CloudFreeUserLimit (FAILED, not excludable): Too many users" in message
    assert "excludeKeys: AnonPermission" in message
    assert "AppLicenseCheck" not in message


def test_gate_passes_when_outcome_not_listed():
    result = build_result("job1", "t1", ["check"], CHECK_TREE, False)
    assert gate_message(result, [], False) is None
    assert gate_message(result, ["WARNING"], False) is None  # the node's own outcome decides


def test_gate_on_descendants_only_with_wait_for_children():
    tree = {"status": "FINISHED", "outcome": "SUCCESS", "children": {"apps": {"status": "FINISHED", "outcome": "FAILED", "message": "app x"}}}
    assert gate_message(build_result("j", "t", ["migrate"], tree, False), ["FAILED"], False) is None
    message = gate_message(build_result("j", "t", ["migrate"], tree, True), ["FAILED"], True)
    assert "migrate,apps (FAILED): app x" in message


def test_gate_ignores_unfinished_node():
    tree = dict(CHECK_TREE, status="IN_PROGRESS")
    assert gate_message(build_result("j", "t", ["check"], tree, False), ["FAILED"], False) is None


def test_gate_lists_at_most_ten_nodes():
    children = dict(("C%02d" % i, {"status": "FINISHED", "outcome": "FAILED"}) for i in range(15))
    tree = {"status": "FINISHED", "outcome": "FAILED", "children": children}
    message = gate_message(build_result("j", "t", ["check"], tree, False), ["FAILED"], False)
    assert "C09" in message and "C10" not in message and "and 5 more" in message


def test_wait_until_finished():
    running = {"status": "IN_PROGRESS", "children": {}}
    api = FakeApi([running, running, CHECK_TREE])
    result, problem = watch(api)
    assert result["status"] == "FINISHED" and result["polls"] == 3 and result["elapsed"] == 20
    assert problem is None and result["timed_out"] is False


def test_not_visible_counts_as_not_finished_while_waiting():
    api = FakeApi([NotVisibleYet("404"), NotVisibleYet("404"), CHECK_TREE])
    result, dummy = watch(api)
    assert result["finished"] and result["polls"] == 3


def test_transient_errors_do_not_end_the_wait():
    api = FakeApi([ServerError("down", status=503), CHECK_TREE])
    result, problem = watch(api)
    assert result["finished"] and problem is None


def test_authentication_error_ends_the_wait_at_once():
    api = FakeApi([AuthenticationError("bad token", status=401), CHECK_TREE])
    with pytest.raises(AuthenticationError):
        watch(api)
    assert api.status_calls == 1


def test_timeout_keeps_last_visible_tree_and_reports_unfinished():
    running = {"status": "IN_PROGRESS", "progressDetails": {"isSupported": True, "percent": 62}, "children": {"apps": {"status": "IN_PROGRESS"}}}
    api = FakeApi([running, ServerError("down", status=503)])
    result, problem = watch(api, timeout=30, interval=10, level=["migrate"], wait_for_children=True)
    assert result["timed_out"] and result["tree"] == running and result["polls"] == 4
    assert result["unfinished"] == ["migrate", "migrate,apps"]
    message = timeout_message(result, 30, problem)
    assert "timed out after 30s (4 polls)" in message and "IN_PROGRESS 62%" in message and "migrate,apps" in message and "down" in message


def test_timeout_message_names_the_task_root():
    result = build_result("job1", "t1", [], {"status": "IN_PROGRESS"}, False)
    result["polls"] = 2
    assert "unfinished: (task root)" in timeout_message(result, 10, None)


def test_wait_for_children_waits_for_lagging_apps():
    core_done = {"status": "FINISHED", "outcome": "SUCCESS", "children": {"apps": {"status": "IN_PROGRESS"}}}
    all_done = {"status": "FINISHED", "outcome": "SUCCESS", "children": {"apps": {"status": "FINISHED", "outcome": "SUCCESS"}}}
    result, dummy = watch(FakeApi([core_done, core_done, all_done]), level=["migrate"], wait_for_children=False)
    assert result["polls"] == 1 and result["finished"]
    result, dummy = watch(FakeApi([core_done, core_done, all_done]), level=["migrate"], wait_for_children=True)
    assert result["polls"] == 3 and result["finished"]


def test_without_wait_one_read_and_problem_returned():
    api = FakeApi([NotVisibleYet("level check missing")])
    result, problem = watch(api, wait=False)
    assert isinstance(problem, NotVisibleYet) and result["polls"] == 1 and api.status_calls == 1


def test_task_type_resolved_once_it_is_listed():
    api = FakeApi([CHECK_TREE])
    api_tasks = iter([None, "task-new"])

    def newest(job_id, task_type):
        api.task_calls += 1
        task = next(api_tasks)
        if task is None:
            raise NotVisibleYet("no check task yet")
        return {"taskId": task}

    api.newest_task = newest
    result, dummy = watch(api, task_id=None, task_type="check")
    assert result["task_id"] == "task-new" and result["polls"] == 2 and api.task_calls == 2
