"""Report formats (csv, jsonl, zip), content types, framings, encodings and cuts of the S3-like download."""

import hashlib
import io
import json
import socket
import zipfile
import zlib
from urllib.parse import urlsplit

import pytest
import requests

try:  # repository checkout
    from tests import simulator as package
    from tests.simulator.report import Report
except ImportError:  # build copy
    from ansible_collections.migrationops.atlassian.tests import simulator as package
    from ansible_collections.migrationops.atlassian.tests.simulator.report import Report

IDM = "/migrations/reports/v1/id-mappings"


def served(simulator, client, **report):
    report.setdefault("rows", 200)
    jobs = [{"pending_polls": 0, "in_progress_polls": 0, "result": "SUCCESS", "report": report}]
    sim = simulator("basic", overrides={"idmapping": {"jobs": jobs}})
    api = client(sim)
    job_id = api.trigger().json()["jobId"]
    api.get("%s/%s" % (IDM, job_id))
    return sim, job_id, api.get("%s/%s/download" % (IDM, job_id)).json()["downloadUrl"]


def raw_answer(url):
    """Status line, headers and body bytes exactly as sent, read until the server closes (as asked)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(("GET %s?%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (parts.path, parts.query, parts.netloc)).encode())
        data = b""
        while True:
            piece = conn.recv(65536)
            if not piece:
                return data
            data += piece


@pytest.mark.parametrize("report_format,content_type", [("csv", "text/csv"), ("jsonl", "application/x-ndjson"), ("zip", "application/zip")])
def test_each_format_has_its_type_and_matches_report_sha256(simulator, client, report_format, content_type):
    sim, job_id, url = served(simulator, client, format=report_format)
    answer = requests.get(url, timeout=10)
    assert answer.headers["Content-Type"] == content_type and int(answer.headers["Content-Length"]) == sim.report_size(job_id)
    assert hashlib.sha256(answer.content).hexdigest() == sim.report_sha256(job_id)
    assert urlsplit(url).path.endswith("/report.%s" % report_format)
    if report_format == "jsonl":
        lines = answer.content.decode().splitlines()
        meta = json.loads(lines[0])
        assert (
            meta["table"] == "jira:issue"
            and meta["rowCount"] == 200
            and [c["name"] for c in meta["columns"]] == ["entityType", "sourceId", "targetId"]
        )
        assert len(lines) == 201 and len({len(line) for line in lines[1:]}) == 1
        assert set(json.loads(lines[1])) == {"entityType", "sourceId", "targetId"}
    if report_format == "zip":
        archive = zipfile.ZipFile(io.BytesIO(answer.content))
        assert archive.namelist() == ["id_mapping-jira/jira_issue.jsonl"]
        assert archive.read(archive.namelist()[0]) == b"".join(Report(job_id, rows=200, report_format="jsonl").chunks())


def test_large_jsonl_reports_are_streamed_by_blocks_like_csv():
    report = Report("job", rows=40000, report_format="jsonl")
    body = b"".join(report.chunks())
    assert len(body) == report.size and body.count(b"\n") == 40001
    assert len(set(body.splitlines()[1:])) == 40000, "every row differs"


def test_content_type_is_configurable(simulator, client):
    _sim, _job, url = served(simulator, client, format="jsonl", content_type="application/json")
    assert requests.get(url, timeout=10).headers["Content-Type"] == "application/json"


def test_chunked_and_close_delimited_framings(simulator, client):
    sim, job_id, url = served(simulator, client, framing="chunked")
    head, _sep, body = raw_answer(url).partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head and body.endswith(b"0\r\n\r\n")
    sim, job_id, url = served(simulator, client, framing="close")
    head, _sep, body = raw_answer(url).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length" not in head and b"Transfer-Encoding" not in head
    assert hashlib.sha256(body).hexdigest() == sim.report_sha256(job_id)


@pytest.mark.parametrize("encoding,wbits", [("gzip", 16 + zlib.MAX_WBITS), ("deflate", zlib.MAX_WBITS)])
def test_encoded_reports_decode_to_the_report(simulator, client, encoding, wbits):
    sim, job_id, url = served(simulator, client, content_encoding=encoding)
    head, _sep, body = raw_answer(url).partition(b"\r\n\r\n")
    assert ("Content-Encoding: %s" % encoding).encode() in head and ("Content-Length: %d" % len(body)).encode() in head
    decoder = zlib.decompressobj(wbits)
    assert hashlib.sha256(decoder.decompress(body)).hexdigest() == sim.report_sha256(job_id) and decoder.eof


def test_cuts_are_framed_consistently(simulator, client):
    sim, job_id, url = served(simulator, client, content_encoding="gzip", framing="close", cut_at=0.5)
    body = raw_answer(url).partition(b"\r\n\r\n")[2]
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    decoded = decoder.decompress(body)
    assert not decoder.eof and hashlib.sha256(decoded).hexdigest() != sim.report_sha256(job_id), "the gzip stream must end early"
    sim, job_id, url = served(simulator, client, framing="chunked", cut_at=0.5)
    body = raw_answer(url).partition(b"\r\n\r\n")[2]
    assert body and not body.endswith(b"0\r\n\r\n"), "a cut chunked body has no final chunk"
    sim, job_id, url = served(simulator, client, cut_at=0.25)
    answer = requests.get(url, timeout=10)
    assert int(answer.headers["Content-Length"]) == len(answer.content) == int(sim.report_size(job_id) * 0.25)


@pytest.mark.parametrize(
    "report,needle",
    [
        ({"rows": 1, "format": "xml"}, "format"),
        ({"rows": 1, "framing": "gzip"}, "framing"),
        ({"rows": 1, "content_encoding": "br"}, "content_encoding"),
        ({"rows": 1, "cut_at": 1}, "cut_at"),
    ],
)
def test_bad_served_settings_are_scenario_errors(simulator, report, needle):
    with pytest.raises(package.ScenarioError, match=needle):
        simulator("basic", overrides={"idmapping": {"jobs": [{"report": report}]}})
