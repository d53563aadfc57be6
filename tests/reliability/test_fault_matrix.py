# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault matrix: every operation x every fault ends in recovery or a clean failure, within budget.

The modules' ``run(module, client)`` is driven in-process with a real ApiClient talking HTTP to a
real simulator; only the retry sleep is shortened (the delays asked for are recorded). A few
cases go through real ansible-playbook at the end.
"""

import hashlib
import os
import time

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError
from ansible_collections.migrationops.atlassian.plugins.module_utils._module import client_from_params
from ansible_collections.migrationops.atlassian.plugins.modules import idmapping_job, migration_task_status
from ansible_collections.migrationops.atlassian.tests.integration.conftest import connection_env
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import CREDENTIALS, FULL, TRACEBACK, FakeModule, SleepRecorder

JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
TASK = "00000132-0319-a3cb-a391-52d37934aaaa"
SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"
RETRIES = 3
TIMEOUT = 0.5
BUDGET = 20.0  # seconds any one case may take, recovery or failure
PREVIOUS = b"entityType,serverId,cloudId\nprevious report, kept byte for byte\n"

# name -> (fault spec without match, words of which one must name the cause in a failure)
FAULTS = {
    "429 + Retry-After": ({"kind": "status", "status": 429, "retry_after": 1, "times": 2}, ["HTTP 429"]),
    "429, no Retry-After": ({"kind": "status", "status": 429, "times": 2}, ["HTTP 429"]),
    "503 burst < budget": ({"kind": "status", "status": 503, "times": RETRIES - 1}, ["HTTP 503"]),
    "502 burst > budget": ({"kind": "status", "status": 502, "times": 2 * (RETRIES + 1) - 1}, ["HTTP 502"]),
    "connection reset": ({"kind": "reset", "times": 2}, ["connection"]),
    "read timeout": ({"kind": "slow", "delay": TIMEOUT * 3, "times": 1}, ["request_timeout", "timed out"]),
    "truncated body": ({"kind": "truncate", "times": 1}, ["broke", "cut short", "malformed"]),
    "malformed JSON": ({"kind": "malformed_json", "times": 1}, ["malformed JSON", "JSON object", "cut short"]),
    "HTML error page": ({"kind": "html", "status": 502, "times": 1}, ["HTML"]),
    "401": ({"kind": "status", "status": 401, "times": 1}, ["HTTP 401"]),
    "403": ({"kind": "status", "status": 403, "times": 1}, ["HTTP 403"]),
}
# expiry is real: simulated time jumps past the TTL right before the operation
EXPIRIES = {
    "expired link": ("download", ["expired", "AccessDenied"]),
    "expired job": ("job poll", ["expired", "not found"]),
    "expired report": ("link request", ["expired", "not available"]),
}

# operation -> (method, path regex, what names the operation in a message)
OPERATIONS = {
    "status read": ("GET", "/status$", "/status"),
    "status wait": ("GET", "/status$", "/status"),
    "task resolution": ("GET", "/tasks$", "/tasks"),
    "trigger": ("POST", "/trigger$", "/trigger"),
    "job poll": ("GET", "/id-mappings/[^/]+$", "/id-mappings/"),
    "link request": ("GET", "/download$", "/download"),
    "download": ("GET", "^/s3/", "download"),
}
TRANSIENT = {"429 + Retry-After", "429, no Retry-After", "503 burst < budget", "connection reset", "read timeout", "truncated body"}
TRANSIENT |= {"malformed JSON", "HTML error page"}
# What must happen; a case not listed may end either way, but cleanly.
MUST_RECOVER = {
    "status read": TRANSIENT,
    "status wait": TRANSIENT | {"502 burst > budget"},
    "task resolution": TRANSIENT,
    "trigger": {"429 + Retry-After", "429, no Retry-After"},
    "job poll": TRANSIENT | {"502 burst > budget", "expired job"},
    "link request": TRANSIENT | {"expired report"},
    "download": TRANSIENT | {"401", "403", "expired link"},
}
MUST_FAIL = {
    "status read": {"401", "403", "502 burst > budget"},
    "status wait": {"401", "403"},
    "task resolution": {"401", "403", "502 burst > budget"},
    # a POST the server may have acted on is never repeated
    "trigger": {"503 burst < budget", "502 burst > budget", "connection reset", "read timeout", "truncated body", "malformed JSON"},
    "job poll": {"401", "403"},
    "link request": {"401", "403"},
    "download": set(),
}
MUST_FAIL["trigger"] |= {"HTML error page", "401", "403"}


def scenario(**idmapping):
    section = {"jobs": [{"pending_polls": 0, "in_progress_polls": 1, "result": "SUCCESS", "report": {"rows": 300}}]}
    section.update(idmapping)
    tree = {"finish": 2, "children": {"A": {"outcome": "SUCCESS"}, "B": {"outcome": "WARNING", "message": "a warning"}}}
    return {
        "name": "fault-matrix",
        "clock": "polls",
        "credentials": CREDENTIALS,
        "jobs": [{"job_id": JOB, "tasks": [{"task_id": TASK, "type": "check", "created_at": "2026-11-01T10:00:00Z", "tree": tree}]}],
        "idmapping": section,
    }


def connection(sim):
    return {
        "api_url": sim.url,
        "email": CREDENTIALS[0]["email"],
        "api_token": CREDENTIALS[0]["api_token"],
        "validate_certs": True,
        "ca_path": None,
        "request_timeout": TIMEOUT,
        "retries": RETRIES,
    }


def status_params(sim, operation):
    params = connection(sim)
    params.update(
        job_id=JOB,
        task_id=None if operation == "task resolution" else TASK,
        task_type="check" if operation == "task resolution" else None,
        level=[],
        expand_children=True,
        wait=operation == "status wait",
        wait_timeout=10,
        wait_sleep=0,
        wait_for_children=False,
        fail_on_outcomes=[],
        fail_on_timeout=True,
        summary_only=False,
        heartbeat=0,
    )
    return params


def idmapping_params(sim, dest):
    params = connection(sim)
    params.update(
        product="JIRA",
        source_url=SRC,
        destination_url=DST,
        job_id=None,
        dest=str(dest),
        force=True,
        wait=True,
        wait_timeout=10,
        wait_sleep=0,
        retrigger=True,
        fail_on_timeout=True,
    )
    return params


class Expire:
    """Wraps an IdMappingApi method: the first call jumps simulated time past every TTL first."""

    def __init__(self, sim, method):
        self.sim = sim
        self.method = method
        self.done = False

    def __call__(self, *args):
        if not self.done:
            self.done = True
            self.sim.advance(7200)
        return self.method(*args)


def run_idmapping(sim, params, expire=None):
    module = FakeModule(params)
    sleep = SleepRecorder()
    client = client_from_params(params, module.warn, sleep=sleep)
    original = idmapping_job.IdMappingApi

    class Api(original):  # pylint: disable=too-few-public-methods
        def __init__(self, client):
            super(Api, self).__init__(client)
            if expire:
                setattr(self, expire, Expire(sim, getattr(self, expire)))

    idmapping_job.IdMappingApi = Api
    try:
        return idmapping_job.run(module, client), client, sleep, module
    finally:
        idmapping_job.IdMappingApi = original


def run_case(sim, operation, tmp_path, expire=None):
    """(outcome, result or error, client, sleep recorder): drives the module's run() in-process."""
    dest = tmp_path / "report.csv"
    dest.write_bytes(PREVIOUS)
    if operation in ("status read", "status wait", "task resolution"):
        params = status_params(sim, operation)
        module = FakeModule(params)
        sleep = SleepRecorder()
        client = client_from_params(params, module.warn, sleep=sleep)

        def call():
            return migration_task_status.run(module, client)

    else:
        params = idmapping_params(sim, dest)
        holder = {}

        def call():
            result, holder["client"], holder["sleep"], dummy = run_idmapping(sim, params, expire)
            return result

        client = sleep = None
    try:
        value = call()
        outcome = "recovered"
    except AtlassianError as exc:
        value, outcome = exc, "failed cleanly"
    except Exception as exc:  # pylint: disable=broad-except  # anything else would be a traceback in Ansible
        value, outcome = exc, "traceback"
    if client is None:
        client, sleep = holder.get("client"), holder.get("sleep")
    return outcome, value, client, sleep, dest


