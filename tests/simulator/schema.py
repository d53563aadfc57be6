"""Validation of scenario documents and completion with defaults.

Every error names the offending location, e.g. ``jobs[0].tasks[1].tree.children.X.outcome``.
"""

import copy
import uuid

from . import treespec
from .faults import normalize_fault
from .report import SERVED_KEYS, served_spec
from .validate import ScenarioError, check_bool, check_choice, check_keys, check_list, check_number, check_str

__all__ = ["DEFAULT_CREDENTIALS", "ScenarioError", "normalize"]

DEFAULT_CREDENTIALS = [{"email": "demo@example.com", "api_token": "sim-token-0123456789abcdef"}]

DEFAULT_SERVER_CREDENTIALS = [{"username": "admin", "password": "sim-server-password-0123456789abcdef"}]
DEFAULT_SERVER_TOKENS = ["sim-server-pat-0123456789abcdef0123456789"]
# Refusals of the CMA for new tasks (jobs.MigrationModel.refusal); none by default, so that the
# scenarios written before the on-premises side existed keep running every POSTed task.
REFUSALS = ("not_attached", "task_running", "migrated", "server_id", "app_keys", "empty_scope")

DEFAULT_DEFINITION = {
    "name": "Simulated migration",
    "flow": "jira-onpremises-to-cloud",
    "source": {"serverId": "0123456789"},
    "destination": {"url": "https://example.atlassian.net"},
    "scope": {"projects": {"includedKeys": ["ABC"], "includedData": "all"}},
}

SECTION_DEFAULTS = {
    "rate_limits": {
        "window": 60,
        "read_per_window": 600,
        "create_per_window": 5,
        "idmapping_per_window": None,
        "retry_after_header": "seconds",
    },
    "pagination": {
        "task_page_size": 20,
        "status_page_size": 50,
        "page_overlap": 0,
        "next_style": "absolute",
        "last_page": "absent",
        "self_link": True,
    },
    "server": {
        "server_id": "0123456789",
        "product": "jira",
        "credentials": None,
        "tokens": None,
        "installed_apps": [],
        "connected": [],
        "attached": [],
        "token_ttl": 300,
        "attach_ttl": 86400,
        "attach_error": None,
        "refuse": [],
    },
    "bearer_allowed": {"mapi": True, "idmapping": True},
    "idmapping": {
        "jobs": [],
        "preexisting": [],
        "job_ttl": None,
        "report_ttl": None,
        "link_expires_in": 3600,
        "link_valid_seconds": None,
        "require_https_urls": True,
        "bucket": "sim-id-mapping-reports",
    },
}

TOP_KEYS = (
    "name",
    "description",
    "credentials",
    "forbidden_tokens",
    "rate_limits",
    "pagination",
    "clock",
    "missing_level",
    "task_type_case",
    "jobs",
    "new_job_templates",
    "idmapping",
    "s3_base_url",
    "faults",
    "server",
    "bearer_allowed",
)

IDMAPPING_BEHAVIOUR = {"pending_polls": 1, "in_progress_polls": 2, "result": "SUCCESS", "report": {"rows": 1000}}
IDMAPPING_STATUSES = ("PENDING", "IN_PROGRESS", "SUCCESS", "ERROR")


def _section(doc, key):
    value = doc.get(key) or {}
    check_keys(value, key, SECTION_DEFAULTS[key])
    merged = copy.deepcopy(SECTION_DEFAULTS[key])
    merged.update(value)
    return merged


def _credentials(doc):
    creds = doc.get("credentials")
    if creds is None:
        return copy.deepcopy(DEFAULT_CREDENTIALS)
    check_list(creds, "credentials", min_items=1)
    for index, pair in enumerate(creds):
        path = "credentials[%d]" % index
        check_keys(pair, path, ("email", "api_token"), required=("email", "api_token"))
        check_str(pair["email"], path + ".email")
        check_str(pair["api_token"], path + ".api_token")
    return copy.deepcopy(creds)


def _rate_limits(doc):
    limits = _section(doc, "rate_limits")
    check_number(limits["window"], "rate_limits.window", minimum=0.001)
    for key in ("read_per_window", "create_per_window", "idmapping_per_window"):
        check_number(limits[key], "rate_limits." + key, minimum=0, allow_none=True, integer=True)
    check_choice(limits["retry_after_header"], "rate_limits.retry_after_header", ("seconds", "http-date", "none"))
    return limits


