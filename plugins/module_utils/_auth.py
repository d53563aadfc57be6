# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a request is authenticated: the API's credentials, or none at all for a presigned link."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._secrets import basic_value

try:
    from requests.auth import AuthBase
except ImportError:  # pragma: no cover - _transport reports the missing library
    AuthBase = object


class ApiAuth(AuthBase):
    """Basic ``email:api_token`` when an email is given, ``Bearer api_token`` otherwise (contract)."""

    def __init__(self, api_token, email=None):
        if email:
            self._header = "Basic " + basic_value(email, api_token)
        else:
            self._header = "Bearer " + api_token

    def __call__(self, request):
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self):
        return "ApiAuth(<redacted>)"


class NoAuth(AuthBase):
    """Strips any Authorization header (also one requests would add from ~/.netrc) and any Cookie.

    Presigned S3 URLs refuse a second authentication mechanism, and must never see the token or
    a cookie the API set, neither on the link nor after a redirect.
    """

    def __call__(self, request):
        request.headers.pop("Authorization", None)
        request.headers.pop("Cookie", None)
        return request
