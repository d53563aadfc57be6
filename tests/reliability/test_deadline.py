# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One deadline, bounded answers, no redirects: a hostile simulator against the modules, in-process, real time.

Each case runs a module's ``run_module`` (argument defaults from its own spec) over real HTTP with
the real clock and sleeps, and must end, returning or failing cleanly, within its bound: with
``wait`` ``wait_timeout + request_timeout + 10`` s (contract, "One deadline"), without it the
few seconds the case needs. Records feed the fault table and the "hangs" figure.
"""

import base64
import time

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils import _module
from ansible_collections.migrationops.atlassian.plugins.modules import idmapping_job, migration_task_status
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import CREDENTIALS, EMAIL, TOKEN, TRACEBACK, FakeModule

JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
TASK = "00000132-0319-a3cb-a391-52d37934aaaa"
REQUEST_TIMEOUT = 1.0
WAIT_TIMEOUT = 3
WAIT_BOUND = WAIT_TIMEOUT + REQUEST_TIMEOUT + 10
BASIC = base64.b64encode(("%s:%s" % (EMAIL, TOKEN)).encode()).decode()
ORDER = 20  # after the fault matrix's operations in the figures table


class Ended(Exception):
    pass


class RunModule(FakeModule):
    """FakeModule with the exits of AnsibleModule, so that the whole run_module path is exercised."""

    def fail_json(self, **result):
        self.result = dict(result, failed=True)
        raise Ended()

    def exit_json(self, **result):
        self.result = result
        raise Ended()


def scenario():
    tree = {"finish": None, "children": {"A": {"finish": None}}}  # never finishes: every wait runs to its end
    return {
        "clock": "polls",
        "credentials": CREDENTIALS,
        "jobs": [{"job_id": JOB, "tasks": [{"task_id": TASK, "type": "check", "tree": tree}]}],
        "idmapping": {"jobs": [{"pending_polls": 0, "in_progress_polls": 0, "result": "SUCCESS", "report": {"rows": 10}}]},
    }


def params_for(module, sim, **options):
    params = dict((name, spec.get("default")) for name, spec in module.argument_spec().items())
    params.update(api_url=sim.url, email=EMAIL, api_token=TOKEN, request_timeout=REQUEST_TIMEOUT, retries=5)
    params.update(options)
    return params


def run_module(module, params):
    fake = RunModule(params)
    started = time.monotonic()
    with pytest.raises(Ended):
        _module.run_module(fake, module.run)
    return fake.result, time.monotonic() - started, fake.warnings


def status_params(sim, **options):
    options.setdefault("job_id", JOB)
    options.setdefault("task_id", TASK)
    return params_for(migration_task_status, sim, **options)


# name -> (fault, module options, bound in seconds, words one of which the message must contain)
WAITING = dict(wait=True, wait_timeout=WAIT_TIMEOUT, wait_sleep=1)
TIMED_OUT = ["timed out", "not finished"]
CASES = {
    "Retry-After 86400, wait": (
        {"kind": "status", "status": 429, "retry_after": 86400, "times": None},
        WAITING,
        WAIT_BOUND,
        TIMED_OUT + ["429"],
    ),
    "Retry-After 86400, no wait": ({"kind": "status", "status": 429, "retry_after": 86400, "times": None}, {}, 5, ["retry in 86400 s"]),
    "429 storm, Retry-After 1, wait": (
        {"kind": "status", "status": 429, "retry_after": 1, "times": None},
        WAITING,
        WAIT_BOUND,
        TIMED_OUT + ["429"],
    ),
    "Retry-After inf, no wait": ({"kind": "status", "status": 429, "retry_after": "inf", "times": None}, {"retries": 2}, 8, ["HTTP 429"]),
    "X-RateLimit-Reset far, no wait": (
        {"kind": "status", "status": 429, "rate_limit_reset": 3600, "times": None},
        {},
        5,
        ["retry in"],
    ),
    "body dripped 1 byte/0.2 s, wait": (
        {"kind": "drip", "delay": 0.2, "times": None},
        WAITING,
        WAIT_BOUND,
        TIMED_OUT + ["request_timeout"],
    ),
    "body dripped, no wait": ({"kind": "drip", "delay": 0.2, "times": None}, {"retries": 1}, 4 * REQUEST_TIMEOUT + 3, ["whole request"]),
    "endless links.next, wait": (
        {"kind": "endless_cursor", "body": {"data": {"status": "IN_PROGRESS", "children": {}}}, "times": None, "after": 1},
        WAITING,
        WAIT_BOUND,
        TIMED_OUT + ["deadline"],
    ),
    "300 MiB answer": ({"kind": "huge", "times": None}, {}, 10, ["larger than 8 MiB"]),
    "307 to another host": (
        {"kind": "redirect", "status": 307, "location": "https://other.example:8443/x?sig=s"},
        {},
        5,
        ["https://other.example:8443"],
    ),
    # Asking again gets the same answer: a wait ends at once instead of at wait_timeout.
    "307 to another host, wait": (
        {"kind": "redirect", "status": 307, "location": "https://other.example:8443/x?sig=s", "times": None},
        WAITING,
        WAIT_TIMEOUT - 1,
        ["https://other.example:8443"],
    ),
    "302 to an unparsable Location": ({"kind": "redirect", "status": 302, "location": "http://[bad/x?sig=s"}, {}, 5, ["Location"]),
    "endless links.next to another host, wait": (
        {"kind": "json", "body": {"data": {"status": "IN_PROGRESS", "children": {}}, "links": {"next": "https://other.example/n"}}, "times": None},
        WAITING,
        WAIT_TIMEOUT - 1,
        ["another host"],
    ),
    "1e999 in JSON": ({"kind": "json", "text": '{"data": {"status": "FINISHED", "percent": 1e999}}'}, {}, 5, ["out of range"]),
    "nested JSON": ({"kind": "json", "text": "[" * 200000 + "]" * 200000}, {}, 5, ["nested too deeply"]),
    "JSON array": ({"kind": "json", "body": [{"status": "FINISHED"}]}, {}, 5, ["JSON array"]),
    "NaN in JSON": ({"kind": "json", "text": '{"data": {"status": "FINISHED", "percent": NaN}}'}, {}, 5, ["NaN"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_server_against_one_deadline(simulator, reliability, name):
    fault, options, bound, words = CASES[name]
    sim = simulator(scenario())
    sim.add_fault(dict(fault, match={"method": "GET", "path": "/status$"}))
    result, seconds, warnings = run_module(migration_task_status, status_params(sim, **options))
    message = result.get("msg", "")
    text = repr(result) + repr(warnings)
    tracebacks = text.count(TRACEBACK) + text.count("internal error")
    outcome = "failed cleanly" if result.get("failed") and not tracebacks else ("traceback" if tracebacks else "recovered")
    injected = sum(f["fired"] for f in sim.state["faults"])
    reliability(
        kind="fault",
        operation="status (hostile server)",
        fault=name,
        outcome=outcome,
        retries=(result.get("error") or {}).get("retries", "-"),
        seconds=round(seconds, 2),
        injected=injected,
        order=ORDER,
        fault_order=list(CASES).index(name),
        bound=bound,
        hung=int(seconds > bound),
    )
    assert seconds <= bound, "%s: the call took %.1f s, its bound is %s s" % (name, seconds, bound)
    assert injected >= 1
    assert outcome == "failed cleanly", result
    assert any(word in message for word in words), message
    assert "malformed" not in message or name not in ("nested JSON", "JSON array", "NaN in JSON", "1e999 in JSON")
    if name.startswith("307 to another host"):
        assert "sig=s" not in message and "/x" not in message.split("other.example:8443", 1)[1][:3]
    if name == "300 MiB answer":
        sent = max(entry["bytes_sent"] for entry in sim.requests)
        assert sent < 100 * 1024 * 1024, "the client read %d bytes of the huge answer" % sent


@pytest.mark.parametrize(
    "option,value", [("request_timeout", float("inf")), ("request_timeout", float("nan")), ("request_timeout", 1e308), ("wait_timeout", 10**308)]
)
def test_absurd_timeouts_fail_before_any_request(simulator, reliability, option, value):
    sim = simulator(scenario())
    result, seconds, dummy = run_module(migration_task_status, status_params(sim, wait=True, **{option: value}))
    reliability(kind="input", name="absurd %s" % option, inputs=1, detail="%s=%s: %s" % (option, value, result.get("msg", "")[:60]))
    assert result["failed"] and result["msg"].startswith(option) and sim.requests == []
    assert seconds < 5


def test_download_redirect_to_plain_http_elsewhere_is_refused(simulator, tmp_path, reliability):
    sim = simulator(scenario())
    sim.add_fault({"match": {"path": "^/s3/"}, "kind": "redirect", "status": 302, "location": "http://example.invalid/report.csv", "times": None})
    params = params_for(
        idmapping_job,
        sim,
        product="JIRA",
        source_url="https://jira.example.com",
        destination_url="https://example.atlassian.net",
        dest=str(tmp_path / "report.csv"),
        wait_sleep=0,
        wait_timeout=30,
    )
    result, seconds, dummy = run_module(idmapping_job, params)
    reliability(
        kind="fault",
        operation="download (hostile server)",
        fault="302 to plain http on another host",
        outcome="failed cleanly" if result.get("failed") else "wrong result",
        retries="-",
        seconds=round(seconds, 2),
        injected=sum(f["fired"] for f in sim.state["faults"]),
        order=ORDER + 1,
        fault_order=0,
        bound=40,
        hung=int(seconds > 40),
    )
    assert result["failed"] and "only https" in result["msg"], result
    assert not (tmp_path / "report.csv").exists()


def test_an_error_body_echoing_the_credentials_is_scrubbed(simulator, reliability):
    sim = simulator(scenario())
    echo = "bad request, headers were Authorization: Basic %s" % BASIC
    sim.add_fault({"match": {"path": "/status$"}, "kind": "status", "status": 400, "message": echo, "times": None})
    result, dummy, warnings = run_module(migration_task_status, status_params(sim))
    texts = {"msg": result.get("msg", ""), "result": repr(result), "warnings": repr(warnings)}
    secrets = (TOKEN, BASIC, "Basic " + BASIC)
    leaks = [(secret[:6], place) for place, text in texts.items() for secret in secrets if secret in text]
    reliability(
        kind="leak",
        name="error body echoing Authorization",
        checked=len(secrets) * len(texts),
        leaked=len(leaks),
        detail="%d forms x %d places: %d leaks" % (len(secrets), len(texts), len(leaks)),
    )
    assert result["failed"] and "HTTP 400" in result["msg"] and "<redacted>" in result["msg"]
    assert leaks == []


def test_bearer_on_the_migration_api_warns_and_a_401_says_why(simulator, reliability):
    sim = simulator(scenario())
    first, dummy, warnings = run_module(migration_task_status, status_params(sim, email=None))
    refusing = simulator(dict(scenario(), bearer_allowed={"mapi": False}))
    second, dummy, dummy_warnings = run_module(migration_task_status, status_params(refusing, email=None))
    reliability(kind="input", name="Bearer on the Migration API", inputs=2, detail="warned once; the 401 names Basic and email")
    assert not first.get("failed") and len(warnings) == 1 and "ATLASSIAN_EMAIL" in warnings[0]
    assert second["failed"] and "HTTP 401" in second["msg"] and "Basic" in second["msg"] and "email" in second["msg"]
