# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud_migration role through ansible-playbook against the simulator, over real HTTP.

Timelines use ``clock: polls`` (the Nth status read of a task sees tick N), so a heartbeat of one
second with one second between polls moves a tree by about two ticks per progress line.
"""

import hashlib
import json
import re

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import job_args, server_env
from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON, connection_env, run_playbook

ROLE = "migrationops.atlassian.cloud_migration"
JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"  # the job of the basic scenario
LINE_END = r" - \d\d:\d\d:\d\d elapsed"


class RoleRun:
    def __init__(self, proc, result, workdir):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.result = result
        self.workdir = workdir

    def lines(self, phase, host="localhost"):
        """The progress lines of a phase (printed live by the action plugins, after the host name), in order."""
        return re.findall(r"^%s: (%s: .* elapsed)$" % (re.escape(host), re.escape(phase)), self.stdout, re.M)


RESULT_LINE = re.compile(r'"msg": ("CLOUD_MIGRATION_RESULT (?:[^"\\]|\\.)*")')


def run_role(tmp_path, sim, role_vars, tasks_from=None, name="run", env=None, extra_args=()):
    """Include the role with ``role_vars``; the run carries the ``cloud_migration_result`` fact.

    The fact is printed by a debug task (cheaper than writing a file, and never a change).
    """
    workdir = tmp_path / name
    workdir.mkdir()
    include = {"name": ROLE}
    if tasks_from:
        include["tasks_from"] = tasks_from
    play = {
        "name": "role",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": MODULE_PYTHON},
        "tasks": [
            {
                "name": "Run the role",
                "block": [{"name": "Include the role", "ansible.builtin.include_role": include, "vars": role_vars}],
                "always": [
                    {
                        "name": "Show the result",
                        "ansible.builtin.debug": {"msg": "{{ 'CLOUD_MIGRATION_RESULT ' ~ (cloud_migration_result | default(none) | to_json) }}"},
                    }
                ],
            }
        ],
    }
    proc = run_playbook(workdir, [play], env=env if env is not None else connection_env(sim), extra_args=extra_args)
    found = RESULT_LINE.search(proc.stdout)
    if not found:
        raise AssertionError("playbook did not finish:\n%s\n%s" % (proc.stdout[-4000:], proc.stderr[-4000:]))
    return RoleRun(proc, json.loads(json.loads(found.group(1))[len("CLOUD_MIGRATION_RESULT ") :]), workdir)


def scenario(tasks, **settings):
    data = {"name": "role", "clock": "polls", "jobs": [{"job_id": JOB, "tasks": tasks}]}
    data.update(settings)
    return data


def migrate_task(migrate, check=None, task_id="mig-1"):
    check = check or {"finish": 1, "children": {"AnonPermission": {"outcome": "WARNING", "details": {"excludable": True}}}}
    return {"task_id": task_id, "type": "migrate", "tree": {"children": {"check": check, "migrate": migrate}}}


def status_reads(sim):
    return [r for r in sim.requests if r["method"] == "GET" and r["path"].endswith("/status")]


def api_requests(sim):
    return [r for r in sim.requests if not r["path"].startswith("/_sim/")]


def base_vars(tmp_path, summary=False, **extra):
    """The role's variables for a fast run; ``summary`` adds cloud_migration_report_dir (it costs a few modules)."""
    values = {
        "cloud_migration_job_id": JOB,
        "cloud_migration_product": "JIRA",
        "cloud_migration_source_url": "https://jira.example.com",
        "cloud_migration_destination_url": "https://example.atlassian.net",
        "cloud_migration_idmapping_dest": str(tmp_path / "out" / "jira-id-mappings.csv"),
        "cloud_migration_heartbeat": 5,
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_wait_timeout": 60,
    }
    if summary:
        values["cloud_migration_report_dir"] = str(tmp_path / "out")
    values.update(extra)
    return values


