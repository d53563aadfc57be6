# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A gzip or deflate body (``Content-Encoding``) decoded from the reader of its bytes (``_body_reader``).

Each step decodes at most what the caller's buffer holds, so a compression bomb never expands in
memory; zlib's own end of stream (and its check value) proves the body complete.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import zlib

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import IncompleteBody, UnexpectedResponseError

# The compressed bytes read at a time.
ENCODED_READ = 1024 * 1024


class DecodedBody:
    """A gzip (one or more members) or deflate (zlib or raw) body, decoded in bounded pieces.

    ``max_length`` keeps a small compressed body from expanding in memory; the end is accepted
    only once the inner body is complete and zlib has reached (and checked) the stream's end.
    """

    def __init__(self, inner, encoding):
        self.inner = inner
        self.encoding = encoding
        self.wording = inner.wording
        self.framing = inner.framing
        self.received = 0
        self.scratch = memoryview(bytearray(ENCODED_READ))
        self.pending = b""
        self.started = False
        self.decoder = self._decoder()

    @property
    def verified(self):
        return True  # the compressed stream's own end (and check value) proves completeness

    @property
    def reusable(self):
        return self.inner.reusable and self.decoder.eof

    def _decoder(self, raw=False):
        if self.encoding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def readinto(self, view):
        while True:
            if self.pending:
                decoded = self._decode(len(view))
                if decoded:
                    view[: len(decoded)] = decoded
                    self.received += len(decoded)
                    return len(decoded)
                continue
            count = self.inner.readinto(self.scratch)
            if not count:
                if not self.decoder.eof:
                    raise IncompleteBody(
                        "the %s-encoded %s ended before the end of its %s stream, after %d decoded bytes (cut short)"
                        % (self.encoding, self.wording.noun, self.encoding, self.received)
                    )
                return 0
            if self.decoder.eof:
                self._next_member()
            self.pending = bytes(self.scratch[:count])

    def _decode(self, limit):
        try:
            decoded = self.decoder.decompress(self.pending, limit)
        except zlib.error as exc:
            if self.encoding == "deflate" and not self.started:
                # Some servers send raw deflate without the zlib wrapper that RFC 9110 asks for.
                self.decoder = self._decoder(raw=True)
                return self._decode(limit)
            raise UnexpectedResponseError("the %s-encoded %s is corrupt (%s)" % (self.encoding, self.wording.noun, exc))
        self.started = True
        self.pending = self.decoder.unconsumed_tail
        if self.decoder.eof and self.decoder.unused_data:
            self.pending = self.decoder.unused_data
            self._next_member()
        return decoded

    def _next_member(self):
        """Data after the end of a stream: the next member of a gzip body; anything else is refused."""
        if self.encoding != "gzip":
            raise UnexpectedResponseError("the %s sent data after the end of its %s stream" % (self.wording.noun, self.encoding))
        self.decoder = self._decoder()
