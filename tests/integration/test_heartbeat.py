# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``heartbeat``: the same-name action plugins wait in chunks and print a progress line after each,
live under the running task, through ansible-playbook (read from a pipe) and ansible-runner.

Timelines use ``clock: polls``: with one second between polls a task finishing on its 6th status
read takes about five seconds, so lines printed while it runs come seconds before the task ends.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import time

import ansible_runner
import pytest
import yaml

from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON, _ansible_env, collections_path, connection_env

STATUS = "migrationops.atlassian.migration_task_status"
IDMAPPING = "migrationops.atlassian.idmapping_job"
JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
LINE = re.compile(r"^localhost: migrate: .* - \d\d:\d\d:\d\d elapsed$")


def slow_migration(finish=6):
    migrate = {
        "finish": finish,
        "progress": [{"name": "Migration", "total": 100}],
        "children": {"projects": {"finish": finish}, "apps": {"finish": 2}},
    }
    task = {"task_id": "mig-1", "type": "migrate", "tree": {"finish": finish, "children": {"check": {"finish": 1}, "migrate": migrate}}}
    return {"name": "heartbeat", "clock": "polls", "jobs": [{"job_id": JOB, "tasks": [task]}]}


def wait(**extra):
    args = {"job_id": JOB, "task_id": "mig-1", "level": ["migrate"], "wait": True, "wait_sleep": 1, "wait_timeout": 60, "heartbeat": 1}
    args.update(extra)
    return args


def created(event):
    return datetime.datetime.fromisoformat(event["created"])


def status_reads(sim):
    return [r for r in sim.requests if r["method"] == "GET" and r["path"].endswith("/status")]


def test_lines_arrive_while_the_task_runs_and_the_result_covers_the_whole_wait(simulator, tmp_path):
    sim = simulator(slow_migration())
    creds = sim.credentials
    connection = {"api_url": sim.url, "email": creds["email"], "api_token": creds["api_token"]}
    results = tmp_path / "results.json"
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": MODULE_PYTHON},
        # the connection only through the action group: the plugin's module calls must get it
        "module_defaults": {"group/migrationops.atlassian.migration": connection},
        "tasks": [
            {"name": "Wait with a heartbeat", STATUS: wait(), "register": "live"},
            {"name": "Wait again in check mode, delegated", STATUS: wait(), "check_mode": True, "delegate_to": "localhost", "register": "checked"},
            {"name": "Wait again under no_log", STATUS: wait(), "no_log": True, "register": "quiet"},
            {"name": "Wait again without a heartbeat", STATUS: wait(heartbeat=0), "register": "single"},
            {
                "name": "Save",
                "ansible.builtin.copy": {
                    "dest": str(results),
                    "content": "{{ {'live': live, 'checked': checked, 'quiet': quiet, 'single': single} | to_json }}",
                    "mode": "0600",
                },
            },
        ],
    }
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    env = _ansible_env(tmp_path, {"PYTHONUNBUFFERED": "1"})
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(playbook)]
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    arrivals = []
    for line in proc.stdout:
        arrivals.append((time.monotonic() - started, line.rstrip("\n")))
    assert proc.wait(120) == 0, "\n".join(text for dummy, text in arrivals)[-3000:]

    task_starts = [i for i, (dummy, text) in enumerate(arrivals) if text.startswith("TASK [")]
    first_task = arrivals[task_starts[0] : task_starts[1]]
    lines = [(at, text) for at, text in first_task if LINE.match(text)]
    ok_at = next(at for at, text in first_task if text.startswith("ok: [localhost]"))
    assert len(lines) >= 3, first_task
    # each line came when its chunk ended, not in one burst with the result: a heartbeat apart
    assert lines[-1][0] - lines[0][0] >= 0.9 and lines[-1][0] <= ok_at, (lines, ok_at)
    assert "IN_PROGRESS" in lines[0][1] and lines[-1][1].startswith("localhost: migrate: FINISHED SUCCESS")
    # one task header per wait, whatever the number of chunks
    assert len([text for dummy, text in arrivals if text.startswith("TASK [Wait with a heartbeat]")]) == 1

    data = json.loads(results.read_text())
    live = data["live"]
    assert live["finished"] and not live["failed"] and live["outcome"] == "SUCCESS"
    reads = len(status_reads(sim))
    assert live["polls"] >= 6 and sum(data[name]["polls"] for name in data) == reads
    # the whole wait, not the last chunk (about 1 s): six polls about wait_sleep (1 s) apart
    assert live["elapsed"] >= 3
    assert data["checked"]["finished"]  # read-only, so it runs in check mode too
    second = arrivals[task_starts[1] : task_starts[2]]
    assert [text for dummy, text in second if LINE.match(text)] and not [t for dummy, t in arrivals[task_starts[2] : task_starts[3]] if LINE.match(t)]
    assert not [t for dummy, t in arrivals[task_starts[3] : task_starts[4]] if LINE.match(t)]  # heartbeat 0: the module alone