def test_chain_result_summary_and_idempotent_rerun(simulator, tmp_path):
    sim = simulator("basic")
    role_vars = base_vars(tmp_path, summary=True)
    first = run_role(tmp_path, sim, role_vars, name="first")
    assert first.rc == 0, first.stdout[-3000:]
    result = first.result
    assert sorted(result) == ["check", "check_task_id", "idmapping", "job_id", "migrate", "migrate_task_id"]
    assert result["job_id"] == JOB and result["check_task_id"] == result["check"]["task_id"]
    assert result["check"]["outcome"] == "WARNING" and result["check"]["level"] == []
    assert result["migrate"]["level"] == ["migrate"] and result["migrate"]["finished"]
    report = tmp_path / "out" / "jira-id-mappings.csv"
    assert result["idmapping"]["sha256"] == sim.report_sha256(result["idmapping"]["job_id"])
    assert hashlib.sha256(report.read_bytes()).hexdigest() == result["idmapping"]["sha256"]
    # task_type resolved once per step: the migrate level reuses the migrate task found for its check level
    assert len([r for r in api_requests(sim) if r["path"].endswith("/tasks")]) == 2
    assert first.lines("check") == ["check: FINISHED WARNING - 7 of 7 checks done - %s elapsed" % first.lines("check")[0][-16:-8]]
    assert re.fullmatch("migrate: FINISHED SUCCESS - apps done, projects done, usersAndGroups done" + LINE_END, first.lines("migrate")[-1])

    summary_md = (tmp_path / "out" / "summary.md").read_text()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "| Task | Status | Outcome | Message |" in summary_md
    assert "| `00000132-0319-a3cb-a391-52d37934632d` | FINISHED | WARNING | All Preflight checks have passed with warning. |" in summary_md
    assert re.search(r"\| SUCCESS \| WARNING \| FAILED \| SKIPPED \|.* IN_PROGRESS \|\n\|(---:\|)+\n\| 2 \| 2 \| 0 \| 3 \|.* 0 \|", summary_md)
    assert "| AnonPermission | WARNING | yes | Project settings will allow public access |" in summary_md
    assert "| apps | FINISHED | SUCCESS |  |" in summary_md
    assert (
        "| `%s` | SUCCESS | `%s` | %d | `%s` |" % (result["idmapping"]["job_id"], report, report.stat().st_size, result["idmapping"]["sha256"])
        in summary_md
    )
    assert re.search(r"\| idmapping \| \d\d:\d\d:\d\d \| 4 \|\n", summary_md)
    assert summary["result"] == "PASSED" and summary["steps"] == ["check", "migrate", "idmapping"]
    assert summary["check"]["counts"] == result["check"]["counts"]
    assert summary["migrate"]["scopes"][0] == {"name": "apps", "status": "FINISHED", "outcome": "SUCCESS", "message": None}
    assert summary["idmapping"]["report"]["sha256"] == result["idmapping"]["sha256"]
    token = sim.credentials["api_token"]
    for text in (summary_md, json.dumps(summary), first.stdout, first.stderr):
        assert token not in text
    files = {name: (tmp_path / "out" / name).read_bytes() for name in ("summary.md", "summary.json", "jira-id-mappings.csv")}

    sim.clear_log()
    second = run_role(tmp_path, sim, role_vars, name="second")
    assert second.rc == 0, second.stdout[-3000:]
    assert re.search(r"localhost\s+: ok=\d+\s+changed=0\s", second.stdout), second.stdout[-600:]
    requests = api_requests(sim)
    assert [r for r in requests if r["method"] != "GET"] == []
    assert [r for r in requests if r["path"].startswith("/s3/") or "/id-mappings" in r["path"]] == []
    # one read per level: the check task's root, then the migrate task's check and migrate levels
    assert [r["query"].get("level", "") for r in status_reads(sim)] == ["", "check", "migrate"]
    assert {name: (tmp_path / "out" / name).read_bytes() for name in files} == files
    assert second.result["idmapping"]["changed"] is False and second.result["idmapping"]["sha256"] == result["idmapping"]["sha256"]


