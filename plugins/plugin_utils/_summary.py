# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions and data of the cloud_migration role, as pure functions over module results:
which steps run, what they miss, the gates (with overridden checks), and the summary's data.

The role's tasks call these through the filters of plugins/filter/cloud_migration.py; its
templates only lay the data out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.yaml import yaml_load

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError
from ansible_collections.migrationops.atlassian.plugins.module_utils._job import build_definition
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import level_label
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import gate_message
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._progress import hms

STEP_ORDER = ("attach", "job", "check", "migrate", "idmapping")
EXCLUDABLE = "excludable"

# What each step needs; checked before any request (argument_specs cannot say "required when").
REQUIRED = {
    "attach": ["cloud_migration_server_url"],
    "job": ["cloud_migration_state_dir"],
    "check": ["cloud_migration_job_id"],
    "migrate": ["cloud_migration_job_id"],
    "idmapping": ["cloud_migration_product", "cloud_migration_source_url", "cloud_migration_destination_url", "cloud_migration_idmapping_dest"],
}


def blank(value):
    return value is None or str(value).strip() == ""


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part).strip() for part in value]


def job_declaration(value):
    """``cloud_migration_job`` as a mapping: an AWX survey hands a dict over as JSON (or YAML) text."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            # As bytes: ansible-core hands templates a str subclass that PyYAML's C loader refuses.
            value = yaml_load(value.encode("utf-8"))
        except Exception as exc:  # pylint: disable=broad-except
            raise AnsibleFilterError("cloud_migration_job is text that is neither JSON nor YAML: %s" % exc)
    if not isinstance(value, dict):
        raise AnsibleFilterError(
            "cloud_migration_job must be a mapping {name, product, server_id, destination_url, scope}, got %s" % type(value).__name__
        )
    return value


def plan_steps(requested, entry, server_url=None, job=None, job_id=None, start_migration=False, migrate_task_id=None):
    """The steps to run, in order. ``entry`` is main or a step's entry point; the others are the
    role variables that decide (cloud_migration_server_url, _job, _job_id, _start_migration, _migrate_task_id)."""
    settings = dict(server_url=server_url, job=job, job_id=job_id, start_migration=start_migration, migrate_task_id=migrate_task_id)
    if entry != "main":
        return [entry]
    wanted = _as_list(requested)
    steps = []
    for step in STEP_ORDER:
        if step not in wanted:
            continue
        if step == "attach" and blank(settings.get("server_url")):
            continue
        if step == "job" and (not settings.get("job") or not blank(settings.get("job_id"))):
            continue
        steps.append(step)
    # A declared job moves data only when a person asked: without cloud_migration_start_migration
    # (or a known migrate task) there is no migration to wait for, so nothing after the gate runs.
    if settings.get("job") and not settings.get("start_migration") and blank(settings.get("migrate_task_id")):
        steps = [step for step in steps if step not in ("migrate", "idmapping")]
    return steps


def missing_variables(values, steps):
    """Names of the variables the steps need that are unset or empty, in step order, once each.
    A job the ``job`` step creates stands in for cloud_migration_job_id."""
    missing = []
    for step in STEP_ORDER:
        if step not in steps:
            continue
        for name in REQUIRED[step]:
            if name == "cloud_migration_job_id" and "job" in steps:
                continue
            if blank(values.get(name)) and name not in missing:
                missing.append(name)
    return missing


def job_definition(job):
    """The body ``migration_job`` would send for a declaration (its own checks, so the role refuses
    what the module would refuse), or raises AtlassianError naming the field."""
    params = dict((key, (job or {}).get(key)) for key in ("name", "product", "flow", "server_id", "destination_url", "scope"))
    return build_definition(params, lambda message: None)


def job_problem(job):
    """Why ``migration_job`` would refuse the declaration, or "" (unknown scope keys only warn, in the module)."""
    try:
        job_definition(job)
    except AtlassianError as exc:
        return "cloud_migration_job: %s" % (getattr(exc, "message", None) or exc)
    return ""


def variable_problems(values, steps, heartbeat, wait_timeout, wait_sleep, job=None):
    """What is wrong with the role's variables for these steps, one message each (none: all good).
    With the ``job`` step, the declaration ``job`` is checked as ``migration_job`` checks it, so a bad
    one is refused before the ``attach`` step sends anything."""
    problems = []
    missing = missing_variables(values, steps)
    if missing:
        problems.append(
            "The steps %s of migrationops.atlassian.cloud_migration need these variables, which are unset or empty: %s"
            % (", ".join(steps), ", ".join(missing))
        )
    if int(heartbeat) < 1 or int(wait_timeout) < 1 or int(wait_sleep) < 0:
        problems.append(
            "cloud_migration_heartbeat (%s) and cloud_migration_wait_timeout (%s) must be at least 1 second, "
            "cloud_migration_wait_sleep (%s) 0 or more" % (heartbeat, wait_timeout, wait_sleep)
        )
    if "job" in (steps or []):
        problem = job_problem(job)
        if problem:
            problems.append(problem)
    return problems


def workflow_stats(result):
    """The set_stats data for the next node of an AWX workflow: the IDs known, under the role's variable names."""
    names = ("job_id", "check_task_id", "migrate_task_id")
    return dict(("cloud_migration_" + name, (result or {})[name]) for name in names if (result or {}).get(name))


