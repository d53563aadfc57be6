"""Faults on demand: every kind, matching, ``after``/``times``, the admin endpoint, /s3."""

import json

import pytest
import requests

JOB_PATH = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45"


def test_status_fault_json_envelope_with_retry_after(basic):
    sim, api = basic
    sim.add_fault({"match": {"method": "GET", "path": "/jobs/"}, "kind": "status", "status": 503, "retry_after": 7})
    response = api.get(JOB_PATH)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["status"] == 503 and response.json()["id"]
    assert api.get(JOB_PATH).status_code == 200  # times defaults to 1
    assert [e["fault"] for e in sim.requests] == ["status", None]


@pytest.mark.parametrize(("body", "content_type"), [("html", "text/html"), ("text", "text/plain"), ("empty", None)])
def test_status_fault_body_kinds(basic, body, content_type):
    sim, api = basic
    sim.add_fault({"kind": "status", "status": 500, "body": body})
    response = api.get(JOB_PATH)
    assert response.status_code == 500
    if content_type:
        assert response.headers["Content-Type"].startswith(content_type)
        assert "500" in response.text
    else:
        assert response.content == b""


def test_status_fault_http_date_retry_after(basic):
    sim, api = basic
    sim.add_fault({"kind": "status", "status": 429, "retry_after": "http-date:30"})
    header = api.get(JOB_PATH).headers["Retry-After"]
    assert header.endswith("GMT")


def test_status_fault_does_not_reach_the_service(basic):
    sim, api = basic
    sim.add_fault({"match": {"method": "POST"}, "kind": "status", "status": 502})
    assert api.post(JOB_PATH + "/tasks", json={"task": "Check"}).status_code == 502
    assert len(api.get(JOB_PATH + "/tasks").json()["data"]) == 2


def test_reset_raises_connection_error(basic):
    sim, api = basic
    sim.add_fault({"match": {"path": "/tasks$"}, "kind": "reset"})
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        api.get(JOB_PATH + "/tasks")
    assert "reset" in str(raised.value).lower()  # an RST, not an orderly close
    assert api.get(JOB_PATH + "/tasks").status_code == 200
    assert sim.requests[0]["fault"] == "reset" and sim.requests[0]["status"] is None


def test_truncate_json_raises_chunked_encoding_error(basic):
    sim, api = basic
    sim.add_fault({"kind": "truncate", "fraction": 0.3})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.get(JOB_PATH + "/tasks")
    entry = sim.requests[0]
    assert entry["fault"] == "truncate" and entry["status"] == 200 and entry["bytes_sent"] > 0


def test_truncate_streaming_download(basic, client):
    sim, api = basic
    job = api.trigger().json()["jobId"]
    for _attempt in range(4):
        api.get("/migrations/reports/v1/id-mappings/" + job)
    url = api.get("/migrations/reports/v1/id-mappings/%s/download" % job).json()["downloadUrl"]
    sim.add_fault({"match": {"path": "^/s3/"}, "kind": "truncate"})
    response = requests.get(url, stream=True, timeout=10)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == sim.report_size(job)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        b"".join(response.iter_content(4096))
    assert sim.requests[-1]["bytes_sent"] == sim.report_size(job) // 2
    assert len(requests.get(url, timeout=10).content) == sim.report_size(job)


def test_slow_fault_triggers_read_timeout(basic):
    sim, api = basic
    sim.add_fault({"kind": "slow", "delay": 0.6})
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get(JOB_PATH, timeout=0.2)
    assert api.get(JOB_PATH, timeout=2).status_code == 200


def test_slow_fault_still_answers_when_the_client_waits(basic):
    sim, api = basic
    sim.add_fault({"kind": "slow", "delay": 0.2})
    response = api.get(JOB_PATH)
    assert response.status_code == 200 and response.json()["name"] == "Sample migration"


def test_malformed_json(basic):
    sim, api = basic
    sim.add_fault({"kind": "malformed_json"})
    response = api.get(JOB_PATH + "/tasks")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(response.text)
    assert response.text.startswith('{"data"')


def test_html_gateway_page(basic):
    sim, api = basic
    sim.add_fault({"kind": "html"})
    response = api.get(JOB_PATH)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text and "502 Bad Gateway" in response.text
    sim.add_fault({"kind": "html", "status": 504})
    assert api.get(JOB_PATH).status_code == 504


def test_after_times_and_registration_order(basic):
    sim, api = basic
    sim.add_fault({"match": {"path": "/jobs/"}, "kind": "status", "status": 500, "after": 1, "times": 2})
    sim.add_fault({"match": {"path": "/jobs/"}, "kind": "status", "status": 503, "times": None})
    codes = [api.get(JOB_PATH).status_code for _attempt in range(5)]
    # request 1 passes the first fault (after: 1) and is taken by the second one
    assert codes == [503, 500, 500, 503, 503]
    sim.clear_faults()
    assert api.get(JOB_PATH).status_code == 200


def test_method_match(basic):
    sim, api = basic
    sim.add_fault({"match": {"method": ["POST"], "path": "/tasks$"}, "kind": "status", "status": 500})
    assert api.get(JOB_PATH + "/tasks").status_code == 200
    assert api.post(JOB_PATH + "/tasks", json={"task": "Check"}).status_code == 500


def test_admin_fault_endpoint_and_validation(basic):
    _sim, api = basic
    response = api.post("/_sim/faults", json={"match": {"path": "health"}, "kind": "status", "status": 500})
    assert response.status_code == 200
    assert api.get("/_sim/health").status_code == 200  # admin paths are never faulted
    response = api.post("/_sim/faults", json=[{"kind": "status", "status": 418}, {"kind": "reset", "after": 5}])
    assert len(response.json()["faults"]) == 3
    assert api.get(JOB_PATH).status_code == 418
    assert api.request("DELETE", "/_sim/faults").status_code == 200
    assert api.get(JOB_PATH).status_code == 200
    bad = api.post("/_sim/faults", json={"kind": "explode"})
    assert bad.status_code == 400 and "kind" in bad.json()["errorMessage"]
    assert api.post("/_sim/faults", json={"kind": "slow", "bogus": 1}).status_code == 400


def test_faults_from_the_scenario(simulator, client):
    sim = simulator("basic", overrides={"faults": [{"kind": "status", "status": 503, "times": 2}]})
    api = client(sim)
    assert [api.get(JOB_PATH).status_code for _attempt in range(3)] == [503, 503, 200]
