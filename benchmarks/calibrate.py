"""Ansible's fixed costs on this machine, measured first and taken off the benchmarks' numbers.

- start-up: an ansible-playbook run of an empty play (parsing, inventory, collection loading);
- the controller's rate while a task runs: ansible-playbook polls its workers and burns CPU in
  proportion to wall time whatever the module does. It is the slope between ``sleep 1`` and
  ``sleep 9`` tasks of the playbook's CPU without the module process.

``task_cpu(run)`` is what a task cost beyond both: the playbook's CPU minus start-up minus
the rate times the time tasks ran. It is taken off both sides of every comparison alike.
"""

from dataclasses import dataclass

from .measure import Stat, stat
from .playbook import play
from .report import Table, spread

STARTUP_REPS = 5
SLEEP_REPS = 3
SLEEPS = (1, 9)


@dataclass(frozen=True)
class Calibration:
    startup_cpu: Stat
    startup_wall: Stat
    idle_rate: float

    def task_cpu(self, run, startup=None):
        """``run``'s CPU beyond start-up and the idle rate; ``startup``: empty plays (Usage) run beside it instead of the calibration's."""
        cpu, wall = (self.startup_cpu, self.startup_wall) if startup is None else (stat(u.cpu for u in startup), stat(u.wall for u in startup))
        running = max(0.0, run.usage.wall - wall.median)
        return run.usage.cpu - cpu.median - self.idle_rate * running


def empty_play(ctx):
    """The Usage of one ansible-playbook run of an empty play: start-up alone."""
    return ctx.playbooks.run("empty-play", [play([])]).usage


def _controller(run):
    """(wall, CPU of the playbook without its module processes)."""
    return run.usage.wall, run.usage.cpu - sum(module.cpu for module in run.modules)


def calibrate(ctx):
    runs = []
    for rep in range(STARTUP_REPS):
        ctx.progress("calibration: empty play %d/%d" % (rep + 1, STARTUP_REPS))
        runs.append(empty_play(ctx))
    startup_cpu = stat(run.cpu for run in runs)
    startup_wall = stat(run.wall for run in runs)

    by_sleep = {}
    module_cpu = []
    for seconds in SLEEPS:
        samples = []
        for rep in range(SLEEP_REPS):
            ctx.progress("calibration: sleep %ds task %d/%d" % (seconds, rep + 1, SLEEP_REPS))
            run = ctx.playbooks.run("sleep-%d" % seconds, [play([{"ansible.builtin.command": "sleep %d" % seconds, "changed_when": False}])])
            samples.append(_controller(run))
            module_cpu.extend(module.cpu for module in run.modules)
        by_sleep[seconds] = (stat(s[0] for s in samples), stat(s[1] for s in samples))
    (short_wall, short_cpu), (long_wall, long_cpu) = by_sleep[SLEEPS[0]], by_sleep[SLEEPS[1]]
    idle_rate = max(0.0, (long_cpu.median - short_cpu.median) / (long_wall.median - short_wall.median))
    calibration = Calibration(startup_cpu, startup_wall, idle_rate)

    table = Table("Calibration: Ansible's fixed costs", ["what", "runs", "CPU s", "wall s"])
    table.add("ansible-playbook start-up (empty play)", STARTUP_REPS, spread(startup_cpu), spread(startup_wall))
    for seconds in SLEEPS:
        wall, cpu = by_sleep[seconds]
        table.add("playbook without its module process, `sleep %d` task" % seconds, SLEEP_REPS, spread(cpu), spread(wall))
    table.add("one module process (`command: sleep`)", len(module_cpu), spread(stat(module_cpu)), "")
    table.notes.append(
        "controller rate while a task runs: %.3f CPU s per wall s (%.1f%% of a core), the slope between the two sleep tasks"
        % (idle_rate, 100 * idle_rate)
    )
    table.notes.append('"task CPU" below = playbook CPU - start-up CPU median - rate x (wall - start-up wall median)')
    return calibration, table
