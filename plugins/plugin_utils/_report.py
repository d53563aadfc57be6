# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data of the cloud_migration role's summary.json / summary.md, and of the waves table.

Only what the API returned goes in (no timestamps, no credentials), so a rerun over a finished
migration writes identical files: the timings of a step whose data did not change are kept from
the earlier summary, as they describe the run that saw the step finish.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._progress import hms
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._summary import STEP_ORDER


def _rows(result, outcome):
    return [
        {
            "level": n.get("level"),
            "name": n.get("name"),
            "outcome": n.get("outcome"),
            "message": n.get("message"),
            "excludable": bool(n.get("excludable")),
        }
        for n in (result or {}).get("nodes") or []
        if n.get("status") == "FINISHED" and str(n.get("outcome")).upper() == outcome
    ]


def _status(result):
    result = result or {}
    return {
        "task_id": result.get("task_id"),
        "level": ",".join(result.get("level") or []),
        "status": result.get("status"),
        "outcome": result.get("outcome"),
        "message": result.get("message"),
        "counts": result.get("counts") or {},
        "failed": _rows(result, "FAILED"),
        "warnings": _rows(result, "WARNING"),
        "excludable_failures": result.get("excludable_failures") or [],
        "unfinished": result.get("unfinished") or [],
    }


def _timing(*results):
    seconds = round(sum(float((r or {}).get("elapsed") or 0) for r in results))
    return {"seconds": seconds, "waited": hms(seconds), "polls": sum(int((r or {}).get("polls") or 0) for r in results)}


def _migrate(result, preflight, wait_for_apps):
    data = {"wait_for_apps": bool(wait_for_apps), "preflight": _status(preflight)}
    if result and list(result.get("level") or []) == ["migrate"]:
        depth = len(result["level"]) + 1
        data.update(_status(result))
        data["scopes"] = [
            {"name": n.get("name"), "status": n.get("status"), "outcome": n.get("outcome"), "message": n.get("message")}
            for n in result.get("nodes") or []
            if len(str(n.get("level")).split(",")) == depth
        ]
    else:
        data.update(_status(None), task_id=data["preflight"]["task_id"], level="migrate", scopes=[])
        data["message"] = "not reached: the check level of the migrate task failed"
    return data


def summary_data(context, previous=None):
    """The summary from the role's ``context``: ``result`` (cloud_migration_result), ``preflight``
    (the wait on the migrate task's check level), ``steps``, ``failure``, ``job_id``,
    ``overridden`` (checks sent as excludeKeys), ``wait_for_apps`` and the ID mapping inputs."""
    result = context.get("result") or {}
    steps = [step for step in STEP_ORDER if step in (context.get("steps") or [])]
    out = {}
    if "attach" in result:
        attach = result["attach"]
        out["attach"] = {"cloud_url": attach.get("cloud_url"), "attached": attach.get("attached"), "expiry_time": attach.get("expiry_time")}
    if "job" in result:
        out["job"] = {"job_id": result["job"].get("job_id"), "created": bool(result["job"].get("created"))}
    if "check" in result:
        out["check"] = dict(_status(result["check"]), overridden=list(context.get("overridden") or []), timing=_timing(result["check"]))
    if "migrate" in result:
        preflight = context.get("preflight") or {}
        out["migrate"] = dict(_migrate(result["migrate"], preflight, context.get("wait_for_apps")))
        out["migrate"]["overridden"] = list(context.get("overridden") or [])
        waits = [preflight] if result["migrate"] is preflight or result["migrate"] == preflight else [preflight, result["migrate"]]
        out["migrate"]["timing"] = _timing(*waits)
    if "idmapping" in result:
        r = result["idmapping"]
        out["idmapping"] = {
            "product": str(context.get("product") or "").upper() or None,
            "source_url": context.get("source_url"),
            "destination_url": context.get("destination_url"),
            "report": {"dest": r.get("dest"), "size": r.get("size"), "sha256": r.get("sha256")},
            "job": {"job_id": r.get("job_id"), "status": r.get("status"), "triggered": bool(r.get("triggered"))},
            "timing": _timing(r),
        }
    _keep_earlier_timings(out, _earlier(previous))
    failure = context.get("failure") or None
    out.update(job_id=context.get("job_id") or None, steps=steps, result="FAILED" if failure else "PASSED", failure=failure)
    return out


