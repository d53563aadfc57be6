# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming a download into a hidden temporary file beside its destination.

The body is read into a ring of four reusable buffers (memory stays flat for a report of
gigabytes): the reading thread fills a buffer and writes it with ``os.write`` while one worker
thread hashes it (``hashlib`` releases the GIL on large buffers). Every ``WRITEBACK_WINDOW`` bytes
the kernel is asked to start writing the part file out (``posix_fadvise(DONTNEED)`` starts
writeback without waiting), so the disk works while the body still arrives and the final
``fsync`` has little left to do. The body must be proven complete (``_body_reader``), must not
be an error page, and is synced once. On any failure the temporary file is removed, so a killed
or failed run leaves ``dest`` untouched. Nothing here knows Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import queue
import threading

from ansible_collections.migrationops.atlassian.plugins.module_utils._body_reader import open_body
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import LocalFileError, create_part, remove_quietly

CHUNK_SIZE = 1024 * 1024
RING_BUFFERS = 4
BUFFER_SIZE = 2 * 1024 * 1024
# Without early writeback a report of 1 GB sits dirty in the page cache until the final fsync
# (writing it then takes as long as the download did) and the writer is throttled on the way.
WRITEBACK_WINDOW = 16 * 1024 * 1024
# Larger bodies are taken as reports; smaller ones starting with "{" are inspected for an error document.
ERROR_DOCUMENT_LIMIT = 1024 * 1024
ERROR_KEYS = ("errorMessage", "error", "Error", "errors")
UNVERIFIED = (
    "the download of %s had no Content-Length and was not chunked: it was taken as complete because the server closed "
    "the connection cleanly, which is all HTTP can tell for such a body"
)


class HashingRing:
    """Four reusable buffers and one thread hashing them in order while the caller writes them."""

    def __init__(self, buffers=RING_BUFFERS, size=BUFFER_SIZE):
        self.views = [memoryview(bytearray(size)) for dummy in range(buffers)]
        self.free = queue.Queue()
        self.work = queue.Queue()
        for index in range(buffers):
            self.free.put(index)
        self.digest = hashlib.sha256()
        self.failure = None
        self.thread = threading.Thread(target=self._hash, name="migrationops-sha256")
        self.thread.daemon = True
        self.thread.start()

    def _hash(self):
        while True:
            item = self.work.get()
            if item is None:
                return
            index, count = item
            try:
                self.digest.update(self.views[index][:count])
            except Exception as exc:  # pylint: disable=broad-except
                self.failure = exc
            self.free.put(index)

    def take(self):
        """(index, view) of a buffer that no one reads any more."""
        index = self.free.get()
        return index, self.views[index]

    def hash(self, index, count):
        self.work.put((index, count))

    def give_back(self, index):
        self.free.put(index)

    def finish(self):
        """The hex SHA-256 of everything handed to ``hash``; stops the thread."""
        self.close()
        if self.failure is not None:
            raise self.failure
        return self.digest.hexdigest()

    def close(self):
        if self.thread.is_alive():
            self.work.put(None)
            self.thread.join()