CASES = [(op, fault) for op in OPERATIONS for fault in FAULTS] + [(op, name) for name, (op, dummy) in EXPIRIES.items()]


def check_result(sim, operation, result, dest):
    if operation == "status read":
        assert result["task_id"] == TASK and result["status"] in ("IN_PROGRESS", "FINISHED") and result["tree"]
    elif operation in ("status wait",):
        assert result["finished"] and result["outcome"] == "WARNING" and result["counts"]["WARNING"] == 1
    elif operation == "task resolution":
        assert result["task_id"] == TASK and result["status"]
    else:
        assert result["status"] == "SUCCESS" and result["changed"] is True
        assert result["sha256"] == sim.report_sha256(result["job_id"]) == hashlib.sha256(dest.read_bytes()).hexdigest()


@pytest.mark.parametrize("operation,fault", CASES)
def test_fault_matrix(simulator, tmp_path, reliability, operation, fault):
    method, path, names = OPERATIONS[operation]
    expire = None
    if fault in EXPIRIES:
        overrides = {"expired link": {}, "expired job": {"job_ttl": 3600}, "expired report": {"report_ttl": 3600}}[fault]
        sim = simulator(scenario(**overrides))
        expire = {"expired link": "open_download", "expired job": "job_status", "expired report": "download_link"}[fault]
        causes = EXPIRIES[fault][1]
    else:
        sim = simulator(scenario())
        spec, causes = FAULTS[fault]
        sim.add_fault(dict(spec, match={"method": method, "path": path}, after=1 if operation == "status wait" else 0))
    started = time.monotonic()
    outcome, value, client, sleep, dest = run_case(sim, operation, tmp_path, expire)
    seconds = time.monotonic() - started
    lost = 0
    if outcome == "recovered" and operation not in ("status read", "status wait", "task resolution"):
        if hashlib.sha256(dest.read_bytes()).hexdigest() != sim.report_sha256(value["job_id"]):
            outcome, lost = "wrong report saved", 1
    injected = sum(f["fired"] for f in sim.state["faults"])
    order = list(OPERATIONS).index(operation)
    fault_order = (list(FAULTS) + list(EXPIRIES)).index(fault)
    reliability(
        kind="fault",
        operation=operation,
        fault=fault,
        outcome=outcome,
        retries=client.retries_used if client else 0,
        seconds=round(seconds, 2),
        injected=injected if expire is None else 1,
        order=order,
        fault_order=fault_order,
        data_lost=lost,
    )
    assert outcome != "traceback", "%s under %s raised %r" % (operation, fault, value)
    assert lost == 0, "%s under %s lost or replaced the previous report" % (operation, fault)
    assert seconds < BUDGET
    assert expire is not None or injected >= 1, "the fault never fired: the case proves nothing"
    idmapping = operation not in ("status read", "status wait", "task resolution")
    if idmapping:
        leftovers = sorted(name for name in os.listdir(str(tmp_path)) if name != "report.csv" and not name.startswith(".report.csv.idmapping"))
        assert leftovers == [], "temporary files left behind: %s" % leftovers
        expected_triggers = 2 if fault in ("expired job", "expired report") else 1
        assert sim.idmapping_trigger_count <= expected_triggers, "duplicate trigger"
    if outcome == "recovered":
        check_result(sim, operation, value, dest)
    else:
        message = str(value)
        assert names in message, "the failure does not name the operation (%s): %s" % (names, message)
        assert any(word.lower() in message.lower() for word in causes), "the failure does not name the cause (%s): %s" % (causes, message)
        if idmapping:
            assert dest.read_bytes() == PREVIOUS, "the previous report was damaged"
    if fault == "429 + Retry-After" and client is not None and client.retries_used:
        assert 1.0 in sleep.delays, "Retry-After was not honoured: %s" % sleep.delays
    if operation in MUST_RECOVER and fault in MUST_RECOVER[operation]:
        assert outcome == "recovered", "%s should survive %s: %s" % (operation, fault, value)
    if fault in MUST_FAIL.get(operation, ()):
        assert outcome == "failed cleanly", "%s should fail on %s" % (operation, fault)


