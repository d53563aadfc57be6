# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill test: the module process gets SIGKILL mid-wait and mid-download; nothing is lost or duplicated."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import yaml

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import job_args, posts
from ansible_collections.migrationops.atlassian.tests.integration.conftest import _ansible_env, connection_env
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import CREDENTIALS, FULL

MODULE = "migrationops.atlassian.idmapping_job"
JOB_MODULE = "migrationops.atlassian.migration_job"
SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"
PREVIOUS = b"entityType,serverId,cloudId\nprevious report, kept byte for byte\n"
REPORT_BYTES = (600 if FULL else 120) * 1024 * 1024


def scenario(in_progress_polls, **report):
    job = {"pending_polls": 0, "in_progress_polls": in_progress_polls, "result": "SUCCESS", "report": report or {"rows": 500}}
    return {"name": "kill", "clock": "polls", "credentials": CREDENTIALS, "idmapping": {"jobs": [job]}}


def descendants(root):
    """PIDs of every process below ``root``, from /proc."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                parents[int(name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def module_pids(root, module="idmapping_job"):
    pids = []
    for pid in descendants(root):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if b"AnsiballZ_" + module.encode() in cmdline and b"python" in cmdline.split(b"\0")[0]:
            pids.append(pid)
    return pids


def start_playbook(tmp_path, sim, dest, module=MODULE, **args):
    """ansible-playbook running one task: idmapping_job saving ``dest``, or ``module`` with ``args`` alone."""
    params = {}
    if module == MODULE:
        params = {"product": "JIRA", "source_url": SRC, "destination_url": DST, "dest": str(dest), "force": True, "wait_sleep": 0}
        params["wait_timeout"] = 600
    params.update(args)
    play = {
        "name": "kill",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "tasks": [{"name": "report", module: params}],
    }
    playbook = tmp_path / "kill.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(playbook)]
    env = _ansible_env(tmp_path, connection_env(sim))
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_module_when(proc, condition, timeout=120, module="idmapping_job"):
    """SIGKILL the module's python process once ``condition()`` holds; returns how many were killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = module_pids(proc.pid, module)
        if pids and condition():
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            proc.communicate(timeout=120)
            return len(pids)
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    proc.kill()
    output = proc.communicate()[0]
    raise AssertionError("never found the module process in the expected state:\n%s" % output[-3000:])


def hidden(directory, suffix):
    return [name for name in os.listdir(str(directory)) if name.startswith(".") and name.endswith(suffix)]


def check_rerun(sim, run_tasks, directory, dest, journal_job, reliability, name):
    rerun = run_tasks(
        connection_env(sim),
        [
            {
                "name": "again",
                MODULE: {"product": "JIRA", "source_url": SRC, "destination_url": DST, "dest": str(dest), "force": True, "wait_sleep": 0},
            }
        ],
    )
    result = rerun["again"]
    assert not result.get("failed"), result.get("msg")
    assert result["job_id"] == journal_job and result["triggered"] is False, "the re-run must resume the journalled job"
    assert sim.idmapping_trigger_count == 1, "a second job was triggered"
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sim.report_sha256(journal_job) == result["sha256"]
    assert sorted(os.listdir(str(directory))) == [dest.name], "journal or temporary file left after the re-run"
    reliability(
        kind="kill",
        name=name,
        killed=1,
        data_lost=0,
        duplicate_triggers=sim.idmapping_trigger_count - 1,
        detail="dest intact after SIGKILL, re-run resumed job %s, 1 trigger, nothing left behind" % journal_job[:8],
    )


def test_sigkill_mid_wait_then_resume(simulator, run_tasks, tmp_path, reliability):
    sim = simulator(scenario(in_progress_polls=30))
    directory = tmp_path / "reports"
    directory.mkdir()
    dest = directory / "report.csv"
    dest.write_bytes(PREVIOUS)
    proc = start_playbook(tmp_path, sim, dest, wait_sleep=1)

    def waiting():
        polls = sum(1 for r in sim.requests if r["path"].count("/") == 5 and "/id-mappings/" in r["path"] and r["method"] == "GET")
        return bool(hidden(directory, ".idmapping.json")) and polls >= 2

    assert kill_module_when(proc, waiting) >= 1
    assert proc.returncode != 0
    assert dest.read_bytes() == PREVIOUS, "the previous report changed"
    assert hidden(directory, ".part") == []
    journal = json.loads((directory / hidden(directory, ".idmapping.json")[0]).read_text())
    check_rerun(sim, run_tasks, directory, dest, journal["job_id"], reliability, "SIGKILL mid-wait")


def test_sigkill_mid_download_then_resume(simulator, run_tasks, tmp_path, reliability):
    sim = simulator(scenario(in_progress_polls=1, size_bytes=REPORT_BYTES))
    directory = tmp_path / "reports"
    directory.mkdir()
    dest = directory / "report.csv"
    dest.write_bytes(PREVIOUS)
    proc = start_playbook(tmp_path, sim, dest)

    def mid_download():
        parts = hidden(directory, ".part")
        try:
            return bool(parts) and os.path.getsize(str(directory / parts[0])) > 0
        except OSError:
            return False

    assert kill_module_when(proc, mid_download) >= 1
    assert dest.read_bytes() == PREVIOUS, "dest must hold the previous report byte for byte"
    parts = hidden(directory, ".part")
    assert len(parts) == 1 and os.path.getsize(str(directory / parts[0])) < REPORT_BYTES, "killed mid-download: one partial hidden file"
    journal = json.loads((directory / hidden(directory, ".idmapping.json")[0]).read_text())
    check_rerun(sim, run_tasks, directory, dest, journal["job_id"], reliability, "SIGKILL mid-download")


