# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Connection options for the on-premises Jira/Confluence instance (Server or Data Center).
    DOCUMENTATION = r"""
options:
  server_url:
    description:
      - Base URL of the Jira or Confluence Server/Data Center instance, with its context path if it
        has one (for example V(https://jira.example.com) or V(https://example.com/confluence)).
      - Plain C(http://) is refused unless the host is a loopback address, and a URL with user info
        (C(user:password@host)) is refused - credentials go in their own options.
      - If not set, the value of the E(ATLASSIAN_SERVER_URL) environment variable is used.
    type: str
    required: true
  server_username:
    description:
      - Username of an administrator of the instance, for HTTP Basic authentication with O(server_password).
      - If not set, the value of the E(ATLASSIAN_SERVER_USERNAME) environment variable is used.
    type: str
  server_password:
    description:
      - Password of O(server_username).
      - Exactly one of O(server_password) and O(server_token) is required.
      - Whitespace around it is removed; a line break or another control character inside it is refused
        before any request. O(server_password) is sent as given.
      - It never appears in results, warnings, errors or logs, at any verbosity.
      - If not set, the value of the E(ATLASSIAN_SERVER_PASSWORD) environment variable is used.
    type: str
  server_token:
    description:
      - Personal access token of an administrator of the instance, sent in the C(Authorization) header as C(Bearer <token>).
      - Exactly one of O(server_password) and O(server_token) is required.
      - Whitespace around it is removed; a line break or another control character inside it is refused
        before any request. O(server_password) is sent as given.
      - It never appears in results, warnings, errors or logs, at any verbosity.
      - If not set, the value of the E(ATLASSIAN_SERVER_TOKEN) environment variable is used.
    type: str
  server_validate_certs:
    description:
      - Whether to verify the TLS certificate of the instance.
      - Set to V(false) only for testing; the module warns when it is off.
      - If not set, the value of the E(ATLASSIAN_SERVER_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  server_ca_path:
    description:
      - Path to a PEM bundle of CA certificates for the instance's certificate (an internal CA).
      - If not set, the value of the E(ATLASSIAN_SERVER_CA_PATH) environment variable is used.
    type: path
notes:
  - The instance is reached with the same O(request_timeout) and O(retries) as the cloud API.
  - Put the C(server_*) options on the task or in the environment, not in C(module_defaults) for the
    whole group C(group/migrationops.atlassian.migration), because the other modules of the group do not
    accept them.
"""
