# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""migration_task_status through ansible-playbook against the simulator, over real HTTP."""

import base64

import pytest

from ansible_collections.migrationops.atlassian.tests.integration.conftest import connection_env

MODULE = "migrationops.atlassian.migration_task_status"
JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"

CHECKS = {
    "AnonPermission": {
        "outcome": "FAILED",
        "message": "Project settings will allow public access",
        "details": {"excludable": True, "description": "Anonymous access becomes public"},
    },
    "CloudFreeUserLimit": {"outcome": "FAILED", "message": "Too many users for the Free plan", "details": {"excludable": False}},
    "AppLicenseCheck": {"outcome": "WARNING", "message": "Some app licences are missing"},
    "CloudSiteNotEmpty": {"outcome": "SKIPPED"},
    "DatabaseSize": {"outcome": "SUCCESS"},
    "AppVendorCheck": {"outcome": "SUCCESS"},
    "MissingAttachments": {"outcome": "SUCCESS"},
}


def check_tree(finish=1, outcome="FAILED", children=None, appear=0):
    return {
        "appear": appear,
        "finish": finish,
        "outcome": outcome,
        "message": "At least one Preflight check has failed." if outcome == "FAILED" else "All Preflight checks have passed.",
        "progress": [{"name": "Preflight Checks", "total": 40}],
        "children": CHECKS if children is None else children,
    }


def migrate_tree(core_finish=2, apps_finish=4, apps_outcome="SUCCESS"):
    return {
        "finish": core_finish,
        "outcome": "SUCCESS",
        "message": "Migration finished",
        "children": {
            "check": {"finish": 1, "outcome": "WARNING", "message": "All Preflight checks have passed with warning."},
            "migrate": {
                "finish": core_finish,
                "outcome": "SUCCESS",
                "progress": [{"name": "Projects", "total": 4}],
                "children": {
                    "projects": {"outcome": "SUCCESS", "children": {"ABC": {"outcome": "SUCCESS"}, "OPS": {"outcome": "SUCCESS"}}},
                    "usersAndGroups": {"outcome": "SUCCESS"},
                    "apps": {"finish": apps_finish, "outcome": apps_outcome, "message": "Apps migrated"},
                },
            },
        },
    }


def scenario(tasks, **settings):
    data = {"name": "integration", "clock": "polls", "jobs": [{"job_id": JOB, "tasks": tasks}]}
    data.update(settings)
    return data


def task(task_id, kind, tree, created_at="2026-11-01T10:00:00Z"):
    return {"task_id": task_id, "type": kind, "created_at": created_at, "tree": tree}


def status_requests(sim):
    return [r for r in sim.requests if r["path"].endswith("/status")]


