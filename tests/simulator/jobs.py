"""Migration jobs and tasks: the model behind the Migration API (doc 3.3-3.9).

A task's status tree is compiled once, at scenario load or task creation; its state is then
a pure function of the task's tick (see ``MigrationModel.tick``).
"""

import copy
import threading
import uuid
from datetime import datetime, timezone

from . import treespec
from .responses import ApiError
from .validate import ScenarioError

TASK_TYPES = {"Check": "check", "Migrate": "migrate"}
MAX_JOB_BODY = 390 * 1024

# What the CMA writes, as the only node of a task it refuses (api-service-behaviour 3.1; the
# first text is the documented one for a missing attachment or a wrong server ID).
NOT_ATTACHED = (
    "The cloud url is either not attached through the cloud migration assistant or the Server ID: %s used in the job "
    "definition is incorrect, please attach the cloud site to the on-premises instance using the server attach API and "
    "verify the Server ID."
)
TASK_RUNNING = "Task already running for given jobId = %s with taskId = %s"
MIGRATED = "Task Not Allowed, migration has already been processed for JobId = %s"
INVALID_APPS = (
    "Migration includes invalid app keys = [%s]. These apps do not exist in the server. Please remove these apps from "
    "the job definition and try again."
)
EMPTY_SCOPE = (
    "You have passed an empty scope or usersAndGroups mode passed as referenced with no includedKeys in spaces during job creation using public API"
)


