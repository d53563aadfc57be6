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

from ansible_collections.migrationops.atlassian.tests.integration.conftest import _ansible_env, connection_env
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import CREDENTIALS, FULL

MODULE = "migrationops.atlassian.idmapping_job"
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


def module_pids(root):
    pids = []
    for pid in descendants(root):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if b"AnsiballZ_idmapping_job" in cmdline and b"python" in cmdline.split(b"\0")[0]:
            pids.append(pid)
    return pids


def start_playbook(tmp_path, sim, dest, **args):
    params = {"product": "JIRA", "source_url": SRC, "destination_url": DST, "dest": str(dest), "force": True, "wait_sleep": 0, "wait_timeout": 600}
    params.update(args)
    play = {
        "name": "kill",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "tasks": [{"name": "report", MODULE: params}],
    }
    playbook = tmp_path / "kill.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(playbook)]
    env = _ansible_env(tmp_path, connection_env(sim))
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_module_when(proc, condition, timeout=120):
    """SIGKILL the module's python process once ``condition()`` holds; returns how many were killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = module_pids(proc.pid)
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
