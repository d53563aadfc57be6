# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event-Driven Ansible source: the status of an Atlassian cloud migration task, as events.

It talks to the API through the collection's own transport (module_utils ``ApiClient``,
``MigrationApi``) and polls as the modules poll (``TaskStatusWatcher.read``), so the modules' rules
hold here too: bounded requests and answers, capped server waits, IDs encoded as one path segment,
no redirects, credentials scrubbed from errors and events, statuses compared without case, and a
terminal task root finishing every level.
"""

import asyncio
import importlib.machinery
import importlib.util
import logging
import math
import os
import sys


def _register_collections_root(root):
    """Make ``ansible_collections`` importable from ``root`` without editing sys.path.

    ansible-rulebook runs this file with runpy from the installed collection, where the package is
    not importable. The top-level namespace package is created with the one location (the
    subpackages are then found the usual way, through its ``__path__``). ansible-core's collection
    loader is not used: its path hook claims every path starting with ``.../site-packages/ansible``,
    ansible_rulebook's own files included, and runpy then fails on ansible-rulebook's filters.
    """
    location = os.path.join(root, "ansible_collections")
    package = sys.modules.get("ansible_collections")
    if package is None:
        package = importlib.util.module_from_spec(importlib.machinery.ModuleSpec("ansible_collections", None, is_package=True))
        package.__path__ = []
        sys.modules["ansible_collections"] = package
    if location not in list(package.__path__):
        package.__path__.append(location)


try:  # a test process or a checkout where the collections root is importable
    import ansible_collections.migrationops.atlassian.plugins.module_utils  # noqa: F401  pylint: disable=unused-import
except ImportError:
    # <root>/ansible_collections/migrationops/atlassian/extensions/eda/plugins/event_source/<this file>
    _register_collections_root(os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 7)))
from ansible_collections.migrationops.atlassian.plugins.module_utils import (
    _deadline,
    _errors,
    _http_session,
    _migration_api,
    _secrets,
    _status_tree,
    _task_status,
    _transport,
    _urls,
)

DOCUMENTATION = r"""
---
short_description: Poll the status of an Atlassian cloud migration task and emit its changes
description:
  - Reads one level of a migration task's status tree (Atlassian Cloud Migration API) every
    O(interval) seconds and puts an event on the queue on the first read, on each change of the
    status or the outcome, and when the level is finished, after which the source ends.
  - Statuses and outcomes are compared without regard to case and put in events in upper case.
  - A task or level not visible yet (the API is eventually consistent) is reported once with
    status C(NOT_VISIBLE) and polled again. When the level is missing but the task's root is
    C(FINISHED) (the service refuses a task by writing the root alone, with the reason as its
    message), the level never comes, so the source emits the root's status, outcome and message as
    its C(finished) event, with the level in C(missing_levels), and ends, as the modules do.
  - Rate limiting (HTTP 429), server errors, connection errors and unexpected answers are retried
    as the collection's modules retry them (backoff, C(Retry-After) and C(X-RateLimit-Reset)
    honoured, at most 300 s of sleeps per read), then at the next poll; a server wait longer than
    that delays the next poll by at most 300 s. A failure nobody foresaw is retried at the next
    poll as well. Each failed poll is logged as one warning line, without a traceback and without
    the credentials.
  - What ends a module's wait ends the source with an error (one line, without the credentials),
    authentication errors (401, 403), other client errors and answers the collection refuses
    among them, and so do bad arguments.
  - The newest task of O(task_type) is the first one the task list gives (the API lists newest first).
  - The connection options fall back to the environment variables of the collection's modules,
    which the Atlassian credential type of extensions/awx/credential_type.yml injects.
options:
  api_url:
    description: Base URL of the API. Plain http:// is refused unless the host is a loopback address.
    type: str
    default: https://api.atlassian.com (env ATLASSIAN_API_URL)
  email:
    description: Account email; given, HTTP Basic C(email:api_token) is sent, else C(Bearer api_token).
    type: str
    default: env ATLASSIAN_EMAIL
  api_token:
    description:
      - API token. Never put in an event, a log line or an error.
      - Whitespace around it (the newline of a file or a pasted secret) is removed; a token with
        whitespace or a control character inside is refused.
    type: str
    required: true
    default: env ATLASSIAN_API_TOKEN
  job_id:
    description: Migration job ID.
    type: str
    required: true
  task_id:
    description: The task. Exactly one of O(task_id) and O(task_type).
    type: str
  task_type:
    description: Use the newest task of this type in the job (C(check) or C(migrate)).
    type: str
  level:
    description: Path into the status tree, a list or a comma-separated string, for example C(migrate) or C(migrate,apps). Empty for the root.
    type: list
    default: []
  interval:
    description: Seconds between two reads.
    type: float
    default: 60
  validate_certs:
    description: Verify TLS certificates.
    type: bool
    default: true (env ATLASSIAN_VALIDATE_CERTS)
  ca_path:
    description: CA bundle for a private TLS endpoint.
    type: str
    default: env ATLASSIAN_CA_PATH
  request_timeout:
    description: Seconds for one HTTP request as a whole (connect, headers and body).
    type: float
    default: 30
