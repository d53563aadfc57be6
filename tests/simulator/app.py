"""The WSGI application: routing, then faults, auth, rate limits and the handlers.

Order for API paths: a matching fault may replace or damage the response; otherwise the route
is resolved (404/405 envelopes), the credential checked (401/403), the rate limit counted (429)
and the handler run. Faults that deliver a damaged real response (``slow``, ``truncate``,
``malformed_json``, ``drip``) run the handler, with its side effects; the others never reach it.
"""

import logging
import time

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from . import admin, cma, idmapping, inject, mapi, s3
from .auth import Authenticator, ServerAuthenticator, credential_key
from .clock import SimClock
from .faults import AbortConnection, FaultRegistry
from .idmapping import IdMappingModel
from .jobs import MigrationModel
from .ratelimit import RateLimiter
from .reqlog import RequestLog
from .responses import ApiError, error_response

LOG = logging.getLogger(__name__)
MAPI = "/migrations/public/v1"
IDM = "/migrations/reports/v1/id-mappings"
# The instance's CMA, at the root or under a context path such as /jira
CMA = "/rest/migration/latest"

# endpoint: (handler, rate-limit bucket, realm: whose credentials, None = no auth)
ROUTES = {
    "create_job": (mapi.create_job, "create_job", "mapi"),
    "get_job": (mapi.get_job, "read", "mapi"),
    "list_tasks": (mapi.list_tasks, "read", "mapi"),
    "create_task": (mapi.create_task, "create_task", "mapi"),
    "get_task": (mapi.get_task, "read", "mapi"),
    "task_status": (mapi.task_status, "read", "mapi"),
    "mint_token": (cma.mint_token, "read", "mapi"),
    "idm_trigger": (idmapping.trigger, "idmapping", "idmapping"),
    "idm_status": (idmapping.status, "idmapping", "idmapping"),
    "idm_download": (idmapping.download, "idmapping", "idmapping"),
    "s3_object": (s3.get_object, None, None),
    "cma_save_token": (cma.save_token, None, "server"),
    "cma_attach": (cma.attach, None, "server"),
}

URLS = Map(
    [
        Rule(MAPI + "/jobs", methods=["POST"], endpoint="create_job"),
        Rule(MAPI + "/jobs/<job_id>", methods=["GET"], endpoint="get_job"),
        Rule(MAPI + "/jobs/<job_id>/tasks", methods=["GET"], endpoint="list_tasks"),
        Rule(MAPI + "/jobs/<job_id>/tasks", methods=["POST"], endpoint="create_task"),
        Rule(MAPI + "/jobs/<job_id>/tasks/<task_id>", methods=["GET"], endpoint="get_task"),
        Rule(MAPI + "/jobs/<job_id>/tasks/<task_id>/status", methods=["GET"], endpoint="task_status"),
        Rule(IDM + "/trigger", methods=["POST"], endpoint="idm_trigger"),
        Rule(IDM + "/<job_id>", methods=["GET"], endpoint="idm_status"),
        Rule(IDM + "/<job_id>/download", methods=["GET"], endpoint="idm_download"),
        Rule(MAPI + "/token", methods=["POST"], endpoint="mint_token"),
        Rule("/s3/<bucket>/<path:key>", methods=["GET", "HEAD"], endpoint="s3_object"),
        Rule(CMA + "/cloud/save/token", methods=["POST"], endpoint="cma_save_token"),
        Rule("/<path:context>" + CMA + "/cloud/save/token", methods=["POST"], endpoint="cma_save_token"),
        Rule(CMA + "/public/v1/attach", methods=["POST"], endpoint="cma_attach"),
        Rule("/<path:context>" + CMA + "/public/v1/attach", methods=["POST"], endpoint="cma_attach"),
    ],
    merge_slashes=False,
)


