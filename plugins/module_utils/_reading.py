# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostile side of one HTTP exchange: reading an API answer within time and size bounds (through
``_body_reader``, whatever urllib3 is installed), judging a redirect, and naming a failed
connection without quoting its URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import heapq
import os
import socket
import threading
import time
from urllib.parse import urljoin, urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._answers import error_for_response
from ansible_collections.migrationops.atlassian.plugins.module_utils._body_decoding import DecodedBody
from ansible_collections.migrationops.atlassian.plugins.module_utils._body_reader import ANSWER, open_body
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    DeadlineExceededError,
    IncompleteBody,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._http_session import RESOLVE_TOO_SLOW
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import is_loopback, redact_url, scrub

try:
    import requests
except ImportError:  # pragma: no cover - _transport reports the missing library
    requests = None

CHUNK_BYTES = 64 * 1024
# One page of an API answer; a real page is a few hundred KB. Larger answers are refused unread.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
# What is kept of an error body for its message.
MAX_ERROR_BYTES = 64 * 1024
# Hops a presigned link may redirect (S3 moves objects across regions with one).
MAX_DOWNLOAD_REDIRECTS = 3


def _causes(exc):
    """The exception and everything it wraps (requests nests urllib3 errors in args, reason and __cause__)."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__] + list(current.args[:1]))


def _unresolved_name(exc):
    """(host, the resolver's error) when a host name did not resolve, else None."""
    causes = list(_causes(exc))
    answer = next((cause for cause in causes if isinstance(cause, socket.gaierror)), None)
    if answer is None:
        return None
    # urllib3 keeps the connection in ``conn`` (2.x; ``pool`` is a deprecated property there) or
    # ``pool`` (1.26); behind a proxy it is the proxy's.
    held = [getattr(cause, "__dict__", {}) for cause in causes]
    hosts = [getattr(attributes.get("conn") or attributes.get("pool"), "host", None) for attributes in held]
    return next((host for host in hosts if isinstance(host, str)), None), answer


def connection_refused(exc):
    """True when no TCP connection was established, so the server cannot have acted on the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _unresolved_name(exc):
        return True
    return any(isinstance(cause, ConnectionRefusedError) or type(cause).__name__ == "NewConnectionError" for cause in _causes(exc))


def transport_error(exc, endpoint, timeout, retries=0):
    """A TransportError with a message that never quotes a URL's query string."""
    sent = True
    if isinstance(exc, requests.exceptions.SSLError):
        error = TransportError(
            "TLS verification failed: %s" % scrub(exc),
            endpoint=endpoint,
            retries=retries,
            hint="For a private CA set ca_path (ATLASSIAN_CA_PATH) to its bundle; validate_certs=false disables verification",
        )
        error.request_sent = False
        return error
    if isinstance(exc, requests.exceptions.ConnectTimeout) and RESOLVE_TOO_SLOW in str(exc):
        reason, sent = "the host name did not resolve within %ss (the system's DNS resolver is slow or unreachable)" % timeout, False
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        reason, sent = "connection timed out after %ss" % timeout, False
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        reason = "no answer within request_timeout (%ss)" % timeout
    elif _unresolved_name(exc):
        host, answer = _unresolved_name(exc)
        reason, sent = "the host name%s did not resolve (%s)" % (" " + host if host else "", answer.strerror or answer), False
    elif connection_refused(exc):
        reason, sent = "connection refused", False
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        reason = "the connection broke while the answer was being received"
    else:
        reason = "connection failed (%s)" % scrub(exc)
    error = TransportError(reason, endpoint=endpoint, retries=retries)
    error.request_sent = sent
    return error


def _socket_of(response):
    """The socket under a streamed response, or None (a fake, or a body already read).

    A kept-alive connection holds it; a connection that closes after this answer has handed it
    to the response (http.client keeps it only in the response's buffered socket file).
    """
    raw = getattr(response, "raw", None)
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        socket_file = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(socket_file, "raw", None), "_sock", None)
    return sock


class _AlarmClock:
    """One daemon thread for the whole process that fires the watchdogs whose time is up.

    A thread per request (``threading.Timer``) cost about 0.2 ms of CPU each, a fifth of what
    reading a page of 100 children costs. Setting an alarm here takes a lock; the thread is woken
    only for an alarm earlier than the one it sleeps towards, and an alarm cancelled under the
    lock can no longer fire.
    """

    def __init__(self):
        self.reset()

    def reset(self):
        """A clock with no alarm and no thread yet; a forked child starts so: it has no copy of the
        parent's thread, and the lock may have been held by it."""
        self._cond = threading.Condition(threading.Lock())
        self._alarms = []  # a heap of (when, sequence, watchdog)
        self._sequence = 0
        self._wakes_at = None
        self._thread = None

    def set(self, watchdog, when):
        with self._cond:
            self._sequence += 1
            heapq.heappush(self._alarms, (when, self._sequence, watchdog))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="migrationops-watchdog")
                self._thread.daemon = True
                self._thread.start()
            elif self._wakes_at is None or when < self._wakes_at:
                self._cond.notify()

    def cancel(self, watchdog):
        with self._cond:
            watchdog.cancelled = True

    def _run(self):
        with self._cond:
            while True:
                now = time.monotonic()
                while self._alarms and (self._alarms[0][2].cancelled or self._alarms[0][0] <= now):
                    watchdog = heapq.heappop(self._alarms)[2]
                    if not watchdog.cancelled:
                        watchdog.fire()
                self._wakes_at = self._alarms[0][0] if self._alarms else None
                self._cond.wait(None if self._wakes_at is None else max(0.0, self._wakes_at - now))


_ALARMS = _AlarmClock()
os.register_at_fork(after_in_child=_ALARMS.reset)


