"""Request log, admin endpoints, TLS, lifecycle of the ``Simulator`` object."""

import json
import os
import time

import pytest
import requests

try:  # repository checkout
    from tests import simulator as package
except ImportError:  # build copy
    from ansible_collections.migrationops.atlassian.tests import simulator as package

JOB_PATH = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45"
TOKEN = "sim-token-0123456789abcdef"


def test_request_log_entries_and_no_credentials(simulator, client, tmp_path):
    log_file = tmp_path / "requests.jsonl"
    sim = simulator("basic", log_path=str(log_file))
    api = client(sim)
    api.get(JOB_PATH, params={"a": "1"})
    api.get(JOB_PATH, headers={"Authorization": "Bearer " + TOKEN})
    api.get(JOB_PATH, auth=None)
    job_id = api.trigger().json()["jobId"]
    for _attempt in range(4):
        api.get("/migrations/reports/v1/id-mappings/" + job_id)
    url = api.get("/migrations/reports/v1/id-mappings/%s/download" % job_id).json()["downloadUrl"]
    assert requests.get(url, timeout=10).status_code == 200
    entries = sim.requests
    first = entries[0]
    assert set(first) == {"ts", "method", "path", "query", "status", "auth", "bytes_sent", "fault", "rate_limited"}
    assert first["method"] == "GET" and first["path"] == JOB_PATH and first["query"] == {"a": "1"}
    assert first["status"] == 200 and first["auth"] == "basic" and first["bytes_sent"] > 100
    assert first["ts"].endswith("Z") and first["fault"] is None and first["rate_limited"] is False
    assert [e["auth"] for e in entries[:3]] == ["basic", "bearer", None]
    assert entries[2]["status"] == 401
    s3_entry = entries[-1]
    assert s3_entry["path"].startswith("/s3/") and s3_entry["bytes_sent"] == sim.report_size(job_id)
    assert s3_entry["query"]["X-Amz-Signature"] == "REDACTED"
    assert s3_entry["query"]["X-Amz-Credential"] == "REDACTED"
    assert s3_entry["query"]["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    admin = api.get("/_sim/log").json()
    assert admin[: len(entries)] == entries
    # The file gets each entry when its response ends (README), so in the order the responses
    # ended; on a loaded machine the server's threads may not have got there yet, not even for the
    # first entry, which creates the file.
    deadline = time.monotonic() + 5
    while True:
        text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
        lines = [json.loads(line) for line in text.splitlines()]
        logged = [line for line in lines if not line["path"].startswith("/_sim/")]
        if len(logged) >= len(entries) or time.monotonic() > deadline:
            break
        time.sleep(0.05)

    def canonical(entry):
        return json.dumps(entry, sort_keys=True)

    assert sorted(logged, key=canonical) == sorted(entries, key=canonical)
    everything = log_file.read_text(encoding="utf-8") + json.dumps(admin) + json.dumps(entries)
    signature = url.split("X-Amz-Signature=")[1]
    for secret in (TOKEN, signature, "ZGVtb0BleGFtcGxlLmNvbTpzaW0tdG9rZW4"):  # token, signature, base64 prefix
        assert secret not in everything
    sim.clear_log()
    assert sim.requests == []


def test_admin_endpoints(basic):
    _sim, api = basic
    assert api.get("/_sim/health").json() == {"status": "ok", "scenario": "basic"}
    api.get(JOB_PATH)
    assert len(api.get("/_sim/log").json()) == 2
    assert api.request("DELETE", "/_sim/log").json() == []
    clock = api.post("/_sim/clock", json={"advance": 90}).json()
    assert clock["advanced"] == 90 and clock["sim_seconds"] >= 90 and clock["mode"] == "polls"
    assert api.post("/_sim/clock", json={"advance": -1}).status_code == 400
    api.trigger()
    state = api.get("/_sim/state").json()
    assert state["scenario"] == "basic" and state["idmapping"]["trigger_count"] == 1
    task = state["jobs"][0]["tasks"][0]
    assert set(task) == {"task_id", "type", "tick", "status", "outcome"}
    assert api.get("/_sim/nope").status_code == 404


def test_tls_with_ca_verification(simulator, client):
    sim = simulator("basic", tls=True)
    assert sim.url.startswith("https://127.0.0.1:")
    assert os.path.exists(sim.ca_path)
    assert "BEGIN CERTIFICATE" in open(sim.ca_path, encoding="ascii").read()
    api = client(sim)
    assert api.get(JOB_PATH).status_code == 200
    localhost = sim.url.replace("127.0.0.1", "localhost")
    assert requests.get(localhost + "/_sim/health", verify=sim.ca_path, timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url + "/_sim/health", timeout=10)  # not trusted by the system store
    assert sim.env["ATLASSIAN_CA_PATH"] == sim.ca_path
    ca_path = sim.ca_path
    sim.stop()
    assert not os.path.exists(ca_path)


def test_context_manager_and_env():
    with package.Simulator("basic") as sim:
        assert requests.get(sim.url + "/_sim/health", timeout=10).status_code == 200
        assert sim.env == {
            "ATLASSIAN_API_URL": sim.url,
            "ATLASSIAN_EMAIL": "demo@example.com",
            "ATLASSIAN_API_TOKEN": TOKEN,
        }
        url = sim.url
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/_sim/health", timeout=2)


def test_start_returns_once_it_serves():
    sim = package.Simulator("demo")
    sim.start()
    try:
        assert requests.get(sim.url + "/_sim/health", timeout=2).status_code == 200
    finally:
        sim.stop()