def _fill(body, view):
    """Bytes read into ``view``: all of it, or fewer only at the end of the body."""
    filled = 0
    while filled < len(view):
        count = body.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def start_writeback(fd, offset, length):
    """Ask the kernel to start writing ``length`` bytes at ``offset`` to disk, without waiting.

    Only a hint: where ``posix_fadvise`` is missing (macOS) or refused, the final fsync does it all.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass


def copy_body(body, fd, path, ring=None):
    """(size, sha256) of ``body`` written to ``fd``, with writeback started every ``WRITEBACK_WINDOW`` bytes."""
    ring = ring or HashingRing()
    try:
        size = flushed = 0
        while True:
            index, view = ring.take()
            count = _fill(body, view)
            if not count:
                ring.give_back(index)
                break
            _write_all(fd, view[:count], path)
            ring.hash(index, count)
            size += count
            if size - flushed >= WRITEBACK_WINDOW:
                start_writeback(fd, flushed, size - flushed)
                flushed = size
            if count < len(view):
                break
        return size, ring.finish()
    finally:
        ring.close()


def stream_to_temp(response, dest, endpoint=None, chunk_size=CHUNK_SIZE, deadline=None, warn=None):
    """Write ``response``'s body to a new temporary file beside ``dest``: (temp_path, size, sha256).

    ``endpoint`` names the download in messages (redacted, never a query string); ``deadline`` (a
    Deadline) bounds the whole body; ``warn`` is told when completeness rests on a clean close
    alone. The response is always closed. Raises TransportError (broken connection, stall),
    UnexpectedResponseError (cut short, corrupt encoding, an error page), DeadlineExceededError or
    LocalFileError, after removing the temporary file.
    """
    fd, path = None, None
    try:
        body = open_body(response, deadline, chunk_size)
        fd, path = create_part(dest)
        size, sha256 = copy_body(body, fd, path)
        refuse_error_document(response, path, size, endpoint)
        if not body.verified and warn is not None:
            warn(UNVERIFIED % (endpoint or "the report"))
        try:
            os.fsync(fd)
        except OSError as exc:
            raise LocalFileError("cannot sync %s to disk: %s" % (path, exc.strerror or exc))
        os.close(fd)
        fd = None
        return path, size, sha256
    except AtlassianError as exc:
        exc.endpoint = exc.endpoint or endpoint
        _discard(fd, path)
        raise
    except BaseException:
        _discard(fd, path)
        raise
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()


def refuse_error_document(response, path, size, endpoint=None):
    """Raise when a 200 answer is an error page (a proxy, a gateway) rather than a report.

    The report's format is not documented (CSV, JSON lines, zip... are all saved), so only what
    cannot be one is refused: an HTML page, and a small body that is one JSON object with an
    error's keys (``errorMessage``, ``error``, ``Error``, ``errors``, or ``message`` with
    ``status``/``statusCode``/``code``), or a single line starting with ``{`` that is not JSON. A
    body of several lines that does not parse as one JSON document (JSON lines) is saved.
    """
    content_type = ((response.headers or {}).get("Content-Type") or "").split(";")[0].strip().lower()
    try:
        with open(path, "rb") as handle:
            head = handle.read(min(size, ERROR_DOCUMENT_LIMIT) if size <= ERROR_DOCUMENT_LIMIT else 512)
    except (IOError, OSError) as exc:
        raise LocalFileError("cannot read back %s: %s" % (path, getattr(exc, "strerror", None) or exc))
    start = head.lstrip()[:15].lower()
    if "html" in content_type or start.startswith((b"<!doctype html", b"<html")):
        raise UnexpectedResponseError("the download link answered with an HTML page, not a report (a proxy or gateway page?)", endpoint=endpoint)
    if size > ERROR_DOCUMENT_LIMIT or not start.startswith(b"{"):
        return
    try:
        document = json.loads(head.decode("utf-8"))
    except ValueError:
        # One line that is not JSON cannot be a JSON-lines report either: a cut or corrupted answer.
        if b"\n" not in head.strip():
            raise UnexpectedResponseError(
                "the download link answered with one line of malformed JSON, not a report (cut short or corrupted)", endpoint=endpoint
            )
        return
    if isinstance(document, dict) and (
        any(key in document for key in ERROR_KEYS) or ("message" in document and any(k in document for k in ("status", "statusCode", "code")))
    ):
        raise UnexpectedResponseError("the download link answered with an error document, not a report", endpoint=endpoint)


def _write_all(fd, view, path):
    while view:
        try:
            written = os.write(fd, view)
        except OSError as exc:
            raise LocalFileError("cannot write the report to %s: %s" % (path, exc.strerror or exc))
        view = view[written:]


def _discard(fd, path):
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
    if path is not None:
        remove_quietly(path)


def file_digest(path, chunk_size=CHUNK_SIZE):
    """(size, sha256) of an existing file, read in bounded chunks."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(chunk_size)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
    except (IOError, OSError) as exc:
        raise LocalFileError("cannot read %s: %s" % (path, getattr(exc, "strerror", None) or exc))
    return size, digest.hexdigest()