@pytest.mark.parametrize("next_style", ["absolute", "relative", "cursor"])
def test_tree_over_pages_merged_in_each_next_style(simulator, run_tasks, next_style):
    sim = simulator(
        scenario(
            [task("chk-1", "check", check_tree())],
            pagination={"status_page_size": 2, "page_overlap": 1, "next_style": next_style},
        )
    )
    run = run_tasks(connection_env(sim), [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1"}}])
    result = run["read"]
    assert not result.get("failed"), result
    assert sorted(result["tree"]["children"]) == sorted(CHECKS)
    assert [n["name"] for n in result["nodes"]] == sorted(CHECKS)  # no duplicates from overlapping pages
    assert result["counts"] == {"SUCCESS": 3, "WARNING": 1, "FAILED": 2, "SKIPPED": 1, "INCOMPLETE": 0, "CANCELLED": 0, "IN_PROGRESS": 0}
    assert result["excludable_failures"] == ["AnonPermission"]
    assert result["changed"] is False and result["polls"] == 1
    assert len(status_requests(sim)) >= 4  # 7 children, 2 per page with overlap: at least 4 pages


def test_nodes_are_listed_on_the_controller_and_by_the_module_when_async(simulator, run_tasks):
    # The module leaves nodes out of what it sends when its action plugin reads the result (not async).
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    env = dict(connection_env(sim), ANSIBLE_DEBUG="1")
    args = {"job_id": JOB, "task_id": "chk-1"}
    run = run_tasks(env, [{"name": "read", MODULE: args}, {"name": "async", "async": 60, "poll": 1, MODULE: args}])
    read, in_background = run["read"], run["async"]
    assert [n["name"] for n in read["nodes"]] == sorted(CHECKS) and read["nodes"][0]["level"] == "AnonPermission"
    assert in_background["nodes"] == read["nodes"] and in_background["tree"] == read["tree"]
    # With ANSIBLE_DEBUG ansible-core prints what each module process printed, a line of JSON each.
    output = (run.stdout + run.stderr + run.log).splitlines()
    sent = [line for line in output if line.startswith('{"changed": false, "job_id"') and '"tree"' in line]
    assert len(sent) == 2, sent
    assert '"nodes"' not in sent[0] and '"nodes"' in sent[1]  # the first task's module, then the async one's


def test_the_task_environment_is_kept_beside_the_plugins_own(simulator, run_tasks):
    # The credentials come only from the task's environment keyword, as a dict and as a template.
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    args = {"job_id": JOB, "task_id": "chk-1"}
    tasks = [
        {"name": "dict", "environment": connection_env(sim), MODULE: args},
        {"name": "template", "environment": "{{ connection }}", MODULE: args},
    ]
    run = run_tasks({}, tasks, play_vars={"connection": connection_env(sim)})
    for name in ("dict", "template"):
        assert not run[name].get("failed") and [n["name"] for n in run[name]["nodes"]] == sorted(CHECKS), run[name]


def test_task_type_resolves_newest_task_across_task_list_pages(simulator, run_tasks):
    migrate_tasks = [task("mig-%02d" % i, "migrate", migrate_tree(), "2026-11-02T10:%02d:00Z" % i) for i in range(45)]
    checks = [task("chk-old", "check", check_tree(outcome="SUCCESS", children={})), task("chk-new", "check", check_tree(), "2026-11-01T12:00:00Z")]
    sim = simulator(scenario(checks + migrate_tasks))
    run = run_tasks(connection_env(sim), [{"name": "check", MODULE: {"job_id": JOB, "task_type": "check", "level": "check"}}])
    assert run["check"]["task_id"] == "chk-new"
    task_list_pages = [r for r in sim.requests if r["path"].endswith("/tasks")]
    assert len(task_list_pages) == 3


def test_eventual_consistency_wait_versus_no_wait(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree(appear=3, finish=4, outcome="WARNING", children={"A": {"outcome": "WARNING"}}))]))
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "no_wait", MODULE: {"job_id": JOB, "task_id": "chk-1"}},
            {"name": "wait", MODULE: {"job_id": JOB, "task_id": "chk-1", "wait": True, "wait_sleep": 0, "wait_timeout": 60}},
        ],
    )
    assert run["no_wait"]["failed"] and "wait=true" in run["no_wait"]["msg"] and "not visible" in run["no_wait"]["msg"]
    assert run["wait"].get("finished") and run["wait"]["outcome"] == "WARNING", run["wait"]
    assert run["wait"]["polls"] >= 2


def test_apps_lagging_core_with_and_without_wait_for_children(simulator, run_tasks):
    sim = simulator(scenario([task("mig-1", "migrate", migrate_tree(core_finish=2, apps_finish=6))]))
    common = {"job_id": JOB, "task_id": "mig-1", "level": ["migrate"], "wait": True, "wait_sleep": 0, "wait_timeout": 60}
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "core_only", MODULE: dict(common)},
            {"name": "with_apps", MODULE: dict(common, wait_for_children=True)},
        ],
    )
    core = run["core_only"]
    assert core["finished"] and core["status"] == "FINISHED"
    assert "migrate,apps" in [n["level"] for n in core["nodes"] if n["status"] != "FINISHED"]
    full = run["with_apps"]
    assert full["finished"] and full["unfinished"] == [] and full["counts"]["IN_PROGRESS"] == 0


