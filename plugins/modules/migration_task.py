#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: migration_task
short_description: Ensure a check or migrate task exists on an Atlassian cloud migration job
version_added: 0.2.0
description:
  - Ensures a check task (pre-migration checks) or a migrate task (the migration itself) exists on a
    migration job (C(POST /migrations/public/v1/jobs/{jobId}/tasks)). Wait for it with
    M(migrationops.atlassian.migration_task_status).
  - Without O(force), the newest task of that type whose check options equal the requested ones is
    reused (RV(changed=false)).
  - A migrate task is created at most once per job. When one exists it is returned whatever the
    options, with a warning if its options differ.
  - Before creating, the newest task of the job is read. When it is still running the module fails
    naming it, because the service runs one task per job at a time. This applies only when a task
    would be created - an existing migrate task is returned even while it runs.
  - Task creation is limited to 5 requests a minute; an HTTP 429 is retried after its C(Retry-After).
    A C(POST) is retried only when the service cannot have acted on it (HTTP 429, connection refused).
  - The instance runs the tasks. It refuses a task of a job whose cloud site is not attached
    (M(migrationops.atlassian.cma_cloud_site)), whose server ID is not its own, or that already
    migrated, by finishing the task at once with outcome C(FAILED) and the reason as its message.
notes:
  - A task that the instance refused - only its root written, C(FINISHED) with outcome C(FAILED) -
    ran nothing, so it is not reused. Once the cause is fixed (for example the site attached), a
    re-run creates a fresh check task, or a fresh migrate task when every migrate task of the job
    was refused; a warning names the refused task and its reason. The instance itself does not
    count a refused migrate task as a migration.
  - When a job has more than one migrate task, the oldest one that was not refused is returned.
  - Nothing locks task creation across runs (the module runs on the target and keeps no state).
    After creating a task the module reads the job's tasks again. When another run created a
    task of the same type (for a check task, with the same options) at the same time, both runs
    return the oldest one that was not refused, with a warning naming both tasks; the instance
    runs one task per job at a time and refuses the other.
  - When the answer to the creation is lost (a timeout, a broken connection, an HTTP 5xx), the
    module looks for a task that appeared meanwhile and returns it, with a warning. If none is
    visible, it fails saying that the task may have been created; a re-run finds it (without
    O(force)).
  - A failure to read the task again after creating it only warns; the result still has the
    RV(task_id), with RV(created=true).
  - One read of the job's task list (over all its pages) is refused as a misbehaving service when
    it follows more than 100,000 pages, when its pages hold more than 100,000 tasks in all, or
    when it goes on for more than an hour. Real jobs stay far below these bounds.
author:
  - MigrationOps contributors (@migrationops)
extends_documentation_fragment:
  - migrationops.atlassian.connection
  - migrationops.atlassian.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The job's tasks are read; nothing is created. RV(options) are those that would be sent.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  job_id:
    description:
      - The migration job, for example RV(migrationops.atlassian.migration_job#module:job_id).
    type: str
    required: true
  task_type:
    description:
      - V(check) runs the pre-migration checks; V(migrate) runs the checks, then migrates.
      - Sent as C(Check) or C(Migrate).
    type: str
    choices: [check, migrate]
    required: true
  include_checks:
    description:
      - Check tasks only - run only these checks (C(checkTypes.includeKeys)).
    type: list
    elements: str
  exclude_checks:
    description:
      - Check task - skip these checks.
      - Migrate task - override these failed checks (C(checkTypes.excludeKeys)). Only checks whose
        C(details.excludable) is true can be overridden; their failure becomes a warning. See
        RV(migrationops.atlassian.migration_task_status#module:excludable_failures).
      - An empty list sends no C(excludeKeys), like no list.
    type: list
    elements: str
  force:
    description:
      - Check tasks only - create a new task even when a matching one exists, for example to run the
        checks again after fixing the data.
    type: bool
    default: false
seealso:
  - module: migrationops.atlassian.migration_job
  - module: migrationops.atlassian.migration_task_status
  - module: migrationops.atlassian.cma_cloud_site
  - name: Migration API tasks
    description: Atlassian's reference of the task endpoints.
    link: https://developer.atlassian.com/platform/migration-api/rest/api-group-migration-task/
"""

EXAMPLES = r"""
- name: Run the pre-migration checks (reuses a check task with the same options)
  migrationops.atlassian.migration_task:
    job_id: "{{ job.job_id }}"
    task_type: check
  register: check_task

- name: Wait for the checks; a failed check does not stop the play here
  migrationops.atlassian.migration_task_status:
    job_id: "{{ job.job_id }}"
    task_id: "{{ check_task.task_id }}"
    wait: true
    wait_sleep: 30
  register: checks

- name: Migrate, overriding the failed checks that can be overridden
  migrationops.atlassian.migration_task:
    job_id: "{{ job.job_id }}"
    task_type: migrate
    exclude_checks: "{{ checks.excludable_failures }}"
  register: migrate_task

- name: Run the checks again after fixing the data
  migrationops.atlassian.migration_task:
    job_id: "{{ job.job_id }}"
    task_type: check
    force: true
"""

RETURN = r"""
job_id:
  description: The migration job.
  returned: always
  type: str
  sample: 0bacecde-372e-4d84-8d79-d66433b8fa45
task_id:
  description: The task created or found; null in check mode when it would be created.
  returned: always
  type: str
  sample: 00000132-0319-a3cb-a391-52d37934632d
task_type:
  description: V(check) or V(migrate).
  returned: always
  type: str
  sample: migrate
created:
  description: Whether this run created the task.
  returned: always
  type: bool
  sample: true
options:
  description: The task's options, as sent (or as found on the task reused); C({}) for none.
  returned: always
  type: dict
  sample: {checkTypes: {excludeKeys: [AnonPermission]}}
created_at:
  description: When the task was created, as the API gives it; null when it is not readable yet or not created.
  returned: always
  type: str
  sample: "2026-11-01T10:00:00.000Z"
changed:
  description: Whether a task was created (or would be, in check mode).
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec, run_module
from ansible_collections.migrationops.atlassian.plugins.module_utils._task import ensure_task
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_options import requested_options
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_api import TaskApi


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        job_id=dict(type="str", required=True),
        task_type=dict(type="str", required=True, choices=["check", "migrate"]),
        include_checks=dict(type="list", elements="str"),
        exclude_checks=dict(type="list", elements="str"),
        force=dict(type="bool", default=False),
    )
    return spec


def run(module, client):
    params = module.params
    if not params["job_id"].strip():
        raise InvalidParameterError("job_id must not be empty")
    options = requested_options(params["task_type"], params["include_checks"], params["exclude_checks"], params["force"])
    return ensure_task(TaskApi(client), params["job_id"], params["task_type"], options, params["force"], module.check_mode, module.warn)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
