#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: migration_task_status
short_description: Read, and wait on, the status tree of an Atlassian cloud migration task
version_added: 0.1.0
description:
  - Reads the status tree of a check or migrate task of an Atlassian Server/Data Center to Cloud
    migration job through the Migration API, following every page and merging the children.
  - Optionally waits until the node is finished, inside one module run (one process for a wait of
    hours), and fails on chosen outcomes, naming the failing checks or scopes.
  - The Migration API is eventually consistent. While waiting, a task or level that is not visible
    yet (HTTP 404, or a level missing from the tree) counts as not finished. Without O(wait), it fails
    with a message saying so.
  - A task whose root node is C(FINISHED) is finished for every level. The Migration Assistant
    answers a task it refuses (site not attached, wrong server ID, another task running, migration
    already done, invalid app keys, empty scope) with the root alone, C(FINISHED)/C(FAILED) with the
    reason as its message. When the level asked for is missing, the module reads the task's root;
    under a C(FINISHED) root the read (or wait) ends at once with the root's status, outcome and
    message, the level listed in RV(missing_levels), and O(fail_on_outcomes) applied to the root's
    outcome. Under an unfinished root a missing level still means "not visible yet".
  - Never changes anything; C(changed) is always V(false).
author:
  - MigrationOps contributors (@migrationops)
extends_documentation_fragment:
  - migrationops.atlassian.connection
  - migrationops.atlassian.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads, so it runs normally in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  job_id:
    description:
      - ID of the migration job.
    type: str
    required: true
  task_id:
    description:
      - ID of the check or migrate task.
      - Exactly one of O(task_id) and O(task_type) is required.
    type: str
  task_type:
    description:
      - Use the newest task of this type in the job, found in the job's task list (all pages).
      - The resolved ID is returned in RV(task_id).
    type: str
    choices: [check, migrate]
  level:
    description:
      - Path into the tree, from the task's root. V([]) (the default) is the root.
      - Examples V([check]), V([check, AnonPermission]), V([migrate]), V([migrate, apps]).
      - The comma string form V(check,AnonPermission) is accepted too.
    type: list
    elements: str
    default: []
  expand_children:
    description:
      - Read the children of the node, following every page and merging them by name.
      - Without it RV(nodes) is empty and only the node's own status is read.
    type: bool
    default: true
  wait:
    description:
      - Poll until the node is C(FINISHED), or until O(wait_timeout) passes.
      - Transient failures (HTTP 429, 5xx, connection errors, malformed answers) are retried by the
        client and, if they persist, only delay the wait; an authentication failure ends it at once.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 3600
  wait_sleep:
    description:
      - Seconds between polls. V(0) polls back to back, which only makes sense against a simulator.
    type: int
    default: 15
  wait_for_children:
    description:
      - The node counts as finished only when it and every descendant are C(FINISHED).
      - Use it for migrate tasks with apps in scope, whose app data is migrated after the core data,
        so the C(migrate) node can be C(FINISHED) while C(migrate,apps) is still running.
      - With it, the subtree is the unit for O(fail_on_outcomes) as well.
    type: bool
    default: false
  fail_on_outcomes:
    description:
      - Fail when the finished node has one of these outcomes. The failure message names every
        descendant with such an outcome, its message, and whether a failed check is excludable
        (can be overridden with C(excludeKeys) on a new Migrate task).
      - The outcomes are V(SUCCESS), V(WARNING), V(FAILED), V(SKIPPED), V(INCOMPLETE) and
        V(CANCELLED), in any case (V(failed) is V(FAILED)); another value fails before any request.
        Outcomes of the tree are compared without regard to case too.
      - A gate fails closed. A non-empty list fails on a finished node whose outcome is none of
        these six (or missing) and names that outcome. With O(wait_for_children), the same applies
        to the node's descendants.
      - With O(wait_for_children), a descendant with one of these outcomes fails the task too.
      - The failed result carries every return value, so a C(rescue) block can read them.
    type: list
    elements: str
    default: []
  fail_on_timeout:
    description:
      - Fail when O(wait_timeout) passes before the node is finished.
      - With V(false) the module returns normally with RV(timed_out=true), for waits in chunks that
        report progress between them (O(heartbeat) does this for you).
    type: bool
    default: true
  summary_only:
    description:
      - Return the summary of the tree without the tree itself. RV(tree) is null and RV(nodes) is
        empty, while every other key (RV(counts), RV(failed_levels), RV(warning_levels),
        RV(excludable_failures), RV(unfinished), RV(progress), ...) is as without it.
      - For waits that read only the summary, such as a role's gates. A tree of thousands of
        nodes then costs the controller little to receive.
      - The failure message of O(fail_on_outcomes) still lists the failing nodes, except nodes
        with outcome C(SUCCESS).
    type: bool
    default: false
    version_added: 0.2.0
  heartbeat:
    description:
      - With O(wait), print one line of progress every O(heartbeat) seconds while waiting, live
        under the running task, on the controller's output and as an ansible-runner C(verbose)
        event (AWX shows it while the task runs). The line starts with the inventory host name.
      - The wait then runs as module calls of at most O(heartbeat) seconds, made by the action
        plugin of the same name; the result does not depend on it (RV(polls) and RV(elapsed)
        count the whole wait). V(0) prints no lines. A C(no_log) task prints no lines; an C(async)
        task runs as one call and prints no lines either.
    type: int
    default: 0
    version_added: 0.2.0
