#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: migration_job
short_description: Ensure an Atlassian cloud migration job exists for a declared definition
version_added: 0.2.0
description:
  - Ensures a migration job of the Migration API exists for the declared definition
    (C(POST /migrations/public/v1/jobs)). A job is only a definition (what to migrate, from
    which instance, to which site); tasks created with M(migrationops.atlassian.migration_task) run it.
  - The declaration is checked before any request - the product, the URLs, the server ID, the
    shape of the scope keys known for the product, and the 390 KB limit of the API. Scope
    keys the module does not know are sent as they are, with a warning, because the service
    ignores unknown keys silently.
  - Jobs are immutable and the API cannot list them. Idempotency therefore comes from O(state_path),
    a small JSON file recording the job created for the declaration, or from O(job_id).
    With O(job_id) the job is read and compared with the declaration, and a difference fails naming
    the fields.
  - Without O(job_id) and O(state_path) every run creates a job, and the module warns about it.
  - Job creation is limited to 5 requests a minute; an HTTP 429 is retried after its C(Retry-After).
author:
  - MigrationOps contributors (@migrationops)
extends_documentation_fragment:
  - migrationops.atlassian.connection
  - migrationops.atlassian.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Existing jobs are read; nothing is created and O(state_path) is not written. RV(definition) is the job that would be created.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  name:
    description:
      - The job's name, shown in the Cloud Migration Assistant.
    type: str
    required: true
  product:
    description:
      - The product migrated, V(JIRA) or V(CONFLUENCE), in any case (V(jira) works too).
    type: str
    required: true
  flow:
    description:
      - The job's C(flow). Default from O(product) - V(jira-onpremises-to-cloud) for Jira (documented) and
        V(confluence-onpremises-to-cloud) for Confluence (not documented by Atlassian, hence overridable).
    type: str
  server_id:
    description:
      - The server ID of the instance (C(source.serverId)), shown in its system information.
      - The instance refuses tasks of a job whose server ID is not its own.
    type: str
    required: true
  destination_url:
    description:
      - The cloud site (C(destination.url)), V(https://<site>.atlassian.net); a trailing C(/) is stripped.
      - The site must be attached to the instance (M(migrationops.atlassian.cma_cloud_site)) for tasks to run.
    type: str
    required: true
  scope:
    description:
      - The job's C(scope), sent as it is.
      - "Checked before any request: Jira C(projects) (C(includedKeys), C(includedData)); Confluence
        C(spaces) (C(includedKeys), C(includedData) V(ALL) or V(ATTACHMENTS)), C(usersAndGroups)
        (C(mode) V(ALL) or V(REFERENCED)), C(apps) (C(includedKeys)) and C(globalEntities) (C(includedTypes)).
        Other keys give a warning; a scope with none of these keys, or whose keys select nothing, fails (see the notes)."
    type: dict
    required: true
  job_id:
    description:
      - An existing job. It is read and compared with the declaration; a difference fails naming each
        differing field, because a job cannot be changed.
      - With O(job_id), O(state_path) is only read (under its lock). When it records an unanswered
        creation of the same declaration (see the notes), the job is recorded there, so that later
        runs need no O(job_id).
    type: str
  state_path:
    description:
      - A JSON file (mode 0600) recording the job created for this declaration. A re-run with the same
        declaration reuses that job (RV(changed=false)) after reading it from the service; a different
        declaration recorded there fails naming the fields. Use one file per job.
      - The directory must exist and be writable; a lock file C({state_path}.lock) beside it keeps two
        runs at once from creating two jobs.
      - Before the job is created the file records the creation as unanswered. A run that is killed, or
        whose answer is lost, leaves that record, and later runs fail instead of creating a second job
        (see the notes).
    type: path
notes:
  - The API documents no way to delete a job; a job that is no longer wanted is simply left unused.
  - A scope without any key known for the product (only unknown keys, such as a misspelt C(project)),
    or whose known keys select nothing (no C(includedKeys), C(includedTypes) or C(mode) V(ALL)), fails
    before any request - the service would store an empty scope, and the instance refuses every
    task of a job with an empty scope.
  - When the answer to the creation is lost (a timeout, a broken connection or an HTTP 5xx after the
    request was sent), the job may have been created anyway, and the API cannot list jobs to find it.
    The run fails saying so. Look for a job of that O(name) in the Cloud Migration Assistant of the
    instance; if it is there, set O(job_id) to its ID, otherwise run again to create one.
  - With O(state_path), that run and every later run with the same O(state_path) and without
    O(job_id) fail before any request, because the job may exist. If it is there, one run with
    O(job_id) set to its ID and the same O(state_path) records it, and later runs reuse it without
    O(job_id). If it is not, remove the O(state_path) file and run again. The same holds after a
    run killed while it created the job. A creation the service refused (an HTTP 4xx) or that was
    never sent removes the record.
seealso:
  - module: migrationops.atlassian.cma_cloud_site
  - module: migrationops.atlassian.migration_task
  - name: Migration API jobs
    description: Atlassian's reference of the job endpoints.
    link: https://developer.atlassian.com/platform/migration-api/rest/api-group-migration-job/
"""

EXAMPLES = r"""
- name: Ensure the job of wave 1 exists, recorded beside the playbook
  migrationops.atlassian.migration_job:
    name: ACME Jira wave 1
    product: JIRA
    server_id: B7Q2-XK4M-9PLD-3WZ8
    destination_url: https://acme.atlassian.net
    scope:
      projects:
        includedKeys: [ABC, OPS]
        includedData: all
    state_path: "{{ playbook_dir }}/state/wave1-job.json"
  register: job

- name: Check that an existing job still holds what the playbook declares
  migrationops.atlassian.migration_job:
    job_id: "{{ job.job_id }}"
    name: ACME Jira wave 1
    product: JIRA
    server_id: B7Q2-XK4M-9PLD-3WZ8
    destination_url: https://acme.atlassian.net
    scope:
      projects:
        includedKeys: [ABC, OPS]
        includedData: all

- name: A Confluence job with spaces, all users and groups, and one app
  migrationops.atlassian.migration_job:
    name: ACME Confluence wave 1
    product: confluence
    server_id: C2R4-ZZ81-0QWE-77AB
    destination_url: https://acme.atlassian.net
    scope:
      spaces: {includedKeys: [ENG, HR], includedData: ALL}
      usersAndGroups: {mode: ALL}
      apps: {includedKeys: [com.example.confluence.macros]}
    state_path: "{{ playbook_dir }}/state/wave1-confluence-job.json"
"""

RETURN = r"""
job_id:
  description: The job; null in check mode when it would be created.
  returned: always
  type: str
  sample: 0bacecde-372e-4d84-8d79-d66433b8fa45
definition:
  description: The job's definition as stored by the service; in check mode, when it would be created, the definition that would be sent.
  returned: always
  type: dict
  sample:
    name: ACME Jira wave 1
    flow: jira-onpremises-to-cloud
    source: {serverId: B7Q2-XK4M-9PLD-3WZ8}
    destination: {url: "https://acme.atlassian.net"}
    scope: {projects: {includedKeys: [ABC, OPS], includedData: all}}
created:
  description: Whether this run created the job.
  returned: always
  type: bool
  sample: true
differences:
  description: The fields (dotted paths such as C(scope.projects.includedKeys)) in which the job differs from the declaration.
  returned: when the job differs from the declaration (the task fails)
  type: list
  elements: str
  sample: [name, scope.projects.includedKeys]
changed:
  description: Whether a job was created (or would be, in check mode).
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._job import build_definition, ensure_job
from ansible_collections.migrationops.atlassian.plugins.module_utils._job_api import JobApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._job_state import JobState
from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec, run_module


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        # Any case is accepted, which argument-spec choices cannot do: build_definition() checks it.
        product=dict(type="str", required=True),
        flow=dict(type="str"),
        server_id=dict(type="str", required=True),
        destination_url=dict(type="str", required=True),
        scope=dict(type="dict", required=True),
        job_id=dict(type="str"),
        state_path=dict(type="path"),
    )
    return spec


def run(module, client):
    params = module.params
    definition = build_definition(params, module.warn)
    if params["job_id"] is not None and not params["job_id"].strip():
        raise InvalidParameterError("job_id must not be empty")
    api = JobApi(client)
    if not params["state_path"]:
        return ensure_job(api, definition, params["job_id"], None, module.check_mode, module.warn)
    state = JobState(params["state_path"])
    if module.check_mode:
        # Nothing is written in check mode, not even the lock file.
        return ensure_job(api, definition, params["job_id"], state, True, module.warn)
    with state.locked():
        return ensure_job(api, definition, params["job_id"], state, False, module.warn)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
