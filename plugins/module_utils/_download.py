# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming a download into a hidden temporary file beside its destination.

The body is read in bounded chunks (memory stays flat for a report of gigabytes), hashed while it
is written, checked against ``Content-Length`` and synced to disk. On any failure the temporary
file is removed, so a killed or failed run leaves ``dest`` untouched. Nothing here knows Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import hashlib
import json
import os
import re

from ansible.module_utils.six.moves.urllib.parse import parse_qsl, urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    TRANSIENT_ERRORS,
    AtlassianError,
    NotFoundError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import scrub

CHUNK_SIZE = 1024 * 1024
PART_SUFFIX = ".part"
# Larger JSON answers are taken as reports; smaller ones are inspected for an error document.
ERROR_DOCUMENT_LIMIT = 1024 * 1024


class LocalFileError(AtlassianError):
    """The report could not be written, synced or moved on this host (disk full, permissions)."""


def part_pattern(dest):
    """Names of the temporary files this module creates for ``dest``: ``.{basename}.{8 hex}.part``."""
    return re.compile(r"^\.%s\.[0-9a-f]{8}%s$" % (re.escape(os.path.basename(dest)), re.escape(PART_SUFFIX)))


def create_part(dest):
    """(fd, path) of a new, empty, private (0600) temporary file in ``dest``'s directory."""
    directory = os.path.dirname(os.path.abspath(dest))
    basename = os.path.basename(dest)
    while True:
        name = ".%s.%s%s" % (basename, binascii.hexlify(os.urandom(4)).decode("ascii"), PART_SUFFIX)
        path = os.path.join(directory, name)
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600), path
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise LocalFileError("cannot create a temporary file in %s: %s" % (directory, exc.strerror or exc))


def remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def remove_stale_parts(dest):
    """Remove temporary files a killed earlier run left for ``dest``; returns the paths removed."""
    directory = os.path.dirname(os.path.abspath(dest))
    pattern = part_pattern(dest)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in sorted(names):
        if pattern.match(name):
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                remove_quietly(path)
                removed.append(path)
    return removed


def expected_length(response):
    """The byte count ``Content-Length`` promises, or None when there is none to check.

    With a ``Content-Encoding`` (gzip...) the length is that of the encoded body while the decoded
    bytes are what is written, so it cannot be compared.
    """
    headers = response.headers or {}
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    value = headers.get("Content-Length")
    if value is None or encoding not in ("", "identity"):
        return None
    try:
        length = int(str(value).strip())
    except ValueError:
        raise UnexpectedResponseError("the download has an invalid Content-Length header %r" % scrub(value)[:40])
    if length < 0:
        raise UnexpectedResponseError("the download has a negative Content-Length header")
    return length


def _read_error(exc, endpoint):
    if isinstance(exc, AtlassianError):
        exc.endpoint = exc.endpoint or endpoint
        return exc
    return TransportError("the connection broke while the report was being downloaded (%s)" % type(exc).__name__, endpoint=endpoint)


def stream_to_temp(response, dest, endpoint=None, chunk_size=CHUNK_SIZE):
    """Write ``response``'s body to a new temporary file beside ``dest``: (temp_path, size, sha256).

    ``endpoint`` names the download in messages (redacted, never a query string). The response is
    always closed. Raises TransportError (broken connection), UnexpectedResponseError (body length
    differs from Content-Length) or LocalFileError, after removing the temporary file.
    """
    fd, path = None, None
    try:
        expected = expected_length(response)
        fd, path = create_part(dest)
        digest = hashlib.sha256()
        size = 0
        chunks = response.iter_content(chunk_size=chunk_size)
        while True:
            try:
                chunk = next(chunks, None)
            except Exception as exc:  # pylint: disable=broad-except
                # requests, urllib3 and http.client raise many kinds while a body is read.
                raise _read_error(exc, endpoint)
            if chunk is None:
                break
            if not chunk:
                continue
            digest.update(chunk)
            size += len(chunk)
            _write_all(fd, chunk, path)
        if expected is not None and size != expected:
            raise UnexpectedResponseError(
                "the download ended after %d of the %d bytes announced by Content-Length (cut short)" % (size, expected)
                if size < expected
                else "the download sent %d bytes, more than the %d announced by Content-Length" % (size, expected),
                endpoint=endpoint,
            )
        refuse_error_document(response, path, size, endpoint)
        try:
            os.fsync(fd)
        except OSError as exc:
            raise LocalFileError("cannot sync %s to disk: %s" % (path, exc.strerror or exc))
        os.close(fd)
        fd = None
        return path, size, digest.hexdigest()
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
    """Raise when a 200 answer is an error page (a proxy, a gateway, a cut answer) rather than a report.

    The report's format is not documented, so only what cannot be one is refused: an HTML page,
    and a small JSON document that is malformed or is an error envelope.
    """
    content_type = ((response.headers or {}).get("Content-Type") or "").split(";")[0].strip().lower()
    if "html" in content_type:
        raise UnexpectedResponseError("the download link answered with an HTML page, not a report (a proxy or gateway page?)", endpoint=endpoint)
    if not content_type.endswith("json") or size > ERROR_DOCUMENT_LIMIT:
        return
    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read().decode("utf-8"))
    except ValueError:
        raise UnexpectedResponseError("the download link answered with malformed JSON, not a report (cut short or corrupted)", endpoint=endpoint)
    if isinstance(document, dict) and any(key in document for key in ("errorMessage", "error", "Error")):
        raise UnexpectedResponseError("the download link answered with an error document, not a report", endpoint=endpoint)


def _write_all(fd, chunk, path):
    view = memoryview(chunk)
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


def redact_signature(text, url):
    """``text`` without the query string of ``url`` nor any of its values (a presigned signature)."""
    text = scrub(text)
    for _name, value in parse_qsl(urlsplit(url).query):
        if len(value) >= 6:
            text = text.replace(value, "<redacted>")
    return text


class DownloadFailed(AtlassianError):
    """Every attempt to download the report failed."""


class FreshLinkDownloader:
    """Downloads a report through short-lived links, asking for a fresh link before every attempt.

    An expired or rejected link (HTTP 400/403 from S3), a broken connection or a short body costs
    one attempt; ``attempts`` counts over every ``fetch`` of one run. A NotFoundError of the link
    request (the report is gone) is raised as it is, for the caller to trigger a new report.
    """

    def __init__(self, dest, warn, attempts):
        self.dest = dest
        self.warn = warn
        self.attempts = attempts
        self.used = 0
        self.failures = []

    def fetch(self, get_link, open_link, what):
        """(temp_path, size, sha256): ``get_link()`` gives a URL, ``open_link(url)`` gives (response, endpoint)."""
        if self.used == 0:
            remove_stale_parts(self.dest)
        while self.used < self.attempts:
            self.used += 1
            try:
                url = get_link()
            except NotFoundError:
                raise
            except TRANSIENT_ERRORS as exc:
                self.failures.append(str(exc))
            else:
                try:
                    response, endpoint = open_link(url)
                    return stream_to_temp(response, self.dest, endpoint)
                except LocalFileError:
                    raise
                except AtlassianError as exc:
                    self.failures.append(redact_signature(str(exc), url))
            if self.used < self.attempts:
                self.warn("download attempt %d of %d failed (%s); asking for a fresh link" % (self.used, self.attempts, self.failures[-1]))
        raise DownloadFailed(
            "could not download the report of %s in %d attempts; last error: %s"
            % (what, self.attempts, self.failures[-1] if self.failures else "no attempt left")
        )
