"""Deterministic ID mapping report bodies, generated lazily in large blocks.

The format is a test fixture, not a claim about production (doc 3.13, 7.2): a header line and
fixed-width CSV rows ``<entityType>,<serverId:012d>,<cloudId:012d>``. One template block of
``BLOCK_ROWS`` rows is formatted once per report; every further block is a copy of it whose
leading digits are patched with extended-slice assignments, so even gigabyte reports stream at
memory speed and are never held in memory as a whole.
"""

import hashlib
import random
import threading

HEADER = b"entityType,serverId,cloudId\n"
BLOCK_ROWS = 16384
LOW_DIGITS = 5
HIGH_DIGITS = 7
ID_WIDTH = LOW_DIGITS + HIGH_DIGITS
ENTITY_TYPES = {"JIRA": "jira:issue", "CONFLUENCE": "confluence:page"}


class Report:
    def __init__(self, job_id, rows=None, size_bytes=None, entity_type="jira:issue"):
        self.job_id = job_id
        self.entity = entity_type.encode("ascii")
        self.row_width = len(self.entity) + 2 * ID_WIDTH + 3
        if rows is None:
            rows = max(0, (int(size_bytes or 0) - len(HEADER)) // self.row_width)
        self.rows = int(rows)
        self.size = len(HEADER) + self.rows * self.row_width
        seed = int.from_bytes(hashlib.sha256(job_id.encode("utf-8")).digest()[:8], "big")
        self._rng = random.Random(seed)
        self._cloud_base = self._rng.randrange(10**HIGH_DIGITS)
        self._cloud_step = self._rng.randrange(1, 10**HIGH_DIGITS, 2)
        self._template = None
        self._fills = None
        self._sha256 = None
        self._lock = threading.Lock()

    @property
    def etag(self):
        return '"%s"' % hashlib.md5(("%s:%d" % (self.job_id, self.size)).encode("utf-8"), usedforsecurity=False).hexdigest()

    def _block_template(self):
        """One block of rows (fewer for small reports), formatted once per report."""
        with self._lock:
            if self._template is None:
                count = min(self.rows, BLOCK_ROWS)
                low_ids = self._rng.sample(range(10**LOW_DIGITS), count)
                rows = (b"%s,%012d,%012d\n" % (self.entity, index, low) for index, low in enumerate(low_ids))
                self._fills = [bytes([48 + digit]) * count for digit in range(10)]
                self._template = b"".join(rows)
            return self._template

    def _patch(self, block, offset, number):
        digits = b"%0*d" % (HIGH_DIGITS, number % 10**HIGH_DIGITS)
        for position, digit in enumerate(digits):
            block[offset + position :: self.row_width] = self._fills[digit - 48]

    def chunks(self):
        """Yield the whole report body as ``bytes`` chunks of up to ``BLOCK_ROWS`` rows."""
        yield HEADER
        if not self.rows:
            return
        template = self._block_template()
        server_offset = len(self.entity) + 1
        cloud_offset = server_offset + ID_WIDTH + 1
        remaining = self.rows
        number = 0
        while remaining > 0:
            block = bytearray(template)
            self._patch(block, server_offset, number)
            self._patch(block, cloud_offset, self._cloud_base + number * self._cloud_step)
            count = min(remaining, BLOCK_ROWS)
            yield bytes(block) if count * self.row_width == len(block) else bytes(block[: count * self.row_width])
            remaining -= count
            number += 1

    def sha256(self):
        if self._sha256 is None:
            digest = hashlib.sha256()
            for chunk in self.chunks():
                digest.update(chunk)
            self._sha256 = digest.hexdigest()
        return self._sha256
