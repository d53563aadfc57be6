# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``migration_task``: reuse the newest matching task or create one, never a second migrate task,
never while the job's newest task runs. Pure logic (the API is passed in)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError, OutcomeFailure

REQUEST_NAMES = {"check": "Check", "migrate": "Migrate"}


def _keys(values, option):
    if values is None:
        return None
    keys = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise InvalidParameterError("%s must hold non-empty check names, got %r" % (option, value))
        if value.strip() not in keys:
            keys.append(value.strip())
    return keys


def requested_options(task_type, include_checks, exclude_checks, force):
    """The task's ``options`` as sent: ``{"checkTypes": {"includeKeys"/"excludeKeys": [...]}}`` or ``{}``."""
    if task_type == "migrate" and include_checks is not None:
        raise InvalidParameterError("include_checks applies to check tasks only; a migrate task runs every check")
    if task_type == "migrate" and force:
        raise InvalidParameterError("force applies to check tasks only: a job has at most one migrate task")
    check_types = {}
    include = _keys(include_checks, "include_checks")
    exclude = _keys(exclude_checks, "exclude_checks")
    # An empty list means "none" (exclude_checks: "{{ checks.excludable_failures }}" with no failures): not sent.
    if include:
        check_types["includeKeys"] = include
    if exclude:
        check_types["excludeKeys"] = exclude
    return {"checkTypes": check_types} if check_types else {}


def options_of(task):
    """A listed task's options in the form of ``requested_options`` (from its ``payload``)."""
    payload = task.get("payload") if isinstance(task.get("payload"), dict) else {}
    check_types = payload.get("checkTypes") if isinstance(payload.get("checkTypes"), dict) else {}
    found = {}
    for key in ("includeKeys", "excludeKeys"):
        if isinstance(check_types.get(key), list):
            found[key] = list(check_types[key])
    return {"checkTypes": found} if found else {}


def same_options(left, right):
    """Equal check options: the order of keys does not matter, an empty list equals no list."""

    def canonical(options):
        check_types = options.get("checkTypes") or {}
        return dict((key, sorted(set(check_types[key]))) for key in check_types if check_types[key])

    return canonical(left) == canonical(right)


def _type(task):
    return str(task.get("taskType", "")).lower()


def _found(job_id, task, task_type):
    return dict(
        job_id=job_id,
        task_id=task.get("taskId"),
        task_type=task_type,
        created=False,
        options=options_of(task),
        created_at=task.get("createdAt"),
        changed=False,
    )


def ensure_task(api, job_id, task_type, options, force, check_mode, warn):
    """The module result. ``api`` has ``tasks(job_id)`` (newest first), ``root_status(job_id, task_id)``,
    ``create_task(job_id, body) -> task_id`` and ``created_at(job_id, task_id)``."""
    tasks = [task for task in api.tasks(job_id) if task.get("taskId")]
    same_type = [task for task in tasks if _type(task) == task_type]
    if task_type == "migrate" and same_type:
        found = same_type[0]
        if not same_options(options_of(found), options):
            warn(
                "job %s already has migrate task %s, with other options (%s); a job is migrated at most once, so it is "
                "returned as it is" % (job_id, found["taskId"], options_of(found) or "none")
            )
        return _found(job_id, found, task_type)
    if task_type == "check" and not force:
        for task in same_type:
            if same_options(options_of(task), options):
                return _found(job_id, task, task_type)
    if tasks:
        newest = tasks[0]
        status = api.root_status(job_id, newest["taskId"])
        if status != "FINISHED":
            result = dict(job_id=job_id, task_id=None, task_type=task_type, created=False, options=options, created_at=None, changed=False)
            raise OutcomeFailure(
                "job %s: its newest task %s (%s) is %s; the service runs one task per job at a time, so no %s task was "
                "created. Wait for it (migration_task_status with wait) and run again"
                % (job_id, newest["taskId"], _type(newest), status or "not visible yet", task_type),
                result,
            )
    result = dict(job_id=job_id, task_id=None, task_type=task_type, created=False, options=options, created_at=None, changed=True)
    if check_mode:
        return result
    body = {"task": REQUEST_NAMES[task_type]}
    if options:
        body["options"] = options
    result["task_id"] = api.create_task(job_id, body)
    result["created"] = True
    result["created_at"] = api.created_at(job_id, result["task_id"])
    return result
