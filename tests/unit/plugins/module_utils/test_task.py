# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError, OutcomeFailure
from ansible_collections.migrationops.atlassian.plugins.module_utils._task import ensure_task, options_of, requested_options, same_options


def listed(task_id, task_type, include=None, exclude=None, created_at="2026-11-01T10:00:00Z"):
    check_types = {}
    if include is not None:
        check_types["includeKeys"] = include
    if exclude is not None:
        check_types["excludeKeys"] = exclude
    return {"taskId": task_id, "taskType": task_type, "createdAt": created_at, "payload": {"checkTypes": check_types}}


class FakeTaskApi:
    def __init__(self, tasks, statuses=None):
        self.listed = tasks
        self.statuses = statuses or {}
        self.status_reads = []
        self.created = []

    def tasks(self, job_id):
        return list(self.listed)

    def root_status(self, job_id, task_id):
        self.status_reads.append(task_id)
        return self.statuses.get(task_id, "FINISHED")

    def create_task(self, job_id, body):
        self.created.append(body)
        return "task-new"

    def created_at(self, job_id, task_id):
        return "2026-11-02T00:00:00Z"


def ensure(api, task_type="check", options=None, force=False, check_mode=False, warnings=None):
    sink = warnings if warnings is not None else []
    return ensure_task(api, "job-1", task_type, options or {}, force, check_mode, sink.append)


def test_requested_options_map_to_check_types_and_refuse_what_a_migrate_task_cannot_take():
    assert requested_options("check", None, None, False) == {}
    assert requested_options("check", ["A", "B", "A"], [], False) == {"checkTypes": {"includeKeys": ["A", "B"]}}
    assert requested_options("migrate", None, [], False) == {}
    assert requested_options("migrate", None, ["AnonPermission"], False) == {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    with pytest.raises(InvalidParameterError, match="include_checks applies to check tasks only"):
        requested_options("migrate", ["A"], None, False)
    with pytest.raises(InvalidParameterError, match="force applies to check tasks only"):
        requested_options("migrate", None, None, True)
    with pytest.raises(InvalidParameterError, match="exclude_checks"):
        requested_options("check", None, [" "], False)


def test_same_options_ignores_order_duplicates_and_empty_lists():
    assert same_options({"checkTypes": {"excludeKeys": ["B", "A"]}}, {"checkTypes": {"excludeKeys": ["A", "B"], "includeKeys": []}})
    assert same_options({}, options_of({"taskId": "t", "payload": None}))
    assert not same_options({"checkTypes": {"excludeKeys": ["A"]}}, {})


def test_the_newest_check_task_with_the_same_options_is_reused():
    api = FakeTaskApi([listed("c3", "check", exclude=["X"]), listed("c2", "CHECK"), listed("c1", "check")])
    result = ensure(api)
    assert result == dict(
        job_id="job-1",
        task_id="c2",
        task_type="check",
        created=False,
        options={},
        created_at="2026-11-01T10:00:00Z",
        changed=False,
    )
    assert api.created == [] and api.status_reads == []


def test_force_or_other_options_create_a_check_task_after_reading_the_newest_task():
    api = FakeTaskApi([listed("c1", "check")])
    forced = ensure(api, force=True)
    other = ensure(api, options={"checkTypes": {"includeKeys": ["A"]}})
    assert forced["created"] and forced["task_id"] == "task-new" and forced["created_at"] == "2026-11-02T00:00:00Z"
    assert api.created == [{"task": "Check"}, {"task": "Check", "options": {"checkTypes": {"includeKeys": ["A"]}}}]
    assert api.status_reads == ["c1", "c1"]
    assert other["options"] == {"checkTypes": {"includeKeys": ["A"]}}


def test_a_migrate_task_is_created_once_and_returned_even_while_running_with_a_warning_on_other_options():
    api = FakeTaskApi([listed("c2", "check"), listed("m1", "migrate", exclude=["AnonPermission"])], {"m1": "IN_PROGRESS"})
    warnings = []
    result = ensure(api, "migrate", {"checkTypes": {"excludeKeys": ["Other"]}}, warnings=warnings)
    assert result["task_id"] == "m1" and not result["changed"] and result["options"] == {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    assert "already has migrate task m1" in warnings[0]
    assert api.created == [] and api.status_reads == []
    quiet = []
    ensure(api, "migrate", {"checkTypes": {"excludeKeys": ["AnonPermission"]}}, warnings=quiet)
    assert quiet == []


@pytest.mark.parametrize("status, shown", [("IN_PROGRESS", "is IN_PROGRESS"), ("SUSPENDED", "is SUSPENDED"), (None, "is not visible yet")])
def test_no_task_is_created_while_the_newest_task_of_the_job_is_unfinished(status, shown):
    api = FakeTaskApi([listed("c9", "check", include=["A"]), listed("c1", "check")], {"c9": status})
    with pytest.raises(OutcomeFailure) as failure:
        ensure(api, "migrate", {"checkTypes": {"excludeKeys": ["A"]}})
    message = str(failure.value)
    assert "newest task c9 (check) %s" % shown in message and "one task per job" in message
    assert failure.value.result["task_id"] is None and failure.value.result["changed"] is False
    assert api.created == []


def test_check_mode_reads_but_creates_nothing():
    api = FakeTaskApi([])
    result = ensure(api, "migrate", {"checkTypes": {"excludeKeys": ["A"]}}, check_mode=True)
    assert result["changed"] and result["task_id"] is None and not result["created"]
    assert result["options"] == {"checkTypes": {"excludeKeys": ["A"]}}
    assert api.created == []
