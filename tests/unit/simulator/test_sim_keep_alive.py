"""Kept-alive connections (``Simulator(keep_alive=seconds)``), as the service keeps them, and the idle close."""

import base64
import contextlib
import http.client
import socket
import time

import pytest

JOB_PATH = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45"
# Each test sets keep_alive itself: one run, not one per connection mode of the directory's fixture.
pytestmark = pytest.mark.parametrize("simulator", [None], indirect=True, ids=["own-mode"])


@contextlib.contextmanager
def connected(simulator, keep_alive, fault=None):
    """(simulator, http.client connection to it), the connection closed on exit."""
    sim = simulator("basic", keep_alive=keep_alive)
    if fault:
        sim.add_fault(fault)
    host, port = sim.url.split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        yield sim, conn
    finally:
        conn.close()


def authorization(sim):
    creds = sim.credentials
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (creds["email"], creds["api_token"])).encode()).decode()}


def get(conn, sim, path=JOB_PATH + "/tasks"):
    conn.request("GET", path, headers=authorization(sim))
    response = conn.getresponse()
    body = response.read()
    return response, body


@pytest.mark.parametrize("keep_alive", [None, 5])
def test_keep_alive_answers_several_requests_on_one_connection(simulator, keep_alive):
    with connected(simulator, keep_alive) as (sim, conn):
        first, dummy = get(conn, sim)
        sock = conn.sock
        second, body = get(conn, sim)
        same_connection = sock is not None and conn.sock is sock
    assert first.status == second.status == 200 and b'"data"' in body
    if keep_alive:
        assert not first.will_close and same_connection  # the same connection served both
    else:
        assert first.will_close and first.getheader("Connection") == "close"  # werkzeug's default


def test_a_post_body_is_read_whole_and_the_next_request_on_the_connection_is_answered(simulator):
    with connected(simulator, 5) as (sim, conn):
        headers = dict(authorization(sim), **{"Content-Type": "application/json"})
        conn.request("POST", JOB_PATH + "/tasks", body=b'{"not": "a task"}', headers=headers)
        refused = conn.getresponse()
        refused.read()
        answered, body = get(conn, sim)
    assert refused.status == 400 and answered.status == 200 and b'"data"' in body


def test_a_truncated_body_still_ends_its_connection(simulator):
    with connected(simulator, 30, {"match": {"path": "/tasks$"}, "kind": "truncate", "fraction": 0.5}) as (sim, conn):
        started = time.monotonic()
        with pytest.raises(http.client.IncompleteRead):
            get(conn, sim)
        assert time.monotonic() - started < 3  # the close, not the client's 5 s timeout, ended the read


def test_an_idle_kept_alive_connection_is_closed_after_its_seconds(simulator):
    with connected(simulator, 0.5) as (sim, conn):
        get(conn, sim)
        conn.sock.settimeout(5)
        started = time.monotonic()
        try:
            assert conn.sock.recv(1) == b""  # the server closed it
        except socket.timeout:  # pragma: no cover - the failure this test is for
            pytest.fail("the idle connection was not closed")
        assert time.monotonic() - started < 3
