# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``migration_job``: the declared job definition, checked before any request, and the decision
to reuse or create a job. Pure logic (the API and the state file are passed in)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    CreateUnresolvedError,
    InvalidParameterError,
    NotFoundError,
    OutcomeFailure,
    answer_lost,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import normalize_site_url

FLOWS = {"JIRA": "jira-onpremises-to-cloud", "CONFLUENCE": "confluence-onpremises-to-cloud"}
MAX_BODY_BYTES = 390 * 1024
KEYS = "a non-empty list of non-empty strings"

# Scope keys whose shape is known (api-service-behaviour 2.4): field -> (required, allowed values or KEYS/str).
KNOWN_SCOPES = {
    "JIRA": {
        "projects": {"includedKeys": (True, KEYS), "includedData": (False, str)},
    },
    "CONFLUENCE": {
        "spaces": {"includedKeys": (True, KEYS), "includedData": (False, ("ALL", "ATTACHMENTS"))},
        "usersAndGroups": {"mode": (True, ("ALL", "REFERENCED")), "includedKeys": (False, KEYS)},
        "apps": {"includedKeys": (True, KEYS)},
        "globalEntities": {"includedTypes": (True, KEYS)},
    },
}


def normalize_product(value):
    product = str(value or "").strip().upper()
    if product not in FLOWS:
        raise InvalidParameterError("product must be JIRA or CONFLUENCE (any case), got %r" % (value,))
    return product


def _check_field(value, rule, where):
    if rule is KEYS:
        if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
            raise InvalidParameterError("%s must be %s, got %r" % (where, KEYS, value))
    elif rule is str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidParameterError("%s must be a non-empty string, got %r" % (where, value))
    elif not isinstance(value, str) or value.upper() not in rule:
        raise InvalidParameterError("%s must be one of %s, got %r" % (where, ", ".join(rule), value))


def check_scope(product, scope, warn):
    """Check the shape of the scope keys known for ``product``; warn about the others (the service ignores them)."""
    if not isinstance(scope, dict) or not scope:
        raise InvalidParameterError("scope must be a non-empty mapping: the service refuses every task of a job with an empty scope")
    known = KNOWN_SCOPES[product]
    present = [key for key in scope if key in known]
    if not present:
        raise InvalidParameterError(
            "scope has no key known for %s (known: %s), only %s: the service ignores unknown keys, so the job would have an "
            "empty scope, and the instance refuses every task of a job with an empty scope"
            % (product, ", ".join(sorted(known)), ", ".join(repr(key) for key in sorted(scope, key=str)))
        )
    for key in sorted(scope, key=str):
        value = scope[key]
        where = "scope.%s" % key
        if key not in known:
            warn(
                "%s is not a scope key known for %s (known: %s); the service ignores unknown keys silently"
                % (where, product, ", ".join(sorted(known)))
            )
            continue
        if not isinstance(value, dict):
            raise InvalidParameterError("%s must be a mapping, got %r" % (where, value))
        for field, (required, rule) in sorted(known[key].items()):
            if field in value:
                _check_field(value[field], rule, "%s.%s" % (where, field))
            elif required:
                raise InvalidParameterError("%s needs %s" % (where, field))
        for field in sorted(set(value) - set(known[key]), key=str):
            warn("%s.%s is not a known field of %s; the service ignores unknown fields silently" % (where, field, where))
    if not any(_selects(scope[key]) for key in present):
        raise InvalidParameterError(
            "scope names nothing to migrate (%s): no entry has includedKeys, includedTypes or mode ALL, which the instance "
            "refuses as an empty scope" % ", ".join(sorted(present))
        )


def _selects(entry):
    """Whether a known scope entry selects something (the instance's empty-scope rule, api-service-behaviour 2.4)."""
    if entry.get("includedKeys") or entry.get("includedTypes"):
        return True
    return str(entry.get("mode") or "").upper() == "ALL"


