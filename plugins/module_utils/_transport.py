# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP transport: one requests.Session per module run, authentication, retries, error mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import re
import time
import traceback

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy, parse_retry_after
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import redact_url, scrub
from ansible_collections.migrationops.atlassian.plugins.module_utils._version import USER_AGENT

try:
    import requests
    from requests.auth import AuthBase

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the missing_required_lib path
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    AuthBase = object

RETRYABLE_STATUS = frozenset((429, 500, 502, 503, 504))
# S3 answers errors as XML; only <Code> and <Message> are kept (other elements echo the signature).
S3_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")
S3_MESSAGE = re.compile(r"<Message>([^<]{1,300})</Message>")


class ApiAuth(AuthBase):
    """Basic ``email:api_token`` when an email is given, ``Bearer api_token`` otherwise (contract)."""

    def __init__(self, api_token, email=None):
        if email:
            raw = ("%s:%s" % (email, api_token)).encode("utf-8")
            self._header = "Basic " + base64.b64encode(raw).decode("ascii")
        else:
            self._header = "Bearer " + api_token

    def __call__(self, request):
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self):
        return "ApiAuth(<redacted>)"


class NoAuth(AuthBase):
    """Strips any Authorization header, including one requests would add from ~/.netrc.

    Presigned S3 URLs refuse a second authentication mechanism, and must never see the token.
    """

    def __call__(self, request):
        request.headers.pop("Authorization", None)
        return request


def _safe_json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _describe_body(response):
    """A short, safe description of an error body: Atlassian's envelope, or what kind of page it was."""
    body = _safe_json(response)
    if isinstance(body, dict):
        message = body.get("errorMessage") or body.get("message") or body.get("error") or ""
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            message = "%s: %s" % (message or "error", "; ".join(str(e) for e in errors))
        request_id = body.get("id") if isinstance(body.get("id"), str) else None
        return (scrub(message) or response.reason or "no error message"), request_id
    content_type = response.headers.get("Content-Type", "")
    text = response.text if response.content else ""
    code = S3_CODE.search(text)
    if code:
        message = S3_MESSAGE.search(text)
        return scrub("S3 %s%s" % (code.group(1), ": %s" % message.group(1) if message else "")), None
    if "html" in content_type.lower() or text.lstrip().lower().startswith(("<!doctype html", "<html")):
        return "the server answered with an HTML page instead of JSON (a proxy or gateway error?)", None
    if text.lstrip().startswith(("{", "[")):
        return "malformed JSON (the answer was cut short or corrupted)", None
    if text.strip():
        return "non-JSON answer: %s" % scrub(text.strip()[:200]), None
    return response.reason or "empty answer", None


def error_for_response(response, endpoint, retries=0, account_hints=True):
    """The AtlassianError subclass that describes a non-2xx response.

    ``account_hints`` adds what to check about the credentials on 401/403; a presigned link's
    refusal is about the link, so downloads leave them out.
    """
    message, request_id = _describe_body(response)
    status = response.status_code
    cls = {401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 429: RateLimitedError}.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else BadRequestError
    hint = None
    if account_hints and status == 401:
        hint = "Check email and api_token (Basic auth needs the Atlassian account email; without email a Bearer token is sent)"
    elif account_hints and status == 403:
        hint = "The account needs site-admin or org-admin rights on the destination site"
    return cls(message, endpoint=endpoint, status=status, request_id=request_id, retries=retries, hint=hint)


def _causes(exc):
    """The exception and everything it wraps (requests nests urllib3 errors in args, reason and __cause__)."""
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__] + list(current.args[:1]))


def _connection_refused(exc):
    """True when no TCP connection was established, so the server cannot have acted on the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return any(isinstance(cause, ConnectionRefusedError) or type(cause).__name__ == "NewConnectionError" for cause in _causes(exc))


def transport_error(exc, endpoint, timeout, retries=0):
    """A TransportError with a message that never quotes a URL's query string."""
    if isinstance(exc, requests.exceptions.SSLError):
        return TransportError(
            "TLS verification failed: %s" % scrub(exc),
            endpoint=endpoint,
            retries=retries,
            hint="For a private CA set ca_path (ATLASSIAN_CA_PATH) to its bundle; validate_certs=false disables verification",
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        reason = "connection timed out after %ss" % timeout
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        reason = "no answer within request_timeout (%ss)" % timeout
    elif _connection_refused(exc):
        reason = "connection refused"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        reason = "the connection broke while the answer was being received"
    else:
        reason = "connection failed (%s)" % scrub(exc)
    return TransportError(reason, endpoint=endpoint, retries=retries)


class ApiClient:
    """Talks to the Atlassian cloud APIs. Knows HTTP, not migrations."""

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
    ):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.policy = policy or BackoffPolicy(retries=retries)
        self._sleep = sleep
        self._auth = ApiAuth(api_token, email)
        self.verify = (ca_path or True) if validate_certs else False
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.retries_used = 0
        self.requests_sent = 0

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
        url = self.url_for(path)
        endpoint = self.endpoint(method, url)
        idempotent = method in ("GET", "HEAD")
        attempt = 0
        slept = 0.0
        while True:
            retry_after = None
            try:
                response = self._send(method, url, params, body)
            except requests.exceptions.RequestException as exc:
                # A certificate that failed verification fails again; retrying only delays the hint.
                if isinstance(exc, requests.exceptions.SSLError) or not (idempotent or _connection_refused(exc)):
                    raise transport_error(exc, endpoint, self.timeout, attempt)
                failure = transport_error(exc, endpoint, self.timeout, attempt)
            else:
                if 200 <= response.status_code < 300:
                    decoded = _safe_json(response)
                    if isinstance(decoded, dict):
                        return decoded
                    failure = UnexpectedResponseError(
                        "expected a JSON object, got %s" % _describe_body(response)[0], endpoint=endpoint, status=response.status_code
                    )
                    if not idempotent:
                        raise failure
                else:
                    failure = error_for_response(response, endpoint, attempt)
                    if response.status_code not in RETRYABLE_STATUS or (not idempotent and response.status_code != 429):
                        raise failure
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
            attempt += 1
            delay = self.policy.next_delay(attempt, slept, retry_after)
            if delay is None:
                failure.retries = attempt - 1
                failure.retry_after = retry_after
                raise failure
            self.retries_used += 1
            self._sleep(delay)
            slept += delay

    def _send(self, method, url, params, body):
        self.requests_sent += 1
        response = self.session.request(
            method, url, params=params, json=body, auth=self._auth, timeout=self.timeout, verify=self.verify, allow_redirects=True
        )
        # Read the whole body here so a connection that breaks mid-body is a retryable transport error.
        response.content  # noqa: B018
        return response

    def open_download(self, url):
        """Stream a presigned URL without Atlassian credentials. One attempt: the caller fetches a fresh link."""
        endpoint = self.endpoint("GET", url)
        self.requests_sent += 1
        try:
            response = self.session.get(url, auth=NoAuth(), stream=True, timeout=self.timeout, verify=self.verify)
        except requests.exceptions.RequestException as exc:
            raise transport_error(exc, endpoint, self.timeout)
        if response.status_code != 200:
            error = error_for_response(response, endpoint, account_hints=False)
            response.close()
            raise error
        return response
