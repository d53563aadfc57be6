"""The command line: listening line, export lines, --ready-file, --set, --log, --tls, signals."""

import json
import os
import signal
import subprocess
import sys
import time

import requests

JOB_PATH = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45"
TOKEN = "sim-token-0123456789abcdef"
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def start(*args):
    command = [sys.executable, "-m", "tests.simulator", "--port", "0", *args]
    return subprocess.Popen(  # pylint: disable=consider-using-with
        command, cwd=COLLECTION_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop(process):
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_cli_serves_until_sigterm(tmp_path):
    ready = tmp_path / "ready"
    log_file = tmp_path / "requests.jsonl"
    process = start(
        "--scenario", "basic", "--ready-file", str(ready), "--log", str(log_file), "--set", "pagination.task_page_size=1"
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not ready.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        url = ready.read_text(encoding="utf-8").strip()
        response = requests.get(url + JOB_PATH + "/tasks", auth=("demo@example.com", TOKEN), timeout=10)
        assert response.status_code == 200 and len(response.json()["data"]) == 1  # --set applied
        process.send_signal(signal.SIGTERM)
        stdout, _stderr = process.communicate(timeout=10)
    finally:
        stop(process)
    assert process.returncode == 0
    lines = stdout.splitlines()
    assert lines[0] == "migrationops simulator listening on %s (scenario basic)" % url
    assert "export ATLASSIAN_API_URL=%s" % url in lines
    assert "export ATLASSIAN_EMAIL=demo@example.com" in lines
    assert "export ATLASSIAN_API_TOKEN=%s" % TOKEN in lines
    assert any("0bacecde-372e-4d84-8d79-d66433b8fa45" in line and "check task" in line for line in lines)
    assert json.loads(log_file.read_text(encoding="utf-8").splitlines()[0])["status"] == 200


def test_cli_rejects_bad_scenarios():
    result = subprocess.run(
        [sys.executable, "-m", "tests.simulator", "--scenario", "nope", "--port", "0"],
        cwd=COLLECTION_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "unknown scenario" in result.stderr


def test_cli_tls_prints_the_ca_path():
    process = start("--scenario", "basic", "--tls")
    try:
        lines = []
        while not lines or not lines[-1].startswith("job "):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.rstrip("\n"))
        env = dict(line[len("export ") :].split("=", 1) for line in lines if line.startswith("export "))
        assert env["ATLASSIAN_API_URL"].startswith("https://127.0.0.1:")
        health = requests.get(env["ATLASSIAN_API_URL"] + "/_sim/health", verify=env["ATLASSIAN_CA_PATH"], timeout=10)
        assert health.json()["scenario"] == "basic"
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        stop(process)
    assert process.returncode == 0
    assert not os.path.exists(env["ATLASSIAN_CA_PATH"])