def test_failing_checks_stop_the_chain_with_one_readable_message(simulator, tmp_path):
    sim = simulator("failing-checks")
    run = run_role(tmp_path, sim, base_vars(tmp_path, summary=True, cloud_migration_job_id="5f0c8a2e-9d1b-4f7a-b3c6-2e8d1a4b7c90"))
    assert run.rc != 0
    assert "- AnonPermission (FAILED, excludable): Project settings will allow public access" in run.stdout
    assert "- CloudFreeUserLimit (FAILED, not excludable): The number of users exceeds the limit" in run.stdout
    assert "options.checkTypes.excludeKeys: AnonPermission" in run.stdout
    assert sorted(run.result) == ["check", "check_task_id", "job_id"]  # the chain stopped at the gate
    assert run.result["check"]["failed"] is True and run.result["check"]["excludable_failures"] == ["AnonPermission"]
    assert not [r for r in api_requests(sim) if "/id-mappings" in r["path"] or r["query"].get("level")]
    summary_md = (tmp_path / "out" / "summary.md").read_text()
    assert "| Result | **FAILED** |" in summary_md and "## Why it failed" in summary_md
    assert "| AnonPermission | FAILED | yes | Project settings will allow public access |" in summary_md
    assert "| CloudFreeUserLimit | FAILED | no |" in summary_md
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["failure"].startswith("task 00000132-0319-a3cb-a391-52d37934f001")


def test_migrate_step_fails_fast_when_the_migration_could_not_be_scheduled(simulator, tmp_path):
    check = {
        "finish": 1,
        "children": {
            "CloudFreeUserLimit": {"outcome": "FAILED", "message": "Too many users", "details": {"excludable": False}},
            "DatabaseSize": {"outcome": "SUCCESS"},
        },
    }
    task = {"task_id": "mig-1", "type": "migrate", "tree": {"finish": 1, "children": {"check": check}}}
    sim = simulator(scenario([task]))
    run = run_role(tmp_path, sim, base_vars(tmp_path, cloud_migration_steps=["migrate"]), tasks_from=None)
    assert run.rc != 0
    assert "task mig-1 at level check finished with outcome FAILED" in run.stdout
    assert "- check,CloudFreeUserLimit (FAILED, not excludable): Too many users" in run.stdout
    assert run.result["migrate"]["level"] == ["check"]
    assert [r["query"].get("level") for r in status_reads(sim)] == ["check"]  # the migrate level is never awaited


def test_failed_scope_fails_the_migrate_step_after_the_summary(simulator, tmp_path):
    migrate = {
        "children": {
            "projects": {"finish": 2, "children": {"ABC": {"outcome": "FAILED", "message": "Issue import failed"}, "OPS": {}}},
            "usersAndGroups": {},
            "apps": {"finish": 3},
        }
    }
    sim = simulator(scenario([migrate_task(migrate)]))
    run = run_role(tmp_path, sim, base_vars(tmp_path, summary=True, cloud_migration_steps=["migrate"]))
    assert run.rc != 0
    assert "task mig-1 at level migrate finished with outcome FAILED" in run.stdout
    assert "- migrate,projects,ABC (FAILED): Issue import failed" in run.stdout
    assert run.result["migrate"]["failed"] is True
    assert run.result["migrate"]["failed_levels"] == ["migrate,projects", "migrate,projects,ABC"]
    summary_md = (tmp_path / "out" / "summary.md").read_text()
    assert "| projects | FINISHED | FAILED |  |" in summary_md
    assert "| migrate,projects,ABC | FAILED | Issue import failed |" in summary_md


def lagging_apps_scenario():
    migrate = {
        "finish": 4,
        "progress": [{"name": "Migration", "total": 100}],
        "children": {
            "usersAndGroups": {"finish": 2},
            "projects": {"finish": 4, "progress": [{"name": "Projects", "total": 10}]},
            "apps": {"finish": 8, "progress": [{"name": "Apps", "total": 4}]},
        },
    }
    return scenario([migrate_task(migrate)])


def test_waiting_for_apps_lagging_core_with_heartbeat_lines(simulator, tmp_path):
    sim = simulator(lagging_apps_scenario())
    role_vars = base_vars(tmp_path, cloud_migration_steps=["migrate"], cloud_migration_heartbeat=1, cloud_migration_wait_sleep=1)
    run = run_role(tmp_path, sim, role_vars)
    assert run.rc == 0, run.stdout[-3000:]
    lines = run.lines("migrate")
    assert re.fullmatch(r"migrate: IN_PROGRESS \d+% - apps running \d+%, projects running \d+%, usersAndGroups done" + LINE_END, lines[0]), lines
    assert any(re.fullmatch(r"migrate: FINISHED SUCCESS - apps running \d+%, projects done, usersAndGroups done" + LINE_END, x) for x in lines), lines
    assert re.fullmatch("migrate: FINISHED SUCCESS - apps done, projects done, usersAndGroups done" + LINE_END, lines[-1])
    assert run.lines("migrate/check") and "FAILED - RETRYING" not in run.stdout
    # the newest migrate task is listed once; every later chunk reads it by its ID
    assert len([r for r in api_requests(sim) if r["path"].endswith("/tasks")]) == 1 and len(lines) >= 3
    result = run.result["migrate"]
    assert result["finished"] and result["unfinished"] == [] and result["counts"]["IN_PROGRESS"] == 0