def test_gate_fails_naming_excludable_and_non_excludable_checks(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    run = run_tasks(
        connection_env(sim), [{"name": "gate", MODULE: {"job_id": JOB, "task_id": "chk-1", "wait": True, "fail_on_outcomes": ["FAILED"]}}]
    )
    result = run["gate"]
    assert result["failed"]
    assert "AnonPermission (FAILED, excludable): Project settings will allow public access" in result["msg"]
    assert "CloudFreeUserLimit (FAILED, not excludable)" in result["msg"]
    assert result["excludable_failures"] == ["AnonPermission"]  # the full result comes with the failure
    assert result["counts"]["FAILED"] == 2 and result["tree"]["outcome"] == "FAILED"


def test_failed_scope_gated_with_wait_for_children(simulator, run_tasks):
    sim = simulator(scenario([task("mig-1", "migrate", migrate_tree(apps_finish=3, apps_outcome="FAILED"))]))
    args = {
        "job_id": JOB,
        "task_id": "mig-1",
        "level": "migrate",
        "wait": True,
        "wait_sleep": 0,
        "wait_for_children": True,
        "fail_on_outcomes": ["FAILED"],
    }
    run = run_tasks(connection_env(sim), [{"name": "migrate", MODULE: args}])
    assert run["migrate"]["failed"] and "migrate,apps (FAILED" in run["migrate"]["msg"]
    assert run["migrate"]["failed_levels"] == ["migrate,apps"]


def test_timeout_fails_or_returns(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree(finish=10**6))]))
    args = {"job_id": JOB, "task_id": "chk-1", "wait": True, "wait_timeout": 2, "wait_sleep": 1}
    run = run_tasks(
        connection_env(sim),
        [{"name": "fails", MODULE: dict(args)}, {"name": "returns", MODULE: dict(args, fail_on_timeout=False)}],
    )
    assert run["fails"]["failed"] and run["fails"]["timed_out"]
    assert "timed out after 2s" in run["fails"]["msg"] and "IN_PROGRESS" in run["fails"]["msg"]
    assert run["fails"]["tree"]["status"] == "IN_PROGRESS" and run["fails"]["unfinished"][0] == ""
    assert not run["returns"].get("failed") and run["returns"]["timed_out"] is True
    assert run["returns"]["progress"]["percent"] is not None and run["returns"]["polls"] >= 2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 429, "retry_after": 1, "times": 2},
        {"kind": "status", "status": 503, "times": 3},
        {"kind": "reset", "times": 2},
        {"kind": "html", "status": 502, "times": 1},
    ],
)
def test_transient_faults_during_a_wait_are_survived(simulator, run_tasks, fault):
    sim = simulator(scenario([task("chk-1", "check", check_tree(finish=3, outcome="SUCCESS", children={"A": {"outcome": "SUCCESS"}}))]))
    sim.add_fault(dict(fault, match={"method": "GET", "path": "/status$"}, after=1))
    run = run_tasks(connection_env(sim), [{"name": "wait", MODULE: {"job_id": JOB, "task_id": "chk-1", "wait": True, "wait_sleep": 0}}])
    result = run["wait"]
    assert not result.get("failed"), result.get("msg")
    assert result["finished"] and result["outcome"] == "SUCCESS"
    faulted = [r for r in sim.requests if r.get("fault")]
    assert len(faulted) == fault["times"]


def test_authentication_failure_ends_the_wait_at_once(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree(finish=10**6))]))
    env = connection_env(sim, ATLASSIAN_API_TOKEN="wrong-token-but-long-enough-1234")
    run = run_tasks(env, [{"name": "wait", MODULE: {"job_id": JOB, "task_id": "chk-1", "wait": True, "wait_sleep": 0, "wait_timeout": 600}}])
    assert run["wait"]["failed"] and "HTTP 401" in run["wait"]["msg"] and "api_token" in run["wait"]["msg"]
    assert len(status_requests(sim)) == 1


