# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    InvalidParameterError,
    OutcomeFailure,
    RateLimitedError,
    ServerError,
    TransportError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._task import ensure_task, refusal
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_options import options_of, requested_options, same_options
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import refused_connection


def listed(task_id, task_type, include=None, exclude=None, created_at="2026-11-01T10:00:00Z"):
    check_types = {}
    if include is not None:
        check_types["includeKeys"] = include
    if exclude is not None:
        check_types["excludeKeys"] = exclude
    return {"taskId": task_id, "taskType": task_type, "createdAt": created_at, "payload": {"checkTypes": check_types}}


FINISHED = {"status": "FINISHED", "outcome": "SUCCESS", "message": "All Preflight checks have passed."}
REFUSED = {"status": "FINISHED", "outcome": "FAILED", "message": "The cloud url is either not attached through the cloud migration assistant"}


class FakeTaskApi:
    """``listed`` newest first; ``after`` the list read after a POST (default: the new task on top).

    ``roots`` maps a task to its root node (default FINISHED/SUCCESS, a string is a status), ``bare``
    holds the tasks with nothing written below the root; ``fail`` maps ``relist`` / ``created_at`` to an error.
    """

    def __init__(self, tasks, statuses=None, roots=None, bare=(), after=None, fail=None, post_error=None, new_id="task-new"):
        self.listed = tasks
        self.new_id = new_id
        self.roots = dict(roots or {})
        for task_id, status in (statuses or {}).items():
            self.roots[task_id] = status if status is None else {"status": status}
        self.bare = set(bare)
        self.after = after
        self.fail = dict(fail or {})
        self.post_error = post_error
        self.status_reads = []
        self.written_reads = []
        self.created = []
        self.lists = 0
        self.created_at_reads = []
        self.posted = False

    def tasks(self, job_id):
        self.lists += 1
        posted, self.posted = self.posted, False
        if posted:
            if "relist" in self.fail:
                raise self.fail["relist"]
            if self.after is not None:
                return list(self.after)
            if self.created:
                return [listed("task-new", self.created[-1]["task"].lower(), created_at="2026-11-02T00:00:00Z")] + list(self.listed)
        return list(self.listed)

    def root(self, job_id, task_id):
        self.status_reads.append(task_id)
        return self.roots.get(task_id, FINISHED)

    def written(self, job_id, task_id, task_type):
        self.written_reads.append(task_id)
        return task_id not in self.bare

    def create_task(self, job_id, body):
        self.created.append(body)
        self.posted = True
        if self.post_error is not None:
            raise self.post_error
        return self.new_id

    def created_at(self, job_id, task_id):
        self.created_at_reads.append(task_id)
        if "created_at" in self.fail:
            raise self.fail["created_at"]
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
    # its root is read (a refused task is not reused), nothing else
    assert api.created == [] and api.status_reads == ["c2"] and api.written_reads == []


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
    assert api.created == [] and api.status_reads == ["m1"]
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


def test_refusal_is_a_finished_failed_root_with_nothing_written_below_it():
    assert refusal(REFUSED, False) == REFUSED["message"]
    assert refusal({"status": "finished", "outcome": "failed"}, False) == "no reason given"
    assert refusal(REFUSED, True) is None
    assert refusal(FINISHED, False) is None
    assert refusal({"status": "IN_PROGRESS"}, False) is None
    assert refusal(None, False) is None


def test_a_refused_check_task_is_not_reused_a_fresh_one_is_created_naming_it():
    # run 1 without the site attached: the instance refused c1; run 2 after attaching must not reuse it
    api = FakeTaskApi([listed("c1", "check")], roots={"c1": REFUSED}, bare=["c1"])
    warnings = []
    result = ensure(api, warnings=warnings)
    assert result["created"] and result["changed"] and result["task_id"] == "task-new"
    assert api.created == [{"task": "Check"}]
    assert len(warnings) == 1
    assert "c1" in warnings[0] and "refused" in warnings[0] and "not attached" in warnings[0] and "not reused" in warnings[0]


def test_a_check_task_whose_checks_failed_is_reused_it_ran():
    api = FakeTaskApi([listed("c1", "check")], roots={"c1": dict(REFUSED, message="At least one Preflight check has failed.")})
    result = ensure(api)
    assert (result["task_id"], result["created"], result["changed"]) == ("c1", False, False)
    assert api.written_reads == ["c1"] and api.created == []


def test_the_newest_check_task_that_was_not_refused_is_reused():
    api = FakeTaskApi([listed("c2", "check"), listed("c1", "check")], roots={"c2": REFUSED}, bare=["c2"])
    assert ensure(api)["task_id"] == "c1"


def test_the_oldest_migrate_task_that_was_not_refused_is_returned():
    tasks = [listed("m3", "migrate"), listed("m2", "migrate"), listed("m1", "migrate")]
    api = FakeTaskApi(tasks, roots={"m1": REFUSED, "m3": {"status": "IN_PROGRESS"}}, bare=["m1"])
    warnings = []
    result = ensure(api, "migrate", warnings=warnings)
    assert (result["task_id"], result["created"], result["changed"]) == ("m2", False, False)
    assert api.created == [] and warnings == []


def test_a_migrate_task_the_instance_refused_does_not_block_the_job_a_fresh_one_is_created():
    api = FakeTaskApi([listed("m1", "migrate"), listed("c1", "check")], roots={"m1": REFUSED}, bare=["m1"])
    warnings = []
    result = ensure(api, "migrate", warnings=warnings)
    assert result["created"] and result["task_id"] == "task-new" and api.created == [{"task": "Migrate"}]
    assert "m1" in warnings[0] and "refused" in warnings[0] and "migrated nothing" in warnings[0]


