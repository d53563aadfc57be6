# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""migration_job through ansible-playbook against the simulator: validation, state file, job_id, pacing, retries."""

import datetime
import json

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import CLOUD_URL, SCOPE, fault_task, job_args, posts
from ansible_collections.migrationops.atlassian.tests.integration.conftest import connection_env

MODULE = "migrationops.atlassian.migration_job"


def test_job_rules_state_file_job_id_pacing_and_retries(simulator, run_tasks, tmp_path):
    sim = simulator("flow")
    state = str(tmp_path / "wave1-job.json")
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "bad_scope", MODULE: job_args(scope={"projects": {"includedData": "all"}}, state_path=state)},
            {"name": "check", "check_mode": True, MODULE: job_args(state_path=state)},
            {"name": "create", MODULE: job_args(state_path=state)},
            {"name": "reuse", MODULE: job_args(state_path=state)},
            {"name": "other_declaration", MODULE: job_args(name="Wave 2", state_path=state)},
            {"name": "compare_same", MODULE: job_args(job_id="{{ r_2.job_id }}")},
            {
                "name": "compare_differs",
                MODULE: job_args(job_id="{{ r_2.job_id }}", server_id="OTHER", scope={"projects": {"includedKeys": ["ABC"], "includedData": "all"}}),
            },
            {"name": "unknown_key", MODULE: job_args(scope=dict(SCOPE, dashbords={"includedKeys": ["D1"]}))},
            # the rate limit answers one create (as the simulator's limiter would, without depending on how fast the tasks run)
            fault_task(sim, "fault_429", {"match": {"method": "POST", "path": "/v1/jobs$"}, "kind": "status", "status": 429, "retry_after": 1}),
            {"name": "paced", MODULE: job_args()},
            fault_task(sim, "fault_502", {"match": {"method": "POST", "path": "/v1/jobs$"}, "kind": "status", "status": 502}),
            {"name": "not_retried_502", MODULE: job_args()},
            fault_task(sim, "fault_reset", {"match": {"method": "POST", "path": "/v1/jobs$"}, "kind": "reset"}),
            {"name": "not_retried_reset", MODULE: job_args()},
        ],
    )
    assert run["bad_scope"]["failed"] and "scope.projects needs includedKeys" in run["bad_scope"]["msg"]
    check = run["check"]
    assert check["changed"] and check["job_id"] is None and not check["created"]
    assert check["definition"]["destination"] == {"url": CLOUD_URL} and check["definition"]["flow"] == "jira-onpremises-to-cloud"
    create, reuse = run["create"], run["reuse"]
    assert create["created"] and create["changed"] and create["job_id"]
    assert (reuse["job_id"], reuse["created"], reuse["changed"]) == (create["job_id"], False, False)
    assert reuse["definition"]["source"] == {"serverId": "SRV-0123-4567-89AB"}
    recorded = json.loads((tmp_path / "wave1-job.json").read_text())
    assert recorded["job_id"] == create["job_id"] and recorded["definition"]["name"] == "ACME Jira wave 1"
    other = run["other_declaration"]
    assert other["failed"] and "differs from the declaration in name" in other["msg"] and "records a job for another declaration" in other["msg"]
    assert other["differences"] == ["name"]
    assert not run["compare_same"].get("failed") and not run["compare_same"]["changed"]
    differs = run["compare_differs"]
    assert differs["failed"] and differs["differences"] == ["scope.projects.includedKeys", "source.serverId"]
    assert "jobs are immutable" in differs["msg"]
    unknown = run["unknown_key"]
    assert unknown["created"] and any("scope.dashbords is not a scope key known for JIRA" in w for w in unknown["warnings"])
    assert any("every run creates a new job" in w for w in unknown["warnings"])
    paced = run["paced"]
    assert paced["created"], paced
    job_posts = posts(sim, "/migrations/public/v1/jobs")
    # the 429 was waited out (Retry-After: 1) and retried; the 502 and the reset were not
    assert [entry["status"] for entry in job_posts] == [200, 200, 429, 200, 502, None]
    refused, retried = (datetime.datetime.fromisoformat(job_posts[n]["ts"].replace("Z", "+00:00")) for n in (2, 3))
    assert (retried - refused).total_seconds() >= 1.0
    assert run["not_retried_502"]["failed"] and run["not_retried_502"]["error"]["status_code"] == 502
    reset = run["not_retried_reset"]
    assert reset["failed"] and reset["error"]["type"] == "TransportError" and not reset.get("job_id")
    # the job created by "create" was created once; the state and job_id runs only read it
    assert len(sim.state["jobs"]) == 3
    # neither answer says whether the job was created: the message says it may have been, and how to go on
    for name in ("not_retried_502", "not_retried_reset"):
        assert "may have been created" in run[name]["msg"] and "set job_id" in run[name]["msg"], name