def test_without_waiting_for_apps_the_migrate_node_decides(simulator, tmp_path):
    sim = simulator(lagging_apps_scenario())
    role_vars = base_vars(
        tmp_path, cloud_migration_steps=["migrate"], cloud_migration_heartbeat=1, cloud_migration_wait_sleep=1, cloud_migration_wait_for_apps=False
    )
    run = run_role(tmp_path, sim, role_vars)
    assert run.rc == 0, run.stdout[-3000:]
    assert re.fullmatch(r"migrate: FINISHED SUCCESS - apps running \d+%, projects done, usersAndGroups done" + LINE_END, run.lines("migrate")[-1])
    apps = [n for n in run.result["migrate"]["nodes"] if n["level"] == "migrate,apps"]
    assert apps[0]["status"] == "IN_PROGRESS" and run.result["migrate"]["finished"]


def test_overall_timeout_fails_naming_phase_status_and_unfinished_levels(simulator, tmp_path):
    check = {"task_id": "chk-1", "type": "check", "tree": {"finish": None, "progress": [{"name": "Preflight Checks", "total": 40}]}}
    sim = simulator(scenario([check]))
    role_vars = base_vars(
        tmp_path, cloud_migration_steps=["check"], cloud_migration_heartbeat=1, cloud_migration_wait_sleep=1, cloud_migration_wait_timeout=3
    )
    run = run_role(tmp_path, sim, role_vars, tasks_from="check")
    assert run.rc != 0
    assert run.lines("check") and all(line.startswith("check: IN_PROGRESS 0% - ") for line in run.lines("check"))
    message = re.search(r"check: not finished after \d\d:\d\d:\d\d \(cloud_migration_wait_timeout is 3 s, \d+ status reads\); [^\"]*", run.stdout)
    assert message, run.stdout[-2000:]
    assert "task chk-1 of job %s at level (task root) was last IN_PROGRESS 0%%; unfinished: (task root)" % JOB in message.group(0)
    assert run.result["check"]["timed_out"] is True and run.result["check"]["failed"] is False


def test_variables_are_validated_before_any_request(simulator, tmp_path):
    sim = simulator("basic")
    cases = {
        "missing_for_step": ({"cloud_migration_job_id": JOB, "cloud_migration_steps": ["check", "idmapping"]}, None),
        "not_an_int": ({"cloud_migration_job_id": JOB, "cloud_migration_heartbeat": "abc"}, None),
        "bad_step": ({"cloud_migration_job_id": JOB, "cloud_migration_steps": ["check", "cleanup"]}, None),
        "bad_outcome": ({"cloud_migration_job_id": JOB, "cloud_migration_fail_on_check_outcomes": ["BROKEN"]}, None),
        "entry_point_required": ({}, "check"),
        "zero_heartbeat": ({"cloud_migration_job_id": JOB, "cloud_migration_steps": ["check"], "cloud_migration_heartbeat": 0}, None),
        # a declaration the job step would refuse: refused before the attach step sends anything
        "bad_job": (
            {
                "cloud_migration_server_url": sim.url + "/jira",
                "cloud_migration_job": job_args(scope={"projects": {"includedData": "all"}}),
                "cloud_migration_state_dir": str(tmp_path / "state"),
            },
            None,
        ),
    }
    tasks = []
    for name, (role_vars, tasks_from) in cases.items():
        include = {"name": ROLE}
        if tasks_from:
            include["tasks_from"] = tasks_from
        tasks.append(
            {
                "name": name,
                "block": [{"name": "Include " + name, "ansible.builtin.include_role": include, "vars": role_vars}],
                "rescue": [{"name": "Keep " + name, "ansible.builtin.set_fact": {"msg_" + name: "{{ ansible_failed_result.msg }}"}}],
            }
        )
    results = tmp_path / "messages.json"
    mapping = ", ".join("%s: msg_%s | default('did not fail')" % (json.dumps(name), name) for name in cases)
    tasks.append({"name": "Save", "ansible.builtin.copy": {"dest": str(results), "content": "{{ {%s} | to_json }}" % mapping, "mode": "0600"}})
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": MODULE_PYTHON},
        "tasks": tasks,
    }
    proc = run_playbook(tmp_path, [play], env=server_env(sim))
    messages = json.loads(results.read_text())
    expected = {
        "missing_for_step": "unset or empty: cloud_migration_product, cloud_migration_source_url, cloud_migration_destination_url, "
        "cloud_migration_idmapping_dest",
        "not_an_int": "cloud_migration_heartbeat",
        "bad_step": "cloud_migration_steps",
        "bad_outcome": "cloud_migration_fail_on_check_outcomes",
        "entry_point_required": "cloud_migration_job_id",
        "zero_heartbeat": "must be at least 1 second",
        "bad_job": "cloud_migration_job: scope.projects needs includedKeys",
    }
    for name, fragment in expected.items():
        assert fragment in messages[name], (name, messages[name])
    assert "cannot be converted to an int" in messages["not_an_int"] or "int" in messages["not_an_int"]
    assert api_requests(sim) == [], proc.stdout[-2000:]


