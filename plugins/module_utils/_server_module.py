# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The second connection of ``cma_cloud_site``: the Server/Data Center instance (``server_*`` options).

The instance is reached over the same transport as the cloud (``ApiClient``), with its own URL,
credentials and TLS settings: HTTP Basic ``server_username:server_password`` of an administrator,
or ``Bearer server_token`` (a personal access token).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from urllib.parse import urlunsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._secrets import header_token
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import is_loopback, parse_absolute_url, redact_url


def server_argument_spec():
    """Options of the ``migrationops.atlassian.server_connection`` doc fragment, with their environment fallbacks."""
    return dict(
        server_url=dict(type="str", required=True, fallback=(env_fallback, ["ATLASSIAN_SERVER_URL"])),
        server_username=dict(type="str", fallback=(env_fallback, ["ATLASSIAN_SERVER_USERNAME"])),
        server_password=dict(type="str", no_log=True, fallback=(env_fallback, ["ATLASSIAN_SERVER_PASSWORD"])),
        server_token=dict(type="str", no_log=True, fallback=(env_fallback, ["ATLASSIAN_SERVER_TOKEN"])),
        server_validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["ATLASSIAN_SERVER_VALIDATE_CERTS"])),
        server_ca_path=dict(type="path", fallback=(env_fallback, ["ATLASSIAN_SERVER_CA_PATH"])),
    )


def normalize_server_url(value):
    """The instance's base URL (a context path such as /jira kept) without a trailing slash; plain HTTP only to loopback."""
    parts = parse_absolute_url(value, "server_url")
    if parts.query or parts.fragment:
        raise InvalidParameterError("server_url must be a base URL without a query string or fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidParameterError(
            "server_url %s uses plain http: the instance's password or token would cross the network unencrypted. Use https:// "
            "(plain http is accepted only for loopback addresses)" % redact_url(value)
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def server_client_from_params(params, warn, deadline=None):
    """An ApiClient for the instance, or InvalidParameterError before any request.

    Shares ``request_timeout``, ``retries`` and the call's ``deadline`` with the cloud connection;
    TLS settings are its own. The password or token is a secret of the client (scrubbed from its errors).
    """
    server_url = normalize_server_url(params["server_url"])
    # A password goes into a Basic value as it is (it may end with a space); a token is a header's text.
    password, token = params.get("server_password"), header_token(params.get("server_token") or "", "server_token")
    if bool(password) == bool(token):
        raise InvalidParameterError(
            "give exactly one of server_password (with server_username, HTTP Basic) and server_token (a personal access token)"
        )
    if password and not params.get("server_username"):
        raise InvalidParameterError("server_password needs server_username (an administrator of the instance)")
    ca_path = params.get("server_ca_path")
    if ca_path and not os.path.isfile(ca_path):
        raise InvalidParameterError("server_ca_path %s is not a readable file" % ca_path)
    if not params["server_validate_certs"]:
        warn("server_validate_certs is false: the TLS certificate of %s is not verified" % server_url)
    return ApiClient(
        server_url,
        password or token,
        email=params.get("server_username") if password else None,
        validate_certs=params["server_validate_certs"],
        ca_path=ca_path,
        timeout=params["request_timeout"],
        retries=params["retries"],
        deadline=deadline,
    )
