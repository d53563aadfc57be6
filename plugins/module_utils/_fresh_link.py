# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Downloading through short-lived presigned links: a fresh link before every attempt, signatures kept out of messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import parse_qsl, urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._download import stream_to_temp
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    TRANSIENT_ERRORS,
    AtlassianError,
    DeadlineExceededError,
    NotFoundError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import scrub


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

    An expired or rejected link (HTTP 400/403 from S3), a broken connection or a body cut short
    costs one attempt (a local failure or the call's deadline ends them all); ``attempts`` counts
    over every ``fetch`` of one run. A NotFoundError of the link request (the report is gone) is
    raised as it is, for the caller to trigger a new report.
    """

    def __init__(self, dest, warn, attempts, deadline=None):
        self.dest = dest
        self.warn = warn
        self.attempts = attempts
        self.deadline = deadline
        self.used = 0
        self.failures = []

    def fetch(self, get_link, open_link, what):
        """(temp_path, size, sha256): ``get_link()`` gives a URL, ``open_link(url)`` gives (response, endpoint)."""
        while self.used < self.attempts:
            self.used += 1
            try:
                url = get_link()
            except (NotFoundError, DeadlineExceededError):
                raise
            except TRANSIENT_ERRORS as exc:
                self.failures.append(str(exc))
            else:
                try:
                    response, endpoint = open_link(url)
                    return stream_to_temp(response, self.dest, endpoint, deadline=self.deadline, warn=self.warn)
                except (LocalFileError, DeadlineExceededError):
                    raise
                except AtlassianError as exc:
                    self.failures.append(redact_signature(str(exc), url))
            if self.used < self.attempts:
                self.warn("download attempt %d of %d failed (%s); asking for a fresh link" % (self.used, self.attempts, self.failures[-1]))
        raise DownloadFailed(
            "could not download the report of %s in %d attempts; last error: %s"
            % (what, self.attempts, self.failures[-1] if self.failures else "no attempt left")
        )
