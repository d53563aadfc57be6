# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event-Driven Ansible source: the status of an Atlassian cloud migration task, as events."""

import asyncio
import ipaddress
import os
from urllib.parse import urljoin, urlsplit

import requests

DOCUMENTATION = r"""
---
short_description: Poll the status of an Atlassian cloud migration task and emit its changes
description:
  - Reads one level of a migration task's status tree (Atlassian Cloud Migration API) every
    O(interval) seconds and puts an event on the queue on the first read, on each change of the
    status or the outcome, and when the level is finished, after which the source ends.
  - A task or level not visible yet (the API is eventually consistent) is reported once with
    status C(NOT_VISIBLE) and polled again. Rate limiting (HTTP 429, C(Retry-After) honoured),
    server errors and connection errors are retried at the next poll; authentication errors
    (401, 403) and other client errors end the source with an error.
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
    description: Seconds for one HTTP request.
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

API_BASE = "/migrations/public/v1"
MAX_PAGES = 1000


class MigrationStatusError(Exception):
    """A failure that ends the source (bad arguments, authentication, unexpected answers)."""


class _Retry(Exception):
    """A failure worth another read at the next poll (429, 5xx, connection errors)."""

    def __init__(self, message, delay=None):
        super().__init__(message)
        self.delay = delay


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def _settings(args):
    """The arguments with the environment fallbacks applied and checked."""
    settings = {
        "api_url": (args.get("api_url") or os.environ.get("ATLASSIAN_API_URL") or "https://api.atlassian.com").rstrip("/"),
        "email": args.get("email") or os.environ.get("ATLASSIAN_EMAIL") or None,
        "api_token": args.get("api_token") or os.environ.get("ATLASSIAN_API_TOKEN"),
        "job_id": args.get("job_id"),
        "task_id": args.get("task_id"),
        "task_type": args.get("task_type"),
        "interval": float(args.get("interval", 60)),
        "request_timeout": float(args.get("request_timeout", 30)),
        "ca_path": args.get("ca_path") or os.environ.get("ATLASSIAN_CA_PATH") or None,
    }
    validate = args.get("validate_certs", os.environ.get("ATLASSIAN_VALIDATE_CERTS", "true"))
    settings["validate_certs"] = _bool(validate)
    level = args.get("level") or []
    if isinstance(level, str):
        level = [part.strip() for part in level.split(",") if part.strip()]
    settings["level"] = [str(part) for part in level]
    if not settings["api_token"]:
        raise MigrationStatusError("api_token is required (or ATLASSIAN_API_TOKEN)")
    if not settings["job_id"]:
        raise MigrationStatusError("job_id is required")
    if bool(settings["task_id"]) == bool(settings["task_type"]):
        raise MigrationStatusError("exactly one of task_id and task_type is required")
    if settings["task_type"] and settings["task_type"].lower() not in ("check", "migrate"):
        raise MigrationStatusError("task_type must be check or migrate, not %r" % settings["task_type"])
    if settings["interval"] < 0:
        raise MigrationStatusError("interval must be 0 or more")
    parts = urlsplit(settings["api_url"])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MigrationStatusError("api_url must be an http(s) URL with a host, not %r" % settings["api_url"])
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise MigrationStatusError("api_url uses plain http:// for a host that is not a loopback address; use https://")
    return settings


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Client:
    """Blocking HTTP reads (run in a worker thread by main)."""

    def __init__(self, settings):
        self.settings = settings
        self.session = requests.Session()
        if settings["email"]:
            self.session.auth = (settings["email"], settings["api_token"])
        else:
            self.session.headers["Authorization"] = "Bearer %s" % settings["api_token"]
        self.session.headers["Accept"] = "application/json"
        self.session.verify = settings["ca_path"] or settings["validate_certs"]
        self.origin = urlsplit(settings["api_url"])[:2]

    def get(self, url, params=None):
        """The JSON body, None for 404; raises _Retry or MigrationStatusError."""
        try:
            response = self.session.get(url, params=params, timeout=self.settings["request_timeout"])
        except requests.exceptions.SSLError as exc:
            raise MigrationStatusError("TLS error talking to %s: %s" % (self.settings["api_url"], type(exc).__name__))
        except requests.exceptions.RequestException as exc:
            raise _Retry("connection error: %s" % type(exc).__name__)
        if response.status_code == 404:
            return None
        if response.status_code == 429:
            raise _Retry("rate limited (HTTP 429)", _retry_after(response.headers.get("Retry-After")))
        if response.status_code >= 500:
            raise _Retry("server error (HTTP %d)" % response.status_code)
        if response.status_code in (401, 403):
            raise MigrationStatusError("HTTP %d from the Migration API: check email and api_token" % response.status_code)
        if response.status_code >= 400:
            raise MigrationStatusError("HTTP %d from the Migration API: %s" % (response.status_code, response.text[:300]))
        try:
            return response.json()
        except ValueError:
            raise _Retry("the API answered with a body that is not JSON")

    def newest_task(self, job_id, task_type):
        """The newest task of a type in the job (every page of the task list), or None."""
        url = "%s%s/jobs/%s/tasks" % (self.settings["api_url"], API_BASE, job_id)
        params = None
        best = None
        seen = set()
        for dummy in range(MAX_PAGES):
            body = self.get(url, params)
            if body is None:
                return None
            for task in body.get("data") or []:
                if str(task.get("taskType", "")).lower() != task_type.lower():
                    continue
                if best is None or str(task.get("createdAt") or "") > str(best.get("createdAt") or ""):
                    best = task
            following = (body.get("links") or {}).get("next")
            if not following or following in seen:
                break
            seen.add(following)
            url, params = self._next(url, following)
        return best["taskId"] if best else None

    def _next(self, url, following):
        if urlsplit(following).scheme or following.startswith(("/", "?")) or "cursor=" in following:
            target = urljoin(url, following)
            if urlsplit(target)[:2] != self.origin:
                raise MigrationStatusError("refusing to follow links.next to another host")
            return target, None
        return url.split("?", 1)[0], {"cursor": following}

    def status(self, job_id, task_id, level):
        url = "%s%s/jobs/%s/tasks/%s/status" % (self.settings["api_url"], API_BASE, job_id, task_id)
        params = {"expandChildren": "false"}
        if level:
            params["level"] = ",".join(level)
        body = self.get(url, params)
        if body is None:
            return None
        node = body.get("data")
        return node if isinstance(node, dict) and node.get("status") else None


def _retry_after(value):
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _snapshot(node):
    if node is None:
        return {"status": "NOT_VISIBLE", "outcome": None, "message": None, "percent": None}
    details = node.get("progressDetails") or {}
    percent = details.get("percent") if details.get("isSupported") else None
    return {"status": node.get("status"), "outcome": node.get("outcome"), "message": node.get("message"), "percent": percent}


async def main(queue, args):
    """Poll the task's status and put an event on ``queue`` for each change (see DOCUMENTATION)."""
    settings = _settings(args)
    client = _Client(settings)
    task_id = settings["task_id"]
    previous = None
    polls = 0
    while True:
        delay = settings["interval"]
        try:
            if not task_id:
                task_id = await asyncio.to_thread(client.newest_task, settings["job_id"], settings["task_type"])
            node = None
            if task_id:
                node = await asyncio.to_thread(client.status, settings["job_id"], task_id, settings["level"])
                polls += 1
            current = _snapshot(node)
        except _Retry as exc:
            if exc.delay is not None:
                delay = max(delay, exc.delay)
            await asyncio.sleep(delay)
            continue
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
