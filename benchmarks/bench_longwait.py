"""Benchmark 6, the role's long wait as users run it, and an in-process prototype.

A migrate task that finishes a given number of seconds after the simulator starts
(``clock: seconds``) is waited on twice by each approach: once already finished, once
finishing LONG seconds later. The difference between the two runs is the cost of LONG seconds
of waiting, every fixed cost (start-up, the role's set-up tasks, the last read) cancelled out;
the floor (an idle ``ansible.builtin.pause`` of the same wall time, bench_floor, at the default
``internal_poll_interval``) is taken off. Approaches:

- the role: ``include_role: migrationops.atlassian.cloud_migration, tasks_from: migrate``, the
  migrate step as users run it, with ``cloud_migration_heartbeat`` and ``_wait_sleep``;
- the prototype: ``benchmarks/prototype/action/inprocess_wait.py``, an action plugin polling
  in the controller's worker with the collection's module_utils, one line per heartbeat.

Scaled down: a heartbeat of HEARTBEAT s with ``wait_sleep`` SLEEP s has the same polls per
heartbeat (10), the same module calls and role tasks per heartbeat as the defaults' 300 s and
30 s; the module sleeps without CPU between polls and the controller's burn while it sleeps is
the floor, taken off. So the CPU per heartbeat carries over to 300 s, and a day is
86,400 / 300 = 288 heartbeats.
"""

import os

from .playbook import play
from .report import Table, ratio
from .simulator import SimulatorProcess
from .bench_rerun import basic_scenario

HEARTBEAT, SLEEP = 10, 1
USER_HEARTBEAT, USER_SLEEP = 300, 30
LONG = 60
DAY = 86400
GOAL_PER_HEARTBEAT, GOAL_PER_DAY = 0.4, 120.0
PROTOTYPE_ACTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prototype", "action")
APPROACHES = {"role": "the role's migrate step", "prototype": "in-process prototype (action plugin, no module)"}


def scenario(finish):
    """The basic scenario with its migrate task finishing ``finish`` seconds after start-up."""
    full = basic_scenario()
    full["clock"] = {"mode": "seconds", "speed": 1}
    job = full["jobs"][0]
    for task in job["tasks"]:
        if task["type"] == "migrate":
            task["tree"] = dict(task["tree"], finish=finish)
    return full, job["job_id"], next(task["task_id"] for task in job["tasks"] if task["type"] == "migrate")


def role_task(job_id, task_id):
    return {
        "name": "Wait for the migration as the role does",
        "ansible.builtin.include_role": {"name": "migrationops.atlassian.cloud_migration", "tasks_from": "migrate"},
        "vars": {
            "cloud_migration_job_id": job_id,
            "cloud_migration_migrate_task_id": task_id,
            "cloud_migration_heartbeat": HEARTBEAT,
            "cloud_migration_wait_sleep": SLEEP,
            "cloud_migration_wait_timeout": 600,
        },
    }


def prototype_task(job_id, task_id):
    return {
        "name": "Wait in the controller process",
        "inprocess_wait": {"job_id": job_id, "task_id": task_id, "heartbeat": HEARTBEAT, "wait_sleep": SLEEP, "wait_timeout": 600},
    }


def measure(ctx, approach, finish):
    full, job_id, task_id = scenario(finish)
    body = role_task(job_id, task_id) if approach == "role" else prototype_task(job_id, task_id)
    env = {"ANSIBLE_ACTION_PLUGINS": PROTOTYPE_ACTIONS} if approach == "prototype" else {}
    with SimulatorProcess(full, ctx.path("longwait", "%s-%d" % (approach, finish), "sim")) as sim:
        run = ctx.playbooks.run("longwait-%s-%d" % (approach, finish), [play([body])], env=dict(sim.env, **env))
        requests = len(sim.requests())
    return {"wall": run.usage.wall, "cpu": run.usage.cpu, "processes": len(run.modules), "requests": requests}