def test_a_migrate_task_not_visible_yet_counts_as_existing():
    api = FakeTaskApi([listed("m1", "migrate")], statuses={"m1": None})
    assert ensure(api, "migrate")["task_id"] == "m1" and api.created == []


def test_concurrent_runs_converge_on_the_oldest_migrate_task_and_warn_naming_both():
    # another run created m-other between this run's list and its POST: m-other is older, it wins
    after = [listed("task-new", "migrate"), listed("m-other", "migrate"), listed("c1", "check")]
    api = FakeTaskApi([listed("c1", "check")], after=after)
    warnings = []
    result = ensure(api, "migrate", warnings=warnings)
    assert result["task_id"] == "m-other" and result["changed"] and not result["created"]
    assert len(api.created) == 1
    assert len(warnings) == 1 and "m-other" in warnings[0] and "task-new" in warnings[0] and "at the same time" in warnings[0]
    # the other run sees the same list: its own task (m-other) is the oldest, it keeps it and warns too
    other_view = FakeTaskApi([listed("c1", "check")], after=after, new_id="m-other")
    other_warnings = []
    mine = ensure(other_view, "migrate", warnings=other_warnings)
    assert mine["task_id"] == "m-other" and mine["created"] and "task-new" in other_warnings[0]


def test_concurrent_runs_skip_a_rival_the_instance_refused():
    after = [listed("task-new", "migrate"), listed("m-other", "migrate"), listed("c1", "check")]
    api = FakeTaskApi([listed("c1", "check")], after=after, roots={"m-other": REFUSED}, bare=["m-other"])
    warnings = []
    result = ensure(api, "migrate", warnings=warnings)
    assert result["task_id"] == "task-new" and result["created"] and "m-other" in warnings[0]


def test_concurrent_check_tasks_with_other_options_are_not_rivals():
    after = [listed("task-new", "check"), listed("c-other", "check", include=["A"])]
    api = FakeTaskApi([], after=after)
    warnings = []
    result = ensure(api, warnings=warnings)
    assert result["task_id"] == "task-new" and result["created"] and warnings == []


def test_own_task_not_listed_yet_reads_created_at_and_defers_to_a_listed_rival():
    api = FakeTaskApi([], after=[])
    result = ensure(api)
    assert result["task_id"] == "task-new" and result["created_at"] == "2026-11-02T00:00:00Z"
    assert api.created_at_reads == ["task-new"]
    rival = FakeTaskApi([], after=[listed("c-other", "check")])
    warnings = []
    assert ensure(rival, warnings=warnings)["task_id"] == "c-other" and "task-new" in warnings[0]


def test_a_failed_read_after_the_post_keeps_the_created_task_in_the_result():
    # defect: a 503 on the follow-up read failed the run with changed false and no task_id
    api = FakeTaskApi([], after=[], fail={"created_at": ServerError("Service Unavailable", status=503)})
    warnings = []
    result = ensure(api, warnings=warnings)
    assert (result["task_id"], result["created"], result["changed"], result["created_at"]) == ("task-new", True, True, None)
    assert any("created_at" in w and "503" in w for w in warnings)
    relist = FakeTaskApi([], fail={"relist": ServerError("Service Unavailable", status=503), "created_at": ServerError("down", status=503)})
    warnings = []
    result = ensure(relist, "migrate", warnings=warnings)
    assert (result["task_id"], result["created"], result["changed"]) == ("task-new", True, True)
    assert any("could not be read again" in w for w in warnings)


def test_a_lost_answer_to_the_post_adopts_the_task_that_appeared():
    lost = TransportError("no answer within request_timeout (30s)", endpoint="POST /migrations/public/v1/jobs/job-1/tasks")
    api = FakeTaskApi([listed("c1", "check")], post_error=lost, after=[listed("c-new", "check"), listed("c1", "check")])
    warnings = []
    result = ensure(api, force=True, warnings=warnings)
    assert (result["task_id"], result["created"], result["changed"]) == ("c-new", True, True)
    assert "answer" in warnings[0] and "lost" in warnings[0] and "c-new" in warnings[0]
    assert len(api.created) == 1


def test_a_lost_answer_with_no_task_visible_says_it_may_have_been_created_and_how_to_go_on():
    lost = TransportError("no answer within request_timeout (30s)", endpoint="POST /migrations/public/v1/jobs/job-1/tasks")
    api = FakeTaskApi([], post_error=lost, after=[])
    with pytest.raises(TransportError) as failure:
        ensure(api, "migrate")
    message = str(failure.value)
    assert "may have been created" in message and "run again" in message.lower()
    forced = FakeTaskApi([], post_error=TransportError("no answer within request_timeout (30s)"), after=[])
    with pytest.raises(TransportError) as failure:
        ensure(forced, force=True)
    assert "force" in str(failure.value)


@pytest.mark.parametrize("error", [RateLimitedError("Too Many Requests", status=429), refused_connection()])
def test_a_post_the_service_cannot_have_acted_on_fails_as_it_is(error):
    api = FakeTaskApi([], post_error=error, after=[listed("c-x", "check")])
    with pytest.raises(type(error)) as failure:
        ensure(api)
    assert "may have been created" not in str(failure.value) and api.lists == 1
