# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret leaks at -vvvv (output, log, results, role summary) and TLS against a private CA."""

import json
import sys

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import TransportError
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.tests.integration.conftest import connection_env, run_ansible_playbook
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import (
    CREDENTIALS,
    EMAIL,
    FULL,
    TOKEN,
    TRACEBACK,
    basic_form,
    presigned_secrets,
)

JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"  # the job of the basic scenario
STATUS = "migrationops.atlassian.migration_task_status"
IDMAPPING = "migrationops.atlassian.idmapping_job"
SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"
OVERRIDES = {"credentials": CREDENTIALS, "s3_base_url": "{scheme}://localhost:{port}"}


def s3_entries(sim):
    return [r for r in sim.requests if r["path"].startswith("/s3/")]


def scan(sim, texts, reliability, name):
    """Assert that no secret is in any of ``texts`` ({place: text}); records how many checks were made."""
    secrets = {TOKEN, basic_form()} | presigned_secrets(sim, s3_entries(sim))
    leaks = [(secret[:6], place) for place, text in texts.items() for secret in secrets if secret in text]
    leaks += [("X-Amz-Signature", place) for place, text in texts.items() if "X-Amz-Signature" in text]
    tracebacks = sum(text.count(TRACEBACK) for text in texts.values())
    reliability(
        kind="leak",
        name="no secret at -vvvv: %s" % name,
        checked=len(secrets) * len(texts),
        leaked=len(leaks),
        tracebacks=tracebacks,
        detail="%d secrets x %d places (%s): %d leaks" % (len(secrets), len(texts), ", ".join(sorted(texts)), len(leaks)),
    )
    assert leaks == [], "secrets leaked: %s" % leaks
    assert tracebacks == 0
    return secrets


def run_texts(run):
    assert "ESTABLISH LOCAL CONNECTION" in run.stdout and run.log, "-vvvv output and ANSIBLE_LOG_PATH must have been written"
    return {"stdout": run.stdout, "stderr": run.stderr, "log": run.log, "results": json.dumps(run.results)}


def test_no_secret_in_status_read_and_wait_with_faults(simulator, run_tasks, reliability):
    sim = simulator("basic", overrides=OVERRIDES)
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "status", "status": 429, "retry_after": 1, "times": 1, "after": 1})
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "status", "status": 503, "times": 1, "after": 1})
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "reset", "times": 1, "after": 1})
    sim.add_fault({"match": {"method": "GET", "path": "/tasks$"}, "kind": "status", "status": 401, "times": 1, "after": 2})
    tasks = [
        {"name": "read", STATUS: {"job_id": JOB, "task_type": "check"}},
        {"name": "wait", STATUS: {"job_id": JOB, "task_type": "migrate", "level": ["migrate"], "wait": True, "wait_sleep": 0}},
        {"name": "denied", STATUS: {"job_id": JOB, "task_type": "check"}},
    ]
    run = run_tasks(connection_env(sim), tasks, extra_args=["-vvvv"])
    assert not run["read"].get("failed") and not run["wait"].get("failed"), run["wait"].get("msg")
    assert run["denied"]["failed"] and "HTTP 401" in run["denied"]["msg"]
    assert sum(1 for r in sim.requests if r.get("fault")) >= 3
    scan(sim, run_texts(run), reliability, "status read, wait with 429/503/reset, 401")


def test_no_secret_when_the_server_echoes_the_authorization_header_or_a_url_has_user_info(simulator, run_tasks, reliability):
    """no_log masks only the literal token: the Basic value an error body echoes, and a password in a
    URL option, must be scrubbed or refused by the collection itself."""
    sim = simulator("basic", overrides=OVERRIDES)
    echo = "headers: Authorization: Basic %s" % basic_form()
    sim.add_fault({"match": {"method": "GET", "path": "/tasks$"}, "kind": "status", "status": 400, "message": echo, "times": 1})
    password = "url-password-4f2e9d7c"
    tasks = [
        {"name": "echo", STATUS: {"job_id": JOB, "task_type": "check"}},
        {"name": "userinfo", IDMAPPING: {"product": "JIRA", "source_url": "https://admin:%s@jira.example.com" % password, "destination_url": DST}},
    ]
    run = run_tasks(connection_env(sim), tasks, extra_args=["-vvvv"])
    assert run["echo"]["failed"] and "HTTP 400" in run["echo"]["msg"] and "<redacted>" in run["echo"]["msg"]
    assert run["userinfo"]["failed"] and "source_url must not contain user info" in run["userinfo"]["msg"]
    assert not [r for r in sim.requests if "id-mappings" in r["path"]]
    texts = run_texts(run)
    leaks = [place for place, text in texts.items() if password in text]
    reliability(kind="leak", name="URL user info refused", checked=len(texts), leaked=len(leaks), detail="password in %d places" % len(leaks))
    assert leaks == []
    scan(sim, texts, reliability, "error body echoing Authorization: Basic")


