# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watchdog that ends a read in progress when a request's time is up."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import threading
import time

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils import _reading


class FakeResponse:
    """What _socket_of finds in a requests response: raw._fp.fp.raw._sock."""

    def __init__(self, sock):
        class Holder:
            pass

        self.raw = Holder()
        self.raw._fp = Holder()
        self.raw._fp.fp = Holder()
        self.raw._fp.fp.raw = Holder()
        self.raw._fp.fp.raw._sock = sock


def blocked_read(seconds, read_for=10.0):
    """Read from a silent socket under a watchdog of ``seconds``: (watchdog, what recv returned, wall s)."""
    ours, theirs = socket.socketpair()
    ours.settimeout(read_for)
    try:
        started = time.monotonic()
        with _reading._Watchdog(FakeResponse(ours), seconds) as watchdog:
            try:
                data = ours.recv(10)
            except OSError as exc:
                data = exc
        return watchdog, data, time.monotonic() - started
    finally:
        ours.close()
        theirs.close()


def test_a_silent_read_is_ended_when_its_time_is_up():
    watchdog, data, wall = blocked_read(0.3)
    assert watchdog.fired
    assert data == b""  # the shut-down socket reads as closed, long before the 10 s socket timeout
    assert wall < 5


def test_an_earlier_alarm_set_after_a_later_one_fires_first():
    results = {}

    def long_read():
        results["long"] = blocked_read(8.0, read_for=1.5)

    thread = threading.Thread(target=long_read)
    thread.start()
    time.sleep(0.2)  # the alarm thread now sleeps towards the 8 s alarm
    short = blocked_read(0.3)
    thread.join()
    assert short[0].fired and short[2] < 5
    assert not results["long"][0].fired  # its read ended by its own socket timeout, the alarm was cancelled


def test_a_cancelled_alarm_never_fires():
    ours, theirs = socket.socketpair()
    try:
        with _reading._Watchdog(FakeResponse(ours), 0.2) as watchdog:
            pass
        time.sleep(0.5)
        assert not watchdog.fired
        theirs.sendall(b"x")
        assert ours.recv(1) == b"x"  # the socket was left alone
    finally:
        ours.close()
        theirs.close()


def test_every_read_shares_one_alarm_thread():
    ours, theirs = socket.socketpair()
    try:
        before = threading.active_count()
        with _reading._Watchdog(FakeResponse(ours), 30):
            with _reading._Watchdog(FakeResponse(ours), 20):
                with _reading._Watchdog(FakeResponse(ours), 10):
                    during = [t.name for t in threading.enumerate()]
        assert during.count("migrationops-watchdog") == 1
        assert threading.active_count() <= before + 1
    finally:
        ours.close()
        theirs.close()


# The fork of a process with an alarm thread is the case under test, so Python's warning about it is expected.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_a_forked_child_gets_a_clock_of_its_own():
    blocked_read(0.05)  # the parent's alarm thread now runs
    pid = os.fork()
    if pid == 0:  # the child has no copy of that thread: its reads must still be ended on time
        try:
            watchdog, data, wall = blocked_read(0.3, read_for=5.0)
            os._exit(0 if watchdog.fired and data == b"" and wall < 3 else 1)
        finally:
            os._exit(2)
    dummy, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
