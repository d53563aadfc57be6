# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The requests session of every client the collection ships, with the answer's head bounded as a whole.

urllib3 bounds each receive by the read timeout, not the status line and headers together: a
server or a proxy that sends a header byte just within each timeout holds a request for ever
(http.client accepts 100 header lines of 64 KiB), and so does a proxy answering ``CONNECT``. On
this session a timeout ``t`` bounds connecting, sending and receiving the head together (urllib3
``Timeout(total=t)``), and every receive of a head is shortened to what is left of it, so a head
still arriving when the time is up fails as a read timeout. (Python bounds a TLS handshake as a
whole by the socket timeout itself.) The body is bounded by its readers (``_reading``,
``_body_reader``).

``getaddrinfo`` has no timeout: a slow or unreachable DNS resolver holds it for as long as the
system's resolver settings allow (tens of seconds). A new connection to a host name resolves it
in a thread, within the connect timeout, then connects to the addresses found, in the resolver's
order, through urllib3 as usual: the name is not looked up a second time, without a bound. Where
the lookup fails, urllib3 looks it up itself, to report the failure its own way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import io
import ipaddress
import numbers
import socket
import threading
import time

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
    from urllib3.util import Timeout
except ImportError:  # pragma: no cover - _transport reports the missing library
    requests = None
    HTTPAdapter = object
try:
    from urllib3.exceptions import NameResolutionError
except ImportError:  # urllib3 before 2.0
    NameResolutionError = None

HEAD_TOO_SLOW = "the status line and headers did not arrive within the request's time"
# _reading names the failure by this text.
RESOLVE_TOO_SLOW = "did not resolve within"


class _HeadDeadlineReader(io.RawIOBase):
    """The socket's receives, each shortened to what is left of ``seconds`` until ``disarm()``.

    ``_sock`` is named as in ``socket.SocketIO``: the watchdog of ``_reading`` finds the socket there.
    """

    def __init__(self, sock, seconds):
        super().__init__()
        self._sock = sock
        self._io = sock.makefile("rb", buffering=0)
        self._timeout = seconds
        self._ends_at = None if seconds is None else time.monotonic() + seconds

    def readinto(self, buffer):
        if self._ends_at is not None:
            left = self._ends_at - time.monotonic()
            if left <= 0:
                raise socket.timeout(HEAD_TOO_SLOW)
            self._sock.settimeout(min(left, self._timeout))
        return self._io.readinto(buffer)

    def disarm(self):
        """The head is in: later receives keep the socket's own timeout."""
        if self._ends_at is not None:
            self._ends_at = None
            try:
                self._sock.settimeout(self._timeout)
            except OSError:
                pass  # closed while the head was read: nothing reads it any more

    def readable(self):
        return True

    def fileno(self):
        return self._io.fileno()

    def close(self):
        if not self.closed:
            self._io.close()
        super().close()


class _SocketFile:
    """What http.client's response asks of a socket: ``makefile``, here over a head-deadline reader."""

    def __init__(self, sock):
        self.reader = _HeadDeadlineReader(sock, sock.gettimeout())

    def makefile(self, mode):
        return io.BufferedReader(self.reader)


class HeadBoundedResponse(http.client.HTTPResponse):
    """http.client's response, its head received within the socket's timeout as a whole.

    urllib3 sets that timeout to what its ``Timeout(total=...)`` leaves after connecting and sending.
    """

    def __init__(self, sock, *args, **kwargs):
        self._socket_file = _SocketFile(sock)
        super().__init__(self._socket_file, *args, **kwargs)

    def begin(self):
        try:
            super().begin()
        finally:
            self._socket_file.reader.disarm()

    def close(self):
        # A proxy's answer to CONNECT is read without begin() (urllib3's and http.client's _tunnel).
        self._socket_file.reader.disarm()
        super().close()