def posts(sim, suffix=""):
    return [r for r in api_requests(sim) if r["method"] == "POST" and r["path"].endswith(suffix)]


def test_declared_migration_from_nothing_gated_overridden_started_and_rerun_creating_nothing(simulator, tmp_path):
    sim = simulator("flow", overrides={"idmapping": {"jobs": [{"in_progress_polls": 1}]}})
    env = server_env(sim)
    out = tmp_path / "out"
    role_vars = {
        "cloud_migration_server_url": env["ATLASSIAN_SERVER_URL"],
        "cloud_migration_job": job_args(),
        "cloud_migration_override_checks": ["excludable"],
        "cloud_migration_report_dir": str(out),
        "cloud_migration_source_url": "https://jira.example.com",
        "cloud_migration_idmapping_dest": str(out / "ids.csv"),
        "cloud_migration_heartbeat": 2,
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_wait_timeout": 60,
    }
    # without cloud_migration_start_migration: attach, job, checks (the override passes the gate), no migrate task
    gate = run_role(tmp_path, sim, role_vars, name="gate", env=env)
    assert gate.rc == 0, gate.stdout[-3000:]
    result = gate.result
    assert sorted(result) == ["attach", "check", "check_task_id", "job", "job_id"]
    assert result["attach"]["attached"] and result["job"]["created"] and result["check"]["outcome"] == "FAILED"
    assert result["check"]["failed"] is False and result["check"]["excludable_failures"] == ["AnonPermission"]
    assert len(posts(sim, "/tasks")) == 1  # the check task
    assert len(posts(sim, "/jobs")) == 1 and (out / "migration-job.json").exists()
    summary_md = (out / "summary.md").read_text()
    assert "Overridden checks (sent as `excludeKeys` on the Migrate task): AnonPermission" in summary_md
    assert "(created by this role)" in summary_md
    assert gate.lines("check")[-1].startswith("check: FINISHED FAILED - 5 of 5 checks done")

    # the approval given: the same declaration starts the migration over the same job and check task
    role_vars["cloud_migration_start_migration"] = True
    sim.clear_log()
    migrate = run_role(tmp_path, sim, role_vars, name="migrate", env=env)
    assert migrate.rc == 0, migrate.stdout[-3000:]
    assert posts(sim, "/jobs") == []
    assert len(posts(sim, "/tasks")) == 1  # the migrate task
    summary = json.loads((out / "summary.json").read_text())
    # AnonPermission went as excludeKeys: the migrate task's own checks pass with a warning
    assert summary["migrate"]["overridden"] == ["AnonPermission"] and summary["migrate"]["preflight"]["outcome"] == "WARNING"
    result = migrate.result
    assert result["job_id"] == gate.result["job_id"] and result["check_task_id"] == gate.result["check_task_id"]
    assert result["migrate"]["finished"] and result["migrate"]["outcome"] == "SUCCESS" and result["migrate_task_id"]
    assert result["idmapping"]["sha256"] and (out / "ids.csv").exists()
    assert migrate.lines("migrate") and migrate.lines("migrate/check")

    # a re-run creates nothing: no job, no task, no report job
    sim.clear_log()
    again = run_role(tmp_path, sim, role_vars, name="again", env=env)
    assert again.rc == 0, again.stdout[-3000:]
    assert posts(sim, "/jobs") == [] and posts(sim, "/tasks") == [] and posts(sim, "/trigger") == []
    assert again.result["migrate_task_id"] == result["migrate_task_id"]