def run(ctx):
    if ctx.floor is not None:
        floor_rate, floor_source = ctx.floor.default_rate, "the floor (benchmark 0, default internal_poll_interval)"
    else:
        floor_rate, floor_source = ctx.calibration.idle_rate, "the calibration's controller rate (benchmark 0 not run)"
    samples = {}
    for finish in (0, LONG):
        for approach in APPROACHES:
            ctx.progress("long wait: %s, task finishing after %d s" % (approach, finish))
            samples[approach, finish] = measure(ctx, approach, finish)

    table = Table(
        "6. The role's long wait, per heartbeat and per 24 h, beyond an idle pause (heartbeat %d s, wait_sleep %d s, scaled from %d s / %d s)"
        % (HEARTBEAT, SLEEP, USER_HEARTBEAT, USER_SLEEP),
        [
            "approach",
            "wall s, finished / +%d s" % LONG,
            "CPU s, finished / +%d s" % LONG,
            "module processes",
            "HTTP requests",
            "heartbeats waited",
            "net CPU s of the wait",
            "CPU s per heartbeat",
            "CPU s per 24 h",
            "polls per heartbeat",
        ],
    )
    per_heartbeat = {}
    for approach, label in APPROACHES.items():
        short, long_ = samples[approach, 0], samples[approach, LONG]
        extra_wall = long_["wall"] - short["wall"]
        heartbeats = extra_wall / HEARTBEAT
        net = long_["cpu"] - short["cpu"] - floor_rate * extra_wall
        per_heartbeat[approach] = net / heartbeats if heartbeats > 0 else float("nan")
        table.add(
            label,
            "%.1f / %.1f" % (short["wall"], long_["wall"]),
            "%.2f / %.2f" % (short["cpu"], long_["cpu"]),
            "%d / %d" % (short["processes"], long_["processes"]),
            "%d / %d" % (short["requests"], long_["requests"]),
            "%.1f" % heartbeats,
            "%.2f" % net,
            "%.3f" % per_heartbeat[approach],
            "%.0f" % (per_heartbeat[approach] * DAY / USER_HEARTBEAT),
            "%.1f" % ((long_["requests"] - short["requests"]) / heartbeats if heartbeats > 0 else 0),
        )
    role, proto = per_heartbeat["role"], per_heartbeat["prototype"]
    table.add("ratio role / prototype", "", "", "", "", "", "", ratio(role, proto), ratio(role, proto), "")
    table.notes.extend(
        [
            "target: the role's wait <= %.1f CPU s per heartbeat: %.3f, %s"
            % (GOAL_PER_HEARTBEAT, role, "met" if role <= GOAL_PER_HEARTBEAT else "NOT met"),
            "target: the role's wait <= %.0f CPU s per simulated 24 h: %.0f, %s"
            % (GOAL_PER_DAY, role * DAY / USER_HEARTBEAT, "met" if role * DAY / USER_HEARTBEAT <= GOAL_PER_DAY else "NOT met"),
            "in-process prototype: %.3f CPU s per heartbeat, %.0f CPU s per 24 h beyond the floor (no target: for the fast-path decision)"
            % (proto, proto * DAY / USER_HEARTBEAT),
            "net = CPU(+%d s) - CPU(finished) - %.4f CPU s/s x extra wall, the rate of %s; heartbeats = extra wall / %d s"
            % (LONG, floor_rate, floor_source, HEARTBEAT),
            "scaled run: %d s / %d s has the %d polls per heartbeat of %d s / %d s; sleeping costs no CPU and the controller's burn"
            " while sleeping is the floor, so CPU per heartbeat carries over, and 24 h = %d heartbeats of %d s; one run per cell"
            % (HEARTBEAT, SLEEP, HEARTBEAT // SLEEP, USER_HEARTBEAT, USER_SLEEP, DAY // USER_HEARTBEAT, USER_HEARTBEAT),
            "the floor itself comes on top for every approach: %.0f CPU s per 24 h at the default internal_poll_interval (benchmark 0)"
            % (floor_rate * DAY),
        ]
    )
    return [table]