def test_a_timeout_over_chunks_fails_with_the_whole_wait_and_the_last_problem(simulator, run_tasks):
    sim = simulator(slow_migration(finish=None))
    run = run_tasks(
        connection_env(sim),
        [
            {"name": "never", STATUS: wait(wait_timeout=3)},
            {"name": "invisible", STATUS: wait(task_id="no-such-task", wait_timeout=2)},
            {"name": "tolerated", STATUS: wait(wait_timeout=2, fail_on_timeout=False)},
        ],
    )
    never = run["never"]
    # Every status read of the first task counts, whichever chunk made it (how many fit in 3 s depends on the machine's load).
    reads = [r["path"] for r in status_reads(sim)]
    first_task_reads = reads.index(next(p for p in reads if "/no-such-task/" in p))
    assert never["failed"] and never["timed_out"] and never["polls"] == first_task_reads >= 1
    assert "timed out after 3s (%d polls)" % never["polls"] in never["msg"]
    invisible = run["invisible"]
    assert invisible["failed"] and "last problem: " in invisible["msg"] and "404" in invisible["last_problem"]
    assert re.search(r"^localhost: migrate: not visible yet \(.*404.*\) - 00:00:0\d elapsed$", run.stdout, re.M)
    assert not run["tolerated"].get("failed") and run["tolerated"]["timed_out"]


def test_idmapping_replaces_a_dead_job_once_per_task_whatever_the_chunks(simulator, run_tasks, tmp_path):
    dead = {"pending_polls": 0, "in_progress_polls": 3, "result": "ERROR", "report": {"rows": 10}}
    sim = simulator("basic", overrides={"idmapping": {"jobs": [dead]}})
    args = {
        "product": "JIRA",
        "source_url": "https://jira.example.com",
        "destination_url": "https://example.atlassian.net",
        "dest": str(tmp_path / "report.csv"),
        "wait_sleep": 1,
        "wait_timeout": 40,
        "heartbeat": 1,
    }
    run = run_tasks(connection_env(sim), [{"name": "report", IDMAPPING: args}])
    result = run["report"]
    triggers = [r for r in sim.requests if r["method"] == "POST" and r["path"].endswith("/id-mappings/trigger")]
    assert len(triggers) == 2, [r["path"] for r in sim.requests]
    assert result["failed"] and "ended in ERROR" in result["msg"] and result["triggered"]
    assert len(re.findall(r"^localhost: idmapping: IN_PROGRESS - job ", run.stdout, re.M)) >= 2


# ansible-runner forks ansible-playbook through a pty while the simulator serves from threads;
# the child execs at once, as in the AWX tests, which filter the same warning.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_ansible_runner_gets_each_line_as_a_verbose_event_before_runner_on_ok_and_the_set_stats(simulator, tmp_path):
    sim = simulator(slow_migration())
    private = tmp_path / "runner"
    for sub in ("env", "inventory", "project"):
        (private / sub).mkdir(parents=True)
    (private / "inventory" / "hosts").write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % MODULE_PYTHON)
    (private / "env" / "envvars").write_text(yaml.safe_dump(dict(connection_env(sim), ANSIBLE_COLLECTIONS_PATH=collections_path())))
    role_vars = {
        "cloud_migration_job_id": JOB,
        "cloud_migration_migrate_task_id": "mig-1",
        "cloud_migration_steps": ["migrate"],
        "cloud_migration_heartbeat": 1,
        "cloud_migration_wait_sleep": 1,
        "cloud_migration_wait_timeout": 60,
    }
    play = {"hosts": "localhost", "gather_facts": False, "roles": [{"role": "migrationops.atlassian.cloud_migration", "vars": role_vars}]}
    (private / "project" / "play.yml").write_text(yaml.safe_dump([play]))
    runner = ansible_runner.run(private_data_dir=str(private), playbook="play.yml", quiet=True)
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    events = list(runner.events)
    wait_ok = next(e for e in events if e["event"] == "runner_on_ok" and e["event_data"].get("task", "").startswith("Wait for the migrate level"))
    lines = [e for e in events if e["event"] == "verbose" and LINE.match(e["stdout"].strip())]
    assert len(lines) >= 3
    assert all(e["counter"] < wait_ok["counter"] for e in lines)
    # Emitted when printed, not flushed with the result: lines of chunks a heartbeat (1 s) apart
    # carry creation times that far apart (a loaded machine only widens the gaps).
    assert created(lines[-1]) - created(lines[0]) >= datetime.timedelta(seconds=0.9), [(e["stdout"], e["created"]) for e in lines]
    assert created(lines[-1]) <= created(wait_ok)
    stats = next(e for e in events if e["event"] == "playbook_on_stats")
    artifact = stats["event_data"]["artifact_data"]
    assert artifact == {"cloud_migration_job_id": JOB, "cloud_migration_migrate_task_id": "mig-1"}
    saved = json.loads((private / "artifacts" / runner.config.ident / "job_events" / ("%d-%s.json" % (stats["counter"], stats["uuid"]))).read_text())
    assert saved["event_data"]["artifact_data"] == artifact
