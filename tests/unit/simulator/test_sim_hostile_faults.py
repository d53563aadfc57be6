"""The faults of a hostile server: redirect, drip, huge body, endless cursor, odd Retry-After and X-RateLimit-Reset."""

import re
import time

import pytest

try:  # the simulator is imported as tests.simulator when run from the repository root
    from tests.simulator import ScenarioError
except ImportError:
    from ansible_collections.migrationops.atlassian.tests.simulator import ScenarioError

JOB_PATH = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45"


def test_redirect_fault_answers_with_location_and_never_reaches_the_service(basic):
    sim, api = basic
    sim.add_fault({"match": {"path": "/tasks$"}, "kind": "redirect", "status": 307, "location": "http://other.example/steal"})
    response = api.get(JOB_PATH + "/tasks", allow_redirects=False)
    assert response.status_code == 307 and response.headers["Location"] == "http://other.example/steal"
    assert sim.requests[0]["fault"] == "redirect"


def test_drip_fault_sends_the_real_body_one_byte_per_delay(basic):
    sim, api = basic
    sim.add_fault({"match": {"path": "/tasks$"}, "kind": "drip", "delay": 0.01})
    started = time.monotonic()
    response = api.get(JOB_PATH + "/tasks")
    size = len(response.content)
    assert response.status_code == 200 and len(response.json()["data"]) == 2
    assert time.monotonic() - started >= size * 0.01 * 0.9


def test_huge_fault_streams_a_large_valid_json_object(basic):
    sim, api = basic
    sim.add_fault({"kind": "huge", "size_bytes": 3 * 1024 * 1024 + 5})
    response = api.get(JOB_PATH, stream=True)
    assert response.headers["Content-Length"] == str(3 * 1024 * 1024 + 5)
    body = response.content
    assert len(body) == 3 * 1024 * 1024 + 5 and body.startswith(b'{"pad": "xxx') and body.endswith(b'"}')


def test_endless_cursor_fault_gives_a_new_next_link_every_page(basic):
    sim, api = basic
    sim.add_fault({"match": {"path": "/tasks$"}, "kind": "endless_cursor", "times": None})
    links = [api.get(JOB_PATH + "/tasks", params={"cursor": str(n)}).json()["links"]["next"] for n in range(3)]
    assert len(set(links)) == 3 and all(link.startswith("?cursor=") for link in links)
    assert api.get(JOB_PATH + "/tasks").json()["data"] == []


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-5", "soon", 86400])
def test_retry_after_sent_verbatim(basic, value):
    sim, api = basic
    sim.add_fault({"kind": "status", "status": 429, "retry_after": value})
    assert api.get(JOB_PATH).headers["Retry-After"] == str(value)


def test_rate_limit_reset_in_atlassian_format(basic):
    sim, api = basic
    sim.add_fault({"kind": "status", "status": 429, "rate_limit_reset": 30})
    sim.add_fault({"kind": "status", "status": 429, "rate_limit_reset": "2024-08-01T12:30Z"})
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$", api.get(JOB_PATH).headers["X-RateLimit-Reset"])
    assert api.get(JOB_PATH).headers["X-RateLimit-Reset"] == "2024-08-01T12:30Z"


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "redirect", "status": 200, "location": "x"},
        {"kind": "redirect"},
        {"kind": "drip", "delay": -1},
        {"kind": "huge", "size_bytes": -1},
        {"kind": "endless_cursor", "body": []},
        {"kind": "status", "status": 429, "rate_limit_reset": -3},
    ],
)
def test_bad_hostile_faults_are_refused(basic, fault):
    sim, dummy = basic
    with pytest.raises(ScenarioError):
        sim.add_fault(fault)


def test_huge_fault_is_not_held_in_memory(basic):
    sim, api = basic
    sim.add_fault({"kind": "huge", "size_bytes": 300 * 1024 * 1024})
    with api.get(JOB_PATH, stream=True) as response:
        first = next(response.iter_content(65536))
    assert first.startswith(b'{"pad"')


@pytest.mark.parametrize(("fault", "text"), [({"body": [1, 2]}, "[1, 2]"), ({"text": '{"a": NaN}'}, '{"a": NaN}'), ({"body": None}, "null")])
def test_json_fault_answers_any_json_value_or_text(basic, fault, text):
    sim, api = basic
    sim.add_fault(dict(fault, kind="json"))
    response = api.get(JOB_PATH)
    assert response.status_code == 200 and response.text == text and response.headers["Content-Type"].startswith("application/json")


def test_json_fault_needs_body_or_text(basic):
    sim, dummy = basic
    with pytest.raises(ScenarioError):
        sim.add_fault({"kind": "json"})
