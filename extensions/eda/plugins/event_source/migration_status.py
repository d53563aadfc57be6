# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event-Driven Ansible source: the status of an Atlassian cloud migration task, as events.

It talks to the API through the collection's own transport (module_utils ``ApiClient``,
``MigrationApi``), so the modules' rules hold here too: bounded requests and answers, capped
server waits, IDs encoded as one path segment, no redirects, credentials scrubbed from errors.
"""

import asyncio
import importlib.machinery
import importlib.util
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
    from ansible_collections.migrationops.atlassian.plugins.module_utils import _deadline, _errors, _http_session, _migration_api, _transport, _urls
except ImportError:
    # <root>/ansible_collections/migrationops/atlassian/extensions/eda/plugins/event_source/<this file>
    _register_collections_root(os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 7)))
    from ansible_collections.migrationops.atlassian.plugins.module_utils import _deadline, _errors, _http_session, _migration_api, _transport, _urls

DOCUMENTATION = r"""
---
short_description: Poll the status of an Atlassian cloud migration task and emit its changes
description:
  - Reads one level of a migration task's status tree (Atlassian Cloud Migration API) every
    O(interval) seconds and puts an event on the queue on the first read, on each change of the
    status or the outcome, and when the level is finished, after which the source ends.
  - A task or level not visible yet (the API is eventually consistent) is reported once with
    status C(NOT_VISIBLE) and polled again. Rate limiting (HTTP 429), server errors, connection
    errors and unexpected answers are retried as the collection's modules retry them (backoff,
    C(Retry-After) and C(X-RateLimit-Reset) honoured, at most 300 s of sleeps per read), then at
    the next poll; a server wait longer than that delays the next poll by at most 300 s. Authentication
    errors (401, 403), other client errors and bad arguments end the source with an error.
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
    description: API token. Never put in an event.
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
    status: C(PENDING), C(IN_PROGRESS), C(FINISHED), or C(NOT_VISIBLE) while the API does not show the task or level yet.
    outcome: C(SUCCESS), C(WARNING), C(FAILED), C(SKIPPED) or null while unfinished.
    message: The node's message or null.
    percent: Progress percent when the API reports one, else null.
    previous_status: The status of the previous event, null on the first.
    previous_outcome: The outcome of the previous event, null on the first.
    finished: True when the status is FINISHED.
    polls: Status reads so far.
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
        "api_token": args.get("api_token") or os.environ.get("ATLASSIAN_API_TOKEN"),
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
    """Blocking reads (run in a worker thread by main); each read is one call of a fresh ApiClient, as a module run is."""

    def __init__(self, settings):
        self.settings = settings
        self.session = _http_session.new_session()

    def _api(self):
        settings = self.settings
        client = _transport.ApiClient(
            settings["api_url"],
            settings["api_token"],
            email=settings["email"],
            validate_certs=settings["validate_certs"],
            ca_path=settings["ca_path"],
            timeout=settings["request_timeout"],
            session=self.session,
        )
        return _migration_api.MigrationApi(client)

    def newest_task(self, job_id, task_type):
        """The task ID of the newest task of a type (the first listed, every page read), or None."""
        try:
            return str(self._api().newest_task(job_id, task_type)["taskId"])
        except _errors.NotFoundError:
            return None

    def status(self, job_id, task_id, level):
        """The node at ``level``, or None while it is not visible."""
        try:
            return self._api().status_tree(job_id, task_id, level, False)
        except _errors.NotFoundError:
            return None


def _snapshot(node):
    if node is None:
        return {"status": "NOT_VISIBLE", "outcome": None, "message": None, "percent": None}
    details = node.get("progressDetails")
    details = details if isinstance(details, dict) else {}
    percent = details.get("percent") if details.get("isSupported") else None
    return {"status": node.get("status"), "outcome": node.get("outcome"), "message": node.get("message"), "percent": percent}


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
    except _errors.AtlassianError as exc:
        raise MigrationStatusError(str(exc))
    reader = _Reader(settings)
    task_id = settings["task_id"]
    previous = None
    polls = 0
    while True:
        delay = settings["interval"]
        try:
            if not task_id:
                task_id = await asyncio.to_thread(reader.newest_task, settings["job_id"], settings["task_type"])
            node = None
            if task_id:
                node = await asyncio.to_thread(reader.status, settings["job_id"], task_id, settings["level"])
                polls += 1
            current = _snapshot(node)
        except _errors.TRANSIENT_ERRORS as exc:
            await asyncio.sleep(_next_delay(delay, exc))
            continue
        except _errors.AtlassianError as exc:
            raise MigrationStatusError(str(exc))
        kind = None
        finished = current["status"] == "FINISHED"
        if previous is None:
            kind = "finished" if finished else "initial"
        elif finished and previous["status"] != "FINISHED":
            kind = "finished"
        elif current["status"] != previous["status"]:
            kind = "status_change"
        elif current["outcome"] != previous["outcome"]:
            kind = "outcome_change"
        if kind:
            event = dict(current)
            event.update(
                kind=kind,
                job_id=settings["job_id"],
                task_id=task_id,
                task_type=settings["task_type"],
                level=list(settings["level"]),
                previous_status=previous["status"] if previous else None,
                previous_outcome=previous["outcome"] if previous else None,
                finished=finished,
                polls=polls,
            )
            await queue.put({"migration": event})
            previous = current
        if finished:
            return
        await asyncio.sleep(delay)
