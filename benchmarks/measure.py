"""Measuring processes from the outside, and summarising repeated measurements.

A process is measured with ``wait4``: its CPU time and peak RSS include every descendant it
waited for (for ansible-playbook: its workers and the module processes they started).
"""

import os
import statistics
import subprocess
import time
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    """One finished process: wall seconds, CPU seconds (user + system) and peak RSS in MB."""

    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int


def run_measured(command, env=None, output=None):
    """Run ``command`` to the end and return its Usage; ``output`` is a file for stdout and stderr."""
    started = time.perf_counter()
    # stdin from /dev/null: ansible.builtin.pause on a terminal would wait for a key press
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=output or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    status, usage = os.wait4(proc.pid, 0)[1:]
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Usage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def process_cpu(pid):
    """CPU seconds a running process has used so far (Linux /proc)."""
    with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class Stat:
    """Repeated measurements of one quantity."""

    values: tuple

    @property
    def median(self):
        return statistics.median(self.values)

    @property
    def low(self):
        return min(self.values)

    @property
    def high(self):
        return max(self.values)


def stat(values):
    return Stat(tuple(values))