def iso_utc(epoch):
    stamp = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (stamp.microsecond // 1000)


def parse_iso(text, path):
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise ScenarioError("%s: not an ISO-8601 timestamp: %r" % (path, text)) from exc


class Task:
    def __init__(self, job_id, task_id, task_type, created_at, payload, artifacts, root, created_sim, seq):
        self.job_id = job_id
        self.task_id = task_id
        self.type = task_type
        self.created_at = created_at
        self.payload = payload
        self.artifacts = artifacts
        self.root = root
        self.created_sim = created_sim
        self.order = (parse_iso(created_at, "created_at"), seq)
        self.polls = 0
        self.refused = False

    def entry(self):
        """The task as listed by ``GET /jobs/{jobId}/tasks`` (doc 3.7)."""
        return {
            "taskId": self.task_id,
            "taskType": self.type,
            "createdAt": self.created_at,
            "payload": copy.deepcopy(self.payload),
            "results": {"artifacts": copy.deepcopy(self.artifacts)},
        }


class Job:
    def __init__(self, job_id, definition, templates):
        self.job_id = job_id
        self.definition = definition
        self.templates = templates
        self.tasks = []


def _hooks(task_type, options):
    check_types = (options or {}).get("checkTypes") or {}
    include = check_types.get("includeKeys")
    exclude = set(check_types.get("excludeKeys") or [])
    if task_type == "check":

        def keep(path, name):
            if path:
                return True
            return (include is None or name in include) and name not in exclude

        return keep, None

    def transform(path, node):
        # doc 4.5: an excludable failed check named in excludeKeys is downgraded to a warning
        excludable = bool((node.details or {}).get("excludable"))
        if len(path) == 2 and path[0] == "check" and node.name in exclude and node.outcome == "FAILED" and excludable:
            node.outcome = "WARNING"

    return None, transform


def _scope_empty(scope):
    """No scope entry selects anything: no included keys or types, no users mode ALL."""
    for entry in (scope or {}).values() if isinstance(scope, dict) else ():
        if isinstance(entry, dict) and (entry.get("includedKeys") or entry.get("includedTypes") or entry.get("mode") == "ALL"):
            return False
    return True


def _app_keys(definition):
    apps = (definition.get("scope") or {}).get("apps") if isinstance(definition.get("scope"), dict) else None
    keys = apps.get("includedKeys") if isinstance(apps, dict) else None
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


class MigrationModel:
    def __init__(self, scenario, clock, instance=None):
        self.clock = clock
        self.instance = instance
        self.mode = scenario["clock"]["mode"]
        self.case = scenario["task_type_case"]
        self.new_job_templates = scenario["new_job_templates"]
        self.jobs = {}
        self._seq = 0
        self._lock = threading.RLock()
        base = clock.wall()
        for job_index, spec in enumerate(scenario["jobs"]):
            job = Job(spec["job_id"], spec["definition"], spec["templates"])
            count = len(spec["tasks"])
            for index, task in enumerate(spec["tasks"]):
                created = task["created_at"] or iso_utc(base - (count - index))
                path = "jobs[%d].tasks[%d].created_at" % (job_index, index)
                parse_iso(created, path)
                root = treespec.compile_tree(task["tree"])
                self._add(job, task["task_id"], task["type"], created, task["payload"], task["artifacts"], root, 0.0)
            self.jobs[job.job_id] = job

    def _add(self, job, task_id, task_type, created_at, payload, artifacts, root, created_sim):
        self._seq += 1
        task = Task(job.job_id, task_id, task_type, created_at, payload, artifacts, root, created_sim, self._seq)
        job.tasks.append(task)
        return task

    # -- lookups ---------------------------------------------------------------------------
    def job(self, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "Job not found with ID: %s" % job_id)
        return job

    def task(self, job_id, task_id):
        for task in self.job(job_id).tasks:
            if task.task_id == task_id:
                return task
        raise ApiError(404, "Task not found with ID: %s" % task_id)

    def tasks_newest_first(self, job_id):
        job = self.job(job_id)
        with self._lock:
            return sorted(job.tasks, key=lambda task: task.order, reverse=True)

    def tick(self, task, advance):
        """``polls``: the Nth uncursored status read sees tick N; ``seconds``: simulated seconds."""
        if self.mode == "seconds":
            return self.clock.sim_seconds() - task.created_sim
        with self._lock:
            if advance:
                task.polls += 1
            return task.polls

    # -- creation --------------------------------------------------------------------------
    def _task_type(self, value):
        if isinstance(value, str):
            for request_name, type_name in TASK_TYPES.items():
                if value == request_name or (self.case == "insensitive" and value.lower() == type_name):
                    return type_name
        raise ApiError(400, "Invalid task type %r: expected Check or Migrate" % (value,))

    @staticmethod
    def _options(body):
        options = body.get("options")
        if options is None:
            return {}
        check_types = options.get("checkTypes") if isinstance(options, dict) else None
        if not isinstance(options, dict) or not isinstance(check_types or {}, dict):
            raise ApiError(400, 'Invalid options: expected {"checkTypes": {...}}')
        for key, value in (check_types or {}).items():
            if key not in ("includeKeys", "excludeKeys"):
                raise ApiError(400, "Invalid options: unknown checkTypes key %r" % key)
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ApiError(400, "Invalid options: checkTypes.%s must be a list of strings" % key)
        return options

    def refusal(self, job):
        """Why the CMA would refuse a new task of ``job`` (its root-only message), or ``None``.

        Each check is on only when the scenario's ``server.refuse`` lists it.
        """
        instance = self.instance
        refuse = instance.refuse if instance else ()
        definition = job.definition
        server_id = str((definition.get("source") or {}).get("serverId", ""))
        if "not_attached" in refuse and not instance.attached((definition.get("destination") or {}).get("url")):
            return NOT_ATTACHED % server_id
        live = [task for task in job.tasks if not task.refused]
        if "task_running" in refuse:
            for task in sorted(live, key=lambda task: task.order, reverse=True):
                tick = self.tick(task, advance=False)
                if not task.root.visible(tick) or task.root.status(tick) != "FINISHED":
                    return TASK_RUNNING % (job.job_id, task.task_id)
        if "migrated" in refuse and any(task.type == "migrate" for task in live):
            return MIGRATED % job.job_id
        if "server_id" in refuse and server_id != instance.server_id:
            return NOT_ATTACHED % server_id
        unknown = [key for key in _app_keys(definition) if key not in instance.installed_apps] if "app_keys" in refuse else []
        if unknown:
            return INVALID_APPS % ", ".join(unknown)
        if "empty_scope" in refuse and _scope_empty(definition.get("scope")):
            return EMPTY_SCOPE
        return None

    def create_task(self, job_id, body):
        job = self.job(job_id)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        task_type = self._task_type(body.get("task"))
        options = self._options(body)
        with self._lock:
            refusal = self.refusal(job)
            if refusal is not None:
                root = treespec.compile_tree(treespec.validate({"finish": 0, "outcome": "FAILED", "message": refusal}, "refusal"))
            else:
                template = job.templates.get(task_type)
                if template is None:
                    raise ApiError(400, "The simulated job %s has no %s task template" % (job_id, task_type))
                keep, transform = _hooks(task_type, options)
                root = treespec.compile_tree(template, keep=keep, transform=transform)
            created_sim = self.clock.sim_seconds()
            task = self._add(job, str(uuid.uuid4()), task_type, iso_utc(self.clock.wall()), options, [], root, created_sim)
            task.refused = refusal is not None
            return task

    def create_job(self, body, size):
        if size > MAX_JOB_BODY:
            raise ApiError(400, "Request body exceeds the 390 KB limit")
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        missing = [key for key in ("flow", "source", "destination", "scope") if key not in body]
        if missing:
            raise ApiError(400, "Missing required field(s): %s" % ", ".join(missing))
        job = Job(str(uuid.uuid4()), copy.deepcopy(body), self.new_job_templates)
        with self._lock:
            self.jobs[job.job_id] = job
        return job
