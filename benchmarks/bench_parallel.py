"""Benchmark 7, parallel waits within the documented rate limits: HOSTS hosts (``connection:
local``, one fork each) wait at once with ``migration_task_status`` (``wait_sleep`` SLEEP s) on a
simulator enforcing the Migration API's documented READ_LIMIT reads a minute per account. Every
host's task finishes on its FINISH-th status read (``clock: polls``), so each wait lasts about
(FINISH - 1) x SLEEP seconds, more than one whole rate window.

Reported from the simulator's request log: requests answered 429 (the target: none), the most
requests in any 60 s window against the limit, and the rate over the whole run.
"""

import datetime

from .playbook import play
from .report import Table
from .simulator import SimulatorProcess

HOSTS = 50
SLEEP = 10
FINISH = 9
WINDOW, READ_LIMIT = 60, 600
JOB_ID = "bench-parallel-job"


def seconds_of(stamp):
    """The request log's ISO timestamp (milliseconds, Z) as epoch seconds."""
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def host(index):
    return "wait%02d" % index


def scenario():
    tasks = [
        {"task_id": "task-" + host(i), "type": "migrate", "tree": {"finish": FINISH, "children": {"apps": {"outcome": "SUCCESS"}}}}
        for i in range(HOSTS)
    ]
    return {
        "name": "bench-parallel",
        "clock": "polls",
        "rate_limits": {"window": WINDOW, "read_per_window": READ_LIMIT, "retry_after_header": "seconds"},
        "jobs": [{"job_id": JOB_ID, "tasks": tasks}],
    }


def peak_in_window(stamps, window):
    """The most requests whose timestamps fall in any ``window`` seconds (each window starts at a request)."""
    stamps = sorted(stamps)
    best, end = 0, 0
    for start in range(len(stamps)):
        while end < len(stamps) and stamps[end] - stamps[start] < window:
            end += 1
        best = max(best, end - start)
    return best


def run(ctx):
    inventory = {"all": {"hosts": {host(i): {"ansible_connection": "local"} for i in range(HOSTS)}}}
    task = {
        "name": "Wait for this host's migration",
        "migrationops.atlassian.migration_task_status": {
            "job_id": JOB_ID,
            "task_id": "task-{{ inventory_hostname }}",
            "wait": True,
            "wait_sleep": SLEEP,
            "wait_timeout": 600,
        },
    }
    ctx.progress("parallel: %d waits at wait_sleep %d s, %d reads a minute allowed" % (HOSTS, SLEEP, READ_LIMIT))
    with SimulatorProcess(scenario(), ctx.path("parallel", "sim"), rate_limited=True) as sim:
        sim.clear_log()
        run_ = ctx.playbooks.run(
            "parallel-waits", [dict(play([task]), hosts="all")], env=sim.env, inventory=inventory, extra_args=["--forks", str(HOSTS)]
        )
        log = sim.requests()
    stamps = [seconds_of(entry["ts"]) for entry in log]
    limited = sum(1 for entry in log if entry["status"] == 429)
    span = max(stamps) - min(stamps) if stamps else 0
    peak = peak_in_window(stamps, WINDOW)
    expected = HOSTS * FINISH

    table = Table(
        "7. %d parallel waits at wait_sleep %d s against %d reads a minute" % (HOSTS, SLEEP, READ_LIMIT),
        [
            "hosts",
            "wall s",
            "playbook CPU s",
            "module processes",
            "HTTP requests",
            "answered 429",
            "peak requests in 60 s",
            "limit",
            "peak / limit",
            "mean requests a minute",
        ],
    )
    table.add(
        HOSTS,
        "%.1f" % run_.usage.wall,
        "%.2f" % run_.usage.cpu,
        len(run_.modules),
        len(log),
        limited,
        peak,
        READ_LIMIT,
        "%.2fx" % (peak / READ_LIMIT),
        "%.0f" % (len(log) * 60 / span if span else 0),
    )
    table.notes.extend(
        [
            "target: no 429 with %d parallel waits at wait_sleep %d s: %d answered 429, %s"
            % (HOSTS, SLEEP, limited, "met" if limited == 0 else "NOT met"),
            "target: the peak stays within the limit: %d requests in the busiest 60 s against %d (%.2fx), %s"
            % (peak, READ_LIMIT, peak / READ_LIMIT, "met" if peak <= READ_LIMIT else "NOT met"),
            "requests: %d, expected %d (%d hosts x %d reads until FINISHED), %s"
            % (len(log), expected, HOSTS, FINISH, "as expected" if len(log) == expected else "NOT as expected"),
            "steady state: %d hosts / %d s = %.0f reads a minute; the busiest window also holds the first reads, which all hosts send within seconds"
            % (HOSTS, SLEEP, HOSTS * 60 / SLEEP),
        ]
    )
    return [table]