def resolve_within(host, port, seconds):
    """The addresses of ``host`` (strings, in the resolver's order), or None when the lookup did not
    end within ``seconds``; the lookup's own error (``socket.gaierror``...) is raised.

    A lookup still running then is left to its daemon thread, which ends with the resolver's own timeout.
    """
    outcome = {}
    lookup = threading.Thread(target=_lookup, args=(host, port, outcome), name="migrationops-resolve")
    lookup.daemon = True
    lookup.start()
    lookup.join(seconds)
    if lookup.is_alive():
        return None
    if "error" in outcome:
        raise outcome["error"]
    return outcome["addresses"]


def _lookup(host, port, outcome):
    try:
        answers = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except Exception as exc:  # pylint: disable=broad-except
        outcome["error"] = exc
        return
    addresses = []
    for answer in answers:
        if answer[4][0] not in addresses:
            addresses.append(answer[4][0])
    outcome["addresses"] = addresses


def _name_error(connection, exc):
    """The error urllib3 raises itself for a name that does not resolve (its 1.26 had no NameResolutionError)."""
    if NameResolutionError is not None:
        error = NameResolutionError(connection.host, connection, exc)
    else:
        error = NewConnectionError(connection, "Failed to establish a new connection: %s" % exc)
    error.__cause__ = exc
    return error


def _is_address(host):
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class _HeadBounded:
    """Mixed into a pool's connection class (plain, TLS, proxied or SOCKS alike)."""

    response_class = HeadBoundedResponse

    def _new_conn(self):
        host, seconds = getattr(self, "_dns_host", None), self.timeout
        # A SOCKS proxy resolves the name itself (socks5h): nothing is looked up here then.
        bounded = isinstance(seconds, numbers.Real) and not hasattr(self, "_socks_options")
        if not bounded or not host or _is_address(host):
            return super()._new_conn()
        ends_at = time.monotonic() + seconds
        try:
            addresses = resolve_within(host, self.port, seconds)
        except socket.gaierror as exc:
            raise _name_error(self, exc)
        except Exception:  # pylint: disable=broad-except
            # Not a resolver's answer (a name Python cannot encode...): urllib3 reports it its own way.
            return super()._new_conn()
        if addresses is None:
            raise ConnectTimeoutError(self, "the name %s %s %gs (the system's DNS resolver)" % (host, RESOLVE_TOO_SLOW, seconds))
        if not addresses:
            return super()._new_conn()
        failure = ConnectTimeoutError(self, "connecting to %s took longer than %gs" % (host, seconds))
        # One connect timeout for the lookup and every address; TLS still checks and names the host (self.host).
        for address in addresses:
            left = ends_at - time.monotonic()
            if left <= 0:
                break
            self._dns_host, self.timeout = address, left
            try:
                return super()._new_conn()
            except (ConnectTimeoutError, NewConnectionError) as exc:
                failure = exc
            finally:
                self._dns_host, self.timeout = host, seconds
        raise failure


_BOUNDED_CLASSES = {}


def bound_heads(pool):
    """``pool`` (a urllib3 connection pool), its new connections reading heads through HeadBoundedResponse."""
    connection_class = pool.ConnectionCls
    if connection_class is not None and not issubclass(connection_class, _HeadBounded):
        bounded = _BOUNDED_CLASSES.get(connection_class)
        if bounded is None:
            bounded = type("HeadBounded" + connection_class.__name__, (_HeadBounded, connection_class), {})
            _BOUNDED_CLASSES[connection_class] = bounded
        pool.ConnectionCls = bounded
    return pool


class HeadBoundedAdapter(HTTPAdapter):
    """An HTTPAdapter whose numeric timeout bounds a request up to the end of its head, as a whole."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if isinstance(timeout, numbers.Real) and not isinstance(timeout, bool):
            timeout = Timeout(connect=timeout, read=timeout, total=timeout)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)

    def get_connection_with_tls_context(self, *args, **kwargs):
        return bound_heads(super().get_connection_with_tls_context(*args, **kwargs))

    def get_connection(self, *args, **kwargs):
        # requests before 2.32.2 asks for its pools here.
        return bound_heads(super().get_connection(*args, **kwargs))


def new_session():
    """A requests.Session whose http and https requests go through HeadBoundedAdapter."""
    session = requests.Session()
    for prefix in ("https://", "http://"):
        session.mount(prefix, HeadBoundedAdapter())
    return session