class _Watchdog:
    """Shuts a streamed response's socket down when its time is up.

    A socket timeout bounds each read, not the request: a body dripped one byte a second would
    never time out. Shutting the socket down from another thread ends any read in progress.
    """

    def __init__(self, response, seconds):
        self.fired = False
        self.cancelled = False
        self._response = response
        self._seconds = max(0.0, seconds)

    def fire(self):
        self.fired = True
        sock = _socket_of(self._response)
        if sock is not None:
            try:
                # socket.socket's own shutdown, also for a TLS socket: SSLSocket.shutdown would drop
                # its TLS state under the reading thread, whose next read would fail oddly.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

    def __enter__(self):
        _ALARMS.set(self, time.monotonic() + self._seconds)
        return self

    def __exit__(self, *exc_info):
        _ALARMS.cancel(self)
        return False


def read_body(response, clock, ends_at, budget, timeout, endpoint, error_body=None):
    """The body of a streamed ``response`` (bytes), read by ``_body_reader`` until ``ends_at`` (on ``clock``).

    A 2xx answer over MAX_ANSWER_BYTES (decoded) is refused unread, and one cut short raises
    TransportError, retried like a read timeout. An error body (any other status, or
    ``error_body``) is cut at MAX_ERROR_BYTES and kept for its message; what the reader refuses in
    it (a header, its framing, its encoding) only ends it, as the status says what happened. Past
    ``ends_at`` it raises TransportError when cut by request_timeout (``budget``, the request's
    share of ``timeout``, was all of it), else DeadlineExceededError. A connection that stays open
    goes back to the pool once its body is proven whole.
    """
    status = response.status_code
    error_body = not 200 <= status < 300 if error_body is None else error_body
    cap = MAX_ERROR_BYTES if error_body else MAX_ANSWER_BYTES
    content, body, reusable = bytearray(), None, False
    try:
        with _Watchdog(response, ends_at - clock()) as watchdog:
            try:
                body = open_body(response, chunk_size=CHUNK_BYTES, wording=ANSWER)
                view = memoryview(bytearray(CHUNK_BYTES))
                while len(content) <= cap and not watchdog.fired:
                    count = body.readinto(view[: cap + 1 - len(content)])
                    if not count:
                        reusable = body.reusable and not getattr(response.raw._fp, "will_close", True)  # pylint: disable=protected-access
                        break
                    content += view[:count]
                    if clock() >= ends_at:
                        watchdog.fired = True
            except AtlassianError as exc:
                # Whatever a read fails with once the watchdog shut its socket down is the timeout.
                if not (watchdog.fired or (error_body and isinstance(exc, UnexpectedResponseError))):
                    raise _named(exc, endpoint, status)
        if watchdog.fired:
            reusable = False
            # Cut by request_timeout: a slow answer, retried like a read timeout; cut by the deadline: the end.
            cls = TransportError if budget >= timeout else DeadlineExceededError
            raise cls(
                "the answer was not complete within %gs: request_timeout bounds a whole request, body included%s"
                % (round(budget, 3), "" if budget >= timeout else ", and the call's deadline left no more"),
                endpoint=endpoint,
            )
        if len(content) > cap:
            if error_body:
                del content[cap:]
            else:
                raise UnexpectedResponseError(
                    "the answer is larger than %d MiB%s: refused without reading the rest (no API page is that large)"
                    % (cap // (1024 * 1024), " once decoded (Content-Encoding %s)" % body.encoding if isinstance(body, DecodedBody) else ""),
                    endpoint=endpoint,
                    status=status,
                )
    finally:
        if reusable:
            # Read past http.client and urllib3: http.client closes its answer, so that urllib3 may reuse the connection.
            response.raw._fp.close()  # pylint: disable=protected-access
            response.raw.release_conn()
        else:
            response.close()
    content = bytes(content)
    # Later readers (error descriptions) take the body from here, not from the socket.
    response._content = content  # pylint: disable=protected-access
    response._content_consumed = True  # pylint: disable=protected-access
    return content


def refused_download(response, clock, ends_at, budget, timeout, endpoint, redact):
    """The error that a download link's answer other than 200 stands for; its body is read (capped) for the message only."""
    try:
        read_body(response, clock, ends_at, budget, timeout, endpoint, error_body=True)
    except (TransportError, DeadlineExceededError):
        response._content, response._content_consumed = b"", True  # pylint: disable=protected-access
    return error_for_response(response, endpoint, account_hints=False, redact=redact)


def _named(exc, endpoint, status):
    """``exc`` from the body reader, naming the endpoint; a 2xx answer cut short becomes a TransportError."""
    if isinstance(exc, IncompleteBody):
        return TransportError(exc.message, endpoint=endpoint)
    exc.endpoint = exc.endpoint or endpoint
    if isinstance(exc, UnexpectedResponseError):
        exc.status = exc.status or status
    return exc


def redirect_target(url, location, endpoint, hops):
    """Where a download redirect may go: https, or http to a loopback host, within MAX_DOWNLOAD_REDIRECTS hops."""
    if hops > MAX_DOWNLOAD_REDIRECTS:
        raise UnexpectedResponseError("the download link redirected more than %d times: refused" % MAX_DOWNLOAD_REDIRECTS, endpoint=endpoint)
    if not location:
        raise UnexpectedResponseError("the download link answered with a redirect without a Location", endpoint=endpoint)
    try:
        target = urljoin(url, location)
        parts = urlsplit(target)
    except ValueError:
        raise UnexpectedResponseError("the download link redirected to an unparsable Location: refused", endpoint=endpoint)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname)):
        return target
    raise UnexpectedResponseError(
        "the download link redirected to %s: refused, only https (or loopback http) is followed, "
        "the report would cross the network unencrypted" % scrub(redact_url(target)),
        endpoint=endpoint,
    )