def test_directories_are_checked_before_the_first_request_and_a_summary_failure_keeps_the_real_error(simulator, tmp_path):
    sim = simulator("failing-checks")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    blocked = run_role(
        tmp_path, sim, base_vars(tmp_path, cloud_migration_steps=["check"], cloud_migration_report_dir=str(blocker / "out")), name="blocked"
    )
    assert blocked.rc != 0 and api_requests(sim) == []
    assert str(blocker / "out") in blocked.stdout
    # summary.json is a directory: the summary cannot be written, the gate's failure is still the one raised
    out = tmp_path / "out"
    (out / "summary.json").mkdir(parents=True)
    role_vars = base_vars(tmp_path, summary=True, cloud_migration_steps=["check"], cloud_migration_job_id="5f0c8a2e-9d1b-4f7a-b3c6-2e8d1a4b7c90")
    gated = run_role(tmp_path, sim, role_vars, name="gated")
    assert gated.rc != 0
    assert "the summary in %s was not written" % out in gated.stdout
    assert re.search(r'fatal: \[localhost\]: FAILED! => \{"changed": false, "msg": "task 00000132-0319-a3cb-a391-52d37934f001', gated.stdout)


def declared_vars(tmp_path, env, **extra):
    """A declared migration of the flow scenario, fast: attach, job (recorded in tmp_path/state), checks."""
    values = {
        "cloud_migration_server_url": env["ATLASSIAN_SERVER_URL"],
        "cloud_migration_job": job_args(),
        "cloud_migration_state_dir": str(tmp_path / "state"),
        "cloud_migration_heartbeat": 2,
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_wait_timeout": 60,
    }
    values.update(extra)
    return values


def migrate_options(sim, job_id):
    return [task.payload for task in sim.app.migration.tasks_newest_first(job_id) if task.type == "migrate"]


def test_explicit_overrides_reach_the_migrate_task_when_the_check_step_ran_in_another_play(simulator, tmp_path):
    sim = simulator("flow")
    env = server_env(sim)
    gate = run_role(tmp_path, sim, declared_vars(tmp_path, env, cloud_migration_override_checks=["excludable"]), name="gate", env=env)
    assert gate.rc == 0, gate.stdout[-3000:]
    job_id = gate.result["job_id"]
    # the migrate entry point alone, as the "migrate" node of an AWX workflow runs it
    migrate_vars = {
        "cloud_migration_job_id": job_id,
        "cloud_migration_start_migration": True,
        "cloud_migration_override_checks": ["AnonPermission"],
        "cloud_migration_wait_for_apps": False,
        "cloud_migration_heartbeat": 2,
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_wait_timeout": 60,
    }
    run = run_role(tmp_path, sim, migrate_vars, tasks_from="migrate", name="migrate", env=env)
    assert run.rc == 0, run.stdout[-3000:]
    assert migrate_options(sim, job_id) == [{"checkTypes": {"excludeKeys": ["AnonPermission"]}}]
    assert run.result["migrate"]["finished"] and run.result["migrate"]["outcome"] == "SUCCESS"


