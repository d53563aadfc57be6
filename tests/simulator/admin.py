"""Admin endpoints under ``/_sim/`` (no auth, never faulted, never rate limited)."""

import json

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from .responses import ApiError, error_response, json_response
from .validate import ScenarioError

URLS = Map(
    [
        Rule("/_sim/health", methods=["GET"], endpoint="health"),
        Rule("/_sim/log", methods=["GET", "DELETE"], endpoint="log"),
        Rule("/_sim/faults", methods=["GET", "POST", "DELETE"], endpoint="faults"),
        Rule("/_sim/clock", methods=["GET", "POST"], endpoint="clock"),
        Rule("/_sim/state", methods=["GET"], endpoint="state"),
    ],
    merge_slashes=False,
)


def _body(request):
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError as exc:
        raise ApiError(400, "Request body is not valid JSON") from exc


def _clock_state(core):
    clock = core.clock
    return {
        "mode": core.scenario["clock"]["mode"],
        "speed": clock.speed,
        "sim_seconds": clock.sim_seconds(),
        "advanced": clock.advanced,
    }


def state(core):
    jobs = []
    for job in list(core.migration.jobs.values()):
        tasks = []
        for task in list(job.tasks):
            tick = core.migration.tick(task, advance=False)
            visible = task.root.visible(tick)
            tasks.append(
                {
                    "task_id": task.task_id,
                    "type": task.type,
                    "tick": tick,
                    "status": task.root.status(tick) if visible else None,
                    "outcome": task.root.outcome,
                }
            )
        jobs.append({"job_id": job.job_id, "tasks": tasks})
    idm = core.idmapping
    return {
        "scenario": core.scenario["name"],
        "clock": _clock_state(core),
        "jobs": jobs,
        "idmapping": {
            "trigger_count": idm.trigger_count,
            "jobs": [{"job_id": j.job_id, "status": j.status(), "polls": j.polls} for j in list(idm.jobs.values())],
        },
        "faults": core.faults.active(),
    }


def _faults(core, request):
    if request.method == "GET":
        return json_response(core.faults.active())
    if request.method == "DELETE":
        core.faults.clear()
        return json_response({"faults": []})
    body = _body(request)
    specs = body if isinstance(body, list) else [body]
    try:
        added = [core.faults.add(spec) for spec in specs]
    except ScenarioError as exc:
        raise ApiError(400, str(exc)) from exc
    return json_response({"added": added, "faults": core.faults.active()})


def _clock(core, request):
    if request.method == "POST":
        body = _body(request)
        advance = body.get("advance") if isinstance(body, dict) else None
        if isinstance(advance, bool) or not isinstance(advance, (int, float)) or advance < 0:
            raise ApiError(400, 'expected {"advance": <seconds >= 0>}')
        core.clock.advance(advance)
    return json_response(_clock_state(core))


def dispatch(core, request):
    try:
        endpoint, _args = URLS.bind_to_environ(request.environ).match()
        if endpoint == "health":
            return json_response({"status": "ok", "scenario": core.scenario["name"]})
        if endpoint == "log":
            if request.method == "DELETE":
                core.log.clear()
            return json_response(core.log.entries())
        if endpoint == "faults":
            return _faults(core, request)
        if endpoint == "clock":
            return _clock(core, request)
        return json_response(state(core))
    except ApiError as exc:
        return exc.response()
    except HTTPException as exc:
        return error_response(exc.code or 500)
