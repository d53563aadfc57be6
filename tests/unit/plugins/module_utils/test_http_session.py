# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The session's head deadline: a status line and headers dripped slowly end at request_timeout, over real sockets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

import pytest
import urllib3.util.connection
from urllib3.connection import HTTPConnection

from ansible_collections.migrationops.atlassian.plugins.module_utils import _http_session, _reading
from ansible_collections.migrationops.atlassian.plugins.module_utils._body_reader import open_body
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import TransportError
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.raw_server import RawServer

TOKEN = "head-deadline-token-0b4f7e2a91"
# 300 header bytes, one every 0.05 s: 15 s in all, each byte well within a 0.5 s read timeout.
DRIPPED_HEAD = ["HTTP/1.1 200 OK", "X-Drip: " + "a" * 260, "Content-Type: application/json", "Content-Length: 2"]


def client_of(server, timeout):
    api_url = server.url.rsplit("/", 1)[0]
    return ApiClient(api_url, TOKEN, email="admin@example.com", timeout=timeout, retries=0), "/report"


def test_a_head_dripped_within_every_read_timeout_ends_at_request_timeout():
    server = RawServer(DRIPPED_HEAD, [b"{}"], head_pause=0.05)
    try:
        client, path = client_of(server, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            client.get_json(path)
        assert time.monotonic() - started < 4  # not the 15 s the head takes to arrive
        assert "request_timeout" in str(info.value) and TOKEN not in str(info.value)
    finally:
        server.stop()


def test_a_download_link_dripping_its_head_ends_at_request_timeout():
    server = RawServer(DRIPPED_HEAD, [b"{}"], head_pause=0.05)
    try:
        client, dummy = client_of(server, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(TransportError):
            client.open_download(server.url + "?X-Amz-Signature=s3cr3t")
        assert time.monotonic() - started < 4
    finally:
        server.stop()


def test_a_slow_head_that_arrives_in_time_is_read_whole():
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", "Content-Length: 11"]
    server = RawServer(head, [b'{"a": "ok"}'], head_pause=0.005)  # about 0.4 s in all, each byte far within 0.3 s
    try:
        client, path = client_of(server, timeout=3)
        assert client.get_json(path) == {"a": "ok"}
    finally:
        server.stop()


def test_the_head_deadline_does_not_bound_the_body_that_follows():
    # The body takes 2 s in all, longer than the 1 s request_timeout, but no receive waits 1 s.
    pieces = [b"x" * 10] * 5
    server = RawServer(["HTTP/1.1 200 OK", "Content-Length: 50"], pieces, pause=0.4)
    try:
        client, dummy = client_of(server, timeout=1.0)
        response = client.open_download(server.url)
        assert _reading._socket_of(response) is not None  # the watchdog still finds the socket
        body = open_body(response)
        received = bytearray()
        view = memoryview(bytearray(64))
        while True:
            count = body.readinto(view)
            if not count:
                break
            received += view[:count]
        assert bytes(received) == b"x" * 50
    finally:
        server.stop()


def test_a_proxy_dripping_its_answer_to_connect_ends_at_request_timeout():
    server = RawServer(["HTTP/1.1 200 Connection established", "X-Drip: " + "a" * 260], head_pause=0.05)
    try:
        session = _http_session.new_session()
        session.trust_env = False
        session.proxies = {"https": server.url.rsplit("/", 1)[0]}
        client = ApiClient("https://api.example.test", TOKEN, email="admin@example.com", timeout=0.5, retries=0, session=session)
        started = time.monotonic()
        with pytest.raises(TransportError):
            client.get_json("/x")
        assert time.monotonic() - started < 4
    finally:
        server.stop()


def test_a_head_read_without_begin_gives_the_socket_its_timeout_back():
    ours, theirs = socket.socketpair()
    try:
        ours.settimeout(5.0)
        theirs.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        response = _http_session.HeadBoundedResponse(ours, method="CONNECT")
        assert response._read_status()[1] == 200  # as urllib3's _tunnel reads a proxy's answer
        assert ours.gettimeout() < 5.0  # shortened to what is left while the head arrives
        response.close()
        assert ours.gettimeout() == 5.0
    finally:
        ours.close()
        theirs.close()


def drip_tls_handshake(listener, seconds=10.0, pause=0.05):
    """Answer one ClientHello with a TLS record header announcing 16 KiB, then one byte per ``pause``."""
    conn, dummy = listener.accept()
    try:
        conn.recv(65536)
        conn.sendall(b"\x16\x03\x03\x40\x00")
        ends_at = time.monotonic() + seconds
        while time.monotonic() < ends_at:
            conn.sendall(b"\x00")
            time.sleep(pause)
    except OSError:
        pass
    finally:
        conn.close()
        listener.close()


def test_a_tls_handshake_dripped_within_every_read_timeout_ends_at_request_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    server = threading.Thread(target=drip_tls_handshake, args=(listener,))
    server.daemon = True
    server.start()
    client = ApiClient("https://127.0.0.1:%d" % listener.getsockname()[1], TOKEN, email="admin@example.com", timeout=0.5, retries=0)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        client.get_json("/x")
    # Python bounds a handshake as a whole by the socket timeout; this guards it under the session's pools.
    assert time.monotonic() - started < 4  # not the 10 s the server keeps dripping
    assert "request_timeout" in str(info.value) and "TLS verification" not in str(info.value)
    server.join(15)


TASKS = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45/tasks"


def counting_connections(monkeypatch):
    opened = []
    create = urllib3.util.connection.create_connection

    def counted(*args, **kwargs):
        opened.append(args[0])
        return create(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counted)
    return opened


def simulator_client(sim):
    creds = sim.credentials
    return ApiClient(sim.url, creds["api_token"], email=creds["email"], timeout=5, retries=0)


def test_requests_on_a_kept_alive_connection_each_get_a_bounded_head(simulator, monkeypatch):
    sim = simulator("basic", keep_alive=10)
    opened = counting_connections(monkeypatch)
    client = simulator_client(sim)
    answers = [client.get_json(TASKS) for dummy in range(3)]
    assert opened and len(opened) == 1  # one connection served the three requests
    assert all(len(answer["data"]) == 2 for answer in answers)


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_retry(simulator, monkeypatch):
    # A wait polls every wait_sleep seconds; servers close connections idle for less than that.
    sim = simulator("basic", keep_alive=0.3)
    opened = counting_connections(monkeypatch)
    client = simulator_client(sim)
    client.get_json(TASKS)
    time.sleep(1.0)
    assert len(client.get_json(TASKS)["data"]) == 2
    assert len(opened) == 2 and client.retries_used == 0


def test_every_pool_of_the_session_reads_heads_through_the_bounded_response():
    session = _http_session.new_session()
    for url in ("https://api.example.test/x", "http://127.0.0.1:1/x"):
        adapter = session.get_adapter(url)
        assert isinstance(adapter, _http_session.HeadBoundedAdapter)


class Pool:
    ConnectionCls = HTTPConnection


def test_bound_heads_wraps_any_connection_class_once():
    pool = _http_session.bound_heads(Pool())
    bounded = pool.ConnectionCls
    assert issubclass(bounded, HTTPConnection) and bounded.response_class is _http_session.HeadBoundedResponse
    assert _http_session.bound_heads(pool).ConnectionCls is bounded
    assert _http_session.bound_heads(Pool()).ConnectionCls is bounded  # one class per connection class
    assert Pool.ConnectionCls is HTTPConnection  # the class itself is left alone


class Resolver:
    """socket.getaddrinfo for the names ``*.resolver.test``: ``slow`` hangs until released, ``fast`` is 127.0.0.1,
    ``once`` is 127.0.0.1 once and then hangs, ``missing`` is unknown once and then hangs, ``two`` is
    127.0.0.2 (nothing listens there) and 127.0.0.1."""

    def __init__(self, monkeypatch):
        self.real = socket.getaddrinfo
        self.release = threading.Event()
        self.threads = []
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host, port, *args, **kwargs):
        if not str(host).endswith(".resolver.test"):
            return self.real(host, port, *args, **kwargs)
        self.threads.append(threading.current_thread().name)
        if host.startswith("slow.") or (host.startswith("once.") and len(self.threads) > 1):
            self.release.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if host.startswith("missing."):  # NXDOMAIN once; a second lookup would hang
            if len(self.threads) > 1:
                self.release.wait(30)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host.startswith("two."):  # nothing listens on 127.0.0.2: the second address is the server
            return self.real("127.0.0.2", port, *args, **kwargs) + self.real("127.0.0.1", port, *args, **kwargs)
        return self.real("127.0.0.1", port, *args, **kwargs)


def failed_read(resolver, name, timeout):
    """(TransportError, seconds) of a status read from ``name``.resolver.test, the resolver released after it."""
    client = ApiClient("https://%s.resolver.test" % name, TOKEN, email="admin@example.com", timeout=timeout, retries=0)
    try:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            client.get_json("/migrations/public/v1/jobs/j1")
        return info.value, time.monotonic() - started
    finally:
        resolver.release.set()


def test_a_host_name_the_resolver_never_answers_ends_at_request_timeout(monkeypatch):
    error, seconds = failed_read(Resolver(monkeypatch), "slow", 0.5)
    assert seconds < 4  # not the 30 s the lookup hangs
    message = str(error)
    assert "the host name did not resolve within 0.5s" in message and TOKEN not in message
    assert error.request_sent is False


def test_a_host_name_is_looked_up_within_the_connect_timeout_then_connected_to():
    # The first lookup runs in a thread bounded by the timeout; urllib3 then connects as usual.
    server = RawServer(["HTTP/1.1 200 OK", "Content-Length: 2"], [b"ok"])
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            resolver = Resolver(monkeypatch)
            port = int(server.url.split(":")[2].split("/")[0])
            response = _http_session.new_session().get("http://fast.resolver.test:%d/report" % port, timeout=3)
        assert response.status_code == 200 and response.content == b"ok"
        assert resolver.threads[0] == "migrationops-resolve"
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["once", "two"])
def test_a_host_name_is_looked_up_once_and_its_addresses_tried_in_order(name):
    # A second lookup (urllib3's own) of "once" would hang for 30 s; "two" connects on its second address.
    server = RawServer(["HTTP/1.1 200 OK", "Content-Length: 2"], [b"ok"])
    with pytest.MonkeyPatch.context() as monkeypatch:
        resolver = Resolver(monkeypatch)
        try:
            port = int(server.url.split(":")[2].split("/")[0])
            started = time.monotonic()
            response = _http_session.new_session().get("http://%s.resolver.test:%d/report" % (name, port), timeout=3)
            assert response.status_code == 200 and response.content == b"ok"
            assert time.monotonic() - started < 3
            assert resolver.threads == ["migrationops-resolve"]
        finally:
            resolver.release.set()
            server.stop()


@pytest.mark.parametrize("urllib3_error", ["NameResolutionError", "NewConnectionError (urllib3 1.26)"])
def test_a_name_that_does_not_resolve_fails_at_once_without_a_second_lookup(monkeypatch, urllib3_error):
    if urllib3_error != "NameResolutionError":
        monkeypatch.setattr(_http_session, "NameResolutionError", None)
    resolver = Resolver(monkeypatch)
    error, seconds = failed_read(resolver, "missing", 3)
    assert seconds < 3
    assert resolver.threads == ["migrationops-resolve"]
    assert "Name or service not known" in str(error) and TOKEN not in str(error)
    assert "the host name missing.resolver.test did not resolve" in str(error)
    assert error.request_sent is False  # no connection: a POST may be retried


def test_an_address_is_connected_to_without_a_lookup_thread(monkeypatch):
    server = RawServer(["HTTP/1.1 200 OK", "Content-Length: 2"], [b"ok"])
    monkeypatch.setattr(_http_session, "resolve_within", lambda *args: pytest.fail("an IP address was looked up"))
    try:
        assert _http_session.new_session().get(server.url, timeout=3).content == b"ok"
    finally:
        server.stop()