def test_the_word_excludable_without_the_check_step_reads_the_check_task_or_fails_before_creating(simulator, tmp_path):
    sim = simulator("flow", overrides={"rate_limits": {"create_per_window": 100}})
    env = server_env(sim)
    # the job only: no check task yet
    made = run_role(tmp_path, sim, declared_vars(tmp_path, env, cloud_migration_steps=["attach", "job"]), name="made", env=env)
    assert made.rc == 0, made.stdout[-3000:]
    job_id = made.result["job_id"]
    migrate_vars = {
        "cloud_migration_job_id": job_id,
        "cloud_migration_steps": ["migrate"],
        "cloud_migration_start_migration": True,
        "cloud_migration_override_checks": ["excludable"],
        "cloud_migration_wait_for_apps": False,
        "cloud_migration_heartbeat": 2,
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_wait_timeout": 60,
    }
    sim.clear_log()
    refused = run_role(tmp_path, sim, migrate_vars, name="refused", env=env)
    assert refused.rc != 0
    assert "cloud_migration_override_checks asks for excludable" in refused.stdout, refused.stdout[-3000:]
    assert "job %s has no check task" % job_id in refused.stdout
    assert posts(sim, "/tasks") == [] and migrate_options(sim, job_id) == []
    # the checks run in their own play, then the migrate step alone overrides their excludable failures
    checked = run_role(
        tmp_path,
        sim,
        dict(migrate_vars, cloud_migration_steps=["check"], cloud_migration_run_checks=True),
        name="checked",
        env=env,
    )
    assert checked.rc == 0, checked.stdout[-3000:]
    run = run_role(tmp_path, sim, migrate_vars, name="migrate", env=env)
    assert run.rc == 0, run.stdout[-3000:]
    assert migrate_options(sim, job_id) == [{"checkTypes": {"excludeKeys": ["AnonPermission"]}}]
    assert run.result["migrate"]["outcome"] == "SUCCESS"


def test_a_rerun_after_a_run_stopped_before_the_check_task_creates_it(simulator, tmp_path):
    sim = simulator("flow")
    env = server_env(sim)
    role_vars = declared_vars(tmp_path, env, cloud_migration_override_checks=["excludable"], cloud_migration_wait_timeout=8)
    # the job is created and recorded; the check task's POST gets a 503 (not retried: it may have acted)
    sim.add_fault({"match": {"method": "POST", "path": "/tasks$"}, "kind": "status", "status": 503, "times": 1})
    first = run_role(tmp_path, sim, role_vars, name="first", env=env)
    assert first.rc != 0 and first.result["job"]["created"]
    job_id = first.result["job_id"]
    assert sim.app.migration.tasks_newest_first(job_id) == []
    sim.clear_log()
    again = run_role(tmp_path, sim, role_vars, name="again", env=env)
    assert again.rc == 0, again.stdout[-3000:]
    assert again.result["job"]["created"] is False and again.result["job_id"] == job_id
    assert len(posts(sim, "/tasks")) == 1 and again.result["check"]["outcome"] == "FAILED"
    # and once it exists, a re-run reuses it
    sim.clear_log()
    third = run_role(tmp_path, sim, role_vars, name="third", env=env)
    assert third.rc == 0 and posts(sim, "/tasks") == [] and third.result["check_task_id"] == again.result["check_task_id"]


def test_check_mode_does_not_wait_for_what_it_would_create(simulator, tmp_path):
    sim = simulator("flow")
    env = server_env(sim)
    role_vars = declared_vars(
        tmp_path,
        env,
        cloud_migration_override_checks=["excludable"],
        cloud_migration_steps=["attach", "job", "check", "migrate"],
        cloud_migration_wait_timeout=30,
    )
    # nothing exists: the job would be created, so there is no check task to wait for
    dry = run_role(tmp_path, sim, dict(role_vars, cloud_migration_start_migration=True), name="dry", env=env, extra_args=["--check"])
    assert dry.rc == 0, dry.stdout[-3000:]
    assert "check mode: the migration job would be created" in dry.stdout
    assert [r for r in api_requests(sim) if r["method"] != "GET"] == []
    assert "check" not in dry.result and "migrate" not in dry.result
    # the job and its check task exist: the migrate task would be created, so there is nothing to wait for
    gate = run_role(tmp_path, sim, role_vars, name="gate", env=env)
    assert gate.rc == 0, gate.stdout[-3000:]
    sim.clear_log()
    dry = run_role(tmp_path, sim, dict(role_vars, cloud_migration_start_migration=True), name="dry-migrate", env=env, extra_args=["--check"])
    assert dry.rc == 0, dry.stdout[-3000:]
    assert "check mode: the migrate task would be created on job %s" % gate.result["job_id"] in dry.stdout
    assert [r for r in api_requests(sim) if r["method"] != "GET"] == []
    assert dry.result["check"]["outcome"] == "FAILED" and "migrate" not in dry.result
