# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resources of the ID Mapping reports API (``/migrations/reports/v1/id-mappings``).

Trigger a report job, read its status, get a presigned download link, and open that link
without Atlassian credentials. Replies are checked for the keys the documentation promises.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import is_loopback, normalize_site_url, path_segment, redact_url

BASE_PATH = "/migrations/reports/v1/id-mappings"
PRODUCTS = ("JIRA", "CONFLUENCE")
STATUSES = ("PENDING", "IN_PROGRESS", "SUCCESS", "ERROR")


def normalize_trigger_inputs(product, source_url, destination_url):
    """What the trigger endpoint accepts: product upper-cased, site URLs absolute without a trailing slash.

    A value not given stays None; a bad one raises InvalidParameterError naming the option.
    """
    if product is not None:
        normalized = str(product).strip().upper()
        if normalized not in PRODUCTS:
            raise InvalidParameterError("product must be JIRA or CONFLUENCE (any case), got %r" % product)
        product = normalized
    if source_url is not None:
        source_url = normalize_site_url(source_url, "source_url")
    if destination_url is not None:
        destination_url = normalize_site_url(destination_url, "destination_url")
    return {"product": product, "source_url": source_url, "destination_url": destination_url}


def _text(body, key, endpoint, what):
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UnexpectedResponseError("the answer has no '%s' (%s)" % (key, what), endpoint=endpoint)
    return value.strip()


class IdMappingApi:
    def __init__(self, client):
        self.client = client

    @property
    def deadline(self):
        """The call's Deadline that the transport keeps (None before it has one): it bounds the download too."""
        return getattr(self.client, "deadline", None)

    def trigger(self, product, source_url, destination_url):
        """Start a report job: (job_id, status). The status defaults to PENDING when the reply omits it."""
        path = "%s/trigger" % BASE_PATH
        body = self.client.post_json(path, {"product": product, "sourceURL": source_url, "destinationURL": destination_url})
        job_id = _text(body, "jobId", "POST %s" % path, "the ID of the triggered report job")
        status = body.get("status")
        return job_id, status.strip().upper() if isinstance(status, str) and status.strip() else "PENDING"

    def job_status(self, job_id):
        """The job's status: PENDING, IN_PROGRESS, SUCCESS or ERROR (an undocumented value is passed through)."""
        path = "%s/%s" % (BASE_PATH, path_segment(job_id, "job_id"))
        body = self.client.get_json(path)
        return _text(body, "status", "GET %s" % path, "the status of report job %s" % job_id).upper()

    def download_link(self, job_id):
        """(url, expires_in) of the report: a presigned, short-lived URL. ``expires_in`` may be None."""
        path = "%s/%s/download" % (BASE_PATH, path_segment(job_id, "job_id"))
        endpoint = "GET %s" % path
        body = self.client.get_json(path)
        url = _text(body, "downloadUrl", endpoint, "the download link of report job %s" % job_id)
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnexpectedResponseError("the download link of report job %s is not an absolute http(s) URL" % job_id, endpoint=endpoint)
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise UnexpectedResponseError(
                "the download link of report job %s uses plain http (%s): refused, the report would cross the network "
                "unencrypted and unauthenticated" % (job_id, redact_url(url)),
                endpoint=endpoint,
            )
        expires_in = body.get("expiresIn")
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            expires_in = None
        return url, expires_in

    def open_download(self, url):
        """(response, endpoint): the streamed report, fetched WITHOUT Atlassian credentials, and how to name it."""
        return self.client.open_download(url), self.client.endpoint("GET", url)
