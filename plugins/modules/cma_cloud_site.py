#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cma_cloud_site
short_description: Connect the Cloud Migration Assistant of a Jira or Confluence instance to a cloud site, and attach it
version_added: 0.2.0
description:
  - Connects the Cloud Migration Assistant (CMA) of a Server/Data Center instance to a cloud site
    and attaches the site, so that the tasks created through the Migration API run on the instance.
  - "Steps: mint a connection token on the cloud side (C(POST /migrations/public/v1/token), valid
    5 minutes) with the cloud connection options; save it on the instance
    (C(POST {server_url}/rest/migration/latest/cloud/save/token)); attach the site
    (C(POST {server_url}/rest/migration/latest/public/v1/attach?cloudUrl=...))."
  - An attachment lasts 24 hours. Attaching again renews it, so every run that attaches reports
    C(changed); run the module before creating tasks, and again for migrations that start later.
  - The connection token is a secret like O(api_token) and O(server_password) - it never appears in
    results, warnings, errors or logs.
  - Failures name the step (mint token, save token, attach) and what to do, for the instance's
    plain-text and C({"message"}) error answers alike.
author:
  - MigrationOps contributors (@migrationops)
extends_documentation_fragment:
  - migrationops.atlassian.connection
  - migrationops.atlassian.server_connection
  - migrationops.atlassian.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Nothing is sent in check mode; RV(steps) lists what would be done.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  cloud_url:
    description:
      - The destination cloud site, V(https://<site>.atlassian.net); a trailing C(/) is stripped.
      - Use the same URL as the C(destination_url) of the jobs that migrate to it.
    type: str
    required: true
  connect:
    description:
      - Mint a connection token and save it on the instance before attaching.
      - V(false) attaches only, for a site connected earlier (through this module or in the CMA's
        user interface).
    type: bool
    default: true
notes:
  - The instance must run a Cloud Migration Assistant that offers these endpoints (JCMA 1.12.5 or
    CCMA 3.10.8, or later), and the account of O(server_username) or O(server_token) must be an
    administrator of the instance.
seealso:
  - module: migrationops.atlassian.migration_job
  - module: migrationops.atlassian.migration_task
  - name: Connect to cloud through the Migration API
    description: Atlassian's guide to the token and attach steps.
    link: https://developer.atlassian.com/platform/migration-api/guides/connect-to-cloud/
"""

EXAMPLES = r"""
- name: Connect the instance to the cloud site and attach it for 24 hours
  migrationops.atlassian.cma_cloud_site:
    cloud_url: https://acme.atlassian.net
    server_url: https://jira.acme.example
    server_username: jira-admin
    server_password: "{{ vault_jira_admin_password }}"
  register: site

- name: Renew the attachment of a site connected earlier, with a personal access token
  migrationops.atlassian.cma_cloud_site:
    cloud_url: https://acme.atlassian.net
    connect: false
    server_url: https://confluence.acme.example/confluence
    server_token: "{{ vault_confluence_pat }}"

- name: Show until when the site stays attached
  ansible.builtin.debug:
    msg: "{{ site.cloud_url }} is attached until {{ site.expiry_time }}"
"""

RETURN = r"""
cloud_url:
  description: The cloud site, without a trailing C(/).
  returned: always
  type: str
  sample: https://acme.atlassian.net
connected:
  description: Whether a connection token was minted and saved on the instance by this run.
  returned: always
  type: bool
  sample: true
attached:
  description: Whether the site was attached by this run.
  returned: always
  type: bool
  sample: true
expiry_time:
  description: When the attachment expires, as the instance returns it (its format is not documented); null when nothing was attached.
  returned: always
  type: str
  sample: "2026-12-02T10:15:30.123Z"
steps:
  description: The steps done, or in check mode the steps that would be done.
  returned: always
  type: list
  elements: str
  sample: [mint token, save token, attach]
changed:
  description: True whenever the site was attached (or would be, in check mode), because attaching renews the 24 hours.
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.module_utils._cloud_site import ensure_cloud_site
from ansible_collections.migrationops.atlassian.plugins.module_utils._cma_api import CmaApi, mint_token
from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec, run_module
from ansible_collections.migrationops.atlassian.plugins.module_utils._server_module import server_argument_spec, server_client_from_params
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import normalize_site_url


def argument_spec():
    spec = connection_argument_spec()
    spec.update(server_argument_spec())
    spec.update(
        cloud_url=dict(type="str", required=True),
        connect=dict(type="bool", default=True),
    )
    return spec


def run(module, client):
    params = module.params
    cloud_url = normalize_site_url(params["cloud_url"], "cloud_url")
    server = server_client_from_params(params, module.warn, deadline=client.deadline)
    # run_module scrubs what it reports of the cloud client's secrets: let it know the instance's too.
    client.add_secret(params["server_password"])
    client.add_secret(params["server_token"])

    def register_secret(value):
        client.add_secret(value)
        server.add_secret(value)

    return ensure_cloud_site(lambda url: mint_token(client, url), CmaApi(server), cloud_url, params["connect"], module.check_mode, register_secret)


def main():
    # Not mutually_exclusive: AWX injects an empty string for the unused one; server_client_from_params checks.
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
