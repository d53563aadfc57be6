"""Deterministic ID mapping report bodies, generated lazily in large blocks, in several formats.

The formats are test fixtures, not claims about production (the real one is undocumented,
api-service-behaviour.md section 4):

- ``csv`` (default): a header line and fixed-width rows ``<entityType>,<serverId:012d>,<cloudId:012d>``;
- ``jsonl``: SAM-style JSON lines, a metadata row first (``{"columns": [...], "table", "rowCount"}``),
  then ``{"entityType", "sourceId", "targetId"}`` rows of fixed width;
- ``zip``: one ``id_mapping-<product>/<table>.jsonl`` member holding the ``jsonl`` body (deflated).

One template block of ``BLOCK_ROWS`` rows is formatted once per report; every further block is a
copy of it whose leading digits are patched with extended-slice assignments, so even gigabyte CSV
or JSON lines reports stream at memory speed and are never held in memory as a whole. A zip
report, and any report served with a Content-Encoding (``served``), is built in memory once:
keep those small.
"""

import hashlib
import io
import json
import random
import threading
import zipfile
import zlib

from .validate import ScenarioError, check_choice, check_number, check_str

HEADER = b"entityType,serverId,cloudId\n"
BLOCK_ROWS = 16384
LOW_DIGITS = 5
HIGH_DIGITS = 7
ID_WIDTH = LOW_DIGITS + HIGH_DIGITS
ENTITY_TYPES = {"JIRA": "jira:issue", "CONFLUENCE": "confluence:page"}


FORMATS = ("csv", "jsonl", "zip")
CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "zip": "application/zip"}
ENCODINGS = ("identity", "gzip", "deflate")
SERVED_BLOCK = 1024 * 1024
FRAMINGS = ("length", "chunked", "close")
SERVED_KEYS = ("format", "content_type", "framing", "content_encoding", "cut_at")


def served_spec(report, path):
    """The scenario's ``report`` mapping, its serving keys checked; raises ScenarioError."""
    spec = served_settings(report)
    check_choice(spec["format"], path + ".format", FORMATS)
    check_str(spec["content_type"], path + ".content_type")
    check_choice(spec["framing"], path + ".framing", FRAMINGS)
    check_choice(spec["content_encoding"], path + ".content_encoding", ENCODINGS)
    check_number(spec["cut_at"], path + ".cut_at", minimum=0, allow_none=True)
    if spec["cut_at"] is not None and spec["cut_at"] >= 1:
        raise ScenarioError("%s.cut_at: must be below 1 (a fraction of the served body)" % path)
    return dict(report)


def served_settings(report):
    """``report`` completed with the defaults of how it is served (the 0.1 behaviour)."""
    spec = dict(report)
    spec.setdefault("format", "csv")
    spec.setdefault("content_type", CONTENT_TYPES.get(spec["format"], "text/csv"))
    spec.setdefault("framing", "length")
    spec.setdefault("content_encoding", "identity")
    spec.setdefault("cut_at", None)
    return spec


def _metadata_row(entity, rows):
    columns = [{"name": name, "type": "string", "size": ID_WIDTH, "nullable": False} for name in ("sourceId", "targetId")]
    columns.insert(0, {"name": "entityType", "type": "string", "size": len(entity), "nullable": False})
    return (json.dumps({"columns": columns, "table": entity.decode("ascii"), "rowCount": rows}, sort_keys=True) + "\n").encode("ascii")


class Report:
    def __init__(self, job_id, rows=None, size_bytes=None, entity_type="jira:issue", report_format="csv"):
        self.job_id = job_id
        self.format = report_format
        self.entity = entity_type.encode("ascii")
        if report_format == "csv":
            self.prefix, self.middle, self.suffix = self.entity + b",", b",", b"\n"
        else:
            self.prefix, self.middle, self.suffix = b'{"entityType":"' + self.entity + b'","sourceId":"', b'","targetId":"', b'"}\n'
        self.row_width = len(self.prefix) + len(self.middle) + len(self.suffix) + 2 * ID_WIDTH
        if rows is None:
            rows = max(0, (int(size_bytes or 0) - len(HEADER)) // self.row_width)
        self.rows = int(rows)
        self.header = HEADER if report_format == "csv" else _metadata_row(self.entity, self.rows)
        self._zipped = None
        seed = int.from_bytes(hashlib.sha256(job_id.encode("utf-8")).digest()[:8], "big")
        self._rng = random.Random(seed)
        self._cloud_base = self._rng.randrange(10**HIGH_DIGITS)
        self._cloud_step = self._rng.randrange(1, 10**HIGH_DIGITS, 2)
        self._template = None
        self._fills = None
        self._sha256 = None
        self._lock = threading.RLock()

    @property
    def size(self):
        return len(self.zipped()) if self.format == "zip" else len(self.header) + self.rows * self.row_width

    @property
    def etag(self):
        return '"%s"' % hashlib.md5(("%s:%d" % (self.job_id, self.size)).encode("utf-8"), usedforsecurity=False).hexdigest()

    def _block_template(self):
        """One block of rows (fewer for small reports), formatted once per report."""
        with self._lock:
            if self._template is None:
                count = min(self.rows, BLOCK_ROWS)
                low_ids = self._rng.sample(range(10**LOW_DIGITS), count)
                rows = (b"%s%012d%s%012d%s" % (self.prefix, index, self.middle, low, self.suffix) for index, low in enumerate(low_ids))
                self._fills = [bytes([48 + digit]) * count for digit in range(10)]
                self._template = b"".join(rows)
            return self._template

    def _patch(self, block, offset, number):
        digits = b"%0*d" % (HIGH_DIGITS, number % 10**HIGH_DIGITS)
        for position, digit in enumerate(digits):
            block[offset + position :: self.row_width] = self._fills[digit - 48]

    def zipped(self):
        """The zip body (built once): one member holding the JSON lines of the report."""
        with self._lock:
            if self._zipped is None:
                buffer = io.BytesIO()
                name = "id_mapping-%s/%s.jsonl" % (self.entity.decode("ascii").split(":")[0], self.entity.decode("ascii").replace(":", "_"))
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    info = zipfile.ZipInfo(name, date_time=(2024, 9, 20, 1, 2, 4))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, b"".join(self._rows_chunks()))
                self._zipped = buffer.getvalue()
        return self._zipped

    def chunks(self):
        """Yield the whole report body (what ``sha256`` describes) as ``bytes`` chunks."""
        if self.format != "zip":
            yield from self._rows_chunks()
            return
        body = self.zipped()
        for start in range(0, len(body), SERVED_BLOCK):
            yield body[start : start + SERVED_BLOCK]

    def served(self, encoding="identity", cut_at=None):
        """(body chunks, byte count or None): the report as sent, encoded and cut at a fraction of it.

        ``identity`` without a cut streams without building the body; otherwise it is built once.
        """
        if encoding == "identity" and cut_at is None:
            return self.chunks(), self.size
        body = b"".join(self.chunks())
        if encoding != "identity":
            compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
            body = compressor.compress(body) + compressor.flush()
        if cut_at is not None:
            body = body[: int(len(body) * cut_at)]
        return [body[start : start + SERVED_BLOCK] for start in range(0, len(body), SERVED_BLOCK)], len(body)

    def _rows_chunks(self):
        yield self.header
        if not self.rows:
            return
        template = self._block_template()
        server_offset = len(self.prefix)
        cloud_offset = server_offset + ID_WIDTH + len(self.middle)
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
