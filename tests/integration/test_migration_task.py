# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""migration_task through ansible-playbook against the simulator: reuse, force, once-only migrate, running task."""

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import CLOUD_URL, job_args, posts
from ansible_collections.migrationops.atlassian.tests.integration.conftest import connection_env

MODULE = "migrationops.atlassian.migration_task"
STATUS = "migrationops.atlassian.migration_task_status"
JOB = "{{ r_0.job_id }}"


def test_task_reuse_force_once_only_migrate_and_running_refusal(simulator, run_tasks):
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD_URL]}})
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
