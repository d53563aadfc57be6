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
