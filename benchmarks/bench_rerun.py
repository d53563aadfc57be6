"""Benchmark 4, idempotent re-run: the playbook ``migrationops.atlassian.migrate`` (role
``cloud_migration``) over a finished migration whose ID mapping report is already saved.

The bundled ``basic`` scenario has a finished check task and migrate task. A first run saves
the report and the summary; the re-runs are measured: wall time, CPU, module processes and the
HTTP requests the simulator saw, by kind. The targets: one status read per wait of the role and no
ID mapping request at all (the report exists, so ``idmapping_job`` must not call the API). The
role waits once on the check task and twice on the migrate task (its check level, whose
progress it shows while the migrate task checks, then its migrate level), so a re-run reads the
check task once and the migrate task twice.
"""

import json
import os
import re
from collections import Counter

import yaml

from .measure import stat
from .report import Table, spread
from .simulator import REPO_ROOT, SimulatorProcess

PLAYBOOK = "migrationops.atlassian.migrate"
REPS = 3
# The role's waits: (task, level) as classify() names them.
WAITS = ("check task, level (root)", "migrate task, level check", "migrate task, level migrate")
STATUS_PATH = re.compile(r"^/migrations/public/v1/jobs/[^/]+/tasks/([^/]+)/status$")
RECAP = re.compile(r"changed=(\d+)")


def available(ctx):
    installed = os.path.join(ctx.playbooks.collections, "ansible_collections", "migrationops", "atlassian")
    return os.path.exists(os.path.join(installed, "playbooks", "migrate.yml")) and os.path.exists(
        os.path.join(installed, "roles", "cloud_migration", "tasks", "main.yml")
    )


def basic_scenario():
    with open(os.path.join(REPO_ROOT, "tests", "simulator", "scenarios", "basic.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def classify(entry, task_types):
    """The kind of a logged request: a status read of a task type (and level), a task list read, or ID mapping."""
    path = entry["path"]
    if path.startswith(("/migrations/reports/", "/s3/")):
        return "ID mapping"
    status = STATUS_PATH.match(path)
    if status:
        return "status read, %s task, level %s" % (task_types.get(status.group(1), "?"), entry["query"].get("level") or "(root)")
    if path.endswith("/tasks"):
        return "task list read"
    return "%s %s" % (entry["method"], path)


def extra_vars(ctx, scenario):
    values = {
        "cloud_migration_job_id": scenario["jobs"][0]["job_id"],
        "cloud_migration_product": "JIRA",
        "cloud_migration_source_url": "https://jira.example.com",
        "cloud_migration_destination_url": "https://example.atlassian.net",
        "cloud_migration_idmapping_dest": ctx.path("rerun", "reports", "jira-id-mappings.csv"),
        "cloud_migration_report_dir": os.path.join(ctx.directory, "rerun", "summary"),
        "cloud_migration_wait_sleep": 0,
    }
    path = ctx.path("rerun", "vars.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
    return ["-e", "@" + path]


def measure(ctx, sim, args, task_types, name):
    sim.clear_log()
    run = ctx.playbooks.run(name, PLAYBOOK, env=sim.env, extra_args=args)
    with open(run.output, encoding="utf-8") as handle:
        changed = [int(value) for value in RECAP.findall(handle.read())]
    return {
        "wall": run.usage.wall,
        "cpu": run.usage.cpu,
        "task_cpu": ctx.calibration.task_cpu(run),
        "processes": len(run.modules),
        "modules": Counter(module.module for module in run.modules),
        "module_cpu": sum(module.cpu for module in run.modules),
        "requests": Counter(classify(entry, task_types) for entry in sim.requests()),
        "changed": sum(changed),
    }


def _listing(counter):
    return "; ".join("%s: %d" % item for item in sorted(counter.items()))


def run(ctx):
    table = Table(
        "4. Idempotent re-run of the role over a finished migration",
        ["run", "runs", "wall s", "playbook CPU s", "task CPU s", "module processes", "module CPU s", "changed", "HTTP requests"],
    )
    if not available(ctx):
        table.notes.append("TODO: the playbook %s / role cloud_migration is not in the installed collection yet; nothing measured" % PLAYBOOK)
        return [table]
    scenario = basic_scenario()
    task_types = {task["task_id"]: task["type"] for job in scenario["jobs"] for task in job["tasks"]}
    with SimulatorProcess(scenario, ctx.path("rerun", "sim")) as sim:
        args = extra_vars(ctx, scenario)
        ctx.progress("rerun: first run (saves the report and the summary)")
        first = measure(ctx, sim, args, task_types, "rerun-first")
        reruns = []
        for rep in range(REPS):
            ctx.progress("rerun: re-run %d/%d" % (rep + 1, REPS))
            reruns.append(measure(ctx, sim, args, task_types, "rerun"))
    for label, samples in (("first run", [first]), ("re-run", reruns)):
        series = {key: stat(sample[key] for sample in samples) for key in ("wall", "cpu", "task_cpu", "processes", "module_cpu", "changed")}
        requests = samples[-1]["requests"]
        table.add(
            label,
            len(samples),
            spread(series["wall"]),
            spread(series["cpu"]),
            spread(series["task_cpu"]),
            "%d" % series["processes"].median,
            spread(series["module_cpu"]),
            spread(series["changed"], 0),
            sum(requests.values()),
        )
        table.notes.append("%s, HTTP requests: %s" % (label, _listing(requests) or "none"))
        table.notes.append("%s, module processes: %s" % (label, _listing(samples[-1]["modules"])))
    stable = all(sample["requests"] == reruns[0]["requests"] for sample in reruns)
    status_reads = Counter()
    for kind, count in reruns[-1]["requests"].items():
        if kind.startswith("status read"):
            status_reads[kind[len("status read, ") :]] += count
    one_per_wait = dict(status_reads) == dict.fromkeys(WAITS, 1)
    no_idmapping = reruns[-1]["requests"]["ID mapping"] == 0
    table.notes.extend(
        [
            "target: one status read per wait of the role (%s): %s (%s)"
            % ("; ".join(WAITS), "met" if one_per_wait else "NOT met", _listing(status_reads)),
            "target: zero ID mapping requests: %s" % ("met" if no_idmapping else "NOT met"),
            "requests of the re-runs: %s" % ("identical in every run" if stable else "they differ between runs (listed: the last)"),
        ]
    )
    return [table]