notes:
  - One poll is one status read (plus a read per extra page). Status reads are limited to 600 a
    minute per account, so a O(wait_sleep) of 10 seconds or more leaves room for many parallel waits.
  - One read (of a status tree or a task list, over all its pages) is refused as a misbehaving
    service, failing the task at once even with O(wait=true), when it follows more than 100,000
    pages, when its pages hold more than 1,000,000 status tree nodes or 100,000 tasks in all, or
    when it goes on for more than an hour (checked between pages; with O(wait=true) the wait's
    own deadline may end it first). Real tasks stay far below these bounds, with tens of thousands
    of nodes at most.
seealso:
  - module: migrationops.atlassian.idmapping_job
  - name: Migration API status and progress
    description: Atlassian's guide to the status tree.
    link: https://developer.atlassian.com/platform/migration-api/guides/migration-status-and-progress-details
"""

EXAMPLES = r"""
- name: Read the status of a check task
  migrationops.atlassian.migration_task_status:
    job_id: "{{ migration_job_id }}"
    task_id: "{{ check_task_id }}"
  register: check

- name: Wait for the newest check task and stop on failed checks
  migrationops.atlassian.migration_task_status:
    job_id: "{{ migration_job_id }}"
    task_type: check
    wait: true
    wait_timeout: 7200
    fail_on_outcomes: [FAILED]
  register: checks

- name: Show which failed checks could be overridden with excludeKeys
  ansible.builtin.debug:
    var: checks.excludable_failures

- name: Wait for a migration, apps included, and fail on any failed, incomplete or cancelled scope
  migrationops.atlassian.migration_task_status:
    job_id: "{{ migration_job_id }}"
    task_type: migrate
    level: [migrate]
    wait: true
    wait_for_children: true
    wait_timeout: 86400
    wait_sleep: 60
    fail_on_outcomes: [FAILED, INCOMPLETE, CANCELLED]
    summary_only: true  # counts and levels only: no tree of thousands of nodes in the result

- name: Wait up to a day, printing a line of progress every five minutes (AWX shows it live)
  migrationops.atlassian.migration_task_status:
    job_id: "{{ migration_job_id }}"
    task_type: migrate
    level: migrate
    wait: true
    wait_for_children: true
    wait_timeout: 86400
    wait_sleep: 30
    heartbeat: 300
    fail_on_outcomes: [FAILED]

- name: Set the connection once for every module of the collection
  module_defaults:
    group/migrationops.atlassian.migration:
      api_url: https://api.atlassian.com
      email: "{{ atlassian_email }}"
      api_token: "{{ atlassian_api_token }}"
  block:
    - name: Read one check
      migrationops.atlassian.migration_task_status:
        job_id: "{{ migration_job_id }}"
        task_type: check
        level: [check, AnonPermission]
