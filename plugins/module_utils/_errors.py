# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One error hierarchy for everything that can go wrong talking to Atlassian.

Each error carries what a person at 2 a.m. needs to act: the endpoint (method and path, never a
query string), the HTTP status, Atlassian's request id when the body had one, and how many
retries were spent. ``_module.py`` maps these to ``fail_json`` in one place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class AtlassianError(Exception):
    """Base class: a foreseeable failure that ends a module run with a clear message."""

    summary = "request failed"

    def __init__(self, message, endpoint=None, status=None, request_id=None, retries=0, hint=None):
        super(AtlassianError, self).__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.request_id = request_id
        self.retries = retries
        self.hint = hint
        # Partial module result (for example a job_id) that the failed result should still carry.
        self.result = {}
        # Seconds the server asked to wait (Retry-After) before this error was raised, if it did.
        self.retry_after = None

    def __str__(self):
        parts = []
        if self.endpoint:
            parts.append("%s: " % self.endpoint)
        if self.status:
            parts.append("HTTP %s " % self.status)
        parts.append(self.message)
        if self.request_id:
            parts.append(" (Atlassian request id %s)" % self.request_id)
        if self.retries:
            parts.append(" after %d retr%s" % (self.retries, "y" if self.retries == 1 else "ies"))
        if self.hint:
            parts.append(". %s" % self.hint)
        return "".join(parts)

    def details(self):
        """Machine-readable fields added to the failed result."""
        return {
            "error": {
                "type": type(self).__name__,
                "endpoint": self.endpoint,
                "status_code": self.status,
                "request_id": self.request_id,
                "retries": self.retries,
            }
        }


class InvalidParameterError(AtlassianError):
    """Bad user input, found before any request is sent."""


class AuthenticationError(AtlassianError):
    """401: wrong email or token, or a revoked token."""


class PermissionDeniedError(AuthenticationError):
    """403: authenticated, but not a site or organization admin of the destination."""


class NotFoundError(AtlassianError):
    """404: unknown or expired job, task, report or level."""


class BadRequestError(AtlassianError):
    """400 and other 4xx answers that retrying cannot fix."""


class RateLimitedError(AtlassianError):
    """429 still answered after the retry budget was spent."""


class ServerError(AtlassianError):
    """5xx still answered after the retry budget was spent."""


class TransportError(AtlassianError):
    """No HTTP answer at all: refused, reset, timed out, TLS failure.

    ``request_sent`` is False when the request cannot have reached the service (refused, connect
    timeout, TLS verification, no time left to send it): a POST that failed so did nothing.
    """

    request_sent = True


class DeadlineExceededError(TransportError):
    """The call's deadline (``wait_timeout + request_timeout``) or the request's own bound ran out."""


class UnexpectedResponseError(AtlassianError):
    """An answer that is not what the API documents: HTML from a proxy, cut JSON, missing keys."""


class IncompleteBody(UnexpectedResponseError):
    """A body that ended before its length, its last chunk or the end of its compressed stream."""


class RefusedAnswerError(AtlassianError):
    """An answer the client will not follow (an API redirect, a link to another host, an
    unparsable Location): asking again gets the same, so a wait ends at once instead of for hours."""


class CreateUnresolvedError(AtlassianError):
    """An earlier create whose answer never came back is recorded: creating again could make a second job."""


class NotVisibleYet(NotFoundError):
    """A task or tree level that the eventually consistent status API does not show yet."""


# Failures the client already retried; in a long wait (or before another download attempt) the
# next try may succeed, so they delay rather than end the work.
TRANSIENT_ERRORS = (RateLimitedError, ServerError, TransportError, UnexpectedResponseError)


class OutcomeFailure(AtlassianError):
    """The API answered fine, but what it said fails the task: a gated outcome, a timeout, a failed job.

    ``result`` holds the full module result so that a ``rescue`` can read it.
    """

    def __init__(self, message, result):
        super(OutcomeFailure, self).__init__(message)
        self.result = result

    def __str__(self):
        return self.message

    def details(self):
        return {}


def answer_lost(error):
    """True when a failed POST may have been carried out: it reached the service, no usable answer came back."""
    if isinstance(error, TransportError):
        return error.request_sent
    return isinstance(error, (ServerError, UnexpectedResponseError))