PLAYBOOK_CASES = [("status wait", "503 burst < budget"), ("trigger", "connection reset")]
if FULL:
    PLAYBOOK_CASES += [("status read", "502 burst > budget"), ("download", "truncated body")]


@pytest.mark.parametrize("operation,fault", PLAYBOOK_CASES, ids=["%s-%s" % case for case in PLAYBOOK_CASES])
def test_fault_matrix_through_ansible_playbook(simulator, run_tasks, tmp_path, reliability, operation, fault):
    """The same contract through real ansible-playbook: fail_json, no traceback, dest intact."""
    method, path, names = OPERATIONS[operation]
    sim = simulator(scenario())
    spec, causes = FAULTS[fault]
    sim.add_fault(dict(spec, match={"method": method, "path": path}, after=1 if operation == "status wait" else 0))
    reports = tmp_path / "reports"
    reports.mkdir()
    dest = reports / "report.csv"
    dest.write_bytes(PREVIOUS)
    common = {"request_timeout": TIMEOUT, "retries": RETRIES}
    if operation.startswith("status"):
        args = dict(common, job_id=JOB, task_id=TASK, wait=operation == "status wait", wait_sleep=0, wait_timeout=30)
        task = {"name": "op", "migrationops.atlassian.migration_task_status": args}
    else:
        args = dict(common, product="JIRA", source_url=SRC, destination_url=DST, dest=str(dest), force=True, wait_sleep=0, wait_timeout=30)
        task = {"name": "op", "migrationops.atlassian.idmapping_job": args}
    started = time.monotonic()
    run = run_tasks(connection_env(sim), [task])
    seconds = time.monotonic() - started
    result = run["op"]
    outcome = "failed cleanly" if result.get("failed") else "recovered"
    tracebacks = (run.stdout + run.stderr).count(TRACEBACK) + int(TRACEBACK in str(result.get("exception", "")) or "module_stderr" in result)
    injected = sum(f["fired"] for f in sim.state["faults"])
    reliability(
        kind="fault",
        operation=operation,
        fault=fault,
        outcome=outcome if not tracebacks else "traceback",
        retries=(result.get("error") or {}).get("retries", "-"),
        seconds=round(seconds, 2),
        injected=injected,
        order=list(OPERATIONS).index(operation),
        fault_order=(list(FAULTS) + list(EXPIRIES)).index(fault),
        via="ansible-playbook",
        tracebacks=tracebacks,
    )
    assert tracebacks == 0, run.stdout[-3000:]
    assert injected >= 1
    if outcome == "failed cleanly":
        assert names in result["msg"] and any(word in result["msg"] for word in causes), result["msg"]
        assert "internal error" not in result["msg"]
    if operation in ("download", "trigger"):
        assert sorted(os.listdir(str(reports))) in (["report.csv"], [".report.csv.idmapping.json", "report.csv"])
        assert sim.idmapping_trigger_count <= 1
        if outcome == "failed cleanly":
            assert dest.read_bytes() == PREVIOUS
        else:
            assert hashlib.sha256(dest.read_bytes()).hexdigest() == sim.report_sha256(result["job_id"])
    expected = "recovered" if fault in MUST_RECOVER[operation] else "failed cleanly" if fault in MUST_FAIL[operation] else outcome
    assert outcome == expected, result.get("msg")
