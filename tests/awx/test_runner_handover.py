# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workflow of configure_controller.yml handing over between its nodes as AWX does it, with
ansible-runner against the simulator, from nothing (scenario flow: no job, no task, the cloud site
neither connected nor attached, a failed but excludable check).

Node 1, the check gate job template, runs with the workflow's survey answers; the set_stats data
it leaves in its ``playbook_on_stats`` event (``artifact_data``, which AWX stores as the job's
artifacts) becomes, with those answers again, the extra vars of node 3, the migrate job template
(the approval node in between runs nothing), and the artifacts of both those of node 4, the ID
mapping report. Both jobs carry a credential of each type of
extensions/awx, TLS included: the simulator serves HTTPS with a private CA, handed to the modules
only through the CA bundle inputs of the two credentials (file injectors).
"""

import json
import os
import re

import ansible_runner
import pytest

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import (
    CREDENTIAL_TYPE,
    GATE,
    IDMAPPING,
    MIGRATE,
    SERVER_CREDENTIAL_TYPE,
    controller_tasks,
    job_template,
    survey_extra_vars,
    workflow_node_extra_vars,
    write_private_data_dir,
)
from ansible_collections.migrationops.atlassian.tests.integration.cma_support import CLOUD_URL, SCOPE, SERVER_ID, secrets_of
from ansible_collections.migrationops.atlassian.tests.simulator import Simulator

SET_STATS = ("cloud_migration_job_id", "cloud_migration_check_task_id", "cloud_migration_migrate_task_id")
# a heartbeat line: the inventory host name, the phase, the state, the elapsed time
HEARTBEAT = re.compile(r"^localhost: (?P<phase>[a-z/]+): (?P<state>.*) - \d\d:\d\d:\d\d elapsed$")
WAITING_ACTION = "migrationops.atlassian.migration_task_status"
# the migrate task of the scenario, its users and groups finishing on the 7th status read instead
# of the 3rd, so that its wait sees it running for a few seconds
SLOWER_MIGRATION = {"new_job_templates": {"migrate": {"finish": 8, "children": {"migrate": {"children": {"usersAndGroups": {"finish": 7}}}}}}}
# and an ID mapping report for the last node
REPORT = {"idmapping": {"jobs": [{"pending_polls": 1, "in_progress_polls": 2, "result": "SUCCESS", "report": {"rows": 100}}]}}

pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


def _run(root, playbook):
    runner = ansible_runner.run(private_data_dir=root, playbook=playbook, ident="job", quiet=True, timeout=300)
    events = list(runner.events)
    stdout = "".join(event.get("stdout", "") for event in events)
    assert runner.status == "successful", stdout[-4000:]
    return runner, events


def posts_in(requests, suffix):
    return [entry for entry in requests if entry["method"] == "POST" and entry["path"].endswith(suffix)]


def _artifacts(events):
    """What AWX stores as the job's artifacts: artifact_data of the playbook_on_stats event."""
    (stats,) = [event for event in events if event["event"] == "playbook_on_stats"]
    return stats["event_data"]["artifact_data"]


