"""ID Mapping API lifecycle, validation, expiry, and the presigned S3-like download."""

import hashlib
import time
import uuid
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests

IDM = "/migrations/reports/v1/id-mappings"


def poll_until(api, job_id, wanted, limit=10):
    seen = []
    for _attempt in range(limit):
        status = api.get("%s/%s" % (IDM, job_id)).json()["status"]
        seen.append(status)
        if status == wanted:
            return seen
    raise AssertionError(seen)


def ready_job(api):
    job_id = api.trigger().json()["jobId"]
    poll_until(api, job_id, "SUCCESS")
    return job_id, api.get("%s/%s/download" % (IDM, job_id)).json()


def assert_404(response, message):
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == 404 and body["errorMessage"] == message
    uuid.UUID(body["id"])


def test_full_lifecycle_and_served_body_matches_report_sha256(basic):
    sim, api = basic
    response = api.trigger()
    assert response.status_code == 202
    job_id = response.json()["jobId"]
    assert response.json() == {"jobId": job_id, "status": "PENDING"}
    assert sim.idmapping_trigger_count == 1
    assert poll_until(api, job_id, "SUCCESS") == ["PENDING", "IN_PROGRESS", "IN_PROGRESS", "SUCCESS"]
    assert api.get("%s/%s" % (IDM, job_id)).json() == {"jobId": job_id, "status": "SUCCESS"}
    link = api.get("%s/%s/download" % (IDM, job_id)).json()
    assert set(link) == {"jobId", "downloadUrl", "expiresIn"} and link["expiresIn"] == 3600
    query = parse_qs(urlsplit(link["downloadUrl"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-SignedHeaders"] == ["host"]
    assert query["X-Amz-Expires"] == ["3600"] and len(query["X-Amz-Signature"][0]) == 64
    report = requests.get(link["downloadUrl"], timeout=10)
    assert report.status_code == 200
    assert report.headers["Content-Type"] == "text/csv"
    assert report.headers["ETag"].startswith('"')
    assert int(report.headers["Content-Length"]) == len(report.content) == sim.report_size(job_id)
    assert hashlib.sha256(report.content).hexdigest() == sim.report_sha256(job_id)
    lines = report.content.decode().splitlines()
    assert lines[0] == "entityType,serverId,cloudId" and len(lines) == 251
    assert lines[1].startswith("jira:issue,") and len({len(line) for line in lines[1:]}) == 1
    head = requests.head(link["downloadUrl"], timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(sim.report_size(job_id))


def test_report_is_deterministic_per_job_and_differs_between_jobs(basic):
    sim, api = basic
    first, _link = ready_job(api)
    second, _link = ready_job(api)
    assert sim.report_sha256(first) != sim.report_sha256(second)
    assert sim.report_size(first) == sim.report_size(second)
    from_scratch = type(sim.app.idmapping.report(first))(first, rows=250)
    assert from_scratch.sha256() == sim.report_sha256(first)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"product": "jira", "destinationURL": "https://a.atlassian.net", "sourceURL": "https://j.a.com"}, "Product must be CONFLUENCE or JIRA"),
        ({"destinationURL": "https://a.atlassian.net", "sourceURL": "https://j.a.com"}, "Product must be CONFLUENCE or JIRA"),
        ({"product": "JIRA", "destinationURL": "https://a.atlassian.net/", "sourceURL": "https://j.a.com"}, "destinationURL must not end"),
        ({"product": "JIRA", "destinationURL": "a.atlassian.net", "sourceURL": "https://j.a.com"}, "destinationURL must be a full URL"),
        ({"product": "JIRA", "destinationURL": "http://a.atlassian.net", "sourceURL": "https://j.a.com"}, "destinationURL must be a full URL"),
        ({"product": "CONFLUENCE", "destinationURL": "https://a.atlassian.net"}, "sourceURL is required"),
        ([1, 2], "Request body must be a JSON object"),
    ],
)
def test_trigger_validation(basic, body, error):
    sim, api = basic
    response = api.post(IDM + "/trigger", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["status"] == 400 and payload["errorMessage"] == "Validation failed"
    assert any(message.startswith(error) for message in payload["errors"]), payload["errors"]
    uuid.UUID(payload["id"])
    assert sim.idmapping_trigger_count == 0


def test_plain_http_urls_can_be_allowed(simulator, client):
    api = client(simulator("basic", overrides={"idmapping": {"require_https_urls": False}}))
    assert api.trigger(dest="http://a.example", source="http://j.example").status_code == 202


def test_behaviours_per_trigger_error_and_pending_forever(simulator, client):
    jobs = [
        {"pending_polls": 0, "in_progress_polls": 1, "result": "ERROR"},
        {"pending_polls": 0, "in_progress_polls": 0, "result": "SUCCESS", "report": {"rows": 3}},
        {"result": "PENDING"},
    ]
    api = client(simulator("basic", overrides={"idmapping": {"jobs": jobs}}))
    failed, succeeded, stuck, stuck_too = (api.trigger().json()["jobId"] for _attempt in range(4))
    assert poll_until(api, failed, "ERROR") == ["IN_PROGRESS", "ERROR"]
    assert_404(api.get("%s/%s/download" % (IDM, failed)), "Report file not available. The report may have been deleted or expired.")
    assert poll_until(api, succeeded, "SUCCESS") == ["SUCCESS"]
    assert [api.get("%s/%s" % (IDM, stuck)).json()["status"] for _attempt in range(20)] == ["PENDING"] * 20
    assert api.get("%s/%s" % (IDM, stuck_too)).json()["status"] == "PENDING"  # the last behaviour repeats


def test_unknown_job_and_download_before_success(basic):
    _sim, api = basic
    assert_404(api.get(IDM + "/nope"), "Job not found with ID: nope. The job ID may be incorrect or expired.")
    job_id = api.trigger().json()["jobId"]
    assert_404(api.get("%s/%s/download" % (IDM, job_id)), "Report file not available. The report may have been deleted or expired.")


def test_job_ttl_expires_jobs(simulator, client):
    sim = simulator("basic", overrides={"idmapping": {"job_ttl": 600}})
    api = client(sim)
    job_id = api.trigger().json()["jobId"]
    assert api.get("%s/%s" % (IDM, job_id)).status_code == 200
    sim.advance(601)
    message = "Job not found with ID: %s. The job ID may be incorrect or expired." % job_id
    assert_404(api.get("%s/%s" % (IDM, job_id)), message)


def test_report_ttl_expires_download_and_object(simulator, client):
    sim = simulator("basic", overrides={"idmapping": {"report_ttl": 300}})
    api = client(sim)
    job_id, link = ready_job(api)
    sim.advance(301)
    assert_404(api.get("%s/%s/download" % (IDM, job_id)), "Report file not available. The report may have been deleted or expired.")
    gone = requests.get(link["downloadUrl"], timeout=10)
    assert gone.status_code == 404 and "<Code>NoSuchKey</Code>" in gone.text
    assert api.get("%s/%s" % (IDM, job_id)).json()["status"] == "SUCCESS"  # the job itself lives on


def test_link_expiry_uses_link_valid_seconds_and_fresh_links_work(simulator, client):
    sim = simulator("basic", overrides={"idmapping": {"link_valid_seconds": 60}})
    api = client(sim)
    job_id, link = ready_job(api)
    assert link["expiresIn"] == 3600  # what the API reports ...
    sim.advance(61)  # ... but the link is only valid for 60 s
    expired = requests.get(link["downloadUrl"], timeout=10)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text and "Request has expired" in expired.text
    fresh = api.get("%s/%s/download" % (IDM, job_id)).json()["downloadUrl"]
    assert requests.get(fresh, timeout=10).status_code == 200


def test_link_expires_in_real_time(simulator, client):
    api = client(simulator("basic", overrides={"idmapping": {"link_expires_in": 1}}))
    _job_id, link = ready_job(api)
    time.sleep(2.05)
    assert requests.get(link["downloadUrl"], timeout=10).status_code == 403


def test_s3_refuses_authorization_header_and_bad_signatures(basic):
    _sim, api = basic
    _job_id, link = ready_job(api)
    url = link["downloadUrl"]
    with_auth = requests.get(url, auth=api.auth, timeout=10)
    assert with_auth.status_code == 400
    assert "<Code>InvalidArgument</Code>" in with_auth.text and "Only one auth mechanism allowed" in with_auth.text
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    query["X-Amz-Signature"] = ["0" * 64]
    forged = urlunsplit(parts._replace(query="&".join("%s=%s" % (k, v[0]) for k, v in query.items())))
    bad = requests.get(forged, timeout=10)
    assert bad.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in bad.text
    longer = url.replace("X-Amz-Expires=3600", "X-Amz-Expires=99999")
    assert requests.get(longer, timeout=10).status_code == 403  # the validity is signed
    unsigned = requests.get(parts._replace(query="").geturl(), timeout=10)
    assert unsigned.status_code == 403 and "<Code>AccessDenied</Code>" in unsigned.text


def test_s3_base_url_serves_links_under_another_host_name(simulator, client):
    sim = simulator("basic", overrides={"s3_base_url": "{scheme}://localhost:{port}"})
    api = client(sim)
    _job_id, link = ready_job(api)
    assert link["downloadUrl"].startswith("http://localhost:%d/s3/" % sim.port)
    assert requests.get(link["downloadUrl"], timeout=10).status_code == 200


def test_preexisting_jobs(simulator, client):
    preexisting = [
        {"job_id": "old-ok", "status": "SUCCESS", "report": {"rows": 10}},
        {"job_id": "old-err", "status": "ERROR"},
    ]
    sim = simulator("basic", overrides={"idmapping": {"preexisting": preexisting}})
    api = client(sim)
    assert api.get(IDM + "/old-ok").json()["status"] == "SUCCESS"
    assert api.get(IDM + "/old-err").json()["status"] == "ERROR"
    link = api.get(IDM + "/old-ok/download").json()["downloadUrl"]
    assert hashlib.sha256(requests.get(link, timeout=10).content).hexdigest() == sim.report_sha256("old-ok")
    assert sim.idmapping_trigger_count == 0


def test_large_report_streams_whole(simulator, client):
    # How fast it streams is measured by benchmarks/bench_download.py, not asserted here.
    size = 100 * 1024 * 1024
    jobs = [{"pending_polls": 0, "in_progress_polls": 0, "report": {"size_bytes": size}}]
    sim = simulator("basic", overrides={"idmapping": {"jobs": jobs}})
    api = client(sim)
    job_id, link = ready_job(api)
    assert size - 64 < sim.report_size(job_id) <= size
    digest = hashlib.sha256()
    with requests.get(link["downloadUrl"], stream=True, timeout=30) as response:
        for chunk in response.iter_content(1024 * 1024):
            digest.update(chunk)
    assert digest.hexdigest() == sim.report_sha256(job_id)