def test_a_scope_of_unknown_keys_only_fails_before_any_request(simulator, run_tasks):
    # the service ignores unknown keys: such a job has an empty scope, and the instance refuses every task of it
    sim = simulator("flow")
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "blank_key", MODULE: job_args(scope={"": {}})},
            {"name": "typo", MODULE: job_args(scope={"project": {"includedKeys": ["ABC"]}})},
        ],
    )
    assert run["blank_key"]["failed"] and "scope has no key known for JIRA" in run["blank_key"]["msg"]
    assert run["typo"]["failed"] and "'project'" in run["typo"]["msg"] and "empty scope" in run["typo"]["msg"]
    assert posts(sim, "/migrations/public/v1/jobs") == [] and sim.state["jobs"] == []


def test_a_create_whose_answer_is_lost_is_never_made_twice_and_the_found_job_is_recorded(simulator, run_tasks, tmp_path):
    # the service creates the job, its answer is cut; the API cannot list jobs, so the run cannot find it
    sim = simulator("flow")
    state = str(tmp_path / "job.json")
    cut = {"match": {"method": "POST", "path": "/v1/jobs$"}, "kind": "truncate", "fraction": 0.3, "times": 1}
    run = run_tasks(
        connection_env(sim),
        [
            fault_task(sim, "fault", cut),
            {"name": "create", MODULE: job_args(state_path=state)},
            {"name": "rerun", MODULE: job_args(state_path=state)},
            {"name": "rerun_check", "check_mode": True, MODULE: job_args(state_path=state)},
        ],
    )
    create = run["create"]
    assert create["failed"] and not create.get("job_id")
    message = create["msg"]
    assert "may have been created" in message and "Cloud Migration Assistant" in message and "'ACME Jira wave 1'" in message
    assert "job_id set to its ID" in message and "run again" in message and state in message
    assert len(sim.state["jobs"]) == 1
    # the re-runs, real and in check mode, create nothing: the job may exist
    for name in ("rerun", "rerun_check"):
        refused = run[name]
        assert refused["failed"] and refused["error"]["type"] == "CreateUnresolvedError", refused
        assert "whose answer never came back" in refused["msg"] and "nothing was requested" in refused["msg"]
    assert len(posts(sim, "/migrations/public/v1/jobs")) == 1 and len(sim.state["jobs"]) == 1
    assert json.loads((tmp_path / "job.json").read_text())["job_id"] is None
    # the person finds the job in the assistant and names it once; later runs reuse it from state_path
    found = sim.state["jobs"][0]["job_id"]
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "named", MODULE: job_args(job_id=found, state_path=state)},
            {"name": "later", MODULE: job_args(state_path=state)},
        ],
    )
    assert not run["named"].get("failed") and not run["named"]["changed"], run["named"]
    assert (run["later"]["job_id"], run["later"]["changed"], run["later"]["created"]) == (found, False, False)
    assert len(posts(sim, "/migrations/public/v1/jobs")) == 1 and len(sim.state["jobs"]) == 1