class _Body:
    """Wraps a response body: counts ``bytes_sent`` and completes the log entry on close."""

    def __init__(self, chunks, entry, log):
        self._chunks = chunks
        self._entry = entry
        self._log = log
        self._finished = False

    def __iter__(self):
        for chunk in self._chunks:
            self._entry["bytes_sent"] += len(chunk)
            yield chunk
        self._finish()

    def _finish(self):
        if not self._finished:
            self._finished = True
            self._log.finish(self._entry)

    def close(self):
        try:
            if hasattr(self._chunks, "close"):
                self._chunks.close()
        finally:
            self._finish()


class SimulatorApp:
    """The simulated service; also the ``core`` object handed to every handler."""

    def __init__(self, scenario, log_path=None, on_request=None):
        self.scenario = scenario
        self.clock = SimClock(scenario["clock"]["speed"])
        self.started_wall = time.time()
        self.instance = cma.CmaInstance(scenario["server"], self.clock)
        self.migration = MigrationModel(scenario, self.clock, self.instance)
        self.idmapping = IdMappingModel(scenario, self.clock)
        self.presigner = s3.Presigner(self.clock, scenario["idmapping"]["link_valid_seconds"])
        self.auth = Authenticator(scenario["credentials"], scenario["forbidden_tokens"], scenario["bearer_allowed"])
        self.server_auth = ServerAuthenticator(scenario["server"])
        self.limiter = RateLimiter(scenario["rate_limits"], self.clock)
        self.faults = FaultRegistry(scenario["faults"])
        self.log = RequestLog(log_path, on_request)
        self.scheme = "http"
        self.port = None

    def s3_base_url(self, request):
        template = self.scenario["s3_base_url"]
        if template:
            return template.format(port=self.port, scheme=self.scheme)
        return request.host_url

    def __call__(self, environ, start_response):
        request = Request(environ)
        entry = self.log.begin(request)
        if request.path == "/_sim" or request.path.startswith("/_sim/"):
            return self._send(admin.dispatch(self, request), entry, environ, start_response)
        fault = self.faults.take(request.method, request.path)
        if fault is None:
            return self._send(self._dispatch(request, entry), entry, environ, start_response)
        kind = entry["fault"] = fault["kind"]
        if kind == "reset":
            self.log.commit(entry)
            self.log.finish(entry)
            raise AbortConnection()
        if kind in inject.REPLACING:
            return self._send(inject.fault_response(fault), entry, environ, start_response)
        if kind == "slow":
            time.sleep(fault["delay"])
            return self._send(self._dispatch(request, entry), entry, environ, start_response)
        status, headers, body = inject.damage(fault, self._dispatch(request, entry), environ)
        return self._start(status, headers, body, entry, start_response)

    def _send(self, response, entry, environ, start_response):
        app_iter, status, headers = response.get_wsgi_response(environ)
        return self._start(status, list(headers), app_iter, entry, start_response)

    def _start(self, status, headers, body, entry, start_response):
        entry["status"] = int(status.split(None, 1)[0])
        self.log.commit(entry)
        start_response(status, headers)
        return _Body(body, entry, self.log)

    def _dispatch(self, request, entry):
        try:
            endpoint, args = URLS.bind_to_environ(request.environ).match()
        except MethodNotAllowed as exc:
            return error_response(405, headers={"Allow": ", ".join(exc.valid_methods or [])})
        except HTTPException:
            return error_response(404)
        handler, bucket, realm = ROUTES[endpoint]
        header = request.headers.get("Authorization")
        try:
            if realm == "server":
                self.server_auth.check(header)
            elif realm is not None:
                self.auth.check(header, realm)
            if bucket is not None:
                try:
                    self.limiter.hit(bucket, credential_key(header))
                except ApiError:
                    entry["rate_limited"] = True
                    raise
            return handler(self, request, **args)
        except ApiError as exc:
            if realm == "server":
                return cma.message_response(exc.status, exc.message)
            return exc.response()
        except Exception:
            LOG.exception("simulator handler %s failed", endpoint)
            return error_response(500)
