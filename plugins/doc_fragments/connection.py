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
      - A URL with user info (C(https://user:password@host)) is refused, here and in every other URL
        option of the collection; the message names the option and never quotes the URL.
      - API calls follow no redirects (a C(3xx) fails naming only the origin of its C(Location)), since the
        credentials would go along. Presigned download links follow at most 3 redirects, only to
        C(https) (or C(http) on a loopback address), never sending an C(Authorization) header or a cookie.
      - If not set, the value of the E(ATLASSIAN_API_URL) environment variable is used.
    type: str
    default: https://api.atlassian.com
  email:
    description:
      - Email address of the Atlassian Cloud account that owns O(api_token).
      - When set, requests use HTTP Basic authentication with O(email) and O(api_token), the scheme
        Atlassian documents for these APIs. When not set, O(api_token) is sent as a Bearer token.
      - Atlassian documents only Basic for the Migration API (C(/migrations/public/)); without O(email)
        a module calling it warns once, and a 401 there says so. The ID Mapping API takes Bearer, so
        O(email) is not needed when only it is called.
      - If not set, the value of the E(ATLASSIAN_EMAIL) environment variable is used.
    type: str
    aliases: [username]
  api_token:
    description:
      - Atlassian API token of a site-admin or org-admin of the destination cloud site.
      - Whitespace around it (the newline at the end of a token read from a file) is removed; a line
        break or another control character inside it is refused before any request.
      - It never appears in results, warnings, errors or logs, at any verbosity, in any form (the
        token, the Basic value C(base64(email:api_token)) and the whole header value are scrubbed from
        every message, also when an error body echoes the C(Authorization) header).
      - With E(ANSIBLE_DEBUG=1), ansible-core itself prints the arguments of every module call on the
        controller (C(done with _execute_module (...)) in C(ansible/plugins/action/__init__.py)),
        C(no_log) or not, so a token given as a task option or through C(module_defaults) is printed
        there. Given through the E(ATLASSIAN_API_TOKEN) environment variable (as the collection's AWX
        credential type injects it), it is read by the module on the target and is not printed.
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
      - Timeout in seconds for one HTTP request as a whole, connect (the DNS lookup of a new
        connection's host name, a proxy's C(CONNECT) and the TLS handshake too), headers and body
        included; a handshake, headers or a body that trickle in slowly end at this time too.
        Answers larger than 8 MiB are refused.
      - "One deadline: with C(wait: true) a call ends, returning or failing, within
        C(wait_timeout + request_timeout + 10) seconds of its start, whatever the server does: every
        request, retry sleep, C(Retry-After) and page of a listing is shortened to what is left."
      - A positive, finite number of seconds, at most 86400; C(inf), C(nan) or a huge value fails
        before any request (and so does such a C(wait_timeout)).
      - If not set, the value of the E(ATLASSIAN_REQUEST_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429, 5xx or a connection error, with exponential
        backoff and full jitter; a C(Retry-After) header (seconds or HTTP date) or else an
        C(X-RateLimit-Reset) header (C(yyyy-MM-ddTHH:mmZ), other ISO 8601 forms or epoch seconds) is
        honoured. Values such as C(inf), C(nan), garbage or more than a year are ignored.
      - A C(POST) is retried only when the server cannot have acted on it (HTTP 429, connection refused).
      - Sleeps are capped at 60 seconds each. Without a wait, retry sleeps add up to at most 300 seconds
        per module call; with one, they end at the call's deadline. A server asking to wait longer
        than what is left fails at once, saying when to try again (seconds and UTC time).
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
