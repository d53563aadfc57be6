# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AuthenticationError,
    NotVisibleYet,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import (
    TaskStatusWatcher,
    build_result,
    gate_message,
    nodes_of,
    normalize_outcomes,
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
    """Answers status reads from a script of trees or exceptions; tasks by type from a dict.

    Reads of the task root (level ``[]``) while another level is asked for (``asked``) take their
    answers from ``roots`` instead: by default a running root, under which a missing level is
    only not visible yet. ``status_calls`` counts the reads of the level asked for.
    """

    def __init__(self, statuses, tasks=None, roots=None):
        self.statuses = list(statuses)
        self.roots = list(roots) if roots is not None else [{"status": "IN_PROGRESS"}]
        self.asked = None
        self.tasks = tasks or {}
        self.status_calls = 0
        self.task_calls = 0
        self.reads = []

    def newest_task(self, job_id, task_type):
        self.task_calls += 1
        answer = self.tasks.get(task_type)
        if answer is None:
            raise NotVisibleYet("job %s has no %s task" % (job_id, task_type))
        return {"taskId": answer}

    def status_tree(self, job_id, task_id, level, expand_children):
        self.reads.append((list(level), expand_children))
        script = self.roots if (self.asked and not level) else self.statuses
        self.status_calls += script is self.statuses
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def watch(api, wait=True, wait_for_children=False, timeout=100, interval=10, level=("check",), task_id="t1", task_type=None, **kwargs):
    clock = kwargs.pop("clock", None) or FakeClock()
    watcher = TaskStatusWatcher(api, "job1", list(level), True, task_id=task_id, task_type=task_type)
    api.asked = list(level)
    return watcher.watch(wait, wait_for_children, timeout, interval, clock=clock.clock, sleep=clock.sleep, **kwargs)


REFUSED_ROOT = {"status": "FINISHED", "outcome": "FAILED", "message": "Task already running for given jobId = job1 with taskId = t0"}
SEVEN_KEYS = {"SUCCESS": 0, "WARNING": 0, "FAILED": 0, "SKIPPED": 0, "INCOMPLETE": 0, "CANCELLED": 0, "IN_PROGRESS": 0}


def test_build_result_has_every_contract_key():
    result = build_result("job1", "t1", ["check"], CHECK_TREE, False)
    for key in (
        "job_id task_id level status outcome message finished progress tree nodes counts failed_levels "
        "warning_levels excludable_failures unfinished timed_out elapsed polls changed missing_levels last_problem"
    ).split():
        assert key in result
    assert result["failed_levels"] == ["check,AnonPermission", "check,CloudFreeUserLimit"]
    assert result["warning_levels"] == ["check,AppLicenseCheck"]
    assert result["excludable_failures"] == ["AnonPermission"]
    assert result["counts"] == dict(SEVEN_KEYS, WARNING=1, FAILED=2, SKIPPED=1)
    assert result["missing_levels"] == [] and result["last_problem"] is None
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


# -- terminal root (contract 0.2) -------------------------------------------------------------


def test_level_missing_under_a_finished_root_ends_the_wait_at_once():
    api = FakeApi([NotVisibleYet("Level not found: check")], roots=[REFUSED_ROOT])
    result, problem = watch(api, timeout=86400, level=["check"])
    assert result["finished"] is True and result["timed_out"] is False and result["polls"] == 1 and result["elapsed"] == 0
    assert result["missing_levels"] == ["check"] and result["level"] == ["check"]
    assert (result["status"], result["outcome"]) == ("FINISHED", "FAILED") and "Task already running" in result["message"]
    assert result["tree"] == REFUSED_ROOT and result["nodes"] == [] and result["unfinished"] == []
    assert problem is None
    # the root is read without its children first, and with them once it is known to be final
    assert api.reads == [(["check"], True), ([], False), ([], True)]


def test_gate_applies_to_the_outcome_of_a_terminal_root():
    api = FakeApi([NotVisibleYet("Level not found: check")], roots=[REFUSED_ROOT])
    result, dummy = watch(api, level=["check"])
    message = gate_message(result, ["FAILED"], False)
    assert "level check is missing" in message and "Task already running for given jobId = job1" in message
    assert gate_message(result, ["WARNING"], False) is None


def test_terminal_root_lists_the_failed_checks_it_holds():
    root = {
        "status": "FINISHED",
        "outcome": "FAILED",
        "message": "At least one Preflight check has failed.",
        "children": {"check": dict(CHECK_TREE, children={"AnonPermission": CHECK_TREE["children"]["AnonPermission"]})},
    }
    api = FakeApi([NotVisibleYet("Level not found: migrate")], roots=[root])
    result, dummy = watch(api, level=["migrate"], wait_for_children=True)
    assert result["finished"] and result["missing_levels"] == ["migrate"]
    assert result["failed_levels"] == ["check", "check,AnonPermission"] and result["excludable_failures"] == ["AnonPermission"]
    assert "check,AnonPermission (FAILED, excludable)" in gate_message(result, ["FAILED"], True)


@pytest.mark.parametrize("asked, roots", [(["check"], None), (["migrate"], "terminal")], ids=["level", "terminal root"])
def test_a_result_without_nodes_lists_the_same_nodes_from_its_tree(asked, roots):
    # Under its action plugin the module leaves nodes out; the plugin lists them from the tree with nodes_of.
    if roots:
        root = dict(REFUSED_ROOT, children={"check": CHECK_TREE})
        api = FakeApi([NotVisibleYet("Level not found: migrate")], roots=[root])
    else:
        api = FakeApi([CHECK_TREE])
    whole, dummy = watch(api, level=asked, wait_for_children=True)
    clock = FakeClock()
    watcher = TaskStatusWatcher(api, "job1", list(asked), True, task_id="t1")
    without, dummy = watcher.watch(True, True, 100, 10, clock=clock.clock, sleep=clock.sleep, nodes=False)
    assert "nodes" not in without and without["tree"] == whole["tree"]
    assert nodes_of(without) == whole["nodes"] and len(whole["nodes"]) >= 2
    # every other key is the module's, as with nodes, and the gate (given the watcher's nodes, as the module does) is the same
    assert dict(without, nodes=whole["nodes"]) == dict(whole, elapsed=without["elapsed"])
    message = gate_message(without, ["FAILED"], True, watcher.summary.nodes)
    assert "AnonPermission (FAILED, excludable)" in message and message == gate_message(whole, ["FAILED"], True)


def test_nodes_of_a_result_without_a_tree_is_empty():
    assert nodes_of(build_result("job1", None, ["migrate"], None, True, nodes=False)) == []
    assert nodes_of({"tree": None, "level": ["check"]}) == []


def test_level_missing_under_an_unfinished_root_is_not_visible_yet():
    running_root = {"status": "IN_PROGRESS", "message": "Preflight checks are running"}
    missing = NotVisibleYet("task t1 of job job1 at level check is not visible: HTTP 404 Level not found: check")
    api = FakeApi([missing, missing, CHECK_TREE], roots=[running_root])
    result, dummy = watch(api, level=["check"])
    assert result["finished"] and result["polls"] == 3 and result["missing_levels"] == [] and result["outcome"] == "FAILED"
    assert result["last_problem"] == "poll 2: " + str(missing)


def test_a_missing_task_is_not_visible_whatever_level():
    api = FakeApi([NotVisibleYet("Level not found")], roots=[NotVisibleYet("Task not found with ID: t1")])
    result, problem = watch(api, wait=False, level=["check"])
    assert not result["finished"] and "Task not found" in str(problem) and "Task not found" in result["last_problem"]


def test_a_missing_root_level_does_not_read_the_root_again():
    api = FakeApi([NotVisibleYet("Task not found")], roots=[REFUSED_ROOT])
    dummy, problem = watch(api, wait=False, level=[])
    assert isinstance(problem, NotVisibleYet) and api.status_calls == 1


# -- outcomes and statuses (contract 0.2) -----------------------------------------------------


def test_suspended_counts_as_unfinished():
    suspended = {"status": "SUSPENDED", "children": {"apps": {"status": "SUSPENDED"}}}
    result, dummy = watch(FakeApi([suspended]), timeout=30, level=["migrate"], wait_for_children=True)
    assert result["timed_out"] and not result["finished"] and result["counts"]["IN_PROGRESS"] == 1
    assert result["unfinished"] == ["migrate", "migrate,apps"]


@pytest.mark.parametrize("outcome", ["INCOMPLETE", "CANCELLED", "cancelled", "Incomplete"])
def test_new_outcomes_fail_their_gate_whatever_the_case(outcome):
    tree = {"status": "FINISHED", "outcome": outcome, "message": "stopped", "children": {"apps": {"status": "finished", "outcome": outcome}}}
    result = build_result("j", "t", ["migrate"], tree, True)
    assert result["counts"][outcome.upper()] == 1
    assert "finished with outcome %s (stopped)" % outcome in gate_message(result, normalize_outcomes([outcome.lower()]), True)
    assert gate_message(result, ["FAILED"], True) is None


def test_gate_compares_outcomes_without_case():
    tree = dict(CHECK_TREE, outcome="failed")
    assert gate_message(build_result("j", "t", ["check"], tree, False), normalize_outcomes(["Failed"]), False) is not None


def test_gate_fails_closed_on_an_unknown_outcome_naming_it():
    tree = {"status": "FINISHED", "outcome": "PARTIAL", "message": "half done"}
    result = build_result("j", "t", ["migrate"], tree, False)
    message = gate_message(result, ["FAILED"], False)
    assert "unknown outcome" in message and "PARTIAL" in message
    assert gate_message(result, [], False) is None  # no gate, nothing to fail


def test_gate_fails_closed_on_an_unknown_descendant_outcome_with_wait_for_children():
    tree = {"status": "FINISHED", "outcome": "SUCCESS", "children": {"apps": {"status": "FINISHED", "outcome": "ABORTED"}}}
    assert gate_message(build_result("j", "t", ["migrate"], tree, False), ["FAILED"], False) is None
    message = gate_message(build_result("j", "t", ["migrate"], tree, True), ["FAILED"], True)
    assert "ABORTED at migrate,apps" in message


def test_fail_on_outcomes_normalized_and_checked():
    assert normalize_outcomes(["failed", "Cancelled", "FAILED", "incomplete"]) == ["FAILED", "CANCELLED", "INCOMPLETE"]
    with pytest.raises(ValueError) as info:
        normalize_outcomes(["FAILED", "BROKEN"])
    assert "BROKEN" in str(info.value) and "CANCELLED" in str(info.value)


# -- last problem, deadlines, summary only ----------------------------------------------------


def test_last_problem_is_in_the_result_and_the_timeout_message():
    cut = UnexpectedResponseError("expected a JSON object, got malformed JSON (the answer was cut short)", endpoint="GET /x/status")
    api = FakeApi([NotVisibleYet("Level not found"), cut], roots=[{"status": "IN_PROGRESS"}])
    result, dummy = watch(api, timeout=20, interval=10)
    assert result["timed_out"] and result["last_problem"] == "poll 3: GET /x/status: " + cut.message
    assert "last problem: poll 3: GET /x/status: expected a JSON object, got malformed" in timeout_message(result, 20)


def test_last_problem_never_shows_a_query_string():
    api = FakeApi([ServerError("bad gateway at https://proxy.example/x?X-Amz-Signature=secretsig123", status=502)])
    result, dummy = watch(api, wait=False)
    assert "secretsig123" not in result["last_problem"] and "?<redacted>" in result["last_problem"]


@pytest.mark.parametrize("retry_after", [86400, float("inf")])
def test_retry_after_never_sleeps_past_the_wait(retry_after):
    limited = RateLimitedError("slow down", status=429)
    limited.retry_after = retry_after
    clock = FakeClock()
    result, dummy = watch(FakeApi([limited]), timeout=30, interval=10, clock=clock)
    assert result["timed_out"] and result["elapsed"] <= 30 and sum(clock.sleeps) <= 30


def test_retry_after_without_wait_does_not_sleep():
    limited = RateLimitedError("slow down", status=429)
    limited.retry_after = 86400
    clock = FakeClock()
    dummy, problem = watch(FakeApi([limited]), wait=False, clock=clock)
    assert problem is limited and clock.sleeps == []


def test_retry_after_beyond_the_interval_is_honoured_within_the_wait():
    limited = RateLimitedError("slow down", status=429)
    limited.retry_after = 25
    clock = FakeClock()
    result, dummy = watch(FakeApi([limited, CHECK_TREE]), timeout=100, interval=10, clock=clock)
    assert result["finished"] and clock.sleeps == [15, 10]


def test_summary_only_keeps_every_summary_key():
    full, dummy = watch(FakeApi([CHECK_TREE]))
    lean, dummy = watch(FakeApi([CHECK_TREE]), summary_only=True)
    assert lean["tree"] is None and lean["nodes"] == [] and full["tree"] == CHECK_TREE and len(full["nodes"]) == 4
    for key in set(full) - {"tree", "nodes"}:
        assert lean[key] == full[key], key


def test_summary_only_gate_still_names_the_failing_checks():
    clock = FakeClock()
    watcher = TaskStatusWatcher(FakeApi([CHECK_TREE]), "job1", ["check"], True, task_id="t1")
    result, dummy = watcher.watch(True, False, 100, 10, clock=clock.clock, sleep=clock.sleep, summary_only=True)
    message = gate_message(result, ["FAILED"], False, watcher.summary.nodes)
    assert result["nodes"] == [] and "check,AnonPermission (FAILED, excludable)" in message and "CloudFreeUserLimit" in message
    assert [entry["name"] for entry in watcher.summary.nodes] == ["AnonPermission", "CloudFreeUserLimit", "AppLicenseCheck", "CloudSiteNotEmpty"]