def test_sigkill_of_a_force_run_is_cleaned_by_a_later_plain_run(simulator, run_tasks, tmp_path, reliability):
    # Before 0.2 a run that found dest in place never looked: the killed run's partial file stayed forever.
    sim = simulator(scenario(in_progress_polls=1, size_bytes=REPORT_BYTES))
    directory = tmp_path / "reports"
    directory.mkdir()
    dest = directory / "report.csv"
    dest.write_bytes(PREVIOUS)
    proc = start_playbook(tmp_path, sim, dest)
    assert kill_module_when(proc, lambda: any(os.path.getsize(str(directory / p)) > 0 for p in hidden(directory, ".part"))) >= 1
    assert len(hidden(directory, ".part")) == 1
    sim.clear_log()
    plain = {"product": "JIRA", "source_url": SRC, "destination_url": DST, "dest": str(dest), "wait_sleep": 0}
    result = run_tasks(connection_env(sim), [{"name": "plain", MODULE: plain}])["plain"]
    assert not result.get("failed") and result["changed"] is False, result.get("msg")
    assert dest.read_bytes() == PREVIOUS
    assert hidden(directory, ".part") == [] and hidden(directory, ".lock") == [], "the killed run's files must be gone"
    assert [r for r in sim.requests if not r["path"].startswith("/_sim")] == [], "a plain run on an existing dest sends nothing"
    reliability(
        kind="kill",
        name="SIGKILL force run, plain re-run",
        killed=1,
        data_lost=0,
        duplicate_triggers=0,
        detail="stale .part removed by a run that sent nothing",
    )


def test_a_second_run_on_the_same_dest_fails_fast_and_the_first_finishes(simulator, run_tasks, tmp_path, reliability):
    # Before 0.2 the second run deleted the first one's temporary file; the first then failed after a full download.
    sim = simulator(scenario(in_progress_polls=8, size_bytes=8 * 1024 * 1024))
    directory = tmp_path / "reports"
    directory.mkdir()
    dest = directory / "report.csv"
    first = start_playbook(tmp_path, sim, dest, wait_sleep=1)
    deadline = time.monotonic() + 120
    while not hidden(directory, ".lock") and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    assert hidden(directory, ".lock"), "the first run never took its lock"
    second_args = {"product": "JIRA", "source_url": SRC, "destination_url": DST, "dest": str(dest), "force": True, "wait_sleep": 0}
    second = run_tasks(connection_env(sim), [{"name": "second", MODULE: second_args}])["second"]
    output = first.communicate(timeout=300)[0]
    assert second["failed"] and "another run (process" in second["msg"] and "nothing was requested" in second["msg"]
    assert first.returncode == 0, output[-3000:]
    assert sim.idmapping_trigger_count == 1, "the second run must not trigger"
    assert sorted(os.listdir(str(directory))) == ["report.csv"]
    job_id = sim.state["idmapping"]["jobs"][0]["job_id"]
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sim.report_sha256(job_id)
    reliability(
        kind="kill",
        name="two runs on one dest",
        killed=0,
        data_lost=0,
        duplicate_triggers=sim.idmapping_trigger_count - 1,
        detail="second run refused at once, first installed its report",
    )


def test_sigkill_while_a_job_is_created_never_creates_a_second_one(simulator, run_tasks, tmp_path, reliability):
    # The run is killed while the service is slow to answer its create; the service creates the job anyway
    # (a slow fault runs the handler after its delay). The API cannot list jobs: re-runs must not create it again.
    sim = simulator("flow")
    sim.add_fault({"match": {"method": "POST", "path": "/v1/jobs$"}, "kind": "slow", "delay": 3})
    state = tmp_path / "job.json"
    proc = start_playbook(tmp_path, sim, None, module=JOB_MODULE, state_path=str(state), **job_args())
    seen = []

    def in_flight():
        # The record of the create has been there for a second: the request went out right after it.
        if state.exists() and json.loads(state.read_text())["job_id"] is None:
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] > 1 and not posts(sim, "/jobs")

    assert kill_module_when(proc, in_flight, module="migration_job") >= 1
    deadline = time.monotonic() + 30
    while not sim.state["jobs"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(sim.state["jobs"]) == 1, "the service did not create the job after the run was killed"
    rerun = run_tasks(connection_env(sim), [{"name": "again", JOB_MODULE: job_args(state_path=str(state))}])["again"]
    assert rerun["failed"] and rerun["error"]["type"] == "CreateUnresolvedError", rerun
    assert len(sim.state["jobs"]) == 1 and len(posts(sim, "/jobs")) == 1
    reliability(
        kind="kill",
        name="job create",
        killed=1,
        data_lost=0,
        duplicate_triggers=len(sim.state["jobs"]) - 1,
        detail="SIGKILL during POST /jobs; the job was created anyway and the re-run refused to create a second one",
    )
