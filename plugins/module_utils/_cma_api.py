# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting the Cloud Migration Assistant of an instance to a cloud site: the three requests.

1. ``POST /migrations/public/v1/token {cloudUrl}`` on the cloud: a connection token, valid 5 minutes;
2. ``POST {server_url}/rest/migration/latest/cloud/save/token {cloudUrl, token}`` on the instance;
3. ``POST {server_url}/rest/migration/latest/public/v1/attach?cloudUrl=`` on the instance (24 hours).

The instance answers errors as plain text (``Exception in saving token.``) or ``{"message"}``
with 400/500; each failure is raised again naming its step and what to do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    UnexpectedResponseError,
)

TOKEN_PATH = "/migrations/public/v1/token"
CMA_PATH = "/rest/migration/latest"

MINT = "mint a connection token for %s on the cloud"
SAVE = "save the connection token on the instance"
ATTACH = "attach %s on the instance"

SERVER_AUTH_HINT = (
    "Check server_username and server_password, or server_token (a personal access token): the account must be an administrator of the instance"
)
NOT_FOUND_HINT = (
    "Check that server_url is the instance's base URL, with its context path (for example https://jira.example.com/jira), "
    "and that the Cloud Migration Assistant is recent enough (JCMA 1.12.5, CCMA 3.10.8 or later)"
)
SAVE_REFUSED_HINT = (
    "The instance refused the token: a connection token is valid for 5 minutes and only for the cloud_url it was minted "
    "for. Run the task again (it mints a fresh token)"
)
ATTACH_REFUSED_HINT = (
    "The cloud site is not connected to the instance: run with connect=true (the default), which mints and saves a "
    "connection token first, and use cloud_url exactly as the site was connected"
)
SERVER_FAILED_HINT = "The instance failed; its log (atlassian-jira.log or atlassian-confluence.log) says why. Run the task again"


def _failed(exc, step, hint):
    """``exc`` raised again as the same error type, its message naming the step, with ``hint`` when given."""
    error = type(exc)(
        "cannot %s: %s" % (step, exc.message),
        endpoint=exc.endpoint,
        status=exc.status,
        request_id=exc.request_id,
        retries=exc.retries,
        hint=hint or exc.hint,
    )
    error.retry_after = exc.retry_after
    return error


def _server_hint(exc, refused_hint, failed_hint):
    """What to do about an instance's answer: ``refused_hint`` for a 400, ``failed_hint`` for a 5xx."""
    if isinstance(exc, PermissionDeniedError):
        return "The account is not an administrator of the instance"
    if isinstance(exc, AuthenticationError):
        return SERVER_AUTH_HINT
    if isinstance(exc, NotFoundError):
        return NOT_FOUND_HINT
    if isinstance(exc, ServerError):
        return failed_hint
    if isinstance(exc, BadRequestError):
        return refused_hint
    return None


def mint_token(cloud, cloud_url):
    """The connection token minted by the cloud for ``cloud_url`` (a secret: the caller must register it)."""
    step = MINT % cloud_url
    try:
        body = cloud.post_json(TOKEN_PATH, {"cloudUrl": cloud_url})
    except AtlassianError as exc:
        raise _failed(exc, step, None)
    token = body.get("token")
    if not isinstance(token, str) or not token.strip():
        raise UnexpectedResponseError("cannot %s: the answer has no token" % step, endpoint="POST %s" % TOKEN_PATH)
    return token


class CmaApi:
    """The instance's Cloud Migration Assistant, over an ApiClient whose base URL is ``server_url``."""

    def __init__(self, client):
        self.client = client

    def save_token(self, cloud_url, token):
        try:
            self.client.post_json(CMA_PATH + "/cloud/save/token", {"cloudUrl": cloud_url, "token": token})
        except AtlassianError as exc:
            raise _failed(exc, SAVE, _server_hint(exc, SAVE_REFUSED_HINT, SAVE_REFUSED_HINT))

    def attach(self, cloud_url):
        """Attach the site for 24 hours; returns the instance's ``expiryTime`` as given (its format is not documented)."""
        step = ATTACH % cloud_url
        try:
            # An empty JSON object: the endpoint has no body, but requires Content-Type: application/json.
            body = self.client.request_json("POST", CMA_PATH + "/public/v1/attach", params={"cloudUrl": cloud_url}, body={})
        except AtlassianError as exc:
            raise _failed(exc, step, _server_hint(exc, ATTACH_REFUSED_HINT, SERVER_FAILED_HINT))
        return body.get("expiryTime")