event:
  description: Every event is one mapping under the key C(migration).
  keys:
    kind: C(initial) (first read), C(status_change), C(outcome_change) or C(finished) (the last event).
    job_id: The migration job.
    task_id: The task (resolved from O(task_type) when that was given).
    task_type: O(task_type) when given, else null.
    level: The level read, as a list.
    status: C(PENDING), C(IN_PROGRESS), C(FINISHED) (in upper case), or C(NOT_VISIBLE) while the API does not show the task or level yet.
    outcome: C(SUCCESS), C(WARNING), C(FAILED), C(SKIPPED) (in upper case) or null while unfinished.
    message: The node's message or null (any credential in it replaced by C(<redacted>)).
    missing_levels: The level (comma form) in a list when it is missing under a FINISHED task root, whose status,
      outcome and message the event then carries (a refused task); else empty.
    percent: Progress percent when the API reports one (a finite number), else null.
    previous_status: The status of the previous event, null on the first.
    previous_outcome: The outcome of the previous event, null on the first.
    finished: True when the status is FINISHED.
    polls: Polls so far, failed ones included (a poll that finds the level missing reads the task's root as well).
"""

EXAMPLES = r"""
# Run a job template when the migration (apps excluded) is finished, another one when it failed.
- name: Watch an Atlassian migration
  hosts: localhost
  sources:
    - migrationops.atlassian.migration_status:
        job_id: 0bacecde-372e-4d84-8d79-d66433b8fa45
        task_type: migrate
        level: migrate
        interval: 60
  rules:
    - name: Migration finished without failure
      condition: event.migration.kind == "finished" and event.migration.outcome != "FAILED"
      action:
        run_job_template:
          name: Atlassian migration - ID mapping report
          organization: Default
    - name: Migration failed
      condition: event.migration.kind == "finished" and event.migration.outcome == "FAILED"
      action:
        debug:
          msg: "Migration {{ event.migration.job_id }} failed: {{ event.migration.message }}"

# Example event:
# {"migration": {"kind": "status_change", "job_id": "0bacecde-...", "task_id": "00000132-...",
#   "task_type": "migrate", "level": ["migrate"], "status": "IN_PROGRESS", "outcome": null,
#   "message": null, "percent": 40, "previous_status": "PENDING", "previous_outcome": null,
#   "finished": false, "polls": 3}}
"""

# A server's Retry-After beyond this delays the next poll by this much: the source keeps watching.
MAX_SERVER_WAIT = 300.0
# What a log line keeps of a failure's message.
MAX_LOGGED = 1000

LOGGER = logging.getLogger("migrationops.atlassian.migration_status")


class MigrationStatusError(Exception):
    """A failure that ends the source (bad arguments, authentication, client errors)."""


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def _settings(args):
    """The arguments with the environment fallbacks applied and checked (InvalidParameterError on bad input)."""
    fail = _errors.InvalidParameterError
    settings = {
        "api_url": args.get("api_url") or os.environ.get("ATLASSIAN_API_URL") or "https://api.atlassian.com",
        "email": args.get("email") or os.environ.get("ATLASSIAN_EMAIL") or None,
        "api_token": _secrets.header_token(args.get("api_token") or os.environ.get("ATLASSIAN_API_TOKEN") or "", "api_token"),
        "job_id": args.get("job_id"),
        "task_id": args.get("task_id"),
        "task_type": args.get("task_type"),
        "ca_path": args.get("ca_path") or os.environ.get("ATLASSIAN_CA_PATH") or None,
    }
    validate = args.get("validate_certs", os.environ.get("ATLASSIAN_VALIDATE_CERTS", "true"))
    settings["validate_certs"] = _bool(validate)
    level = args.get("level") or []
    if isinstance(level, str):
        level = [part.strip() for part in level.split(",") if part.strip()]
    settings["level"] = [str(part) for part in level]
    if not settings["api_token"]:
        raise fail("api_token is required (or ATLASSIAN_API_TOKEN)")
    if not settings["job_id"]:
        raise fail("job_id is required")
    if bool(settings["task_id"]) == bool(settings["task_type"]):
        raise fail("exactly one of task_id and task_type is required")
    if settings["task_type"] and settings["task_type"].lower() not in ("check", "migrate"):
        raise fail("task_type must be check or migrate, not %r" % settings["task_type"])
    _urls.path_segment(settings["job_id"], "job_id")
    if settings["task_id"]:
        _urls.path_segment(settings["task_id"], "task_id")
    settings["api_url"] = _urls.normalize_api_url(settings["api_url"])
    settings["interval"] = _deadline.finite_seconds(args.get("interval", 60), "interval")
    settings["request_timeout"] = _deadline.finite_seconds(
        args.get("request_timeout", 30), "request_timeout", maximum=_deadline.MAX_REQUEST_SECONDS, allow_zero=False
    )
    return settings


class _Reader:
    """Blocking polls (run in a worker thread by main); each poll is one read of the modules'
    TaskStatusWatcher through a fresh ApiClient, as a module run is."""

    def __init__(self, settings):
        self.settings = settings
        self.session = _http_session.new_session()
        # Knows every form of the credentials; redacts events and log lines.
        self.client = self._client()
        self.watcher = _task_status.TaskStatusWatcher(
            None, settings["job_id"], settings["level"], False, task_id=settings["task_id"], task_type=settings["task_type"]
        )

    def _client(self):
        settings = self.settings
        return _transport.ApiClient(
            settings["api_url"],
            settings["api_token"],
            email=settings["email"],
            validate_certs=settings["validate_certs"],
            ca_path=settings["ca_path"],
            timeout=settings["request_timeout"],
            session=self.session,
        )

    @property
    def task_id(self):
        """The task, once given or resolved from the task type, else None."""
        return None if self.watcher.task_id is None else str(self.watcher.task_id)

    def read(self):
        """One poll: a _task_status.Snapshot (not-visible and transient failures as its ``problem``)."""
        self.watcher.api = _migration_api.MigrationApi(self._client())
        return self.watcher.read()

    def redact(self, value):
        """``value`` (text or an event) without the credentials."""
        return self.client.redact(value)


def _percent(node):
    progress = _status_tree.progress(node)
    percent = progress["percent"] if progress else None
    if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not math.isfinite(percent):
        return None
    return percent


def _state(snapshot):
    """What the events say of a poll that read a node, or of one that found it not visible yet."""
    node = snapshot.node
    if node is None:
        return {"status": "NOT_VISIBLE", "outcome": None, "message": None, "percent": None, "missing_levels": [], "finished": False}
    return {
        "status": _status_tree.upper(node.get("status")),
        "outcome": _status_tree.upper(node.get("outcome")),
        "message": node.get("message"),
        "percent": _percent(node),
        "missing_levels": list(snapshot.missing_levels),
        "finished": snapshot.finished(False),
    }


def _kind(previous, current):
    """The event a poll's state gives after the previous event's, or None."""
    if previous is None:
        return "finished" if current["finished"] else "initial"
    if current["finished"]:
        return "finished"
    if current["status"] != previous["status"]:
        return "status_change"
    if current["outcome"] != previous["outcome"]:
        return "outcome_change"
    return None


def _describe_failure(reader, error):
    """One line for the log: the failure's type and message, scrubbed of query strings and the credentials."""
    text = str(error) if isinstance(error, _errors.AtlassianError) else "%s: %s" % (type(error).__name__, error)
    text = reader.redact(_urls.scrub(text))
    return text if len(text) <= MAX_LOGGED else text[:MAX_LOGGED] + "..."


def _next_delay(interval, error):
    """Seconds before the next poll after a transient ``error``: the interval, or the server's (capped) wait."""
    retry_after = getattr(error, "retry_after", None)
    if retry_after is None:
        return interval
    return max(interval, min(retry_after, MAX_SERVER_WAIT))


async def main(queue, args):
    """Poll the task's status and put an event on ``queue`` for each change (see DOCUMENTATION)."""
    try:
        settings = _settings(args)
        reader = _Reader(settings)
    except _errors.AtlassianError as exc:
        raise MigrationStatusError(str(exc)) from None
    previous = None
    polls = 0
    while True:
        delay = settings["interval"]
        polls += 1
        try:
            snapshot = await asyncio.to_thread(reader.read)
        except _errors.AtlassianError as exc:  # authentication, other client errors, bad arguments
            raise MigrationStatusError(reader.redact(str(exc))) from None
        except Exception as exc:  # pylint: disable=broad-except
            # Not foreseen: this poll is lost, the source is not (no traceback, no secret).
            LOGGER.warning("poll %d of job %s failed, polling again in %gs: %s", polls, settings["job_id"], delay, _describe_failure(reader, exc))
            await asyncio.sleep(delay)
            continue
        problem = snapshot.problem
        if problem is not None and not isinstance(problem, _errors.NotVisibleYet):
            delay = _next_delay(delay, problem)
            LOGGER.warning("poll %d of job %s failed, polling again in %gs: %s", polls, settings["job_id"], delay, _describe_failure(reader, problem))
            await asyncio.sleep(delay)
            continue
        current = _state(snapshot)
        kind = _kind(previous, current)
        if kind:
            event = dict(current)
            event.update(
                kind=kind,
                job_id=settings["job_id"],
                task_id=reader.task_id,
                task_type=settings["task_type"],
                level=list(settings["level"]),
                previous_status=previous["status"] if previous else None,
                previous_outcome=previous["outcome"] if previous else None,
                polls=polls,
            )
            await queue.put({"migration": reader.redact(event)})
            previous = current
        if current["finished"]:
            return
        await asyncio.sleep(delay)