def build_definition(params, warn):
    """The body of ``POST /jobs`` for the module's options, or InvalidParameterError naming the option."""
    product = normalize_product(params["product"])
    for option in ("name", "server_id"):
        if not isinstance(params.get(option), str) or not params[option].strip():
            raise InvalidParameterError("%s must be a non-empty string" % option)
    flow = params.get("flow") or FLOWS[product]
    check_scope(product, params["scope"], warn)
    definition = {
        "name": params["name"],
        "flow": flow,
        "source": {"serverId": params["server_id"].strip()},
        "destination": {"url": normalize_site_url(params["destination_url"], "destination_url")},
        "scope": params["scope"],
    }
    size = len(json.dumps(definition).encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise InvalidParameterError("the job definition is %d bytes; the service accepts at most 390 KB (%d bytes)" % (size, MAX_BODY_BYTES))
    return definition


def differences(declared, stored, prefix="", subset=False):
    """Dotted paths where ``stored`` differs from ``declared``; with ``subset`` keys only ``stored`` has are ignored."""
    if isinstance(declared, dict) and isinstance(stored, dict):
        keys = set(declared) if subset else set(declared) | set(stored)
        found = []
        for key in sorted(keys, key=str):
            path = "%s.%s" % (prefix, key) if prefix else str(key)
            found.extend(differences(declared.get(key), stored.get(key), path, subset))
        return found
    return [] if declared == stored else [prefix or "definition"]


def _comparable(definition):
    """A stored definition as declared ones are written: the destination URL without a trailing slash."""
    if not isinstance(definition, dict):
        return {}
    result = dict(definition)
    destination = result.get("destination")
    if isinstance(destination, dict) and isinstance(destination.get("url"), str):
        result["destination"] = dict(destination, url=destination["url"].rstrip("/"))
    return result


def _read(api, job_id, what):
    try:
        return api.get_job(job_id)
    except NotFoundError as exc:
        exc.message = "%s %s does not exist (or has expired): %s" % (what, job_id, exc.message)
        raise


def _mismatch(job_id, fields, stored, why):
    result = dict(job_id=job_id, definition=stored, created=False, changed=False, differences=fields)
    return OutcomeFailure("job %s differs from the declaration in %s; %s" % (job_id, ", ".join(fields), why), result)


def ensure_job(api, definition, job_id, state, check_mode, warn):
    """Reuse the job named by ``job_id`` or recorded in ``state``, or create one.

    ``api`` has ``get_job(job_id)`` and ``create_job(definition) -> (job_id, stored)``; ``state``
    is None or a ``_job_state.JobState`` (``read()``, ``write_pending()``, ``clear_pending()``,
    ``write()``), held locked by the caller when not in check mode.
    """
    record = state.read() if state is not None else None
    if job_id:
        result = _existing(api, definition, job_id)
        # The job of a create whose answer was lost, named by a person: recorded, so later runs need no job_id.
        if pending(record) and not differences(definition, record["definition"]) and not check_mode:
            state.write(job_id, definition)
        return result
    if state is None:
        warn("neither job_id nor state_path is set: every run creates a new job (the API cannot list jobs). Set state_path to reuse it")
    elif pending(record):
        raise _unresolved(record, definition, state)
    elif record is not None:
        fields = differences(definition, record["definition"])
        if fields:
            raise _mismatch(
                record["job_id"],
                fields,
                record["definition"],
                "state_path %s records a job for another declaration: use another state_path for a new job" % state.path,
            )
        stored = _read(api, record["job_id"], "the job recorded in %s," % state.path)
        fields = differences(definition, _comparable(stored), subset=True)
        if fields:
            raise _mismatch(record["job_id"], fields, stored, "the service holds another definition than the one recorded in %s" % state.path)
        return dict(job_id=record["job_id"], definition=stored, created=False, changed=False)
    if check_mode:
        return dict(job_id=None, definition=definition, created=False, changed=True)
    return _create(api, definition, state)


def pending(record):
    """Whether a state record is a create whose answer never came back (``_job_state.JobState.write_pending``)."""
    return record is not None and record.get("job_id") is None


def _existing(api, definition, job_id):
    stored = _read(api, job_id, "job_id")
    fields = differences(definition, _comparable(stored), subset=True)
    if fields:
        raise _mismatch(job_id, fields, stored, "jobs are immutable: create a new job (omit job_id) or change the declaration")
    return dict(job_id=job_id, definition=stored, created=False, changed=False)


def _create(api, definition, state):
    if state is not None:
        state.write_pending(definition)
    try:
        new_id, stored = api.create_job(definition)
    except AtlassianError as exc:
        if answer_lost(exc):
            _may_have_created(exc, definition, state)
        elif state is not None:
            problem = state.clear_pending()
            if problem:
                exc.message = "%s; the record of this create in state_path %s could not be removed (%s): remove it before the next run" % (
                    exc.message,
                    state.path,
                    problem,
                )
        raise
    result = dict(job_id=new_id, definition=stored, created=True, changed=True)
    if state is not None:
        try:
            state.write(new_id, definition)
        except AtlassianError as exc:
            exc.result.update(result)
            raise
    return result


def _unresolved(record, definition, state):
    """The refusal to create again while state_path records a create whose answer never came back."""
    declared = record["definition"]
    other = differences(definition, declared)
    message = (
        "state_path %s records a create of the job %r (at %s) whose answer never came back (the run was cut off or "
        "stopped), so the job may exist; nothing was requested, to avoid creating it twice"
        % (state.path, declared.get("name"), record.get("pending_since"))
    )
    if other:
        message += " (that create was for another declaration: %s differ)" % ", ".join(other)
    hint = "The API cannot list jobs. %s" % _how_to_resolve(declared.get("name"), state.path)
    return CreateUnresolvedError(message, hint=hint)


def _may_have_created(error, definition, state):
    """The message of a create whose answer was lost: the job may exist, the API cannot list jobs, what to do."""
    error.message = "%s; the job may have been created anyway (the request reached the service, its answer did not come back)" % error.message
    if state is None:
        how = (
            "The API cannot list jobs, so this run cannot tell: look for a job named %r in the Cloud Migration Assistant "
            "of the instance (its list of migrations). If it is there, set job_id to its ID to use it; if not, run again "
            "to create one (when it was created after all, a re-run creates another job and that one is left unused)" % definition.get("name")
        )
    else:
        how = "state_path %s records this create as unanswered, so a re-run creates no second job: it fails until the job is found. %s" % (
            state.path,
            _how_to_resolve(definition.get("name"), state.path),
        )
    error.hint = "%s. %s" % (error.hint, how) if error.hint else how


def _how_to_resolve(name, path):
    """What a person does about a create recorded as unanswered in state_path ``path``."""
    return (
        "Look for a job named %r in the Cloud Migration Assistant of the instance (its list of migrations). If it is "
        "there, run with job_id set to its ID and the same state_path: the job is then recorded there. If it is not, "
        "remove %s and run again to create it" % (name, path)
    )
