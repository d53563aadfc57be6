# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX jobs reproduced with ansible-runner, the library AWX runs every job through.

Each job gets a private data directory laid out as AWX lays it out: ``inventory/hosts`` with
localhost, ``env/envvars`` holding the Atlassian credential type's injectors rendered with the
simulator's credentials, ``env/extravars`` made from the migrate job template's survey, and
``project/`` with the project playbook of docs/awx.md importing migrationops.atlassian.migrate. Three such jobs run at once
against three migration jobs of one simulator (one credential, as when several AWX jobs share
it), and the tests below read their job events and artifacts.
"""

import json
import os
import re

import ansible_runner
import pytest

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import (
    CREDENTIAL_TYPE,
    MIGRATE,
    job_template,
    workflow_node_extra_vars,
    write_private_data_dir,
)
from ansible_collections.migrationops.atlassian.tests.simulator import Simulator

TOKEN = "awx-runner-token-5f0c2a9e7d13b84c6e"
EMAIL = "awx-runner@example.com"
JOBS = ["a1f0c2de-0000-4000-8000-00000000000%d" % index for index in range(1, 4)]
# a progress line of the role, for example "localhost: migrate: IN_PROGRESS 62% - apps running, projects done - 01:10:00 elapsed"
LINE = re.compile(r"^localhost: (?P<phase>check|migrate/check|migrate|idmapping): (?P<state>.*) - \d\d:\d\d:\d\d elapsed$")

CHECKS = {
    "CloudFreeUserLimit": {"outcome": "SUCCESS"},
    "DatabaseSize": {"outcome": "SUCCESS"},
    "AnonPermission": {"outcome": "WARNING", "details": {"excludable": True}},
}


def _job(index, job_id):
    """One migration job: a check task finishing on its 3rd status read, a migrate task whose
    check level finishes on the 1st read, the migrate node on the 3rd and the apps on the 5th."""
    return {
        "job_id": job_id,
        "definition": {"name": "AWX job %d" % index},
        "tasks": [
            {
                "task_id": "00000132-0000-4000-8000-0000000c%04d" % index,
                "type": "check",
                "tree": {"finish": 3, "progress": [{"name": "Preflight Checks", "total": 3}], "children": CHECKS},
            },
            {
                "task_id": "00000132-0000-4000-8000-0000000f%04d" % index,
                "type": "migrate",
                "tree": {
                    "finish": 5,
                    "children": {
                        "check": {"finish": 1, "children": CHECKS},
                        "migrate": {
                            "start": 1,
                            "finish": 3,
                            "progress": [{"name": "Migration", "total": 100}],
                            "children": {
                                "projects": {"children": {"ABC": {}, "OPS": {}}},
                                "usersAndGroups": {"finish": 2},
                                "apps": {"finish": 5},
                            },
                        },
                    },
                },
            },
        ],
    }


SCENARIO = {
    "name": "awx-parallel",
    "clock": "polls",
    "credentials": [{"email": EMAIL, "api_token": TOKEN}],
    "jobs": [_job(index, job_id) for index, job_id in enumerate(JOBS, 1)],
    "idmapping": {"jobs": [{"pending_polls": 1, "in_progress_polls": 2, "result": "SUCCESS", "report": {"rows": 100}}]},
}


def _private_data_dir(root, sim, answers):
    """A private data directory as AWX writes it for a job of the migrate job template launched
    with ``answers`` as its extra vars."""
    template = job_template(MIGRATE)
    credential = (CREDENTIAL_TYPE, {"api_url": sim.url, "email": EMAIL, "api_token": TOKEN})
    return write_private_data_dir(root, [credential], workflow_node_extra_vars(template, {}, answers), template["playbook"])


class Job:
    def __init__(self, root, runner, job_id, answers):
        self.root = root
        self.runner = runner
        self.job_id = job_id
        self.answers = answers
        self.events = list(runner.events)

    @property
    def artifacts(self):
        return os.path.join(self.root, "artifacts", self.runner.config.ident)

    def ok_results(self, action):
        return [
            event["event_data"]["res"]
            for event in self.events
            if event["event"] == "runner_on_ok" and event["event_data"].get("task_action") == action
        ]

    def lines(self):
        """The progress lines, printed live under the waiting task: ansible-runner verbose events."""
        return [event["stdout"] for event in self.events if event["event"] == "verbose" and LINE.match(event.get("stdout", ""))]


# ansible-runner forks ansible-playbook through a pty while the simulator serves from threads
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


@pytest.fixture(scope="module")
def awx_jobs(tmp_path_factory):
    """Three migrate jobs run at once through ansible_runner.run_async; the first one also saves
    the ID mapping report and a summary."""
    base = tmp_path_factory.mktemp("awx-jobs")
    with Simulator(SCENARIO) as sim:
        started = []
        for index, job_id in enumerate(JOBS):
            answers = {
                "cloud_migration_job_id": job_id,
                "cloud_migration_product": "JIRA",
                "cloud_migration_source_url": "https://jira%d.example.com" % index,
                "cloud_migration_destination_url": "https://site%d.atlassian.net" % index,
                "cloud_migration_idmapping_dest": str(base / ("report%d" % index) / "id-mappings.csv"),
                "cloud_migration_heartbeat": 1,
                "cloud_migration_wait_sleep": 1,
                "cloud_migration_wait_timeout": 120,
            }
            if index == 0:
                answers["cloud_migration_report_dir"] = str(base / "summary")
                answers["cloud_migration_steps"] = ["check", "migrate", "idmapping"]
            else:
                answers["cloud_migration_steps"] = ["check", "migrate"]
            root = str(base / ("job%d" % index))
            _private_data_dir(root, sim, answers)
            thread, runner = ansible_runner.run_async(private_data_dir=root, playbook="migrate.yml", ident="job%d" % index, quiet=True, timeout=300)
            started.append((root, thread, runner, job_id, answers))
        jobs = []
        for root, thread, runner, job_id, answers in started:
            thread.join(timeout=320)
            assert not thread.is_alive(), "runner job %s did not finish" % job_id
            jobs.append(Job(root, runner, job_id, answers))
        requests_log = sim.requests
    return {"jobs": jobs, "requests": requests_log, "base": base}


def test_jobs_ran_in_parallel_and_succeeded(awx_jobs):
    for job in awx_jobs["jobs"]:
        stdout = "".join(event.get("stdout", "") for event in job.events)
        assert job.runner.status == "successful", stdout[-3000:]
        assert job.runner.rc == 0
        assert any(event["event"] == "playbook_on_stats" for event in job.events)
    # every job read its own migration job's tasks, so they ran side by side in one simulator
    paths = [entry["path"] for entry in awx_jobs["requests"]]
    for job_id in JOBS:
        assert any("/jobs/%s/tasks" % job_id in path for path in paths)
    starts = [min(event["created"] for event in job.events) for job in awx_jobs["jobs"]]
    ends = [max(event["created"] for event in job.events) for job in awx_jobs["jobs"]]
    assert max(starts) < min(ends), "the jobs did not overlap"


def test_rate_limits_not_tripped(awx_jobs):
    limited = [entry for entry in awx_jobs["requests"] if entry["status"] == 429 or entry.get("rate_limited")]
    assert limited == []
    # basic auth with the credential's email: the injected ATLASSIAN_EMAIL was used
    api = [entry for entry in awx_jobs["requests"] if entry["path"].startswith("/migrations/")]
    assert api and {entry["auth"] for entry in api} == {"basic"}


def test_heartbeat_lines_during_the_waits(awx_jobs):
    for job in awx_jobs["jobs"]:
        phases = {}
        for line in job.lines():
            match = LINE.match(line)
            if match:
                phases.setdefault(match.group("phase"), []).append(match.group("state"))
        # the check task finishes on its 3rd status read and the apps of the migrate task on the
        # 5th, at one read per second and one line per second: the first lines of both waits
        # come while the task is still running (as verbose events, live), the last one when it is finished
        assert phases["check"][0].startswith("IN_PROGRESS"), phases
        assert phases["check"][-1].startswith("FINISHED WARNING"), phases
        assert phases["migrate/check"][-1].startswith("FINISHED WARNING"), phases
        assert len(phases["migrate"]) >= 2, phases
        assert "running" in phases["migrate"][0], phases
        assert phases["migrate"][-1].startswith("FINISHED SUCCESS") and "running" not in phases["migrate"][-1], phases
    first = awx_jobs["jobs"][0]
    assert any(line.startswith("localhost: idmapping: IN_PROGRESS") for line in first.lines())


def test_cloud_migration_result_fact(awx_jobs):
    for job in awx_jobs["jobs"]:
        facts = [
            res["ansible_facts"]["cloud_migration_result"]
            for res in job.ok_results("ansible.builtin.set_fact")
            if "cloud_migration_result" in res.get("ansible_facts", {})
        ]
        assert facts, "no set_fact event with cloud_migration_result"
        final = facts[-1]
        expected = {"check", "migrate", "idmapping"} if job is awx_jobs["jobs"][0] else {"check", "migrate"}
        assert set(final) == expected | {"job_id", "check_task_id", "migrate_task_id"}
        assert final["job_id"] == job.job_id
        assert final["check"]["outcome"] == "WARNING"
        assert final["migrate"]["status"] == "FINISHED"
        assert final["migrate"]["outcome"] == "SUCCESS"
        assert final["migrate"]["job_id"] == job.job_id
    first = awx_jobs["jobs"][0]
    final = [
        res["ansible_facts"]["cloud_migration_result"]
        for res in first.ok_results("ansible.builtin.set_fact")
        if "cloud_migration_result" in res.get("ansible_facts", {})
    ][-1]
    assert final["idmapping"]["dest"] == first.answers["cloud_migration_idmapping_dest"]
    assert os.path.getsize(final["idmapping"]["dest"]) == final["idmapping"]["size"] > 0
    summary = json.loads((awx_jobs["base"] / "summary" / "summary.json").read_text())
    assert summary


# Files that hold the token by design: the envvars file AWX (here the test) writes as the job's
# input, and ansible-runner's own record of the command it ran, which stores the whole process
# environment in plain text (artifacts/<ident>/command). Neither is part of the job output.
EXCLUDED = {os.path.join("env", "envvars"), "command"}


def test_token_absent_from_events_and_artifacts(awx_jobs):
    for job in awx_jobs["jobs"]:
        for event in job.events:
            assert TOKEN not in json.dumps(event)
        checked = 0
        for directory, dummy, files in os.walk(job.root):
            for name in files:
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, job.root)
                if relative in EXCLUDED or os.path.relpath(path, job.artifacts) in EXCLUDED:
                    continue
                with open(path, "rb") as handle:
                    assert TOKEN.encode() not in handle.read(), relative
                checked += 1
        assert checked > len(job.events) / 2
        # the two excluded files really are the ones holding it (the test would be blind otherwise)
        with open(os.path.join(job.root, "env", "envvars"), encoding="utf-8") as handle:
            assert TOKEN in handle.read()
        with open(os.path.join(job.artifacts, "stdout"), encoding="utf-8") as handle:
            assert "cloud_migration" in handle.read()