def test_malformed_json_fails_cleanly(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "malformed_json", "times": None})
    run = run_tasks(connection_env(sim, ATLASSIAN_REQUEST_TIMEOUT="5"), [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1", "retries": 1}}])
    assert run["read"]["failed"] and "expected a JSON object" in run["read"]["msg"]
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr


def test_endless_pages_of_a_big_tree_end_a_read_without_wait(simulator, run_tasks):
    # Every page holds a 10,000-child tree (the benchmark's size) and points to a new page: the
    # read stops once its pages hold more nodes than any real tree, not after 100,000 pages.
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    children = dict(("check-%05d" % n, {"status": "FINISHED", "outcome": "SUCCESS"}) for n in range(10000))
    body = {"data": {"status": "IN_PROGRESS", "children": children}}
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "endless_cursor", "body": body, "times": None})
    # Without a bound the read would go on for hours: the task's own timeout makes that a failed assertion.
    run = run_tasks(connection_env(sim), [{"name": "read", "timeout": 300, MODULE: {"job_id": JOB, "task_id": "chk-1"}}])
    message = run["read"]["msg"]
    assert run["read"]["failed"] and message.startswith("GET /migrations/public/v1/jobs/%s/tasks/chk-1/status: " % JOB), message
    assert "more than 1000000 status tree nodes" in message and "misbehaves" in message
    assert len(status_requests(sim)) == 100
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr


def test_unknown_job_and_task_fail_clearly_without_wait(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "task", MODULE: {"job_id": JOB, "task_id": "no-such-task"}},
            {"name": "job", MODULE: {"job_id": "no-such-job", "task_type": "migrate"}},
        ],
    )
    assert run["task"]["failed"] and "no-such-task" in run["task"]["msg"] and "not visible" in run["task"]["msg"]
    assert run["job"]["failed"] and "no-such-job" in run["job"]["msg"]