def _earlier(previous):
    """The earlier summary as a dict; its JSON text is accepted, and anything unreadable is none."""
    if isinstance(previous, (str, bytes)):
        try:
            previous = json.loads(previous) if previous.strip() else {}
        except ValueError:
            previous = {}
    return previous if isinstance(previous, dict) else {}


def _keep_earlier_timings(out, previous):
    for step in ("check", "migrate", "idmapping"):
        if step not in out or not isinstance(previous.get(step), dict):
            continue
        before = previous[step]
        if step == "idmapping":
            same = all(before.get(key) == out[step][key] for key in ("report", "product", "source_url", "destination_url"))
            kept = ("job", "timing")
        else:
            same = dict((k, v) for k, v in before.items() if k != "timing") == dict((k, v) for k, v in out[step].items() if k != "timing")
            kept = ("timing",)
        if same and isinstance(before.get("timing"), dict):
            out[step].update((key, before.get(key)) for key in kept)


def waves_table(hostvars, hosts):
    """One row per host of a waves run: the host, its job, the steps run, the outcome and where
    its summary is. A host that never set cloud_migration_result reads as not run."""
    rows = []
    for host in hosts:
        values = hostvars.get(host) or {}
        result = values.get("cloud_migration_result") or {}
        failure = values.get("migration_wave_failure")
        steps = [step for step in STEP_ORDER if step in result]
        if not result:
            outcome = "NOT RUN"
        elif failure:
            outcome = "FAILED"
        else:
            outcome = "PASSED"
        last = result.get("migrate") or result.get("check") or {}
        report_dir = values.get("migration_wave_report_dir") or values.get("cloud_migration_report_dir")
        rows.append(
            {
                "host": host,
                "job_id": result.get("job_id") or values.get("cloud_migration_job_id"),
                "steps": steps,
                "outcome": outcome,
                "status": last.get("status"),
                "migration_outcome": last.get("outcome"),
                "failure": failure or None,
                "summary": (str(report_dir).rstrip("/") + "/summary.md") if report_dir else None,
                "idmapping_report": (result.get("idmapping") or {}).get("dest"),
            }
        )
    return {"hosts": rows, "result": "PASSED" if rows and all(r["outcome"] == "PASSED" for r in rows) else "FAILED"}


