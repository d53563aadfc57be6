"""ID Mapping reports API (``/migrations/reports/v1/id-mappings``, doc 3.11-3.13).

Each triggered job follows the scenario behaviour at its position in ``idmapping.jobs`` (the last
one repeats): ``pending_polls`` status reads answer PENDING, the next ``in_progress_polls``
answer IN_PROGRESS, then ``result``. TTLs are measured in simulated seconds.
"""

import threading
import uuid

from .mapi import read_json
from .report import ENTITY_TYPES, Report, served_settings
from .responses import ApiError, json_response

JOB_NOT_FOUND = "Job not found with ID: %s. The job ID may be incorrect or expired."
REPORT_NOT_AVAILABLE = "Report file not available. The report may have been deleted or expired."
PRODUCT_MESSAGE = "Product must be CONFLUENCE or JIRA"


class IdMappingJob:
    def __init__(self, job_id, behaviour, product, created_sim, fixed_status=None):
        self.job_id = job_id
        self.behaviour = behaviour
        self.product = product
        self.created_sim = created_sim
        self.fixed_status = fixed_status
        self.polls = 0
        self.succeeded_at = created_sim if fixed_status == "SUCCESS" else None
        spec = served_settings(behaviour["report"])
        entity = spec.get("entity_type") or ENTITY_TYPES.get(product, "jira:issue")
        self.report = Report(job_id, rows=spec.get("rows"), size_bytes=spec.get("size_bytes"), entity_type=entity, report_format=spec["format"])
        self.served = spec

    def status(self):
        if self.fixed_status is not None:
            return self.fixed_status
        result = self.behaviour["result"]
        if result == "PENDING" or self.polls <= self.behaviour["pending_polls"]:
            return "PENDING"
        if result == "IN_PROGRESS" or self.polls <= self.behaviour["pending_polls"] + self.behaviour["in_progress_polls"]:
            return "IN_PROGRESS"
        return result


class IdMappingModel:
    def __init__(self, scenario, clock):
        self.config = scenario["idmapping"]
        self.clock = clock
        self.jobs = {}
        self.trigger_count = 0
        self._lock = threading.Lock()
        for item in self.config["preexisting"]:
            job = IdMappingJob(item["job_id"], item, item.get("product", "JIRA"), 0.0, item["status"])
            self.jobs[job.job_id] = job

    # -- lifecycle -------------------------------------------------------------------------
    def _validate_url(self, body, field):
        value = body.get(field)
        if not isinstance(value, str) or not value:
            return "%s is required" % field
        schemes = ("https://",) if self.config["require_https_urls"] else ("https://", "http://")
        if not value.startswith(schemes) or len(value) <= len(schemes[0]):
            return "%s must be a full URL starting with %s" % (field, " or ".join(schemes))
        if value.endswith("/"):
            return "%s must not end with a trailing slash" % field
        return None

    def trigger(self, body):
        if not isinstance(body, dict):
            raise ApiError(400, "Validation failed", errors=["Request body must be a JSON object"])
        errors = []
        if body.get("product") not in ("JIRA", "CONFLUENCE"):
            errors.append(PRODUCT_MESSAGE)
        errors.extend(e for e in (self._validate_url(body, f) for f in ("destinationURL", "sourceURL")) if e)
        if errors:
            raise ApiError(400, "Validation failed", errors=errors)
        with self._lock:
            behaviours = self.config["jobs"]
            behaviour = behaviours[min(self.trigger_count, len(behaviours) - 1)]
            self.trigger_count += 1
            job = IdMappingJob(str(uuid.uuid4()), behaviour, body["product"], self.clock.sim_seconds())
            self.jobs[job.job_id] = job
        return job

    def _alive(self, job_id):
        job = self.jobs.get(job_id)
        ttl = self.config["job_ttl"]
        if job is None or (ttl is not None and self.clock.sim_seconds() - job.created_sim > ttl):
            return None
        return job

    def poll(self, job_id):
        with self._lock:
            job = self._alive(job_id)
            if job is None:
                raise ApiError(404, JOB_NOT_FOUND % job_id)
            job.polls += 1
            status = job.status()
            if status == "SUCCESS" and job.succeeded_at is None:
                job.succeeded_at = self.clock.sim_seconds()
            return job, status

    def downloadable(self, job_id):
        """The job when its report can be downloaded, else ``None``."""
        with self._lock:
            job = self._alive(job_id)
        if job is None or job.succeeded_at is None:
            return None
        ttl = self.config["report_ttl"]
        if ttl is not None and self.clock.sim_seconds() - job.succeeded_at > ttl:
            return None
        return job

    @staticmethod
    def object_key(job):
        return "id-mappings/%s/report.%s" % (job.job_id, job.report.format)

    def job_for_object(self, bucket, key):
        """The downloadable job whose report object is ``bucket``/``key``, else ``None``."""
        if bucket != self.config["bucket"] or not key.startswith("id-mappings/") or key.count("/") != 2:
            return None
        job = self.downloadable(key.split("/")[1])
        return job if job is not None and key == self.object_key(job) else None

    def report(self, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            raise KeyError("no ID mapping job %r" % job_id)
        return job.report


# -- HTTP handlers -------------------------------------------------------------------------
def trigger(core, request):
    try:
        body = read_json(request)
    except ApiError as exc:
        raise ApiError(400, "Validation failed", errors=[exc.message]) from exc
    job = core.idmapping.trigger(body)
    return json_response({"jobId": job.job_id, "status": "PENDING"}, status=202)


def status(core, request, job_id):
    job, current = core.idmapping.poll(job_id)
    return json_response({"jobId": job.job_id, "status": current})


def download(core, request, job_id):
    model = core.idmapping
    job = model.downloadable(job_id)
    if job is None:
        raise ApiError(404, REPORT_NOT_AVAILABLE)
    expires_in = model.config["link_expires_in"]
    url = core.presigner.url(core.s3_base_url(request), model.config["bucket"], model.object_key(job), expires_in)
    return json_response({"jobId": job.job_id, "downloadUrl": url, "expiresIn": expires_in})