@pytest.fixture(scope="module")
def handover(tmp_path_factory):
    base = tmp_path_factory.mktemp("handover")
    with Simulator("flow", overrides=dict(SLOWER_MIGRATION, **REPORT), tls=True) as sim:
        with open(sim.ca_path, encoding="utf-8") as handle:
            ca_bundle = handle.read()
        account = sim.scenario["server"]["credentials"][0]
        credentials = [
            (CREDENTIAL_TYPE, dict(sim.credentials, api_url=sim.url, ca_bundle=ca_bundle)),
            (
                SERVER_CREDENTIAL_TYPE,
                {
                    "server_url": sim.url + "/jira",
                    "server_username": account["username"],
                    "server_password": account["password"],
                    "ca_bundle": ca_bundle,
                },
            ),
        ]
        (workflow,) = controller_tasks()["workflow_job_template"]
        answers = {
            "cloud_migration_server_url": sim.url + "/jira",
            "cloud_migration_job": json.dumps(
                {"name": "ACME Jira wave 1", "product": "JIRA", "server_id": SERVER_ID, "destination_url": CLOUD_URL, "scope": SCOPE}
            ),
            "cloud_migration_state_dir": str(base / "state"),
            "cloud_migration_override_checks": "excludable",
            "cloud_migration_product": "JIRA",
            "cloud_migration_source_url": "https://jira.example.com",
            "cloud_migration_destination_url": CLOUD_URL,
            "cloud_migration_idmapping_dest": str(base / "id-mappings.csv"),
            "cloud_migration_report_dir": str(base / "summary"),
            "cloud_migration_heartbeat": 1,
            "cloud_migration_wait_sleep": 1,
            "cloud_migration_wait_timeout": 120,
        }
        workflow_vars = survey_extra_vars(workflow["survey_spec"], answers)

        gate_root = str(base / "check-gate")
        gate_template = job_template(GATE)
        gate_vars = workflow_node_extra_vars(gate_template, {}, workflow_vars)
        write_private_data_dir(gate_root, credentials, gate_vars, gate_template["playbook"])
        gate, gate_events = _run(gate_root, gate_template["playbook"])
        gate_requests = sim.requests
        handed_over = _artifacts(gate_events)

        migrate_root = str(base / "migrate")
        migrate_template = job_template(MIGRATE)
        migrate_vars = workflow_node_extra_vars(migrate_template, handed_over, workflow_vars)
        write_private_data_dir(migrate_root, credentials, migrate_vars, migrate_template["playbook"])
        migrate, migrate_events = _run(migrate_root, migrate_template["playbook"])
        migrate_requests = sim.requests[len(gate_requests) :]

        # node 4 gets the artifacts of every node before it, the later ones over the earlier ones
        report_root = str(base / "idmapping-report")
        report_template = job_template(IDMAPPING)
        ancestors = dict(handed_over, **_artifacts(migrate_events))
        report_vars = workflow_node_extra_vars(report_template, ancestors, workflow_vars)
        write_private_data_dir(report_root, credentials[:1], report_vars, report_template["playbook"])
        report, report_events = _run(report_root, report_template["playbook"])
        return {
            "sim_state": sim.state,
            "secrets": secrets_of(sim),
            "minted": sim.app.instance.minted_tokens(),
            "gate": {"root": gate_root, "runner": gate, "events": gate_events, "requests": gate_requests, "artifacts": handed_over},
            "migrate": {
                "root": migrate_root,
                "runner": migrate,
                "events": migrate_events,
                "requests": migrate_requests,
                "artifacts": _artifacts(migrate_events),
                "extravars": migrate_vars,
            },
            "idmapping": {
                "root": report_root,
                "runner": report,
                "events": report_events,
                "requests": sim.requests[len(gate_requests) + len(migrate_requests) :],
                "dest": answers["cloud_migration_idmapping_dest"],
            },
            "all_requests": sim.requests,
        }


def test_the_gate_hands_the_job_and_its_check_task_to_the_migrate_node(handover):
    gate = handover["gate"]
    (job,) = handover["sim_state"]["jobs"]
    check_tasks = [task for task in job["tasks"] if task["type"] == "check"]
    (check_task,) = check_tasks
    assert gate["artifacts"]["cloud_migration_job_id"] == job["job_id"]
    assert gate["artifacts"]["cloud_migration_check_task_id"] == check_task["task_id"]
    # the gate attached the site and created the job and its check task, and started no migration
    assert len(posts_in(gate["requests"], "/attach")) == 1
    assert len(posts_in(gate["requests"], "/migrations/public/v1/jobs")) == 1
    assert len(posts_in(gate["requests"], "/tasks")) == 1
    # the migrate node got them as extra vars, as AWX passes artifacts on
    for name in ("cloud_migration_job_id", "cloud_migration_check_task_id"):
        assert handover["migrate"]["extravars"][name] == gate["artifacts"][name]
    assert handover["migrate"]["extravars"]["cloud_migration_start_migration"] is True