def test_no_secret_in_idmapping_happy_path_and_failed_download(simulator, run_tasks, tmp_path, reliability):
    sim = simulator("basic", overrides=OVERRIDES)
    reports = tmp_path / "reports"
    reports.mkdir()
    args = {"product": "JIRA", "source_url": SRC, "destination_url": DST, "wait_sleep": 0}
    run = run_tasks(connection_env(sim), [{"name": "ok", IDMAPPING: dict(args, dest=str(reports / "a.csv"))}], extra_args=["-vvvv"])
    assert not run["ok"].get("failed"), run["ok"].get("msg")
    sim.add_fault({"match": {"method": "GET", "path": "^/s3/"}, "kind": "status", "status": 403, "body": "text", "times": 3})
    failed = run_tasks(connection_env(sim), [{"name": "bad", IDMAPPING: dict(args, dest=str(reports / "b.csv"))}], extra_args=["-vvvv"])
    assert failed["bad"]["failed"] and "3 attempts" in failed["bad"]["msg"]
    assert len(s3_entries(sim)) == 4
    texts = run_texts(run)
    texts.update(("failed " + place, text) for place, text in run_texts(failed).items())
    scan(sim, texts, reliability, "idmapping happy path and failed download")


def test_no_secret_in_the_migrate_playbook_and_its_summary(simulator, tmp_path, reliability):
    sim = simulator("basic", overrides=OVERRIDES)
    out = tmp_path / "out"
    extra = {
        "cloud_migration_job_id": JOB,
        "cloud_migration_product": "JIRA",
        "cloud_migration_source_url": SRC,
        "cloud_migration_destination_url": DST,
        "cloud_migration_idmapping_dest": str(out / "jira-id-mappings.csv"),
        "cloud_migration_report_dir": str(out),
        "cloud_migration_heartbeat": 5,
        "cloud_migration_wait_sleep": 0,
        "cloud_migration_wait_timeout": 60,
    }
    if not FULL:
        extra["cloud_migration_steps"] = ["idmapping"]  # CI-sized; RELIABILITY_FULL=1 runs the whole chain
    args = ["-vvvv", "-i", "localhost,", "-e", json.dumps(extra), "-e", json.dumps({"ansible_python_interpreter": sys.executable})]
    proc = run_ansible_playbook(tmp_path, args + ["migrationops.atlassian.migrate"], env=connection_env(sim))
    assert proc.returncode == 0, proc.stdout[-3000:]
    summaries = sorted(out.glob("summary.*"))
    assert [p.name for p in summaries] == ["summary.json", "summary.md"]
    texts = {"stdout": proc.stdout, "stderr": proc.stderr, "log": (tmp_path / "ansible.log").read_text()}
    texts.update((p.name, p.read_text()) for p in summaries)
    assert s3_entries(sim), "the role must have downloaded through a presigned link"
    scan(sim, texts, reliability, "role playbook migrationops.atlassian.migrate")


def test_tls_private_ca(simulator, run_tasks, reliability):
    sim = simulator("basic", overrides={"credentials": CREDENTIALS}, tls=True)
    assert sim.url.startswith("https://") and sim.ca_path
    env = connection_env(sim)
    env.pop("ATLASSIAN_CA_PATH")
    read = {"job_id": JOB, "task_type": "check"}
    tasks = [
        {"name": "default", STATUS: dict(read)},
        {"name": "ca_path", STATUS: dict(read, ca_path=sim.ca_path)},
        {"name": "insecure", STATUS: dict(read, validate_certs=False)},
    ]
    run = run_tasks(env, tasks)
    default, trusted, insecure = run["default"], run["ca_path"], run["insecure"]
    assert default["failed"] and "TLS verification failed" in default["msg"] and "ca_path" in default["msg"], default["msg"]
    assert "internal error" not in default["msg"] and TRACEBACK not in run.stdout + run.stderr
    assert not trusted.get("failed") and trusted["status"] == "FINISHED", trusted.get("msg")
    assert not insecure.get("failed") and insecure["status"] == "FINISHED"
    assert any("validate_certs is false" in warning for warning in insecure.get("warnings", [])), insecure.get("warnings")
    assert not trusted.get("warnings")
    reliability(
        kind="tls", name="TLS with a private CA", detail="default fails naming ca_path; ca_path succeeds; validate_certs=false succeeds and warns"
    )


def test_tls_verification_failure_is_not_retried(simulator):
    sim = simulator("basic", overrides={"credentials": CREDENTIALS}, tls=True)
    delays = []
    client = ApiClient(sim.url, TOKEN, email=EMAIL, retries=5, sleep=delays.append)
    with pytest.raises(TransportError) as caught:
        client.get_json("/migrations/public/v1/jobs/%s/tasks" % JOB)
    assert "ca_path" in str(caught.value)
    assert client.retries_used == 0 and delays == [], "retried %d times, would have slept %.1f s" % (client.retries_used, sum(delays))