def overridden_checks(override_checks, check_result):
    """The keys of ``excludeKeys``: the word ``excludable`` stands for every excludable failed check."""
    keys = []
    for key in _as_list(override_checks):
        names = (check_result or {}).get("excludable_failures") or [] if key == EXCLUDABLE else [key]
        for name in names:
            if name not in keys:
                keys.append(name)
    return keys


def override_problem(override_checks, check_result, job_id=None):
    """Why the checks to override cannot be worked out before the migrate task is created, or "".

    Named checks need nothing; the word ``excludable`` needs a finished read of the job's check task
    (``check_result``, a ``migration_task_status`` result, possibly failed, or None)."""
    if EXCLUDABLE not in _as_list(override_checks):
        return ""
    result = check_result or {}
    if not result.get("task_id"):
        why = "the check task of job %s could not be read: %s" % (job_id, result.get("msg") or "no check result")
    elif not result.get("finished"):
        why = "check task %s of job %s is not finished (%s)" % (
            result["task_id"],
            result.get("job_id") or job_id,
            result.get("status") or "not visible",
        )
    else:
        return ""
    return (
        "cloud_migration_override_checks asks for excludable (the failed checks of the check task whose details.excludable is true), "
        "but the check step did not run in this play and %s. Run the check step (cloud_migration_steps with check, or "
        "tasks_from: check) or name the checks to override; no migrate task was created" % why
    )


def check_mode_skip(check_mode, step, job_id, created_task=None):
    """In check mode, why a step does not wait: the job or its task would be created (and was not), or ""."""
    if not check_mode:
        return ""
    if blank(job_id):
        return "check mode: the migration job would be created, so the %s step has no task to wait for" % step
    task = created_task or {}
    if not task.get("skipped") and task.get("changed") and not task.get("task_id"):
        return "check mode: the %s task would be created on job %s, so the %s step does not wait for it" % (
            task.get("task_type") or step,
            job_id,
            step,
        )
    return ""


def _outcome(value):
    return str(value).upper() if value is not None else None


def gate_failure(result, outcomes, overridden=(), wait_for_children=False):
    """Why a finished result fails the gate, or "" when it passes. A failed check that is
    overridden does not fail it; the message names the others."""
    gated = set(_outcome(o) for o in _as_list(outcomes))
    if not gated or not result or not result.get("finished"):
        return ""
    overridden = set(overridden or [])

    def waived(entry):
        return entry.get("name") in overridden and _outcome(entry.get("outcome")) == "FAILED" and entry.get("excludable")

    nodes = result.get("nodes") or []
    kept = [e for e in nodes if not waived(e)]
    failing = [e for e in nodes if e.get("status") == "FINISHED" and _outcome(e.get("outcome")) in gated]
    if failing and all(waived(e) for e in failing):
        return ""
    reduced = dict(result, nodes=kept, excludable_failures=[n for n in result.get("excludable_failures") or [] if n not in overridden])
    return gate_message(reduced, sorted(gated), wait_for_children) or ""


def wait_failure(result, phase, wait_timeout, outcomes, overridden=(), wait_for_children=False, idmapping_dest=None):
    """Why a wait of the role fails: its timeout, else its gate; "" when it passes."""
    return timeout_failure(result, phase, wait_timeout, idmapping_dest) or gate_failure(result, outcomes, overridden, wait_for_children)


def timeout_failure(result, phase, wait_timeout, idmapping_dest=None):
    """The failure of a wait that ran out of cloud_migration_wait_timeout, or ""."""
    if not result or not result.get("timed_out"):
        return ""
    head = "%s: not finished after %s (cloud_migration_wait_timeout is %d s, %d status reads)" % (
        phase,
        hms(result.get("elapsed")),
        int(wait_timeout),
        int(result.get("polls") or 0),
    )
    if phase == "idmapping":
        tail = "ID mapping report job %s was last %s; it is kept beside %s and resumed by the next run" % (
            result.get("job_id") or "(none)",
            result.get("status") or "unknown",
            idmapping_dest,
        )
        parts = [head, tail]
    else:
        percent = (result.get("progress") or {}).get("percent")
        parts = [
            head,
            "task %s of job %s at level %s was last %s%s"
            % (
                result.get("task_id") or "(not listed yet)",
                result.get("job_id"),
                ",".join(result.get("level") or []) or "(task root)",
                result.get("status") or "not visible",
                " %d%%" % int(percent) if isinstance(percent, (int, float)) else "",
            ),
            "unfinished: %s" % (", ".join(u or level_label([]) for u in result.get("unfinished") or []) or "none"),
        ]
    if result.get("last_problem"):
        parts.append("last problem: %s" % result["last_problem"])
    return "; ".join(parts)
