"""Stand-in for the Python interpreter that measures every module process Ansible starts.

Ansible runs a module as ``<ansible_python_interpreter> AnsiballZ_<module>.py``. The benchmarks
point ``ansible_python_interpreter`` at an executable copy of this file (see playbook.py), which
forks the real interpreter on the same arguments, waits for it with ``wait4`` and appends one
JSON line to ``$BENCH_RUSAGE_LOG``: the module's name, its CPU seconds, wall seconds and peak RSS,
and this wrapper's own CPU seconds, which the benchmarks take off the playbook's total.
With ``$BENCH_PROFILE`` set, the module runs under cProfile and its stats are saved to that path;
with ``$BENCH_IMPORTTIME`` set, under ``-X importtime``, its stderr going to that path; with
``$BENCH_INSTRUCTIONS`` set (a directory), under valgrind's cachegrind (no cache simulation), and
the record also holds the instructions it executed (its report goes to that directory).

Standard library only, and started with ``python -S``: it must cost next to nothing itself.
"""

import json
import os
import re
import resource
import sys
import time

REAL_PYTHON = sys.executable
# Not ``python -m cProfile``: AnsiballZ drops the directory of ``__main__.__file__`` from sys.path,
# which would then be the standard library's.
PROFILE_BOOTSTRAP = """
import cProfile, os, runpy, sys
sys.argv = sys.argv[1:]
profiler = cProfile.Profile()
try:
    profiler.runcall(runpy.run_path, sys.argv[0], run_name="__main__")
finally:
    profiler.dump_stats(os.environ["BENCH_PROFILE"])
"""


def module_name(argv):
    script = os.path.basename(argv[0]) if argv else "stdin"
    return script.removeprefix("AnsiballZ_").removesuffix(".py")


def instructions_log(argv):
    """Where cachegrind reports on this module process (named by the wrapper's pid: one per wrapper)."""
    return os.path.join(os.environ["BENCH_INSTRUCTIONS"], "%s-%d.cachegrind" % (module_name(argv), os.getpid()))


def instructions_in(path):
    """The instructions a cachegrind report counts, or None (the process did not get to its end)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            found = re.search(r"\bI\s+refs:\s+([\d,]+)", handle.read())
    except OSError:
        return None
    return int(found.group(1).replace(",", "")) if found else None


def child_command(argv, log_path=None):
    if log_path:
        # The count does not drift with the machine as CPU seconds do (bench_tree reports it beside them).
        return ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", "--log-file=%s" % log_path, REAL_PYTHON] + argv
    if os.environ.get("BENCH_PROFILE"):
        return [REAL_PYTHON, "-c", PROFILE_BOOTSTRAP] + argv
    if os.environ.get("BENCH_IMPORTTIME"):
        return [REAL_PYTHON, "-X", "importtime"] + argv
    return [REAL_PYTHON] + argv


def main():
    argv = sys.argv[1:]
    started = time.perf_counter()
    log_path = instructions_log(argv) if os.environ.get("BENCH_INSTRUCTIONS") else None
    pid = os.fork()
    if pid == 0:
        if os.environ.get("BENCH_IMPORTTIME"):
            os.dup2(os.open(os.environ["BENCH_IMPORTTIME"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        command = child_command(argv, log_path)
        os.execvp(command[0], command)
    status, usage = os.wait4(pid, 0)[1:]
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    record = {
        "module": module_name(argv),
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "max_rss_kb": usage.ru_maxrss,
        "wrapper_cpu": own.ru_utime + own.ru_stime,
    }
    if log_path:
        record["instructions"] = instructions_in(log_path)
    with open(os.environ["BENCH_RUSAGE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
