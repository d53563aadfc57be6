# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ANSIBLE_DEBUG=1 prints every module call's arguments; the action plugins mask the secrets."""

import base64

MODULES = "migrationops.atlassian"
JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"


def test_ansible_debug_does_not_print_a_token_given_as_an_option(simulator, run_tasks, tmp_path):
    sim = simulator("basic")
    creds = sim.credentials
    token = creds["api_token"]
    defaults = {"group/%s.migration" % MODULES: {"api_url": sim.url, "email": creds["email"], "api_token": token}}
    tasks = [
        {"name": "status", MODULES + ".migration_task_status": {"job_id": JOB, "task_type": "check"}},
        {
            "name": "job",
            MODULES + ".migration_job": {
                "name": "debug masking",
                "product": "JIRA",
                "server_id": "B2B8-ABCD-1234-5678",
                "destination_url": "https://example.atlassian.net",
                "scope": {"projects": {"includedKeys": ["ABC"], "includedData": "all"}},
                "state_path": str(tmp_path / "job.json"),
            },
        },
    ]
    run = run_tasks({"ANSIBLE_DEBUG": "1"}, tasks, extra_args=["--check"], module_defaults=defaults)
    assert run["status"]["task_id"] and not run["status"].get("failed"), run["status"]
    assert run["job"]["changed"] is True and not run["job"].get("failed"), run["job"]
    output = run.stdout + run.stderr + run.log
    # The debug line is there, with the arguments, but the token is masked in it.
    assert "done with _execute_module (migrationops.atlassian.migration_job" in output
    assert "'api_token': '********'" in output
    basic = base64.b64encode(("%s:%s" % (creds["email"], token)).encode()).decode()
    assert token not in output and basic not in output
