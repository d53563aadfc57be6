"""Kept-alive connections (``Simulator(keep_alive=seconds)``), as the service keeps them, and the idle close."""

import base64
import http.client
import socket
import time

import pytest

JOB_PATH = "/migrations/public/v1/jobs/0bacecde-372e-4d84-8d79-d66433b8fa45"


def connection_to(sim):
    host, port = sim.url.split("//", 1)[1].rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=5)


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
    sim = simulator("basic", keep_alive=keep_alive)
    conn = connection_to(sim)
    try:
        first, dummy = get(conn, sim)
        sock = conn.sock
        second, body = get(conn, sim)
        assert first.status == second.status == 200 and b'"data"' in body
        if keep_alive:
            assert not first.will_close and conn.sock is sock  # the same connection served both
        else:
            assert first.will_close and first.getheader("Connection") == "close"  # werkzeug's default
    finally:
        conn.close()


def test_a_post_body_is_read_whole_and_the_next_request_on_the_connection_is_answered(simulator):
    sim = simulator("basic", keep_alive=5)
    conn = connection_to(sim)
    try:
        conn.request(
            "POST",
            JOB_PATH + "/tasks",
            body=b'{"not": "a task"}',
            headers=dict(authorization(sim), **{"Content-Type": "application/json"}),
        )
        refused = conn.getresponse()
        refused.read()
        answered, body = get(conn, sim)
        assert refused.status == 400 and answered.status == 200 and b'"data"' in body
    finally:
        conn.close()


def test_a_truncated_body_still_ends_its_connection(simulator):
    sim = simulator("basic", keep_alive=30)
    sim.add_fault({"match": {"path": "/tasks$"}, "kind": "truncate", "fraction": 0.5})
    conn = connection_to(sim)
    try:
        started = time.monotonic()
        with pytest.raises(http.client.IncompleteRead):
            get(conn, sim)
        assert time.monotonic() - started < 3  # the close, not the client's 5 s timeout, ended the read
    finally:
        conn.close()


def test_an_idle_kept_alive_connection_is_closed_after_its_seconds(simulator):
    sim = simulator("basic", keep_alive=0.5)
    conn = connection_to(sim)
    try:
        get(conn, sim)
        conn.sock.settimeout(5)
        started = time.monotonic()
        assert conn.sock.recv(1) == b""  # the server closed it
        assert time.monotonic() - started < 3
    except socket.timeout:  # pragma: no cover - the failure this test is for
        pytest.fail("the idle connection was not closed")
    finally:
        conn.close()
