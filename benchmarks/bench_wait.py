"""Benchmark 1, waiting: a task that finishes on its 30th status read, waited on by
``migration_task_status`` (``wait: true, wait_sleep: 0``, one module process) and by
``ansible.builtin.uri`` with ``until`` (``delay: 0``, one module process per poll).

The simulator's ``clock: polls`` makes the Nth read the first to see FINISHED, so the number of
requests beyond N is how late completion was detected (0: within one wait_sleep). "task CPU"
is net of Ansible's start-up, from empty plays run beside the waits (one before each), and of the
controller's idle rate over the run's wall time (calibrate.py), on both sides alike; the request
counts come from the simulator's log.
"""

from .calibrate import empty_play
from .measure import stat
from .playbook import play
from .report import Table, ratio, spread
from .simulator import API_TOKEN, EMAIL, SimulatorProcess

POLLS = (30,)
GOAL = 20
REPS = {"module": 5, "uri": 3}
JOB_ID = "bench-wait-job"
APPROACHES = {"module": "migration_task_status wait", "uri": "uri + until"}


def task_id(approach, polls, rep):
    return "wait-%s-%d-%d" % (approach, polls, rep)


def scenario():
    tasks = []
    for approach, reps in REPS.items():
        for polls in POLLS:
            for rep in range(reps):
                tree = {"finish": polls, "children": {"CloudFreeUserLimit": {}, "DatabaseSize": {}, "AnonPermission": {"outcome": "WARNING"}}}
                tasks.append({"task_id": task_id(approach, polls, rep), "type": "check", "tree": tree})
    return {"name": "bench-wait", "clock": "polls", "jobs": [{"job_id": JOB_ID, "tasks": tasks}]}


def module_task(task):
    return {
        "name": "Wait with migration_task_status",
        "migrationops.atlassian.migration_task_status": {"job_id": JOB_ID, "task_id": task, "wait": True, "wait_sleep": 0, "wait_timeout": 600},
    }


def uri_task(url, task, polls):
    return {
        "name": "Wait with uri and until",
        "ansible.builtin.uri": {
            "url": "%s/migrations/public/v1/jobs/%s/tasks/%s/status?expandChildren=true" % (url, JOB_ID, task),
            "url_username": EMAIL,
            "url_password": API_TOKEN,
            "force_basic_auth": True,
        },
        "register": "status",
        "until": "status.json.data.status == 'FINISHED'",
        "retries": polls + 10,
        "delay": 0,
    }


def measure(ctx, sim, approach, polls, rep):
    task = task_id(approach, polls, rep)
    body = module_task(task) if approach == "module" else uri_task(sim.url, task, polls)
    sim.clear_log()
    sim_cpu = sim.cpu()
    run = ctx.playbooks.run("wait-%s-%d" % (approach, polls), [play([body])], env=sim.env)
    requests = len(sim.requests())
    return run, {
        "wall": run.usage.wall,
        "cpu": run.usage.cpu,
        "task_cpu_calibration": ctx.calibration.task_cpu(run),
        "processes": len(run.modules),
        "module_cpu": sum(module.cpu for module in run.modules),
        "requests": requests,
        "late": requests - polls,
        "sim_cpu": sim.cpu() - sim_cpu,
    }


def run(ctx):
    runs = {(approach, polls): [] for approach in REPS for polls in POLLS}
    startups = []
    with SimulatorProcess(scenario(), ctx.path("wait", "sim")) as sim:
        for rep in range(max(REPS.values())):
            for polls in POLLS:
                for approach, reps in REPS.items():
                    if rep < reps:
                        ctx.progress("wait: %s, %d polls, run %d/%d (and an empty play)" % (approach, polls, rep + 1, reps))
                        startups.append(empty_play(ctx))
                        runs[approach, polls].append(measure(ctx, sim, approach, polls, rep))
    # Start-up is most of the module's playbook CPU: taken from empty plays run beside the waits,
    # the machine's drift since the calibration stays out of the ratio.
    samples = {key: [dict(sample, task_cpu=ctx.calibration.task_cpu(run, startups)) for run, sample in values] for key, values in runs.items()}

    table = Table(
        "1. Waiting for a task that finishes after N polls (wait_sleep 0 / delay 0)",
        [
            "N",
            "approach",
            "runs",
            "wall s",
            "playbook CPU s",
            "task CPU s",
            "module processes",
            "module CPU s",
            "HTTP requests",
            "polls after finish",
            "simulator CPU s",
        ],
    )
    summary = {}
    for polls in POLLS:
        for approach in REPS:
            series = {key: stat(sample[key] for sample in samples[approach, polls]) for key in samples[approach, polls][0]}
            summary[approach, polls] = series
            table.add(
                polls,
                APPROACHES[approach],
                len(samples[approach, polls]),
                spread(series["wall"]),
                spread(series["cpu"]),
                spread(series["task_cpu"]),
                "%d" % series["processes"].median,
                spread(series["module_cpu"]),
                spread(series["requests"], 0),
                spread(series["late"], 0),
                spread(series["sim_cpu"]),
            )
        module, uri = summary["module", polls], summary["uri", polls]
        table.add(
            polls,
            "ratio uri / module",
            "",
            ratio(uri["wall"].median, module["wall"].median),
            ratio(uri["cpu"].median, module["cpu"].median),
            ratio(uri["task_cpu"].median, module["task_cpu"].median),
            "",
            ratio(uri["module_cpu"].median, module["module_cpu"].median),
            ratio(uri["requests"].median, module["requests"].median, 2),
            "",
            "",
        )
    module, uri = summary["module", POLLS[-1]], summary["uri", POLLS[-1]]
    cpu_ratio = uri["task_cpu"].median / module["task_cpu"].median
    same_requests = all(set(summary[key]["requests"].values) == {key[1]} for key in summary)
    on_time = all(set(summary[key]["late"].values) == {0} for key in summary)
    table.notes.extend(
        [
            "target at N=%d: >= %dx less task CPU (net of start-up and the controller's idle rate) than uri + until: %.1fx, %s"
            % (POLLS[-1], GOAL, cpu_ratio, "met" if cpu_ratio >= GOAL else "NOT met"),
            "target: identical request count: %s" % ("met, every run made exactly N requests" if same_requests else "NOT met"),
            "target: completion detected within one wait_sleep: %s"
            % ("met, no poll after the one that first saw FINISHED, either way" if on_time else "NOT met"),
            "task CPU = playbook CPU - start-up - idle rate x (wall - start-up wall), start-up from %d empty plays run beside the waits "
            "(CPU %s s); with the calibration's start-up instead (CPU %s s, measured earlier): %.1fx"
            % (
                len(startups),
                spread(stat(u.cpu for u in startups)),
                spread(ctx.calibration.startup_cpu),
                uri["task_cpu_calibration"].median / module["task_cpu_calibration"].median,
            ),
            "uri sends credentials on the first request only with force_basic_auth: true (otherwise 2 requests per poll)",
        ]
    )
    return [table]
