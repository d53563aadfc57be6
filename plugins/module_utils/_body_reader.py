# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An HTTP body (a report download, an API answer), read as HTTP frames it, and proven complete.

``open_body(response)`` gives a reader whose ``readinto(view)`` fills part of ``view`` and returns
0 only at an end that the framing proves: all ``Content-Length`` bytes, or the final chunk of a
chunked body; a gzip or deflate body must also reach the end of its compressed stream (zlib checks
gzip's CRC-32 and ISIZE, and zlib's Adler-32). A body that ends before that raises IncompleteBody.
A body framed by the closing of the connection (no length, not chunked) ends at a clean close:
a reset or a stall fails, but a server that closes early on purpose cannot be told apart (nor a TLS
connection closed without close_notify: Python's ssl module reports such a ragged end as a clean
one), so such a reader has ``verified`` false (a download warns; an API answer's JSON decoder judges).
Lines are bounded by LINE_LIMIT and each decoding step by the caller's buffer: neither an endless
chunk-size line nor a compression bomb is held in memory.

The body is read straight from the connection's buffered socket (``response.raw._fp.fp``, under
requests and urllib3), at most one receive per call, so every receive is bounded by the socket
timeout (``request_timeout``) and the call's ``deadline`` is checked between receives. A response
without that stream (another adapter) is read through ``iter_content``. ``reusable``: read to a
proven end, the connection may carry the next request. ``wording`` names the body in messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.migrationops.atlassian.plugins.module_utils._body_decoding import DecodedBody
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    DeadlineExceededError,
    IncompleteBody,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import scrub

LINE_LIMIT = 4096
# Trailer fields after the last chunk, as many as http.client takes header lines.
MAX_TRAILER_LINES = 100
ENCODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
# What requests ask for: urllib3 would add br and zstd when their modules are installed.
ACCEPT_ENCODING = "gzip, deflate"

# How messages name the body: what it is, and what was going on when its connection broke.
Wording = namedtuple("Wording", "noun receiving")
DOWNLOAD = Wording("download", "the report was being downloaded")
ANSWER = Wording("answer", "the answer was being received")


def content_length(headers, wording=DOWNLOAD):
    """The ``Content-Length`` as an int, None when absent; an invalid one is refused."""
    value = headers.get("Content-Length")
    if value is None:
        return None
    try:
        length = int(str(value).strip())
    except ValueError:
        raise UnexpectedResponseError("the %s has an invalid Content-Length header %r" % (wording.noun, scrub(value)[:40]))
    if length < 0:
        raise UnexpectedResponseError("the %s has a negative Content-Length header" % wording.noun)
    return length


def content_encoding(headers, wording=DOWNLOAD):
    """'gzip', 'deflate' or None (identity); another encoding is refused rather than saved undecoded."""
    value = (headers.get("Content-Encoding") or "").strip().lower()
    if value in ("", "identity"):
        return None
    if value not in ENCODINGS:
        raise UnexpectedResponseError("the %s uses Content-Encoding %r, which the module cannot decode" % (wording.noun, scrub(value)[:40]))
    return ENCODINGS[value]


def _chunked(headers, fp):
    declared = getattr(fp, "chunked", None)
    if isinstance(declared, bool):
        return declared
    return (headers.get("Transfer-Encoding") or "").lower().split(",")[-1].strip() == "chunked"


def open_body(response, deadline=None, chunk_size=1024 * 1024, wording=DOWNLOAD):
    """The reader of ``response``'s body (see the module docstring); raises on an unusable header."""
    headers = response.headers or {}
    encoding = content_encoding(headers, wording)
    fp = getattr(getattr(response, "raw", None), "_fp", None)
    stream = getattr(fp, "fp", None)
    if stream is not None and hasattr(stream, "readinto1") and hasattr(stream, "peek"):
        chunked = _chunked(headers, fp)
        length = None if chunked else content_length(headers, wording)
        if getattr(fp, "length", None) == 0:
            chunked, length = False, 0  # http.client knows: a 204, a 304 or an answer to HEAD has no body
        body = SocketBody(stream, length, chunked, deadline, wording)
    else:
        body = IterBody(response, chunk_size, content_length(headers, wording), encoding, wording)
        encoding = None  # iter_content has decoded it already
    return DecodedBody(body, encoding) if encoding else body