def test_the_migrate_node_uses_them_and_creates_exactly_one_migrate_task(handover):
    migrate = handover["migrate"]
    (job,) = handover["sim_state"]["jobs"]
    job_id = job["job_id"]
    check_task_id = handover["gate"]["artifacts"]["cloud_migration_check_task_id"]
    (migrate_task,) = [task for task in job["tasks"] if task["type"] == "migrate"]
    assert [task["type"] for task in job["tasks"]].count("check") == 1  # no second check task
    assert migrate_task["status"] == "FINISHED"
    # no job created, one migrate task POSTed, and the gate's check task read again
    assert posts_in(migrate["requests"], "/migrations/public/v1/jobs") == []
    assert len(posts_in(migrate["requests"], "/jobs/%s/tasks" % job_id)) == 1
    reads = [entry["path"] for entry in migrate["requests"] if entry["method"] == "GET"]
    assert any("/jobs/%s/tasks/%s/status" % (job_id, check_task_id) in path for path in reads)
    assert any("/jobs/%s/tasks/%s/status" % (job_id, migrate_task["task_id"]) in path for path in reads)
    assert migrate["artifacts"]["cloud_migration_migrate_task_id"] == migrate_task["task_id"]
    assert migrate["artifacts"]["cloud_migration_job_id"] == job_id
    # in all: one job, and one check and one migrate task on it
    assert len(posts_in(handover["all_requests"], "/migrations/public/v1/jobs")) == 1
    assert len(posts_in(handover["all_requests"], "/jobs/%s/tasks" % job_id)) == 2


def test_heartbeat_lines_arrive_as_verbose_events_while_the_wait_runs(handover):
    for node in ("gate", "migrate"):
        events = handover[node]["events"]
        waits = {}
        for event in events:
            data = event.get("event_data", {})
            if data.get("task_action") == WAITING_ACTION and event["event"] in ("runner_on_start", "runner_on_ok", "runner_on_failed"):
                waits.setdefault(data["task_uuid"], {})[event["event"]] = event["counter"]
        assert waits, "no wait task in the %s job" % node
        lines = [(event["counter"], event["stdout"]) for event in events if event["event"] == "verbose" and HEARTBEAT.match(event.get("stdout", ""))]
        assert lines, "no heartbeat line in the %s job" % node
        for counter, line in lines:
            # each line was emitted after a wait task started and before it ended
            spans = [(span["runner_on_start"], span.get("runner_on_ok", span.get("runner_on_failed", 0))) for span in waits.values()]
            assert any(start < counter < end for start, end in spans), (node, line)
        states = [HEARTBEAT.match(line).group("state") for dummy, line in lines]
        if node == "migrate":  # its migrate task runs for several status reads, a second apart
            assert any(state.startswith("IN_PROGRESS") for state in states), states
        assert states[-1].startswith("FINISHED"), (node, states)


def test_the_last_node_saves_the_id_mapping_report(handover):
    dest = handover["idmapping"]["dest"]
    assert os.path.getsize(dest) > 0
    (job,) = handover["sim_state"]["idmapping"]["jobs"]
    assert job["status"] == "SUCCESS"
    # it asked the reports API only: nothing of the Migration API was created
    posted = [entry["path"] for entry in handover["idmapping"]["requests"] if entry["method"] == "POST"]
    assert posted and all(path.startswith("/migrations/reports/v1/id-mappings") for path in posted), posted


def test_no_secret_in_events_stdout_or_artifacts(handover):
    secrets = handover["secrets"]
    # cloud token and its Basic value, password and its Basic value, PAT, and the connection tokens
    # minted by the attach step of both jobs
    assert len(handover["minted"]) == 2 and set(handover["minted"]) <= set(secrets)
    for node in ("gate", "migrate", "idmapping"):
        root = handover[node]["root"]
        artifacts = os.path.join(root, "artifacts", "job")
        for event in handover[node]["events"]:
            text = json.dumps(event)
            for secret in secrets:
                assert secret not in text
        # the runner's own input (env/envvars) and record of the command (its whole environment)
        # hold the credentials by design; nothing else may
        excluded = {os.path.join(root, "env", "envvars"), os.path.join(artifacts, "command")}
        checked = 0
        for directory, dummy, files in os.walk(root):
            for name in files:
                path = os.path.join(directory, name)
                if path in excluded:
                    continue
                with open(path, "rb") as handle:
                    content = handle.read()
                for secret in secrets:
                    assert secret.encode() not in content, os.path.relpath(path, root)
                checked += 1
        assert checked > 10
        with open(os.path.join(root, "env", "envvars"), encoding="utf-8") as handle:
            assert secrets[0] in handle.read()  # the check is not blind
        with open(os.path.join(artifacts, "stdout"), encoding="utf-8") as handle:
            assert "cloud_migration" in handle.read()
