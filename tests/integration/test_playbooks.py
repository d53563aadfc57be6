# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's playbooks, run by FQCN with extra vars and the connection in ATLASSIAN_*."""

import hashlib
import json
import re

from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON, connection_env, run_ansible_playbook

BASIC_JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
FAILING_JOB = "5f0c8a2e-9d1b-4f7a-b3c6-2e8d1a4b7c90"


def playbook(tmp_path, sim, name, extra_vars):
    """ansible-playbook migrationops.atlassian.NAME -e @vars.json; nothing secret in the file."""
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(dict(extra_vars, ansible_python_interpreter=MODULE_PYTHON)))
    proc = run_ansible_playbook(tmp_path, ["migrationops.atlassian." + name, "-i", "localhost,", "-e", "@" + str(vars_file)], env=connection_env(sim))
    assert sim.credentials["api_token"] not in vars_file.read_text() + proc.stdout + proc.stderr
    return proc


def idmapping_vars(tmp_path):
    return {
        "cloud_migration_product": "JIRA",
        "cloud_migration_source_url": "https://jira.example.com",
        "cloud_migration_destination_url": "https://example.atlassian.net",
        "cloud_migration_idmapping_dest": str(tmp_path / "out" / "jira-id-mappings.csv"),
        "cloud_migration_report_dir": str(tmp_path / "out"),
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_heartbeat": 5,
    }


def test_migrate_playbook_runs_the_whole_chain(simulator, tmp_path):
    sim = simulator("basic")
    proc = playbook(tmp_path, sim, "migrate", dict(idmapping_vars(tmp_path), cloud_migration_job_id=BASIC_JOB))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    for phase in ("check", "migrate/check", "migrate", "idmapping"):
        assert re.search(r"^localhost: %s: .* - \d\d:\d\d:\d\d elapsed$" % re.escape(phase), proc.stdout, re.M), phase
    summary = tmp_path / "out" / "summary.md"
    assert '"summary: %s"' % summary in proc.stdout
    assert '"ID mapping report: %s"' % (tmp_path / "out" / "jira-id-mappings.csv") in proc.stdout
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["steps"] == ["check", "migrate", "idmapping"]
    assert "| Result | PASSED |" in summary.read_text()


def test_check_gate_playbook_fails_on_failed_checks_and_still_says_where_the_summary_is(simulator, tmp_path):
    sim = simulator("failing-checks")
    proc = playbook(
        tmp_path,
        sim,
        "check_gate",
        {"cloud_migration_job_id": FAILING_JOB, "cloud_migration_report_dir": str(tmp_path / "out"), "cloud_migration_wait_sleep": 0},
    )
    assert proc.returncode != 0
    assert "AnonPermission (FAILED, excludable)" in proc.stdout and "CloudFreeUserLimit (FAILED, not excludable)" in proc.stdout
    assert '"check outcome: FAILED"' in proc.stdout
    assert '"summary: %s"' % (tmp_path / "out" / "summary.md") in proc.stdout
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["steps"] == ["check"]
    assert not [r for r in sim.requests if "/id-mappings" in r["path"] or r["query"].get("level")]


def test_idmapping_report_playbook_saves_the_report_only(simulator, tmp_path):
    sim = simulator("basic")
    proc = playbook(tmp_path, sim, "idmapping_report", idmapping_vars(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    report = tmp_path / "out" / "jira-id-mappings.csv"
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    job_ids = {r["path"].rsplit("/", 1)[-1] for r in sim.requests if re.search(r"/id-mappings/[^/]+$", r["path"]) and r["method"] == "GET"}
    assert [sim.report_sha256(job_id) for job_id in job_ids] == [digest]
    assert '"sha256: %s"' % digest in proc.stdout
    assert not [r for r in sim.requests if "/migrations/public/" in r["path"]]  # no migration status read
