# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A task's check options: as the module's options ask for them, as a listed task carries them, compared."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError


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
