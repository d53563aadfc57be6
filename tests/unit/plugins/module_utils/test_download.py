# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest
import requests

from ansible_collections.migrationops.atlassian.plugins.module_utils._download import (
    DownloadFailed,
    FreshLinkDownloader,
    LocalFileError,
    file_digest,
    redact_signature,
    remove_stale_parts,
    stream_to_temp,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

SIGNED = "https://s3.example.test/bucket/report.csv?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=deadbeefsignature"


class FakeResponse:
    """Stands in for a streamed requests.Response: chunks (bytes or an exception to raise) and headers."""

    def __init__(self, chunks, headers=None, content_length=True):
        self.chunks = list(chunks)
        self.headers = dict(headers or {})
        if content_length and "Content-Length" not in self.headers:
            self.headers["Content-Length"] = str(sum(len(c) for c in self.chunks if isinstance(c, bytes)))
        self.closed = False
        self.chunk_sizes = []

    def iter_content(self, chunk_size=1):
        self.chunk_sizes.append(chunk_size)
        for chunk in self.chunks:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk

    def close(self):
        self.closed = True


def leftovers(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.endswith(".part"))


def test_streams_exact_bytes_and_sha256_into_a_hidden_temp_beside_dest(tmp_path):
    body = [b"source,target\n", b"", b"10001,20001\n" * 1000]
    response = FakeResponse(body)
    dest = tmp_path / "report.csv"
    path, size, sha = stream_to_temp(response, str(dest), "GET /s3/x", chunk_size=4096)
    data = b"".join(body)
    assert open(path, "rb").read() == data
    assert size == len(data) and sha == hashlib.sha256(data).hexdigest()
    assert os.path.dirname(path) == str(tmp_path)
    assert os.path.basename(path).startswith(".report.csv.") and path.endswith(".part")
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    assert response.closed and response.chunk_sizes == [4096]
    assert not dest.exists()


def test_default_chunk_size_is_bounded(tmp_path):
    response = FakeResponse([b"x"])
    stream_to_temp(response, str(tmp_path / "r"), None)
    assert 0 < response.chunk_sizes[0] <= 8 * 1024 * 1024


def test_short_body_is_refused_and_the_temp_removed(tmp_path):
    response = FakeResponse([b"abc"], headers={"Content-Length": "10"})
    with pytest.raises(UnexpectedResponseError) as info:
        stream_to_temp(response, str(tmp_path / "r.csv"), "GET /s3/r.csv")
    assert "3 of the 10 bytes" in str(info.value) and "GET /s3/r.csv" in str(info.value)
    assert leftovers(tmp_path) == [] and response.closed


def test_longer_body_than_announced_is_refused(tmp_path):
    with pytest.raises(UnexpectedResponseError, match="more than"):
        stream_to_temp(FakeResponse([b"abcdef"], headers={"Content-Length": "2"}), str(tmp_path / "r"), None)
    assert leftovers(tmp_path) == []


def test_broken_iterator_becomes_a_transport_error_and_the_temp_is_removed(tmp_path):
    broken = requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead(3 bytes read, 7 more expected)")
    response = FakeResponse([b"abc", broken], headers={"Content-Length": "10"})
    with pytest.raises(TransportError) as info:
        stream_to_temp(response, str(tmp_path / "r"), "GET /s3/r")
    assert "connection broke" in str(info.value)
    assert leftovers(tmp_path) == [] and response.closed


def test_any_exception_removes_the_temp(tmp_path):
    response = FakeResponse([b"abc", KeyboardInterrupt()], content_length=False)
    with pytest.raises(KeyboardInterrupt):
        stream_to_temp(response, str(tmp_path / "r"), None)
    assert leftovers(tmp_path) == []


def test_no_content_length_or_an_encoded_body_is_not_length_checked(tmp_path):
    _path, size, _sha = stream_to_temp(FakeResponse([b"abc"], content_length=False), str(tmp_path / "a"), None)
    assert size == 3
    encoded = FakeResponse([b"decoded bytes"], headers={"Content-Length": "5", "Content-Encoding": "gzip"})
    _path, size, _sha = stream_to_temp(encoded, str(tmp_path / "b"), None)
    assert size == len(b"decoded bytes")


def test_invalid_content_length_is_refused(tmp_path):
    with pytest.raises(UnexpectedResponseError, match="Content-Length"):
        stream_to_temp(FakeResponse([b"abc"], headers={"Content-Length": "many"}), str(tmp_path / "r"), None)
    assert leftovers(tmp_path) == []


def test_write_failure_is_a_local_file_error(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(LocalFileError, match="No space left"):
        stream_to_temp(FakeResponse([b"abc"]), str(tmp_path / "r"), None)
    monkeypatch.undo()
    assert leftovers(tmp_path) == []


def test_missing_directory_is_a_local_file_error(tmp_path):
    with pytest.raises(LocalFileError, match="cannot create a temporary file"):
        stream_to_temp(FakeResponse([b"abc"]), str(tmp_path / "missing" / "r"), None)


def test_stale_parts_of_this_dest_are_removed_and_nothing_else(tmp_path):
    stale = [".report.csv.0123abcd.part", ".report.csv.ffffffff.part"]
    kept = [".report.csv.x.0123abcd.part", ".other.csv.0123abcd.part", "report.csv", ".report.csv.idmapping.json", ".report.csv.short.part"]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    removed = remove_stale_parts(str(tmp_path / "report.csv"))
    assert sorted(os.path.basename(p) for p in removed) == stale
    assert sorted(os.listdir(str(tmp_path))) == sorted(kept)


def test_stale_cleanup_tolerates_a_missing_directory(tmp_path):
    assert remove_stale_parts(str(tmp_path / "missing" / "r")) == []


def test_file_digest_streams_an_existing_file(tmp_path):
    data = os.urandom(3 * 1024 + 7)
    (tmp_path / "r").write_bytes(data)
    assert file_digest(str(tmp_path / "r"), chunk_size=1024) == (len(data), hashlib.sha256(data).hexdigest())
    with pytest.raises(LocalFileError):
        file_digest(str(tmp_path / "missing"))


def test_redact_signature_removes_query_and_its_values():
    text = "GET https://s3.example.test/bucket/report.csv?X-Amz-Signature=deadbeefsignature failed; <SignatureProvided>deadbeefsignature"
    redacted = redact_signature(text, SIGNED)
    assert "deadbeefsignature" not in redacted and "AKIDEXAMPLE" not in redacted
    assert "https://s3.example.test/bucket/report.csv" in redacted


class Links:
    """get_link/open_link for FreshLinkDownloader from scripts of links and responses (or exceptions)."""

    def __init__(self, links, responses):
        self.links = list(links)
        self.responses = list(responses)
        self.opened = []

    def get_link(self):
        answer = self.links.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def open_link(self, url):
        self.opened.append(url)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer, "GET /s3/report"


def test_downloader_asks_a_fresh_link_after_each_failure(tmp_path):
    warnings = []
    expired = PermissionDeniedError("S3 AccessDenied: Request has expired", status=403)
    short = FakeResponse([b"ab"], headers={"Content-Length": "5"})
    links = Links([SIGNED + "1", SIGNED + "2", SIGNED + "3"], [expired, short, FakeResponse([b"hello"])])
    downloader = FreshLinkDownloader(str(tmp_path / "r"), warnings.append, 3)
    path, size, _sha = downloader.fetch(links.get_link, links.open_link, "job J")
    assert open(path, "rb").read() == b"hello" and size == 5
    assert links.opened == [SIGNED + "1", SIGNED + "2", SIGNED + "3"]
    assert len(warnings) == 2 and all("fresh link" in w for w in warnings)
    assert "S3 AccessDenied: Request has expired" in warnings[0]
    assert not any("deadbeef" in w for w in warnings)


def test_downloader_gives_up_after_three_attempts_in_all(tmp_path):
    reset = TransportError("the connection broke")
    links = Links([SIGNED] * 5, [reset, reset, reset, reset])
    downloader = FreshLinkDownloader(str(tmp_path / "r"), lambda msg: None, 3)
    with pytest.raises(DownloadFailed) as info:
        downloader.fetch(links.get_link, links.open_link, "ID mapping report job J")
    assert "job J in 3 attempts" in str(info.value) and "connection broke" in str(info.value)
    assert len(links.opened) == 3
    with pytest.raises(DownloadFailed):
        downloader.fetch(links.get_link, links.open_link, "job J")
    assert len(links.opened) == 3, "the budget is for the whole run"
    assert leftovers(tmp_path) == []


def test_downloader_lets_a_gone_report_through_and_counts_it(tmp_path):
    links = Links([NotFoundError("Report file not available"), SIGNED], [FakeResponse([b"x"])])
    downloader = FreshLinkDownloader(str(tmp_path / "r"), lambda msg: None, 3)
    with pytest.raises(NotFoundError):
        downloader.fetch(links.get_link, links.open_link, "job J")
    downloader.fetch(links.get_link, links.open_link, "job J")
    assert downloader.used == 2


def test_downloader_retries_transient_link_errors_but_not_local_errors(tmp_path):
    links = Links([ServerError("Internal Server Error", status=500), SIGNED], [FakeResponse([b"x"])])
    downloader = FreshLinkDownloader(str(tmp_path / "r"), lambda msg: None, 3)
    assert downloader.fetch(links.get_link, links.open_link, "job J")[1] == 1
    failing = Links([SIGNED, SIGNED], [FakeResponse([b"x"]), FakeResponse([b"x"])])
    downloader = FreshLinkDownloader(str(tmp_path / "missing" / "r"), lambda msg: None, 3)
    with pytest.raises(LocalFileError):
        downloader.fetch(failing.get_link, failing.open_link, "job J")
    assert len(failing.opened) == 1


def test_downloader_removes_stale_parts_before_the_first_attempt(tmp_path):
    (tmp_path / ".r.0123abcd.part").write_text("left by a killed run")
    links = Links([SIGNED], [FakeResponse([b"x"])])
    path = FreshLinkDownloader(str(tmp_path / "r"), lambda msg: None, 3).fetch(links.get_link, links.open_link, "job J")[0]
    assert leftovers(tmp_path) == [os.path.basename(path)]
