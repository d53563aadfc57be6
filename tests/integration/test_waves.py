# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waves playbook: one declared migration per inventory host, in parallel, one table at the end."""

import json
import time

import yaml

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import CLOUD_URL, SERVER_ID, server_env
from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON, run_ansible_playbook

WAVES = {"wave1": ["ABC"], "wave2": ["OPS"], "wave3": ["HR"]}
# Jobs and tasks are created at most 5 a minute per account: three waves create 9, and would wait
# on HTTP 429 for the next minute. That limit is the API's, not the playbook's, so it is lifted here.
UNLIMITED_CREATES = {"rate_limits": {"create_per_window": 100}}


def inventory(tmp_path, sim, env):
    hosts = {}
    for host, keys in WAVES.items():
        hosts[host] = {
            "cloud_migration_job": {
                "name": "ACME Jira %s" % host,
                "product": "JIRA",
                "server_id": SERVER_ID,
                "destination_url": CLOUD_URL,
                "scope": {"projects": {"includedKeys": keys, "includedData": "all"}},
            }
        }
    group_vars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": MODULE_PYTHON,
        "cloud_migration_server_url": env["ATLASSIAN_SERVER_URL"],
        "cloud_migration_steps": ["attach", "job", "check", "migrate"],
        "cloud_migration_override_checks": ["excludable"],
        "cloud_migration_start_migration": True,
        "cloud_migration_heartbeat": 2,
        "cloud_migration_wait_sleep": 1,
        "cloud_migration_wait_timeout": 120,
    }
    path = tmp_path / "waves.yml"
    path.write_text(yaml.safe_dump({"migrations": {"hosts": hosts, "vars": group_vars}}))
    return path


def run_waves(tmp_path, sim, name, hosts=None):
    workdir = tmp_path / name
    workdir.mkdir()
    env = server_env(sim)
    args = ["migrationops.atlassian.waves", "-i", str(inventory(workdir, sim, env)), "-e", "migration_waves_report_dir=%s" % (workdir / "out")]
    if hosts:
        args += ["-e", "migration_hosts=%s" % hosts]
    started = time.monotonic()
    proc = run_ansible_playbook(workdir, args, env=env)
    return proc, time.monotonic() - started, workdir / "out"


def test_three_waves_run_in_parallel_each_with_its_files_and_one_table(simulator, tmp_path):
    one, alone, dummy = run_waves(tmp_path, simulator("story", overrides=UNLIMITED_CREATES), "one", hosts="wave1")
    assert one.returncode == 0, one.stdout[-3000:]
    sim = simulator("story", overrides=UNLIMITED_CREATES)
    proc, together, out = run_waves(tmp_path, sim, "three")
    assert proc.returncode == 0, proc.stdout[-3000:]
    # the only timing assertion: in parallel, three waves take well under three times one
    assert together < 2.5 * alone, (together, alone)
    table = json.loads((out / "waves.json").read_text())
    assert [row["host"] for row in table["hosts"]] == list(WAVES) and table["result"] == "PASSED"
    jobs = set()
    for row in table["hosts"]:
        assert row["outcome"] == "PASSED" and row["steps"] == ["attach", "job", "check", "migrate"], row
        assert row["migration_outcome"] in ("SUCCESS", "WARNING") and row["summary"] == str(out / row["host"] / "summary.md")
        assert (out / row["host"] / "migration-job.json").exists() and (out / row["host"] / "summary.json").exists()
        jobs.add(row["job_id"])
    assert len(jobs) == 3
    assert len([r for r in sim.requests if r["method"] == "POST" and r["path"].endswith("/jobs")]) == 3
    waves_md = (out / "waves.md").read_text()
    assert "| wave2 | `%s` | attach, job, check, migrate | PASSED |" % table["hosts"][1]["job_id"] in waves_md
    for host in WAVES:
        assert "%s: migrate: FINISHED" % host in proc.stdout


def job_only_inventory(workdir, declarations):
    """Waves that only ensure their jobs (no task, nothing attached): what a relaunch must not create twice."""
    hosts = {}
    for host, name in declarations.items():
        hosts[host] = {
            "cloud_migration_job": {
                "name": name,
                "product": "JIRA",
                "server_id": SERVER_ID,
                "destination_url": CLOUD_URL,
                "scope": {"projects": {"includedKeys": ["ABC"], "includedData": "all"}},
            }
        }
    group_vars = {"ansible_connection": "local", "ansible_python_interpreter": MODULE_PYTHON, "cloud_migration_steps": ["job"]}
    path = workdir / "waves.yml"
    path.write_text(yaml.safe_dump({"migrations": {"hosts": hosts, "vars": group_vars}}))
    return path


def job_posts(sim):
    return [r for r in sim.requests if r["method"] == "POST" and r["path"].endswith("/jobs")]


def test_awx_relaunches_with_a_report_dir_per_job_reuse_the_jobs_of_a_stable_state_dir(simulator, tmp_path):
    sim = simulator("flow")
    env = server_env(sim)
    inventory_path = job_only_inventory(tmp_path, {"wave1": "ACME wave 1"})
    state = tmp_path / "state"
    runs = []
    for awx_job_id in ("101", "102"):
        args = ["migrationops.atlassian.waves", "-i", str(inventory_path), "-e", "awx_job_id=%s" % awx_job_id]
        args += ["-e", "migration_waves_report_dir=%s" % (tmp_path / "out" / awx_job_id), "-e", "migration_waves_state_dir=%s" % state]
        runs.append(run_ansible_playbook(tmp_path, args, env=env))
        assert runs[-1].returncode == 0, runs[-1].stdout[-3000:]
    assert len(job_posts(sim)) == 1 and (state / "wave1" / "migration-job.json").exists()
    tables = [json.loads((tmp_path / "out" / n / "waves.json").read_text()) for n in ("101", "102")]
    assert tables[0]["hosts"][0]["job_id"] == tables[1]["hosts"][0]["job_id"]
    assert tables[1]["hosts"][0]["summary"] == str(tmp_path / "out" / "102" / "wave1" / "summary.md")
    # the state under a report directory named after the AWX job: refused before anything is sent
    sim.clear_log()
    args = ["migrationops.atlassian.waves", "-i", str(inventory_path), "-e", "awx_job_id=103"]
    refused = run_ansible_playbook(tmp_path, args + ["-e", "migration_waves_report_dir=%s" % (tmp_path / "out" / "103")], env=env)
    assert refused.returncode != 0
    assert "holds the AWX job ID 103" in refused.stdout and "migration_waves_state_dir" in refused.stdout, refused.stdout[-3000:]
    assert [r for r in sim.requests if not r["path"].startswith("/_sim/")] == []


def test_two_waves_declaring_the_same_job_are_refused_before_any_request(simulator, tmp_path):
    sim = simulator("flow")
    inventory_path = job_only_inventory(tmp_path, {"wave1": "ACME wave 1", "wave1b": "ACME wave 1"})
    args = ["migrationops.atlassian.waves", "-i", str(inventory_path), "-e", "migration_waves_report_dir=%s" % (tmp_path / "out")]
    proc = run_ansible_playbook(tmp_path, args, env=server_env(sim))
    assert proc.returncode != 0
    assert "wave1 and wave1b declare the same migration job (ACME wave 1)" in proc.stdout, proc.stdout[-3000:]
    assert [r for r in sim.requests if not r["path"].startswith("/_sim/")] == []
