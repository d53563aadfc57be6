# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport: one requests.Session per module run, authentication, retries, error mapping.

Hostile by default: every request is bounded as a whole (connect, headers and body) by
``min(request_timeout, what is left of the call's Deadline)``, answers are read up to a cap by the
collection's own bounded body reader (``_reading``, ``_body_reader``: not urllib3's, whichever is
installed), API calls follow no redirects, and every error message is scrubbed of the credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import time
import traceback
from urllib.parse import urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._answers import (
    EMPTY,
    MALFORMED,
    decode_json,
    describe_body,
    error_for_response,
    json_kind,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._auth import ApiAuth, NoAuth
from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy, server_wait
from ansible_collections.migrationops.atlassian.plugins.module_utils._body_reader import ACCEPT_ENCODING
from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import Deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    DeadlineExceededError,
    RefusedAnswerError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils import _reading
from ansible_collections.migrationops.atlassian.plugins.module_utils._http_session import new_session
from ansible_collections.migrationops.atlassian.plugins.module_utils._secrets import SecretRedactor
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import redact_url, redirect_origin
from ansible_collections.migrationops.atlassian.plugins.module_utils._version import USER_AGENT

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the missing_required_lib path
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

RETRYABLE_STATUS = frozenset((429, 500, 502, 503, 504))
MIGRATION_API_PREFIX = "/migrations/public/"
BEARER_ON_MIGRATION_API = (
    "no email is set, so the API token is sent as Bearer: Atlassian documents only Basic authentication "
    "(email:api_token) for the Migration API; set email (ATLASSIAN_EMAIL) to the account email of the token"
)


def _utc(epoch):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


class ApiClient:
    """Talks to the Atlassian cloud APIs. Knows HTTP, not migrations.

    ``deadline`` (a ``_deadline.Deadline``, default: none) bounds everything the client does;
    ``clock`` is the monotonic clock it is measured on, ``wall`` the clock of Retry-After dates,
    ``warn`` receives the client's warnings (the Bearer one). ``add_secret()`` registers more
    values to scrub from every error the client raises.
    """

    def __init__(
        self,
        api_url,
        api_token,
        email=None,
        validate_certs=True,
        ca_path=None,
        timeout=30.0,
        retries=5,
        policy=None,
        sleep=time.sleep,
        session=None,
        deadline=None,
        clock=time.monotonic,
        wall=time.time,
        warn=None,
    ):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.policy = policy or BackoffPolicy(retries=retries)
        self._sleep = sleep
        self._clock = clock
        self._wall = wall
        self._warn = warn
        self.deadline = deadline or Deadline(None, clock)
        self._auth = ApiAuth(api_token, email)
        self.secrets = SecretRedactor()
        self.secrets.add(api_token)
        if email:
            self.secrets.add_basic(email, api_token)
        self._bearer = not email
        self._bearer_warned = False
        self.verify = (ca_path or True) if validate_certs else False
        self.session = session or new_session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING})
        self.retries_used = 0
        self.requests_sent = 0
        # Retry sleeps of the whole call: without a deadline they add up to policy.max_total at most.
        self.slept = 0.0

    def add_secret(self, value):
        """Scrub ``value`` (a password, a minted token...) from every message this client builds."""
        self.secrets.add(value)

    def redact(self, value):
        """``value`` (text or a result structure) without any secret this client knows."""
        return self.secrets.redact_value(value)

    def url_for(self, path):
        return path if urlsplit(path).scheme else self.api_url + path

    def endpoint(self, method, url):
        """How an endpoint is named in messages: method and path, never the query string."""
        parts = urlsplit(url)
        if self.api_url.startswith("%s://%s" % (parts.scheme, parts.netloc)):
            return "%s %s" % (method, parts.path)
        return "%s %s" % (method, redact_url(url))

    def get_json(self, path, params=None):
        return self.request_json("GET", path, params=params)

    def post_json(self, path, body):
        return self.request_json("POST", path, body=body)

    def request_json(self, method, path, params=None, body=None):
        """Send a request to the API and return its decoded JSON object, retrying what is safe to retry."""
        try:
            return self._request_json(method, path, params, body)
        except AtlassianError as exc:
            raise self.secrets.redact_error(exc)

    def _request_json(self, method, path, params, body):
        url = self.url_for(path)
        endpoint = self.endpoint(method, url)
        on_migration_api = urlsplit(url).path.startswith(MIGRATION_API_PREFIX)
        if on_migration_api and self._bearer and self._warn and not self._bearer_warned:
            self._bearer_warned = True
            self._warn(BEARER_ON_MIGRATION_API)
        idempotent = method in ("GET", "HEAD")
        attempt = 0
        slept = 0.0
        while True:
            retry_after = None
            try:
                response, content = self._send(method, url, params, body, endpoint)
            except DeadlineExceededError:
                raise
            except TransportError as exc:
                # A body slower than request_timeout: retried like a read timeout.
                if not idempotent:
                    raise
                failure = exc
            except requests.exceptions.RequestException as exc:
                # A certificate that failed verification fails again; retrying only delays the hint.
                if isinstance(exc, requests.exceptions.SSLError) or not (idempotent or _reading.connection_refused(exc)):
                    raise _reading.transport_error(exc, endpoint, self.timeout, attempt)
                failure = _reading.transport_error(exc, endpoint, self.timeout, attempt)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    decoded, problem = decode_json(content)
                    if isinstance(decoded, dict):
                        return decoded
                    if problem is None:
                        kind = json_kind(decoded)
                    else:
                        kind = problem if problem == EMPTY else describe_body(response, self.secrets.redact)[0]
                    failure = UnexpectedResponseError("expected a JSON object, got %s" % kind, endpoint=endpoint, status=status)
                    if not idempotent or problem != MALFORMED:
                        raise failure
                else:
                    failure = error_for_response(response, endpoint, attempt, redact=self.secrets.redact)
                    if status == 401 and on_migration_api and self._bearer:
                        failure.hint = "The Migration API expects Basic authentication: %s" % BEARER_ON_MIGRATION_API
                    if status not in RETRYABLE_STATUS or (not idempotent and status != 429):
                        raise failure
                    retry_after = server_wait(response.headers, self._wall())
            attempt += 1
            delay = self._retry_delay(attempt, slept, retry_after, failure)
            self.retries_used += 1
            self._sleep(delay)
            slept += delay
            self.slept += delay

    def _retry_delay(self, attempt, slept, retry_after, failure):
        """The sleep before retry ``attempt``; raises ``failure`` when no retry fits in what is left."""
        failure.retries = attempt - 1
        failure.retry_after = retry_after
        if self.deadline.bounded:
            left, what = self.deadline.remaining(), "before the deadline of this call (wait_timeout + request_timeout)"
            budget_slept = slept
        else:
            left, what = self.policy.max_total - self.slept, "of this call's %d s retry budget" % self.policy.max_total
            budget_slept = self.slept
        if retry_after is not None and retry_after > left:
            failure.message = "%s; the server asks to retry in %d s (at %s), more than the %d s left %s" % (
                failure.message,
                math.ceil(retry_after),
                _utc(self._wall() + retry_after),
                max(0, math.floor(left)),
                what,
            )
            raise failure
        delay = self.policy.next_delay(attempt, budget_slept, retry_after)
        # Sleeping up to the deadline itself would leave no time for the retry.
        if delay is None or delay > left or (self.deadline.bounded and delay >= left):
            raise failure
        return delay

    def _budget(self, endpoint):
        """Seconds this request may take as a whole; DeadlineExceededError when none are left."""
        budget = self.deadline.bound(self.timeout)
        if budget <= 0:
            error = DeadlineExceededError(
                "no time left for this request: the call's deadline (wait_timeout + request_timeout, %d s) has passed"
                % math.ceil(self.deadline.seconds or 0),
                endpoint=endpoint,
            )
            error.request_sent = False
            raise error
        return budget

    def _send(self, method, url, params, body, endpoint):
        """(response, content): one request, its body read whole within the budget and the cap."""
        budget = self._budget(endpoint)
        ends_at = self._clock() + budget
        self.requests_sent += 1
        try:
            response = self.session.request(
                method, url, params=params, json=body, auth=self._auth, timeout=budget, verify=self.verify, allow_redirects=False, stream=True
            )
        except ValueError as exc:
            if isinstance(exc, requests.exceptions.RequestException):
                raise
            # http.client's refusal of a header or URL quotes the value (a credential, maybe); requests
            # also parses a redirect's Location while not following it.
            raise AtlassianError("the request failed: Python refused a header value, the URL or a redirect's Location as unusable", endpoint=endpoint)
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location")
            response.close()
            raise RefusedAnswerError(
                "the API answered with a redirect (HTTP %d) to %s: API calls follow no redirects, the credentials would go along"
                % (response.status_code, redirect_origin(url, location)),
                endpoint=endpoint,
                status=response.status_code,
            )
        return response, _reading.read_body(response, self._clock, ends_at, budget, self.timeout, endpoint)

    def open_download(self, url):
        """Stream a presigned URL without Atlassian credentials. One attempt: the caller fetches a fresh link.

        Redirects are followed by hand, at most MAX_DOWNLOAD_REDIRECTS, only to https (or loopback
        http), and never with an Authorization header or a cookie.
        """
        try:
            return self._open_download(url)
        except AtlassianError as exc:
            raise self.secrets.redact_error(exc)

    def _open_download(self, url):
        hops = 0
        while True:
            endpoint = self.endpoint("GET", url)
            budget = self._budget(endpoint)
            ends_at = self._clock() + budget
            self.requests_sent += 1
            try:
                response = self.session.get(url, auth=NoAuth(), stream=True, timeout=budget, verify=self.verify, allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                raise _reading.transport_error(exc, endpoint, budget)
            except ValueError:
                # The message would quote the link, signature included.
                raise UnexpectedResponseError("the download failed: Python refused the link or a redirect's Location as unusable", endpoint=endpoint)
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                response.close()
                hops += 1
                url = _reading.redirect_target(url, location, endpoint, hops)
                continue
            if response.status_code != 200:
                raise _reading.refused_download(response, self._clock, ends_at, budget, self.timeout, endpoint, self.secrets.redact)
            return response
