"""Benchmark 5, scaling: how the module's cost grows with the length of a wait (10, 100, 1,000
polls, ``wait_sleep: 0``) and with the size of a tree read (10 to 10,000 children, pages of 100).

Module processes are measured by the wrapper, several to a playbook. The marginal cost per poll
or per node between two sizes should stay flat; a step where it grows is superlinear.
"""

from .measure import stat
from .playbook import play
from .report import Table, spread
from .simulator import SimulatorProcess
from .trees import JOB_ID, read_task, tree_scenario, tree_task

POLLS = (10, 100, 1000)
NODES = (10, 100, 1000, 10000)
REPS = 3


def wait_task_id(polls, rep):
    return "scale-wait-%d-%d" % (polls, rep)


def tree_task_id(nodes):
    return "scale-tree-%d" % nodes


def scenario():
    waits = [
        {"task_id": wait_task_id(polls, rep), "type": "check", "tree": {"finish": polls, "children": {"DatabaseSize": {}}}}
        for polls in POLLS
        for rep in range(REPS)
    ]
    return tree_scenario(waits + [tree_task(tree_task_id(nodes), nodes) for nodes in NODES])


def wait_task(polls, rep):
    arguments = {"job_id": JOB_ID, "task_id": wait_task_id(polls, rep), "wait": True, "wait_sleep": 0, "wait_timeout": 600}
    return {"name": "Wait", "migrationops.atlassian.migration_task_status": arguments}


def measure_series(ctx, sim, name, sizes, task_for):
    """Run REPS rounds over ``sizes`` in one playbook; per size: module Stats; and simulator CPU ms per request."""
    tasks = [task_for(size, rep) for rep in range(REPS) for size in sizes]
    sim.clear_log()
    sim_cpu = sim.cpu()
    run = ctx.playbooks.run(name, [play(tasks)], env=sim.env)
    sim_cpu = 1000 * (sim.cpu() - sim_cpu) / len(sim.requests())
    modules = run.of("migration_task_status")
    by_size = {size: modules[index :: len(sizes)] for index, size in enumerate(sizes)}
    return {
        size: {"cpu": stat(m.cpu for m in runs), "wall": stat(m.wall for m in runs), "rss": stat(m.max_rss_mb for m in runs)}
        for size, runs in by_size.items()
    }, sim_cpu


def add_series(table, kind, series):
    previous = None
    for size, result in series.items():
        marginal = ""
        if previous is not None:
            cpu, before = result["cpu"], series[previous]["cpu"]
            marginal = "%.3f" % (1000 * (cpu.median - before.median) / (size - previous))
            if abs(cpu.median - before.median) <= max(cpu.high - cpu.low, before.high - before.low):
                marginal += " (within noise)"
        table.add(kind, size, REPS, spread(result["cpu"]), spread(result["wall"]), spread(result["rss"], 1), marginal)
        previous = size


def run(ctx):
    with SimulatorProcess(scenario(), ctx.path("scaling", "sim")) as sim:
        ctx.progress("scaling: waits of %s polls, %d runs each" % (", ".join(map(str, POLLS)), REPS))
        waits, wait_sim = measure_series(ctx, sim, "scaling-waits", POLLS, wait_task)
        ctx.progress("scaling: tree reads of %s children, %d runs each" % (", ".join(map(str, NODES)), REPS))
        trees, tree_sim = measure_series(ctx, sim, "scaling-trees", NODES, lambda nodes, rep: read_task(tree_task_id(nodes)))
    table = Table(
        "5. Scaling of the module's cost",
        ["series", "N", "runs", "module CPU s", "module wall s", "peak RSS MB", "marginal CPU ms per poll / child"],
    )
    add_series(table, "wait, N polls", waits)
    add_series(table, "tree read, N children", trees)
    table.notes.extend(
        [
            "marginal = (CPU at N - CPU at the previous N) / (N - previous N): flat means linear growth, a rising value a superlinear step;"
            " 'within noise' when the difference is no larger than the min-max spread of either size",
            "simulator CPU per request: %.2f ms for status polls, %.2f ms for pages of 100 children; at wait_sleep 0 the module"
            " waits on the simulator for that long per request, which is in its wall time, not in its CPU" % (wait_sim, tree_sim),
        ]
    )
    return [table]
