# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""migration_task through ansible-playbook against the simulator: reuse, force, once-only migrate, running task,
refused tasks, two runs at once, failures after the POST."""

import json

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import CLOUD_URL, fault_task, job_args, posts, server_env
from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON, connection_env, run_playbook

MODULE = "migrationops.atlassian.migration_task"
STATUS = "migrationops.atlassian.migration_task_status"
JOB = "{{ r_0.job_id }}"


def test_task_reuse_force_once_only_migrate_and_running_refusal(simulator, run_tasks):
    # status reads advance the simulated timeline (clock: polls): reusing a check task reads its root once (was it
    # refused?), so the check task finishes one read later than the scenario's, to be still running at the migrate
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD_URL]}, "new_job_templates": {"check": {"finish": 3}}})
    override = {"exclude_checks": ["AnonPermission"]}
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "job", "migrationops.atlassian.migration_job": job_args()},
            {"name": "check_mode", "check_mode": True, MODULE: {"job_id": JOB, "task_type": "check"}},
            {"name": "check", MODULE: {"job_id": JOB, "task_type": "check"}},
            {"name": "check_again", MODULE: {"job_id": JOB, "task_type": "check"}},
            {"name": "migrate_while_running", MODULE: dict(override, job_id=JOB, task_type="migrate")},
            {"name": "wait_check", STATUS: {"job_id": JOB, "task_id": "{{ r_2.task_id }}", "wait": True, "wait_sleep": 0, "wait_timeout": 60}},
            {"name": "forced", MODULE: {"job_id": JOB, "task_type": "check", "force": True}},
            {"name": "wait_forced", STATUS: {"job_id": JOB, "task_id": "{{ r_6.task_id }}", "wait": True, "wait_sleep": 0, "wait_timeout": 60}},
            {"name": "migrate", MODULE: dict(override, job_id=JOB, task_type="migrate")},
            {"name": "migrate_again", MODULE: {"job_id": JOB, "task_type": "migrate", "exclude_checks": ["Other"]}},
            {"name": "migrate_force", MODULE: {"job_id": JOB, "task_type": "migrate", "force": True}},
            {"name": "include_on_migrate", MODULE: {"job_id": JOB, "task_type": "migrate", "include_checks": ["DatabaseSize"]}},
            {"name": "check_while_migrating", MODULE: {"job_id": JOB, "task_type": "check", "include_checks": ["DatabaseSize"]}},
            {"name": "unknown_job", MODULE: {"job_id": "no-such-job", "task_type": "check"}},
            {"name": "dot_job", MODULE: {"job_id": "..", "task_type": "check"}},
        ],
    )
    job_id = run["job"]["job_id"]
    check_mode = run["check_mode"]
    assert check_mode["changed"] and check_mode["task_id"] is None and check_mode["options"] == {}
    check, again = run["check"], run["check_again"]
    assert check["created"] and check["changed"] and check["task_type"] == "check" and check["created_at"]
    assert (again["task_id"], again["changed"], again["created"]) == (check["task_id"], False, False)
    running = run["migrate_while_running"]
    assert running["failed"] and "newest task %s (check) is IN_PROGRESS" % check["task_id"] in running["msg"]
    assert run["wait_check"]["finished"] and run["wait_check"]["outcome"] == "FAILED"
    forced = run["forced"]
    assert forced["created"] and forced["task_id"] != check["task_id"]
    migrate = run["migrate"]
    assert migrate["created"] and migrate["options"] == {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    again = run["migrate_again"]
    assert (again["task_id"], again["changed"]) == (migrate["task_id"], False)
    assert any("already has migrate task %s" % migrate["task_id"] in w for w in again["warnings"])
    assert run["migrate_force"]["failed"] and "force applies to check tasks only" in run["migrate_force"]["msg"]
    assert run["include_on_migrate"]["failed"] and "include_checks applies to check tasks only" in run["include_on_migrate"]["msg"]
    busy = run["check_while_migrating"]
    assert busy["failed"] and "newest task %s (migrate)" % migrate["task_id"] in busy["msg"]
    assert run["unknown_job"]["failed"] and "job no-such-job does not exist" in run["unknown_job"]["msg"]
    assert run["dot_job"]["failed"] and "job_id must be an ID" in run["dot_job"]["msg"]
    # three tasks created (check, forced check, migrate), each sent once, Migrate with its excludeKeys
    assert len(posts(sim, "/jobs/%s/tasks" % job_id)) == 3
    created = sim.app.migration.tasks_newest_first(job_id)
    assert [(task.type, task.payload) for task in created] == [
        ("migrate", {"checkTypes": {"excludeKeys": ["AnonPermission"]}}),
        ("check", {}),
        ("check", {}),
    ]


WAIT = {"wait": True, "wait_sleep": 0, "wait_timeout": 60}


def test_a_task_the_instance_refused_is_not_reused_once_the_cause_is_fixed(simulator, run_tasks):
    # run 1: the site is not attached, the instance refuses the check and the migrate task (root-only FINISHED/FAILED);
    # after attaching, neither refused task may be reused: that would fail again with the same refusal, forever
    sim = simulator("flow")
    run = run_tasks(
        server_env(sim),
        [
            {"name": "job", "migrationops.atlassian.migration_job": job_args()},
            {"name": "check", MODULE: {"job_id": JOB, "task_type": "check"}},
            {"name": "check_refused", STATUS: dict(WAIT, job_id=JOB, task_id="{{ r_1.task_id }}")},
            {"name": "migrate", MODULE: {"job_id": JOB, "task_type": "migrate"}},
            {"name": "migrate_refused", STATUS: dict(WAIT, job_id=JOB, task_id="{{ r_3.task_id }}")},
            {"name": "attach", "migrationops.atlassian.cma_cloud_site": {"cloud_url": CLOUD_URL}},
            {"name": "check_again", MODULE: {"job_id": JOB, "task_type": "check"}},
            {"name": "checks", STATUS: dict(WAIT, job_id=JOB, task_id="{{ r_6.task_id }}")},
            {"name": "migrate_again", MODULE: {"job_id": JOB, "task_type": "migrate", "exclude_checks": ["AnonPermission"]}},
            {"name": "preflight", STATUS: dict(WAIT, job_id=JOB, task_id="{{ r_8.task_id }}", level=["check"])},
            {"name": "migrate_third", MODULE: {"job_id": JOB, "task_type": "migrate"}},
        ],
    )
    for name in ("check", "check_refused", "migrate", "migrate_refused", "attach", "check_again", "checks", "migrate_again", "preflight"):
        assert not run[name].get("failed"), (name, run[name].get("msg"))
    for name in ("check_refused", "migrate_refused"):
        assert run[name]["outcome"] == "FAILED" and "not attached" in run[name]["message"], (name, run[name])
    check, again = run["check"], run["check_again"]
    assert again["created"] and again["changed"] and again["task_id"] != check["task_id"]
    assert any(check["task_id"] in w and "refused" in w for w in again["warnings"])
    # the new check task ran its checks
    assert run["checks"]["excludable_failures"] == ["AnonPermission"]
    migrate, migrate_again = run["migrate"], run["migrate_again"]
    assert migrate_again["created"] and migrate_again["task_id"] != migrate["task_id"]
    assert any(migrate["task_id"] in w and "refused" in w for w in migrate_again["warnings"])
    assert run["preflight"]["outcome"] == "WARNING"
    # from now on the migrate task that runs is the job's one: never a third
    third = run["migrate_third"]
    assert (third["task_id"], third["changed"], third["created"]) == (migrate_again["task_id"], False, False)
    assert len(posts(sim, "/tasks")) == 4


def test_two_runs_at_once_converge_on_one_migrate_task(simulator, tmp_path):
    # two hosts of one play are two module processes at once, like two AWX jobs of one template
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD_URL]}})
    job = "{{ hostvars['localhost'].job.job_id }}"
    # slow reads of the newest task's status (between the task list and the POST): both runs read the list before either POSTs
    slow = {"match": {"method": "GET", "path": "/status$"}, "kind": "slow", "delay": 2, "times": 2}
    setup = {
        "name": "setup",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": MODULE_PYTHON},
        "tasks": [
            {"name": "job", "migrationops.atlassian.migration_job": job_args(), "register": "job"},
            {"name": "check", MODULE: {"job_id": "{{ job.job_id }}", "task_type": "check"}, "register": "check"},
            {"name": "wait", STATUS: dict(WAIT, job_id="{{ job.job_id }}", task_id="{{ check.task_id }}")},
            fault_task(sim, "slow", slow),
        ],
    }
    race = {
        "name": "race",
        "hosts": "run_a:run_b",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": MODULE_PYTHON},
        "tasks": [
            {"name": "migrate", MODULE: {"job_id": job, "task_type": "migrate"}, "register": "migrate", "ignore_errors": True},
            {
                "name": "collect",
                "ansible.builtin.copy": {
                    "dest": str(tmp_path) + "/{{ inventory_hostname }}.json",
                    "content": "{{ migrate | to_json }}",
                    "mode": "0600",
                },
            },
        ],
    }
    proc = run_playbook(tmp_path, [setup, race], env=connection_env(sim), extra_args=["-i", "run_a,run_b,", "--forks", "2"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    results = [json.loads((tmp_path / ("%s.json" % host)).read_text()) for host in ("run_a", "run_b")]
    for result in results:
        assert not result.get("failed"), result.get("msg")
    job_id = sim.state["jobs"][0]["job_id"]
    migrates = [task.task_id for task in sim.app.migration.tasks_newest_first(job_id) if task.type == "migrate"]
    assert len(migrates) == 2, "the race did not happen: %s" % migrates
    # both runs return the same task, the oldest; the other one, created at once, the instance refused
    assert results[0]["task_id"] == results[1]["task_id"] == migrates[-1]
    warned = [w for result in results for w in result.get("warnings", []) if "at the same time" in w]
    assert warned and all(migrates[0] in w and migrates[1] in w for w in warned)


def test_a_read_failing_after_the_post_keeps_the_created_task_in_the_result(simulator, run_tasks):
    # the POST succeeds; every later read of the task list and of the task answers 503
    sim = simulator("flow")
    fault = {"match": {"method": "GET", "path": "/tasks(/[^/]+)?$"}, "kind": "status", "status": 503, "times": None, "after": 1}
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "job", "migrationops.atlassian.migration_job": job_args()},
            fault_task(sim, "fault", fault),
            {"name": "check", MODULE: {"job_id": JOB, "task_type": "check", "retries": 0}},
        ],
    )
    check = run["check"]
    assert not check.get("failed"), check.get("msg")
    assert check["created"] and check["changed"] and check["task_id"] and check["created_at"] is None
    assert any("could not be read again" in w for w in check["warnings"])
    assert any("created_at could not be read" in w for w in check["warnings"])
    assert len(posts(sim, "/tasks")) == 1


def test_a_lost_answer_to_the_post_takes_the_task_that_appeared(simulator, run_tasks):
    # the service creates the task, its answer is cut: the module finds the task instead of failing
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD_URL]}})
    cut = {"match": {"method": "POST", "path": "/tasks$"}, "kind": "truncate", "fraction": 0.3}
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "job", "migrationops.atlassian.migration_job": job_args()},
            fault_task(sim, "fault", cut),
            {"name": "migrate", MODULE: {"job_id": JOB, "task_type": "migrate"}},
            {"name": "again", MODULE: {"job_id": JOB, "task_type": "migrate"}},
        ],
    )
    migrate = run["migrate"]
    assert not migrate.get("failed"), migrate.get("msg")
    assert migrate["created"] and migrate["changed"] and migrate["task_id"]
    assert any("was lost" in w and migrate["task_id"] in w for w in migrate["warnings"])
    assert (run["again"]["task_id"], run["again"]["changed"]) == (migrate["task_id"], False)
    assert len(posts(sim, "/tasks")) == 1
