# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Connection options shared by every module of the collection.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the Atlassian cloud API.
      - Plain C(http://) is refused unless the host is a loopback address (a local simulator), so the
        token never crosses a network unencrypted.
      - If not set, the value of the E(ATLASSIAN_API_URL) environment variable is used.
    type: str
    default: https://api.atlassian.com
  email:
    description:
      - Email address of the Atlassian Cloud account that owns O(api_token).
      - When set, requests use HTTP Basic authentication with O(email) and O(api_token), the scheme
        Atlassian documents for these APIs. When not set, O(api_token) is sent as a Bearer token.
      - If not set, the value of the E(ATLASSIAN_EMAIL) environment variable is used.
    type: str
    aliases: [username]
  api_token:
    description:
      - Atlassian API token of a site-admin or org-admin of the destination cloud site.
      - It never appears in results, warnings, errors or logs, at any verbosity.
      - If not set, the value of the E(ATLASSIAN_API_TOKEN) environment variable is used.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API and of download links.
      - Set to V(false) only for testing; the module warns when it is off.
      - If not set, the value of the E(ATLASSIAN_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM bundle of CA certificates, for endpoints behind a private CA (a TLS-inspecting proxy).
      - If not set, the value of the E(ATLASSIAN_CA_PATH) environment variable is used.
    type: path
  request_timeout:
    description:
      - Timeout in seconds for one HTTP request (connect and each read). Waits are governed by their own timeouts.
      - If not set, the value of the E(ATLASSIAN_REQUEST_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429, 5xx or a connection error, with exponential
        backoff and full jitter; a C(Retry-After) header is honoured (seconds or HTTP date).
      - A C(POST) is retried only when the server cannot have acted on it (HTTP 429, connection refused).
      - Sleeps are capped at 60 seconds each and 300 seconds per request.
    type: int
    default: 5
requirements:
  - python >= 3.9
  - requests
notes:
  - The modules talk to the API from the host they run on; run them in a play on C(localhost),
    or delegate them to it.
  - Set the connection once for all modules with C(module_defaults) and the action group
    C(group/migrationops.atlassian.migration).
"""
