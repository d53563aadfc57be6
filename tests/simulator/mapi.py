"""HTTP handlers of the Migration API (``/migrations/public/v1``, doc 3.3-3.9)."""

import json

from .pagination import decode_cursor, encode_cursor, links, page_bounds
from .responses import ApiError, json_response


def read_json(request):
    """The request body as JSON; ``None`` for an empty body; 400 when it does not parse."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Request body is not valid JSON") from exc


def create_job(core, request):
    job = core.migration.create_job(read_json(request), len(request.get_data(cache=True)))
    return json_response({"jobId": job.job_id, "jobDefinition": job.definition})


def get_job(core, request, job_id):
    return json_response(core.migration.job(job_id).definition)


def create_task(core, request, job_id):
    task = core.migration.create_task(job_id, read_json(request))
    return json_response({"taskId": task.task_id})


def list_tasks(core, request, job_id):
    pagination = core.scenario["pagination"]
    tasks = core.migration.tasks_newest_first(job_id)
    key = "tasks:" + job_id
    cursor = request.args.get("cursor")
    offset = decode_cursor(cursor, key)[0] if cursor else 0
    start, end, next_offset = page_bounds(len(tasks), offset, pagination["task_page_size"], pagination["page_overlap"])
    next_cursor = None if next_offset is None else encode_cursor(key, next_offset)
    body = {"data": [task.entry() for task in tasks[start:end]], "links": links(request, pagination, next_cursor)}
    return json_response(body)


def get_task(core, request, job_id, task_id):
    return json_response(core.migration.task(job_id, task_id).entry())


def parse_level(text):
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def task_status(core, request, job_id, task_id):
    """``GET .../status``: the node at ``level``; ``expandChildren=true`` pages its children."""
    model = core.migration
    pagination = core.scenario["pagination"]
    task = model.task(job_id, task_id)
    names = parse_level(request.args.get("level"))
    expand = request.args.get("expandChildren", "").strip().lower() == "true"
    key = "status:%s:%s:%d" % (task_id, ",".join(names), expand)
    cursor = request.args.get("cursor")
    if cursor:
        offset, tick = decode_cursor(cursor, key)
        if tick is None:
            tick = model.tick(task, advance=False)
    else:
        offset, tick = 0, model.tick(task, advance=True)
    if not task.root.visible(tick):
        raise ApiError(404, "Status of task %s is not available yet" % task_id)
    # A check task's root is the preflight overview: the API documents level=check and
    # level=check,<CheckType> for it, so a leading "check" names the root itself.
    if task.type.lower() == "check" and names[:1] == ["check"]:
        names = names[1:]
    node = task.root.find(names, tick)
    if node is None:
        if core.scenario["missing_level"] == "empty":
            return json_response({"data": {}, "links": links(request, pagination, None)})
        raise ApiError(404, "Level not found: %s" % ",".join(names))
    data = node.fields(tick)
    next_cursor = None
    if expand:
        children = node.visible_children(tick)
        size, overlap = pagination["status_page_size"], pagination["page_overlap"]
        start, end, next_offset = page_bounds(len(children), offset, size, overlap)
        data["children"] = {child.name: child.render(tick) for child in children[start:end]}
        if next_offset is not None:
            next_cursor = encode_cursor(key, next_offset, tick)
    return json_response({"data": data, "links": links(request, pagination, next_cursor)})