class SocketBody:
    """The body on the buffered socket, framed by a length, by chunks or by the closing of the connection."""

    def __init__(self, stream, length, chunked, deadline=None, wording=DOWNLOAD):
        self.stream = stream
        self.deadline = deadline
        self.wording = wording
        self.framing = "chunked" if chunked else ("length" if length is not None else "close")
        self.length = length
        self.received = 0
        self.chunk_left = 0
        self.chunks_seen = 0
        self.done = False

    @property
    def verified(self):
        return self.framing != "close"

    @property
    def reusable(self):
        return self.done and self.framing != "close"

    def readinto(self, view):
        if self.done:
            return 0
        if self.framing == "chunked":
            return self._read_chunked(view)
        if self.framing == "length":
            wanted = self.length - self.received
            if wanted == 0:
                self.done = True
                return 0
            count = self._receive(view[:wanted])
            if not count:
                raise IncompleteBody(
                    "the %s ended after %d of the %d bytes announced by Content-Length (cut short)" % (self.wording.noun, self.received, self.length)
                )
        else:
            count = self._receive(view)
            self.done = not count
        self.received += count
        return count

    def _read_chunked(self, view):
        while not self.chunk_left:
            if self.chunks_seen and self._line():
                raise UnexpectedResponseError("the %s's chunked encoding is malformed (no line end after a chunk)" % self.wording.noun)
            self.chunk_left = self._chunk_size()
            self.chunks_seen += 1
            if not self.chunk_left:
                self._skip_trailer()
                self.done = True
                return 0
        count = self._receive(view[: self.chunk_left])
        if not count:
            raise IncompleteBody(
                "the %s ended inside a chunk after %d bytes, before its final chunk (cut short)" % (self.wording.noun, self.received)
            )
        self.chunk_left -= count
        self.received += count
        return count

    def _skip_trailer(self):
        """The trailer fields, up to the empty line that ends the body; an endless trailer is refused."""
        for dummy in range(MAX_TRAILER_LINES + 1):
            if not self._line():
                return
        raise UnexpectedResponseError("the %s's chunked encoding is malformed (more than %d trailer lines)" % (self.wording.noun, MAX_TRAILER_LINES))

    def _chunk_size(self):
        line = self._line().split(b";", 1)[0].strip()
        try:
            size = int(line, 16)
        except ValueError:
            raise UnexpectedResponseError("the %s's chunked encoding is malformed (chunk size %r)" % (self.wording.noun, line[:20]))
        if size < 0:
            raise UnexpectedResponseError("the %s's chunked encoding is malformed (negative chunk size)" % self.wording.noun)
        return size

    def _line(self):
        """One line without its line end; the connection closing first means the body was cut short."""
        line = b""
        while True:
            self._check_deadline()
            data = self._call(self.stream.peek, 1)
            if not data:
                raise IncompleteBody("the %s ended after %d bytes, before its final chunk (cut short)" % (self.wording.noun, self.received))
            end = data.find(b"\n")
            line += self._call(self.stream.read, len(data) if end < 0 else end + 1)
            if len(line) > LINE_LIMIT:
                raise UnexpectedResponseError("the %s's chunked encoding is malformed (a line over %d bytes)" % (self.wording.noun, LINE_LIMIT))
            if end >= 0:
                return line.rstrip(b"\r\n")

    def _receive(self, view):
        self._check_deadline()
        return self._call(self.stream.readinto1, view)

    def _check_deadline(self):
        if self.deadline is not None and self.deadline.expired():
            raise DeadlineExceededError(
                "the %s was still arriving when the call's deadline passed (%d bytes received); "
                "wait_timeout + request_timeout bound the whole call, the %s included" % (self.wording.noun, self.received, self.wording.noun)
            )

    def _call(self, function, argument):
        try:
            return function(argument)
        except (OSError, ValueError) as exc:
            # socket.timeout is an OSError: no byte for request_timeout; a reset or a closed socket too.
            kind = "no data within request_timeout" if "timed out" in str(exc) else "%s" % type(exc).__name__
            raise TransportError("the connection broke while %s (%s)" % (self.wording.receiving, kind))


class IterBody:
    """The body through ``iter_content`` (a response without a socket stream), checked against its length."""

    reusable = False  # iter_content hands the connection back itself

    def __init__(self, response, chunk_size, length, encoding, wording=DOWNLOAD):
        self.chunks = response.iter_content(chunk_size=chunk_size)
        self.wording = wording
        # With a content encoding the length counts encoded bytes, which iter_content does not show.
        self.length = None if encoding else length
        self.framing = "length" if self.length is not None else "close"
        self.verified = self.length is not None
        self.received = 0
        self.pending = memoryview(b"")

    def readinto(self, view):
        while not self.pending:
            try:
                chunk = next(self.chunks, None)
            except AtlassianError:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                # requests, urllib3 and http.client raise many kinds while a body is read.
                raise TransportError("the connection broke while %s (%s)" % (self.wording.receiving, type(exc).__name__))
            if chunk is None:
                if self.length is not None and self.received < self.length:
                    raise IncompleteBody(
                        "the %s ended after %d of the %d bytes announced by Content-Length (cut short)"
                        % (self.wording.noun, self.received, self.length)
                    )
                return 0
            self.pending = memoryview(chunk)
        count = min(len(view), len(self.pending))
        view[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        self.received += count
        if self.length is not None and self.received > self.length:
            raise UnexpectedResponseError("the %s sent more than the %d bytes announced by Content-Length" % (self.wording.noun, self.length))
        return count