"""

RETURN = r"""
job_id:
  description: The migration job.
  returned: always
  type: str
  sample: 0bacecde-372e-4d84-8d79-d66433b8fa45
task_id:
  description: The task read; with O(task_type), the newest task of that type. Null if no task was found.
  returned: always
  type: str
  sample: 00000132-0319-a3cb-a391-52d37934632d
level:
  description: The level read, as a list of names.
  returned: always
  type: list
  elements: str
  sample: [check]
status:
  description:
    - Status of the node (C(PENDING), C(IN_PROGRESS), C(SUSPENDED) or C(FINISHED)), as the API sent it;
      null if it was never visible. Every status but C(FINISHED) counts as unfinished.
    - When the level was missing under a finished task root (see RV(missing_levels)), the root's status.
  returned: always
  type: str
  sample: FINISHED
outcome:
  description:
    - Outcome of the finished node (C(SUCCESS), C(WARNING), C(FAILED), C(SKIPPED), C(INCOMPLETE) or
      C(CANCELLED)), as the API sent it; null while running.
    - When the level was missing under a finished task root (see RV(missing_levels)), the root's outcome.
  returned: always
  type: str
  sample: WARNING
message:
  description:
    - Atlassian's message for the node; for a task the Migration Assistant refused, the root's
      message gives the reason (for example C(Task already running for given jobId = ...)).
  returned: always
  type: str
  sample: All Preflight checks have passed with warning.
finished:
  description:
    - Whether the node is C(FINISHED) (and, with O(wait_for_children), every descendant too).
    - True as well when the level is missing under a C(FINISHED) task root (see RV(missing_levels)).
  returned: always
  type: bool
missing_levels:
  description:
    - The levels asked for that were missing under a C(FINISHED) task root, comma-joined, for
      example V([check]) for a refused task that never got a C(check) level. The other keys then
      describe the root. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [check]
  version_added: 0.2.0
progress:
  description: Point-in-time progress of a running node, when the API supports it for the node; else null.
  returned: always
  type: dict
  contains:
    percent:
      description: Percent done.
      type: int
    steps:
      description: Progress per step, each with C(name), C(total) and C(processed).
      type: list
      elements: dict
  sample: {percent: 30, steps: [{name: Preflight Checks, total: 40, processed: 12}]}
tree:
  description:
    - The node as the API returned it, with the children of every page merged; null if never visible.
    - Null with O(summary_only). The task's root when RV(missing_levels) is not empty.
  returned: always
  type: dict
nodes:
  description:
    - Every descendant of the node, depth first. Empty with O(summary_only).
    - The descendants of the task's root when RV(missing_levels) is not empty.
  returned: always
  type: list
  elements: dict
  contains:
    level:
      description: Comma-joined path from the task's root (O(level) followed by the child names).
      type: str
      sample: check,AnonPermission
    name:
      description: Name of the node (check type, scope or entity key).
      type: str
    status:
      description: Status of the node.
      type: str
    outcome:
      description: Outcome of the node, once finished.
      type: str
    message:
      description: Atlassian's message.
      type: str
    excludable:
      description:
        - Whether a failed check may be overridden with C(excludeKeys) on a Migrate task.
        - True only when the node's C(details.excludable) is JSON V(true) (not the string V("true"), not V(1)).
      type: bool
counts:
  description:
    - Descendants by outcome, in upper case whatever case the API used. The keys C(SUCCESS),
      C(WARNING), C(FAILED), C(SKIPPED), C(INCOMPLETE), C(CANCELLED) and C(IN_PROGRESS) (not
      finished, C(PENDING) and C(SUSPENDED) included) are always present; an undocumented outcome
      gets a key of its own, and a finished node without an outcome counts as C(UNKNOWN).
  returned: always
  type: dict
  sample: {SUCCESS: 12, WARNING: 2, FAILED: 0, SKIPPED: 3, INCOMPLETE: 0, CANCELLED: 0, IN_PROGRESS: 0}
failed_levels:
  description: Levels of finished descendants with outcome C(FAILED).
  returned: always
  type: list
  elements: str
  sample: [check,AnonPermission]
