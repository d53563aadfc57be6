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


def _blank(value):
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
        if step == "attach" and _blank(settings.get("server_url")):
            continue
        if step == "job" and (not settings.get("job") or not _blank(settings.get("job_id"))):
            continue
        steps.append(step)
    # A declared job moves data only when a person asked: without cloud_migration_start_migration
    # (or a known migrate task) there is no migration to wait for, so nothing after the gate runs.
    if settings.get("job") and not settings.get("start_migration") and _blank(settings.get("migrate_task_id")):
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
            if _blank(values.get(name)) and name not in missing:
                missing.append(name)
    return missing


def variable_problems(values, steps, heartbeat, wait_timeout, wait_sleep):
    """What is wrong with the role's variables for these steps, one message each (none: all good)."""
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
