"""Benchmark 2, big trees: a status tree of 10,000 children over pages of 100, read whole by
``migration_task_status`` (the whole tree returned, and with ``summary_only: true``) and by a bare
``requests.Session`` loop (bare_tree_loop.py).

All run as processes of their own on the same interpreter and are measured from outside. Their
own cost is the difference between reading the big tree and a 1-child tree, which takes off the
fixed start-up (imports; for the module also Ansible's module wrapper). What Ansible costs
around the module (start-up, handling the large result on the controller) is shown apart.
"""

import os
import sys

from .measure import run_measured, stat
from .playbook import play
from .report import Table, spread
from .simulator import SimulatorProcess
from .trees import JOB_ID, PAGE_SIZE, read_task, tree_scenario, tree_task

BIG = 10000
TINY = 1
SIZES = (BIG, TINY)
REPS = 5
MODULE = "migration_task_status"
FULL = "migration_task_status, whole tree"
SUMMARY = "migration_task_status, summary_only"
LOOP = "requests.Session loop"
LOOP_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bare_tree_loop.py")
# Own cost (CPU and wall) against the bare loop's, issue 16; and the controller's CPU per task
# for a summary-only read.
GOALS = {FULL: 3.0, SUMMARY: 1.5}
CONTROLLER_GOAL = 0.05


def task_id(children):
    return "tree-%d" % children


def summary_task(task):
    """``read_task`` with ``summary_only: true``."""
    task = dict(task)
    key = next(key for key in task if key.endswith(MODULE))
    task[key] = dict(task[key], summary_only=True)
    return task


def per_read(usages, sim, sim_cpu_before):
    """CPU, wall and RSS of REPS reads (processes with ``cpu``, ``wall``, ``max_rss_mb``); requests and simulator CPU per read."""
    return {
        "cpu": stat(usage.cpu for usage in usages),
        "wall": stat(usage.wall for usage in usages),
        "rss": stat(usage.max_rss_mb for usage in usages),
        "requests": len(sim.requests()) / REPS,
        "sim_cpu": (sim.cpu() - sim_cpu_before) / REPS,
    }


def read_with_module(ctx, sim, children, summary_only=False):
    """REPS reads in one playbook: per-process numbers, and the controller's cost per task."""
    sim.clear_log()
    sim_cpu = sim.cpu()
    task = read_task(task_id(children))
    if summary_only:
        task = summary_task(task)
    name = "tree-module-%s-%d" % ("summary" if summary_only else "full", children)
    run = ctx.playbooks.run(name, [play([task] * REPS)], env=sim.env)
    modules = run.of(MODULE)
    controller = ctx.calibration.task_cpu(run) - sum(module.cpu for module in modules)
    return dict(per_read(modules, sim, sim_cpu), controller=controller / REPS)


def read_with_loop(ctx, sim, children):
    env = dict(os.environ, **sim.env)
    samples = []
    sim.clear_log()
    sim_cpu = sim.cpu()
    for rep in range(REPS):
        output_path = ctx.path("tree", "loop-%d-%d.txt" % (children, rep))
        with open(output_path, "w", encoding="utf-8") as output:
            usage = run_measured([sys.executable, LOOP_SCRIPT, JOB_ID, task_id(children)], env=env, output=output)
        with open(output_path, encoding="utf-8") as output:
            read = output.read().strip()
        if usage.returncode != 0 or read != str(children):
            raise RuntimeError("the bare loop read %r children instead of %d, see %s" % (read, children, output_path))
        samples.append(usage)
    return per_read(samples, sim, sim_cpu)


READERS = {
    FULL: read_with_module,
    SUMMARY: lambda ctx, sim, children: read_with_module(ctx, sim, children, summary_only=True),
    LOOP: read_with_loop,
}


def run(ctx):
    results = {}
    with SimulatorProcess(tree_scenario([tree_task(task_id(children), children) for children in SIZES]), ctx.path("tree", "sim")) as sim:
        for children in SIZES:
            for reader, measure in READERS.items():
                ctx.progress("tree: %s, %d-child tree, %d reads" % (reader, children, REPS))
                results[reader, children] = measure(ctx, sim, children)

    table = Table(
        "2. Reading a status tree of %d children over pages of %d" % (BIG, PAGE_SIZE),
        ["reader", "children", "runs", "process CPU s", "process wall s", "peak RSS MB", "HTTP requests", "simulator CPU s"],
    )
    for (reader, children), r in results.items():
        table.add(reader, children, REPS, spread(r["cpu"]), spread(r["wall"]), spread(r["rss"], 1), "%.0f" % r["requests"], "%.2f" % r["sim_cpu"])
    own = {
        reader: {key: results[reader, BIG][key].median - results[reader, TINY][key].median for key in ("cpu", "wall", "rss")} for reader in READERS
    }
    for reader, cost in own.items():
        table.add(
            "%s, own cost (%d - %d children)" % (reader, BIG, TINY),
            "",
            "",
            "%.2f" % cost["cpu"],
            "%.2f" % cost["wall"],
            "%+.1f" % cost["rss"],
            "",
            "",
        )
    ratios = {}
    for reader in GOALS:
        ratios[reader] = (own[reader]["cpu"] / own[LOOP]["cpu"], own[reader]["wall"] / own[LOOP]["wall"])
        table.add("ratio %s / loop, own cost" % reader.split(", ")[1], "", "", "%.2fx" % ratios[reader][0], "%.2fx" % ratios[reader][1], "", "", "")
    for reader, goal in GOALS.items():
        cpu_ratio, wall_ratio = ratios[reader]
        table.notes.append(
            "target: %s, own cost within %.1fx of the bare loop's, measured in this run: CPU %.2fx, wall %.2fx, %s"
            % (reader, goal, cpu_ratio, wall_ratio, "met" if max(cpu_ratio, wall_ratio) <= goal else "NOT met")
        )
    # The controller's own per-task cost (about 0.1 s here) is the same for any module; what the
    # result costs it is the difference from a 1-child read.
    summary_controller = results[SUMMARY, BIG]["controller"]
    result_cost = summary_controller - results[SUMMARY, TINY]["controller"]
    table.notes.append(
        "target: %s, controller CPU per task for the %d-child result (beyond a 1-child read's) under %.2f s: %.3f s (%.3f s in all), %s"
        % (SUMMARY, BIG, CONTROLLER_GOAL, result_cost, summary_controller, "met" if result_cost < CONTROLLER_GOAL else "NOT met")
    )
    module_tiny = results[FULL, TINY]
    table.notes.extend(
        [
            "fixed start-up, apart: ansible-playbook %.2f CPU s (calibration); the module process on a %d-child tree %.2f CPU s, %.2f s wall"
            % (ctx.calibration.startup_cpu.median, TINY, module_tiny["cpu"].median, module_tiny["wall"].median),
            "controller CPU per task beyond start-up and the module process: %.2f s with the whole %d-child result, %.2f s summary-only,"
            " %.2f s with the %d-child one" % (results[FULL, BIG]["controller"], BIG, summary_controller, module_tiny["controller"], TINY),
            "simulator CPU per read of the big tree: %.2f s, against the loop's %.2f s of wall time: the loop's wall time is mostly"
            " the simulator's, so compare CPU" % (results[LOOP, BIG]["sim_cpu"], results[LOOP, BIG]["wall"].median),
        ]
    )
    return [table]