warning_levels:
  description: Levels of finished descendants with outcome C(WARNING).
  returned: always
  type: list
  elements: str
excludable_failures:
  description:
    - Names of failed checks whose C(details.excludable) is JSON V(true), ready for a Migrate task's C(excludeKeys).
  returned: always
  type: list
  elements: str
  sample: [AnonPermission]
unfinished:
  description:
    - Levels not finished yet; the node's own level first when it is itself running. With
      O(wait_for_children), unfinished descendants follow. The task root is the empty string.
  returned: always
  type: list
  elements: str
  sample: [migrate, migrate,apps]
last_problem:
  description:
    - The most recent problem a poll met, with the poll's number (HTTP 404 or a missing level,
      an HTML page from a proxy, a refused C(links.next), a transient error that outlasted the
      retries), even when a later poll succeeded; null when there was none. It never holds a
      credential or a query string.
    - The timeout message ends with it too.
  returned: always
  type: str
  sample: "poll 3: GET /migrations/public/v1/jobs/j1/tasks/t1/status: HTTP 502 the server answered with an HTML page instead of JSON"
  version_added: 0.2.0
timed_out:
  description: Whether the wait ended at O(wait_timeout) before the node was finished.
  returned: always
  type: bool
elapsed:
  description: Seconds spent reading and waiting.
  returned: always
  type: float
polls:
  description: Status reads made, not counting extra pages or retries.
  returned: always
  type: int
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError, NotVisibleYet, OutcomeFailure
from ansible_collections.migrationops.atlassian.plugins.module_utils._migration_api import MigrationApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec, run_module
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import parse_level
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import (
    NODES_ON_CONTROLLER,
    TaskStatusWatcher,
    gate_message,
    normalize_outcomes,
    timeout_message,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        job_id=dict(type="str", required=True),
        task_id=dict(type="str"),
        task_type=dict(type="str", choices=["check", "migrate"]),
        level=dict(type="list", elements="str", default=[]),
        expand_children=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=3600),
        wait_sleep=dict(type="int", default=15),
        wait_for_children=dict(type="bool", default=False),
        # Outcomes are accepted in any case, which argument-spec choices cannot do: run() checks them.
        fail_on_outcomes=dict(type="list", elements="str", default=[]),
        fail_on_timeout=dict(type="bool", default=True),
        heartbeat=dict(type="int", default=0),
        summary_only=dict(type="bool", default=False),
    )
    return spec


def run(module, client):
    params = module.params
    if params["wait_timeout"] < 0 or params["wait_sleep"] < 0:
        raise InvalidParameterError("wait_timeout and wait_sleep must be zero or more seconds")
    for option in ("job_id", "task_id"):
        if params[option] is not None and not params[option].strip():
            raise InvalidParameterError("%s must not be empty" % option)
    try:
        level = parse_level(params["level"])
        fail_on_outcomes = normalize_outcomes(params["fail_on_outcomes"])
    except ValueError as exc:
        raise InvalidParameterError(str(exc))

    watcher = TaskStatusWatcher(MigrationApi(client), params["job_id"], level, params["expand_children"], params["task_id"], params["task_type"])
    result, problem = watcher.watch(
        params["wait"],
        params["wait_for_children"],
        params["wait_timeout"],
        params["wait_sleep"],
        summary_only=params["summary_only"],
        nodes=os.environ.get(NODES_ON_CONTROLLER) != "1",
    )

    if not params["wait"] and problem is not None:
        if isinstance(problem, NotVisibleYet):
            problem.hint = "The Migration API is eventually consistent: set wait=true to wait until it appears"
        problem.result = result
        raise problem
    if result["timed_out"] and params["fail_on_timeout"]:
        raise OutcomeFailure(timeout_message(result, params["wait_timeout"], problem), result)
    failure = gate_message(result, fail_on_outcomes, params["wait_for_children"], watcher.summary.nodes if watcher.summary else [])
    if failure:
        raise OutcomeFailure(failure, result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("task_id", "task_type")],
        required_one_of=[("task_id", "task_type")],
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
