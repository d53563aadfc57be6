# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""API answers read by the collection's own bounded body reader, over real HTTP on loopback.

urllib3 up to 2.6.3 (the module target's pin) reads a chunk-size line without a bound and may
decode a gzip body without one; these answers must fail with the reader's own messages, in
bounded memory, whatever urllib3 the execution environment has.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import threading
import time
import tracemalloc
import zlib

import pytest
import requests

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    BadRequestError,
    NotFoundError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient

TOKEN = "api-body-bounds-token-7c2e9f41d0"
MIB = 1024 * 1024


class ScriptedServer:
    """Answers requests on loopback with scripted bytes, on as many connections as the client opens.

    Each answer is ``(pieces, then)``: the bytes to send (status line, headers and body as the
    test frames them; a float is a pause of that many seconds) and ``keep`` (the connection waits for the next request) or ``close``.
    ``requests`` holds the head of every request received; ``connections`` counts connections.
    """

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        self.connections = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.listener.settimeout(10)
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    def _serve(self):
        try:
            while self.answers:
                conn, dummy = self.listener.accept()
                self.connections += 1
                with conn:
                    self._answer(conn)
        except OSError:
            pass
        finally:
            self.listener.close()

    def _answer(self, conn):
        conn.settimeout(10)
        pending = b""
        while self.answers:
            while b"\r\n\r\n" not in pending:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
            head, pending = pending.split(b"\r\n\r\n", 1)
            length = [int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            while len(pending) < sum(length):
                pending += conn.recv(65536)
            pending = pending[sum(length) :]
            self.requests.append(head.decode("latin-1"))
            pieces, then = self.answers.pop(0)
            try:
                for piece in pieces:
                    if isinstance(piece, float):
                        time.sleep(piece)
                    else:
                        conn.sendall(piece)
            except OSError:
                return
            if then == "close":
                return

    def stop(self):
        self.answers = []
        self.thread.join(10)


@pytest.fixture
def serve():
    servers = []

    def start(*answers):
        servers.append(ScriptedServer(answers))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def client_of(server, retries=0, timeout=5):
    return ApiClient(server.url, TOKEN, email="admin@example.com", timeout=timeout, policy=BackoffPolicy(retries=retries), sleep=lambda s: None)


def head(status="200 OK", *lines):
    return ("\r\n".join(("HTTP/1.1 %s" % status,) + lines) + "\r\n\r\n").encode("latin-1")


def with_length(status, body, *lines):
    return [head(status, "Content-Type: application/json", "Content-Length: %d" % len(body), *lines) + body]


def chunked(body, size=7, trailer=b""):
    pieces = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(pieces) + b"0\r\n" + trailer + b"\r\n"


def gzipped(data):
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def peak_of(function):
    """(what ``function`` raised, the peak of Python's traced memory while it ran, in bytes)."""
    tracemalloc.start()
    try:
        function()
    except Exception as exc:  # pylint: disable=broad-except
        return exc, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    raise AssertionError("no error raised")


OK = json.dumps({"ok": True}).encode()


def test_an_endless_chunk_size_line_fails_at_once_in_bounded_memory(serve):
    line = b"1" * MIB
    server = serve(
        (with_length("200 OK", OK), "keep"), ([head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked")] + [line] * 16, "close")
    )
    client = client_of(server, retries=2)
    assert client.get_json("/x") == {"ok": True}  # what a first request imports is not measured
    error, peak = peak_of(lambda: client.get_json("/x"))
    assert isinstance(error, UnexpectedResponseError) and not isinstance(error, TransportError)
    assert "GET /x: HTTP 200 the answer's chunked encoding is malformed (a line over 4096 bytes)" in str(error)
    assert "download" not in str(error)
    assert len(server.requests) == 2  # the same answer would come back: not retried
    assert peak < 2 * MIB  # not the 16 MiB line


def test_a_gzip_bomb_is_refused_at_the_cap_without_decoding_it_all(serve):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(compressor.compress(bytes(MIB)) for dummy in range(256)) + compressor.flush()  # 256 MiB once decoded
    server = serve((with_length("200 OK", OK), "keep"), (with_length("200 OK", bomb, "Content-Encoding: gzip"), "close"))
    client = client_of(server, retries=2)
    assert client.get_json("/x") == {"ok": True}
    error, peak = peak_of(lambda: client.get_json("/x"))
    assert isinstance(error, UnexpectedResponseError)
    assert "the answer is larger than 8 MiB once decoded (Content-Encoding gzip): refused without reading the rest" in str(error)
    assert len(server.requests) == 2
    assert peak < 24 * MIB


CUT_ANSWERS = {
    # A chunk announced longer than what arrives before the connection closes.
    "inside a chunk": (head("200 OK", "Transfer-Encoding: chunked") + b"40\r\n" + OK, "the answer ended inside a chunk after 12 bytes"),
    # Whole chunks, and the connection closes before the final one.
    "before the final chunk": (
        head("200 OK", "Transfer-Encoding: chunked") + chunked(OK)[:-5],
        "the answer ended after 12 bytes, before its final chunk",
    ),
    "short of its length": (head("200 OK", "Content-Length: 100") + OK, "the answer ended after 12 of the 100 bytes announced by Content-Length"),
    "a gzip stream cut short": (
        head("200 OK", "Content-Encoding: gzip", "Connection: close") + gzipped(OK)[:-4],  # the JSON whole, not the gzip trailer
        "the gzip-encoded answer ended before the end of its gzip stream",
    ),
}


@pytest.mark.parametrize("cut", sorted(CUT_ANSWERS))
def test_an_answer_cut_short_is_retried_on_a_get_like_a_read_timeout(serve, cut):
    answer, message = CUT_ANSWERS[cut]
    server = serve(([answer], "close"), (with_length("200 OK", OK), "close"))
    client = client_of(server, retries=1)
    assert client.get_json("/x") == {"ok": True}
    assert len(server.requests) == 2 and client.retries_used == 1
    server = serve(([answer], "close"), ([answer], "close"))
    client = client_of(server, retries=1)
    with pytest.raises(TransportError) as info:
        client.get_json("/x")
    assert "GET /x: %s" % message in str(info.value) and "(cut short) after 1 retry" in str(info.value)
    assert "download" not in str(info.value)


def test_an_answer_cut_short_after_a_post_is_not_retried(serve):
    answer, message = CUT_ANSWERS["inside a chunk"]
    server = serve(([answer], "close"), (with_length("200 OK", OK), "close"))
    with pytest.raises(TransportError) as info:
        client_of(server, retries=3).post_json("/migrations/public/v1/jobs", {"name": "m"})
    assert message in str(info.value) and len(server.requests) == 1


ERROR = json.dumps({"errorMessage": "the JQL of the plan is invalid"}).encode()


@pytest.mark.parametrize(
    "framing",
    [
        lambda body: ["Content-Length: %d" % len(body)],
        lambda body: ["Transfer-Encoding: chunked"],
        # The message is all there, and the connection closes before the announced length.
        lambda body: ["Content-Length: %d" % (len(body) + 50)],
    ],
    ids=["length", "chunked", "cut after the message"],
)
def test_a_gzip_error_body_is_still_described(serve, framing):
    encoded = gzipped(ERROR)
    lines = ["Content-Type: application/json", "Content-Encoding: gzip"] + framing(encoded)
    body = chunked(encoded) if "Transfer-Encoding: chunked" in lines else encoded
    server = serve(([head("400 Bad Request", *lines) + body], "close"))
    with pytest.raises(BadRequestError) as info:
        client_of(server, retries=2).get_json("/x")
    assert "GET /x: HTTP 400 the JQL of the plan is invalid" in str(info.value)


def test_an_error_body_over_the_cap_is_cut_and_still_described(serve):
    encoded = gzipped(json.dumps({"errorMessage": "x" * (4 * MIB)}).encode())
    server = serve((with_length("200 OK", OK), "keep"), (with_length("503 Service Unavailable", encoded, "Content-Encoding: gzip"), "close"))
    client = client_of(server)
    assert client.get_json("/x") == {"ok": True}
    error, peak = peak_of(lambda: client.get_json("/x"))
    assert "HTTP 503 malformed JSON (the answer was cut short or corrupted)" in str(error)
    assert peak < 4 * MIB


def test_a_body_dripped_within_every_read_timeout_ends_at_request_timeout_and_is_retried(serve):
    drip = [head("200 OK", "Content-Type: application/json", "Content-Length: %d" % (len(OK) + 60))]
    for byte in OK + b" " * 60:  # 3.6 s in all, each byte far within the 1 s read timeout
        drip += [bytes((byte,)), 0.05]
    server = serve((drip, "close"), (drip, "close"))
    with pytest.raises(TransportError) as info:
        client_of(server, retries=1, timeout=1).get_json("/x")
    assert "GET /x: the answer was not complete within 1s: request_timeout bounds a whole request" in str(info.value)
    assert "after 1 retry" in str(info.value) and len(server.requests) == 2


def test_an_answer_read_whole_leaves_its_connection_for_the_next_request(serve):
    keep = [
        (with_length("200 OK", OK), "keep"),
        ([head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked") + chunked(OK, trailer=b"X-Trailer: t\r\n")], "keep"),
        (with_length("200 OK", gzipped(OK), "Content-Encoding: gzip"), "keep"),
        (with_length("404 Not Found", ERROR), "keep"),
        (with_length("200 OK", OK), "close"),
    ]
    server = serve(*keep)
    client = client_of(server)
    for dummy in range(3):
        assert client.get_json("/x") == {"ok": True}
    with pytest.raises(NotFoundError, match="the JQL of the plan is invalid"):
        client.get_json("/x")
    assert client.get_json("/x") == {"ok": True}
    assert len(server.requests) == 5 and server.connections == 1


def test_a_no_content_answer_on_a_kept_alive_connection_is_read_as_empty_at_once(serve):
    server = serve(([head("204 No Content")], "keep"), (with_length("200 OK", OK), "close"))
    client = client_of(server, timeout=3)
    with pytest.raises(UnexpectedResponseError) as info:
        client.post_json("/migrations/public/v1/jobs", {})
    assert "expected a JSON object, got an empty answer" in str(info.value)  # not a wait for the connection to close
    assert client.get_json("/x") == {"ok": True} and server.connections == 1


@pytest.mark.parametrize(
    "lines,message",
    [
        (["Content-Encoding: br", "Content-Length: 3"], "the answer uses Content-Encoding 'br', which the module cannot decode"),
        (["Content-Length: 3x"], "the answer has an invalid Content-Length header '3x'"),
    ],
)
def test_an_unusable_header_names_the_answer_and_an_error_keeps_its_status(serve, lines, message):
    server = serve(([head("200 OK", *lines) + b"abc"], "close"), ([head("403 Forbidden", *lines) + b"abc"], "close"))
    client = client_of(server, retries=2)
    with pytest.raises(UnexpectedResponseError) as info:
        client.get_json("/x")
    assert "GET /x: HTTP 200 %s" % message in str(info.value) and "download" not in str(info.value)
    assert len(server.requests) == 1
    with pytest.raises(Exception) as info:
        client.get_json("/x")
    assert "GET /x: HTTP 403 Forbidden" in str(info.value) and "Content-" not in str(info.value)


def test_only_the_encodings_the_reader_decodes_are_asked_for(serve, monkeypatch):
    # urllib3 asks for br and zstd when their modules are installed, as they may be in an execution environment.
    monkeypatch.setattr(requests.utils, "DEFAULT_ACCEPT_ENCODING", "gzip, deflate, br, zstd")
    server = serve((with_length("200 OK", OK), "close"))
    assert client_of(server).get_json("/x") == {"ok": True}
    assert "\r\nAccept-Encoding: gzip, deflate\r\n" in server.requests[0] + "\r\n"


def test_an_endless_trailer_after_the_last_chunk_is_refused(serve):
    # Each trailer line is short, so only their number tells an endless trailer from a real one.
    endless = [head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked") + chunked(OK)[:-2]]
    endless += [b"X-Trailer-%d: t\r\n" % n for n in range(1000)]
    server = serve((with_length("200 OK", OK), "keep"), (endless, "close"))
    client = client_of(server)
    assert client.get_json("/x") == {"ok": True}
    with pytest.raises(UnexpectedResponseError) as failure:
        client.get_json("/x")
    assert "the answer's chunked encoding is malformed (more than 100 trailer lines)" in str(failure.value)