def _server(doc):
    server = _section(doc, "server")
    check_str(server["server_id"], "server.server_id")
    check_choice(server["product"], "server.product", ("jira", "confluence"))
    if server["credentials"] is None:
        server["credentials"] = copy.deepcopy(DEFAULT_SERVER_CREDENTIALS)
    check_list(server["credentials"], "server.credentials")
    for index, pair in enumerate(server["credentials"]):
        path = "server.credentials[%d]" % index
        check_keys(pair, path, ("username", "password"), required=("username", "password"))
        check_str(pair["username"], path + ".username")
        check_str(pair["password"], path + ".password")
    if server["tokens"] is None:
        server["tokens"] = list(DEFAULT_SERVER_TOKENS)
    for key in ("tokens", "installed_apps", "connected", "attached", "refuse"):
        check_list(server[key], "server." + key)
        for index, item in enumerate(server[key]):
            check_str(item, "server.%s[%d]" % (key, index))
    for index, item in enumerate(server["refuse"]):
        check_choice(item, "server.refuse[%d]" % index, REFUSALS)
    for key in ("token_ttl", "attach_ttl"):
        check_number(server[key], "server." + key, minimum=0)
    check_choice(server["attach_error"], "server.attach_error", (None, "server_error"))
    return server


def _bearer_allowed(doc):
    allowed = _section(doc, "bearer_allowed")
    for key, value in allowed.items():
        check_bool(value, "bearer_allowed." + key)
    return allowed


def _pagination(doc):
    pages = _section(doc, "pagination")
    for key in ("task_page_size", "status_page_size"):
        check_number(pages[key], "pagination." + key, minimum=1, integer=True)
    check_number(pages["page_overlap"], "pagination.page_overlap", minimum=0, integer=True)
    if pages["page_overlap"] >= min(pages["task_page_size"], pages["status_page_size"]):
        raise ScenarioError("pagination.page_overlap: must be smaller than the page sizes")
    check_choice(pages["next_style"], "pagination.next_style", ("absolute", "relative", "cursor"))
    check_choice(pages["last_page"], "pagination.last_page", ("absent", "empty", "null"))
    check_bool(pages["self_link"], "pagination.self_link")
    return pages


def _clock(doc):
    clock = doc.get("clock", "polls")
    if isinstance(clock, str):
        clock = {"mode": clock}
    check_keys(clock, "clock", ("mode", "speed"))
    result = {"mode": clock.get("mode", "polls"), "speed": clock.get("speed", 1)}
    check_choice(result["mode"], "clock.mode", ("polls", "seconds"))
    check_number(result["speed"], "clock.speed", minimum=0.000001)
    return result


def _templates(value, path):
    check_keys(value, path, ("check", "migrate"))
    return {kind: treespec.validate(spec, "%s.%s" % (path, kind)) for kind, spec in value.items()}


def _task(task, path):
    check_keys(task, path, ("task_id", "type", "created_at", "payload", "artifacts", "tree"), required=("type",))
    check_choice(task["type"], path + ".type", ("check", "migrate"))
    result = {
        "task_id": str(task.get("task_id") or uuid.uuid4()),
        "type": task["type"],
        "created_at": task.get("created_at"),
        "payload": copy.deepcopy(task.get("payload") or {}),
        "artifacts": copy.deepcopy(task.get("artifacts") or []),
        "tree": treespec.validate(task.get("tree") or {}, path + ".tree"),
    }
    if result["created_at"] is not None:
        check_str(result["created_at"], path + ".created_at")
    check_list(result["artifacts"], path + ".artifacts")
    return result


def _jobs(doc):
    jobs = doc.get("jobs") or []
    check_list(jobs, "jobs")
    result = []
    for index, job in enumerate(jobs):
        path = "jobs[%d]" % index
        check_keys(job, path, ("job_id", "definition", "tasks", "templates"))
        tasks = job.get("tasks") or []
        check_list(tasks, path + ".tasks")
        definition = job.get("definition", DEFAULT_DEFINITION)
        check_keys(definition, path + ".definition", None)
        result.append(
            {
                "job_id": str(job.get("job_id") or uuid.uuid4()),
                "definition": copy.deepcopy(definition),
                "tasks": [_task(task, "%s.tasks[%d]" % (path, i)) for i, task in enumerate(tasks)],
                "templates": _templates(job.get("templates") or {}, path + ".templates"),
            }
        )
    return result