def _cell(value):
    if value is None:
        return ""
    return str(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _code(value):
    return "`%s`" % value if value not in (None, "") else ""


def _table(header, rows, right=()):
    return {"header": list(header), "align": ["---:" if name in right else "---" for name in header], "rows": rows}


def _text(text):
    return {"text": text}


COUNT_KEYS = ("SUCCESS", "WARNING", "FAILED", "SKIPPED", "INCOMPLETE", "CANCELLED", "IN_PROGRESS")


def _counts(counts):
    keys = [key for key in COUNT_KEYS if key in counts] + sorted(key for key in counts if key not in COUNT_KEYS)
    return _table(keys, [[str(counts.get(key, 0)) for key in keys]], right=keys)


def _checks(rows):
    return _table(
        ["Check", "Outcome", "Excludable", "Message"],
        [[_cell(n["name"]), _cell(n["outcome"]), "yes" if n["excludable"] else "no", _cell(n["message"])] for n in rows],
    )


def _status_row(data, *first):
    return list(first) + [_cell(data.get("status")), _cell(data.get("outcome")), _cell(data.get("message"))]


def _check_section(c):
    blocks = [
        _table(["Task", "Status", "Outcome", "Message"], [_status_row(c, _code(c["task_id"]))]),
        _text("Checks by outcome:"),
        _counts(c["counts"]),
    ]
    if c["failed"] or c["warnings"]:
        blocks += [_text("Failing and warning checks:"), _checks(c["failed"] + c["warnings"])]
    if c.get("overridden"):
        blocks.append(_text("Overridden checks (sent as `excludeKeys` on the Migrate task): %s" % ", ".join(c["overridden"])))
    elif c["excludable_failures"]:
        blocks.append(
            _text("Excludable failed checks, for `options.checkTypes.excludeKeys` of a new Migrate task: %s" % ", ".join(c["excludable_failures"]))
        )
    return {"title": "Check", "blocks": blocks}


def _migrate_section(m):
    task = _code(m["task_id"])
    rows = [_status_row(m["preflight"], task, "check"), _status_row(m, task, "migrate")]
    blocks = [_table(["Task", "Level", "Status", "Outcome", "Message"], rows), _text("Waited for apps: %s" % ("yes" if m["wait_for_apps"] else "no"))]
    if m.get("overridden"):
        blocks.append(_text("Overridden checks: %s" % ", ".join(m["overridden"])))
    pre = m["preflight"]
    if pre["failed"] or pre["warnings"]:
        blocks += [_text("Failing and warning checks of the migrate task:"), _checks(pre["failed"] + pre["warnings"])]
    if m["scopes"]:
        scopes = [_status_row(n, _cell(n["name"])) for n in m["scopes"]]
        blocks += [_text("Scopes:"), _table(["Scope", "Status", "Outcome", "Message"], scopes)]
    if m["counts"]:
        blocks += [_text("Nodes under `migrate` by outcome:"), _counts(m["counts"])]
    if m["failed"] or m["warnings"]:
        nodes = [[_cell(n["level"]), _cell(n["outcome"]), _cell(n["message"])] for n in m["failed"] + m["warnings"]]
        blocks += [_text("Failed and warning nodes:"), _table(["Node", "Outcome", "Message"], nodes)]
    if m["unfinished"]:
        blocks.append(_text("Unfinished: %s" % ", ".join(m["unfinished"])))
    return {"title": "Migrate", "blocks": blocks}


def _idmapping_section(i):
    job = i["job"]
    name = _code(job["job_id"]) if job["job_id"] else ("(would be triggered)" if job["triggered"] else "(report was already there)")
    report = i["report"]
    row = [name, _cell(job["status"]), _code(report["dest"]), _cell(report["size"]), _code(report["sha256"])]
    return {
        "title": "ID mapping",
        "blocks": [
            _table(["Product", "Source", "Destination"], [[_cell(i["product"]), _cell(i["source_url"]), _cell(i["destination_url"])]]),
            _table(["Job", "Status", "Report", "Size (bytes)", "SHA-256"], [row], right=["Size (bytes)"]),
        ],
    }


def summary_sections(summary):
    """The summary as sections of text and tables (cells already escaped) for summary.md.j2."""
    job = summary.get("job") or {}
    items = [["Migration job", _code(summary["job_id"]) + (" (created by this role)" if job.get("created") else "")]]
    items += [["Steps", ", ".join(summary["steps"])], ["Result", "**FAILED**" if summary["result"] == "FAILED" else summary["result"]]]
    head = [_table(["Item", "Value"], items)]
    if summary.get("attach"):
        head.append(_text("Cloud site %s attached: %s" % (_code(summary["attach"]["cloud_url"]), "yes" if summary["attach"]["attached"] else "no")))
    sections = [{"title": None, "blocks": head}]
    if summary.get("failure"):
        sections.append({"title": "Why it failed", "blocks": [_text("```text\n%s\n```" % summary["failure"])]})
    builders = (("check", _check_section), ("migrate", _migrate_section), ("idmapping", _idmapping_section))
    sections += [build(summary[step]) for step, build in builders if step in summary]
    timed = [[step, summary[step]["timing"]["waited"], str(summary[step]["timing"]["polls"])] for step, dummy in builders if step in summary]
    if timed:
        sections.append(
            {
                "title": "Timings",
                "blocks": [_table(["Step", "Waited (HH:MM:SS)", "Status reads"], timed, right=["Waited (HH:MM:SS)", "Status reads"])],
            }
        )
    return sections