def test_check_mode_reads_normally(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    run = run_tasks(connection_env(sim), [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1"}}], extra_args=["--check"])
    assert run["read"]["changed"] is False and run["read"]["status"] == "FINISHED"


def test_module_defaults_group_sets_the_connection(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    defaults = {
        "group/migrationops.atlassian.migration": {"api_url": sim.url, "api_token": sim.credentials["api_token"], "email": sim.credentials["email"]}
    }
    run = run_tasks(
        {}, [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1", "level": ["check", "AnonPermission"]}}], module_defaults=defaults
    )
    assert run["read"]["status"] == "FINISHED" and run["read"]["level"] == ["check", "AnonPermission"]
    assert {r["auth"] for r in sim.requests} == {"basic"}


def test_bearer_token_without_email(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    env = connection_env(sim)
    del env["ATLASSIAN_EMAIL"]
    run = run_tasks(env, [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1"}}])
    assert run["read"]["status"] == "FINISHED"
    assert {r["auth"] for r in sim.requests} == {"bearer"}


def test_a_token_with_a_trailing_newline_is_sent_without_it_and_never_printed(simulator, run_tasks):
    # A token read from a file or a pasted secret often ends with a newline; http.client would
    # refuse the header and quote it whole in the error.
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    env = connection_env(sim)
    token = env["ATLASSIAN_API_TOKEN"]
    del env["ATLASSIAN_EMAIL"]
    env["ATLASSIAN_API_TOKEN"] = token + "\r\n"
    run = run_tasks(
        env,
        [
            {"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1"}},
            {"name": "inner", MODULE: {"job_id": JOB, "task_id": "chk-1", "api_token": token[:8] + "\n" + token[8:]}},
        ],
        extra_args=["-vvv"],
    )
    assert run["read"]["status"] == "FINISHED" and {r["auth"] for r in sim.requests} == {"bearer"}
    assert run["inner"]["failed"] and run["inner"]["msg"].startswith("api_token contains whitespace or a control character (U+000A at character 9)")
    assert len(sim.requests) == 1
    for text in (run.stdout, run.stderr, run.log, repr(run.results)):
        assert token not in text and token[8:] not in text and token[:8] + "\\n" not in text


def test_an_answer_nested_too_deeply_for_ansible_fails_with_a_message(simulator, run_tasks):
    # Python's decoder takes 900 levels; ansible-core's encoder, deeper in the stack, does not.
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    deep = '{"data": {"status": "FINISHED", "outcome": "SUCCESS", "extra": %s1%s}}' % ("[" * 900, "]" * 900)
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "json", "text": deep, "times": None})
    run = run_tasks(connection_env(sim), [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1"}}])
    assert run["read"]["failed"] and "nested too deeply" in run["read"]["msg"], run["read"]
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr


def test_a_lone_surrogate_in_an_answer_does_not_lose_the_result(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    text = '{"data": {"status": "FINISHED", "outcome": "SUCCESS", "message": "caf\\u00e9 \\ud83d\\ude00 cut \\ud800 here"}}'
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "json", "text": text, "times": None})
    run = run_tasks(connection_env(sim), [{"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1"}}])
    assert not run["read"].get("failed"), run["read"]
    assert run["read"]["message"] == "caf\u00e9 \U0001f600 cut \ufffd here"


def test_bad_input_fails_before_any_request(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    env = connection_env(sim)
    run = run_tasks(
        env,
        [
            {"name": "empty_level", MODULE: {"job_id": JOB, "task_id": "chk-1", "level": "check,,x"}},
            {"name": "both_ids", MODULE: {"job_id": JOB, "task_id": "chk-1", "task_type": "check"}},
            {"name": "neither_id", MODULE: {"job_id": JOB}},
            {"name": "bad_type", MODULE: {"job_id": JOB, "task_type": "cleanup"}},
            {"name": "bad_outcome", MODULE: {"job_id": JOB, "task_id": "chk-1", "fail_on_outcomes": ["FAILED", "BROKEN"]}},
            {"name": "bad_number", MODULE: {"job_id": JOB, "task_id": "chk-1", "wait_timeout": "soon"}},
            {"name": "plain_http", MODULE: {"job_id": JOB, "task_id": "chk-1", "api_url": "http://api.example.com"}},
            {"name": "no_scheme", MODULE: {"job_id": JOB, "task_id": "chk-1", "api_url": "api.atlassian.com"}},
            {"name": "missing_ca", MODULE: {"job_id": JOB, "task_id": "chk-1", "ca_path": "/nonexistent/ca.pem"}},
        ],
    )
    expectations = {
        "empty_level": "empty name",
        "both_ids": "mutually exclusive",
        "neither_id": "one of the following is required",
        "bad_type": "task_type",
        "bad_outcome": "fail_on_outcomes: 'BROKEN' is not an outcome",
        "bad_number": "wait_timeout",
        "plain_http": "plain http",
        "no_scheme": "api_url",
        "missing_ca": "ca_path",
    }
    for name, fragment in expectations.items():
        assert run[name]["failed"], name
        assert fragment in run[name]["msg"], (name, run[name]["msg"])
    assert sim.requests == []
    assert "Traceback" not in run.stdout + run.stderr


def test_token_never_appears_at_high_verbosity(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree())]))
    env = connection_env(sim)
    token = env["ATLASSIAN_API_TOKEN"]
    basic = base64.b64encode(("%s:%s" % (env["ATLASSIAN_EMAIL"], token)).encode()).decode()
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "status", "status": 503, "times": 1})
    run = run_tasks(
        env,
        [
            {"name": "read", MODULE: {"job_id": JOB, "task_id": "chk-1", "fail_on_outcomes": ["FAILED"]}},
            {"name": "unauth", MODULE: {"job_id": JOB, "task_id": "chk-1", "api_token": token + "x"}},
        ],
        extra_args=["-vvvv"],
    )
    assert run["read"]["failed"] and run["unauth"]["failed"]
    for text in (run.stdout, run.stderr, run.log, repr(run.results)):
        assert token not in text and basic not in text


REFUSAL = "Task already running for given jobId = %s with taskId = mig-earlier" % JOB


def cancelled_tree():
    return {
        "finish": 3,
        "message": {"CANCELLED": "Migration was cancelled"},
        "children": {
            "check": {"finish": 1, "outcome": "SUCCESS"},
            "migrate": {
                "children": {
                    "projects": {"outcome": "success"},
                    "usersAndGroups": {"suspend": [1, 3], "outcome": "CANCELLED"},
                    "apps": {"outcome": "INCOMPLETE", "message": "2 of 3 apps migrated"},
                },
            },
        },
    }


def test_refused_task_ends_a_wait_on_a_missing_level_at_once(simulator, run_tasks):
    sim = simulator(
        scenario(
            [
                task("mig-refused", "migrate", {"finish": 0, "outcome": "FAILED", "message": REFUSAL}),
                task("mig-cancelled", "migrate", cancelled_tree()),
                task("mig-running", "migrate", {"finish": None, "children": {"check": {"appear": 10**6}}}),
            ]
        )
    )
    wait = {"job_id": JOB, "level": "check", "wait": True, "wait_sleep": 1, "wait_timeout": 600}
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "refused", MODULE: dict(wait, task_id="mig-refused")},
            {"name": "refused_gated", MODULE: dict(wait, task_id="mig-refused", fail_on_outcomes=["failed"], summary_only=True)},
            {"name": "running_root", MODULE: dict(wait, task_id="mig-running", wait_timeout=2, fail_on_timeout=False)},
            {
                "name": "cancelled",
                MODULE: dict(wait, task_id="mig-cancelled", level="migrate", wait_sleep=0, wait_for_children=True, fail_on_outcomes=["Incomplete"]),
            },
        ],
    )
    refused = run["refused"]
    assert not refused.get("failed"), refused.get("msg")
    assert refused["finished"] is True and refused["missing_levels"] == ["check"] and refused["level"] == ["check"]
    assert (refused["status"], refused["outcome"], refused["message"]) == ("FINISHED", "FAILED", REFUSAL)
    assert refused["polls"] == 1 and refused["elapsed"] < 60 and refused["timed_out"] is False
    gated = run["refused_gated"]
    assert gated["failed"] and REFUSAL in gated["msg"] and "level check is missing" in gated["msg"]
    assert gated["tree"] is None and gated["nodes"] == [] and gated["missing_levels"] == ["check"]
    running = run["running_root"]
    assert running["timed_out"] and not running["finished"] and running["missing_levels"] == []
    assert "Level not found" in running["last_problem"]
    cancelled = run["cancelled"]
    assert cancelled["failed"] and "migrate,apps (INCOMPLETE): 2 of 3 apps migrated" in cancelled["msg"]
    assert cancelled["outcome"] == "CANCELLED" and "finished with outcome CANCELLED" in cancelled["msg"]
    assert cancelled["counts"] == {"SUCCESS": 1, "WARNING": 0, "FAILED": 0, "SKIPPED": 0, "INCOMPLETE": 1, "CANCELLED": 1, "IN_PROGRESS": 0}
    assert cancelled["polls"] == 3  # SUSPENDED (ticks 1 and 2) counted as unfinished


def test_summary_only_and_last_problem(simulator, run_tasks):
    sim = simulator(scenario([task("chk-1", "check", check_tree(finish=3))], pagination={"status_page_size": 2}))
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "html", "status": 502, "times": 1, "after": 1})
    common = {"job_id": JOB, "task_id": "chk-1", "wait": True, "wait_sleep": 0, "retries": 0}
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "summary", MODULE: dict(common, summary_only=True)},
            {"name": "full", MODULE: dict(common)},
        ],
    )
    summary, full = run["summary"], run["full"]
    assert not summary.get("failed") and not full.get("failed"), (summary.get("msg"), full.get("msg"))
    assert summary["tree"] is None and summary["nodes"] == [] and full["tree"]["children"] and len(full["nodes"]) == len(CHECKS)
    for key in ("counts", "failed_levels", "warning_levels", "excludable_failures", "unfinished", "status", "outcome", "finished", "missing_levels"):
        assert summary[key] == full[key], key
    assert "HTML page" in summary["last_problem"] and full["last_problem"] is None