def _report(report, path):
    check_keys(report, path, ("rows", "size_bytes", "entity_type") + SERVED_KEYS)
    if ("rows" in report) == ("size_bytes" in report):
        raise ScenarioError("%s: give exactly one of rows, size_bytes" % path)
    for key in ("rows", "size_bytes"):
        if key in report:
            check_number(report[key], path + "." + key, minimum=0, integer=True)
    if "entity_type" in report:
        check_str(report["entity_type"], path + ".entity_type")
    return served_spec(report, path)


def _behaviour(item, path, preexisting=False):
    keys = ["pending_polls", "in_progress_polls", "result", "report"]
    if preexisting:
        keys += ["job_id", "status", "product"]
    check_keys(item, path, keys, required=("job_id", "status") if preexisting else ())
    result = dict(IDMAPPING_BEHAVIOUR)
    result.update(item)
    for key in ("pending_polls", "in_progress_polls"):
        check_number(result[key], path + "." + key, minimum=0, integer=True)
    check_choice(result["result"], path + ".result", IDMAPPING_STATUSES)
    result["report"] = _report(result["report"] or {}, path + ".report")
    if preexisting:
        check_str(result["job_id"], path + ".job_id")
        check_choice(result["status"], path + ".status", IDMAPPING_STATUSES)
        check_choice(result.get("product", "JIRA"), path + ".product", ("JIRA", "CONFLUENCE"))
    return result


def _idmapping(doc):
    idm = _section(doc, "idmapping")
    check_list(idm["jobs"], "idmapping.jobs")
    check_list(idm["preexisting"], "idmapping.preexisting")
    idm["jobs"] = [_behaviour(b, "idmapping.jobs[%d]" % i) for i, b in enumerate(idm["jobs"])] or [dict(IDMAPPING_BEHAVIOUR)]
    idm["preexisting"] = [_behaviour(b, "idmapping.preexisting[%d]" % i, True) for i, b in enumerate(idm["preexisting"])]
    for key in ("job_ttl", "report_ttl", "link_valid_seconds"):
        check_number(idm[key], "idmapping." + key, minimum=0, allow_none=True)
    check_number(idm["link_expires_in"], "idmapping.link_expires_in", minimum=0, integer=True)
    if idm["link_valid_seconds"] is None:
        idm["link_valid_seconds"] = idm["link_expires_in"]
    check_bool(idm["require_https_urls"], "idmapping.require_https_urls")
    check_str(idm["bucket"], "idmapping.bucket")
    return idm


def normalize(doc):
    """Validate ``doc`` and return a complete scenario with every default filled in."""
    check_keys(doc, "scenario", TOP_KEYS)
    scenario = {
        "name": str(doc.get("name") or "custom"),
        "description": str(doc.get("description") or ""),
        "credentials": _credentials(doc),
        "forbidden_tokens": list(doc.get("forbidden_tokens") or []),
        "rate_limits": _rate_limits(doc),
        "pagination": _pagination(doc),
        "clock": _clock(doc),
        "missing_level": doc.get("missing_level", "not_found"),
        "task_type_case": doc.get("task_type_case", "exact"),
        "jobs": _jobs(doc),
        "idmapping": _idmapping(doc),
        "server": _server(doc),
        "bearer_allowed": _bearer_allowed(doc),
        "s3_base_url": doc.get("s3_base_url"),
    }
    check_choice(scenario["missing_level"], "missing_level", ("not_found", "empty"))
    check_choice(scenario["task_type_case"], "task_type_case", ("exact", "insensitive"))
    for index, token in enumerate(scenario["forbidden_tokens"]):
        check_str(token, "forbidden_tokens[%d]" % index)
    if scenario["s3_base_url"] is not None:
        check_str(scenario["s3_base_url"], "s3_base_url")
        scenario["s3_base_url"] = scenario["s3_base_url"].rstrip("/")
    new_templates = doc.get("new_job_templates")
    if new_templates is not None:
        scenario["new_job_templates"] = _templates(new_templates, "new_job_templates")
    else:
        scenario["new_job_templates"] = scenario["jobs"][0]["templates"] if scenario["jobs"] else {}
    faults = doc.get("faults") or []
    check_list(faults, "faults")
    scenario["faults"] = [normalize_fault(f, "faults[%d]" % i) for i, f in enumerate(faults)]
    seen = set()
    for job in scenario["jobs"]:
        if job["job_id"] in seen:
            raise ScenarioError("jobs: duplicate job_id %r" % job["job_id"])
        seen.add(job["job_id"])
    return scenario
