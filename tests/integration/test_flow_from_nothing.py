# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From nothing to a finished migration against the simulator, the refusals of the instance, and check mode."""

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import (
    CLOUD_URL,
    SCOPE,
    SERVER_ID,
    assert_no_secret,
    job_args,
    server_env,
)

SITE = "migrationops.atlassian.cma_cloud_site"
JOB = "migrationops.atlassian.migration_job"
TASK = "migrationops.atlassian.migration_task"
STATUS = "migrationops.atlassian.migration_task_status"
WAIT = {"wait": True, "wait_sleep": 0, "wait_timeout": 60}


def test_attach_job_check_override_and_migrate_from_nothing(simulator, run_tasks, tmp_path):
    sim = simulator("flow")
    creds = sim.credentials
    env = server_env(sim)
    for key in ("ATLASSIAN_API_URL", "ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN"):
        del env[key]
    connection = {"api_url": sim.url, "email": creds["email"], "api_token": creds["api_token"]}
    state = str(tmp_path / "job.json")
    job = "{{ r_1.job_id }}"
    run = run_tasks(
        env,
        [
            {"name": "site", SITE: {"cloud_url": CLOUD_URL}},
            {"name": "job", JOB: job_args(state_path=state)},
            {"name": "check", TASK: {"job_id": job, "task_type": "check"}},
            {"name": "checks", STATUS: dict(WAIT, job_id=job, task_id="{{ r_2.task_id }}")},
            {"name": "migrate", TASK: {"job_id": job, "task_type": "migrate", "exclude_checks": "{{ r_3.excludable_failures }}"}},
            {"name": "preflight", STATUS: dict(WAIT, job_id=job, task_id="{{ r_4.task_id }}", level=["check"], fail_on_outcomes=["FAILED"])},
            {
                "name": "migrated",
                STATUS: dict(WAIT, job_id=job, task_type="migrate", level=["migrate"], wait_for_children=True, fail_on_outcomes=["FAILED"]),
            },
            {"name": "root", STATUS: dict(WAIT, job_id=job, task_id="{{ r_4.task_id }}", fail_on_outcomes=["FAILED"])},
            {"name": "job_again", JOB: job_args(state_path=state)},
            {"name": "migrate_again", TASK: {"job_id": job, "task_type": "migrate"}},
        ],
        extra_args=["-vvvv"],
        module_defaults={"group/migrationops.atlassian.migration": connection},
    )
    for name in ("site", "job", "check", "checks", "migrate", "preflight", "migrated", "root", "job_again", "migrate_again"):
        assert not run[name].get("failed"), (name, run[name].get("msg"))
    assert run["site"]["attached"] and run["site"]["connected"]
    assert run["job"]["created"] and run["job"]["definition"]["source"] == {"serverId": SERVER_ID}
    checks = run["checks"]
    assert checks["outcome"] == "FAILED" and checks["excludable_failures"] == ["AnonPermission"]
    assert run["migrate"]["options"] == {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    # the excludable failure became a warning, so the preflight passed and the data moved
    assert run["preflight"]["outcome"] == "WARNING" and run["preflight"]["counts"]["FAILED"] == 0
    assert run["migrated"]["finished"] and run["migrated"]["outcome"] == "SUCCESS" and run["migrated"]["task_id"] == run["migrate"]["task_id"]
    assert run["root"]["status"] == "FINISHED" and run["root"]["outcome"] == "WARNING"
    assert (run["job_again"]["job_id"], run["job_again"]["changed"]) == (run["job"]["job_id"], False)
    assert (run["migrate_again"]["task_id"], run["migrate_again"]["changed"]) == (run["migrate"]["task_id"], False)
    assert_no_secret(run, sim)


def refused_wait(name, task_id, level=("check",)):
    """A wait on a level that a refused task never writes; the finished root must end it at once."""
    args = {"job_id": "{{ %s_job.job_id }}" % name, "task_id": task_id, "level": list(level), "wait": True, "wait_sleep": 1, "wait_timeout": 30}
    return {"name": name, STATUS: args}


def test_each_refusal_of_the_instance_ends_a_check_level_wait_in_seconds(simulator, run_tasks):
    # eight tasks in a minute: above the 5/min of the service, which the modules would wait out
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD_URL]}, "rate_limits": {"create_per_window": 100}})
    cases = {
        "unattached": job_args(destination_url="https://other.atlassian.net"),
        "wrong_server_id": job_args(server_id="NOT-THIS-SERVER"),
        "app_keys": job_args(scope=dict(SCOPE, apps={"includedKeys": ["com.example.not.installed"]})),
        "busy": job_args(),
        "migrated": job_args(),
    }
    tasks = []
    for name, args in cases.items():
        tasks.append({"name": name + "_job", JOB: args, "register": name + "_job"})
    # migration_job refuses a scope without a known key before any request: the job is POSTed as it is
    tasks.append(
        {
            "name": "empty_scope_post",
            "register": "empty_scope_post",
            "ansible.builtin.uri": {
                "url": sim.url + "/migrations/public/v1/jobs",
                "method": "POST",
                "body_format": "json",
                "body": {
                    "name": "empty scope",
                    "flow": "jira-onpremises-to-cloud",
                    "source": {"serverId": SERVER_ID},
                    "destination": {"url": CLOUD_URL},
                    "scope": {"dashboards": {"mode": "REFERENCED"}},
                },
                "url_username": sim.credentials["email"],
                "url_password": sim.credentials["api_token"],
                "force_basic_auth": True,
            },
        }
    )
    tasks.append({"name": "empty_scope_job", "ansible.builtin.set_fact": {"empty_scope_job": {"job_id": "{{ empty_scope_post.json.jobId }}"}}})
    for name in ("unattached", "wrong_server_id", "app_keys", "empty_scope"):
        tasks.append({"name": name + "_task", TASK: {"job_id": "{{ %s_job.job_id }}" % name, "task_type": "migrate"}, "register": name + "_task"})
        tasks.append(refused_wait(name, "{{ %s_task.task_id }}" % name))
    # a Migrate task POSTed while the check task runs (the module itself refuses to create it)
    tasks.append({"name": "busy_check", TASK: {"job_id": "{{ busy_job.job_id }}", "task_type": "check"}, "register": "busy_check"})
    tasks.append(
        {
            "name": "busy_post",
            "register": "busy_post",
            "ansible.builtin.uri": {
                "url": sim.url + "/migrations/public/v1/jobs/{{ busy_job.job_id }}/tasks",
                "method": "POST",
                "body_format": "json",
                "body": {"task": "Migrate"},
                "url_username": sim.credentials["email"],
                "url_password": sim.credentials["api_token"],
                "force_basic_auth": True,
            },
        }
    )
    tasks.append(refused_wait("busy", "{{ busy_post.json.taskId }}"))
    # any task after a migration: a Check task on a migrated job, waited on at a check below its root
    tasks.append({"name": "migrated_task", TASK: {"job_id": "{{ migrated_job.job_id }}", "task_type": "migrate"}, "register": "migrated_task"})
    tasks.append({"name": "migrated_done", STATUS: {"job_id": "{{ migrated_job.job_id }}", "task_id": "{{ migrated_task.task_id }}", **WAIT}})
    tasks.append({"name": "migrated_check", TASK: {"job_id": "{{ migrated_job.job_id }}", "task_type": "check"}, "register": "migrated_check"})
    tasks.append(refused_wait("migrated", "{{ migrated_check.task_id }}", level=("check", "AnonPermission")))
    run = run_tasks(server_env(sim), tasks)
    expected = {
        "unattached": "is either not attached through the cloud migration assistant",
        "wrong_server_id": "Server ID: NOT-THIS-SERVER used in the job definition is incorrect",
        "app_keys": "invalid app keys = [com.example.not.installed]",
        "empty_scope": "You have passed an empty scope",
        "busy": "Task already running for given jobId",
        "migrated": "migration has already been processed",
    }
    for name, message in expected.items():
        waited = run[name]
        assert not waited.get("failed"), (name, waited.get("msg"))
        assert waited["finished"] and waited["status"] == "FINISHED" and waited["outcome"] == "FAILED", name
        assert message in waited["message"], (name, waited["message"])
        assert waited["missing_levels"], name
        assert waited["elapsed"] < 15, (name, waited["elapsed"])


def test_check_mode_sends_nothing_that_changes_anything(simulator, run_tasks, tmp_path):
    existing = {"job_id": "job-existing", "definition": {"flow": "jira-onpremises-to-cloud", "source": {}, "destination": {}, "scope": {}}}
    sim = simulator("flow", overrides={"jobs": [existing]})
    state = tmp_path / "job.json"
    run = run_tasks(
        server_env(sim),
        [
            {"name": "site", SITE: {"cloud_url": CLOUD_URL}},
            {"name": "job", JOB: job_args(state_path=str(state))},
            {"name": "check", TASK: {"job_id": "job-existing", "task_type": "check"}},
            {"name": "migrate", TASK: {"job_id": "job-existing", "task_type": "migrate", "exclude_checks": ["AnonPermission"]}},
        ],
        extra_args=["--check"],
    )
    for name in ("site", "job", "check", "migrate"):
        assert run[name]["changed"] and not run[name].get("failed"), (name, run[name])
    assert run["job"]["job_id"] is None and run["check"]["task_id"] is None
    assert run["migrate"]["options"] == {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    assert [entry["method"] for entry in sim.requests] == ["GET", "GET"]  # the task lists, read to decide
    assert list(tmp_path.glob("job.json*")) == []  # no state file, no lock file
