"""``python -m benchmarks [--only NAME ...]``: run the benchmarks, print their tables, write RESULTS.md.

Run from the repository root against an installed collection (``make bench`` does both).
``BENCH_SKIP_1GB=1`` leaves out the 1 GB download.
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone

from ansible.release import __version__ as ANSIBLE_VERSION

from . import bench_download, bench_floor, bench_longwait, bench_parallel, bench_rerun, bench_scaling, bench_tree, bench_wait, profile
from .calibrate import calibrate
from .context import Context
from .memory import page_reporting_paused
from .playbook import Playbooks
from .report import Table, goals_table, render_text, write_results

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
# The floor first: the cheapest figure of Ansible's own. The re-run of the role (4) comes last: it depends
# on the most code besides the modules.
BENCHMARKS = {
    "floor": bench_floor.run,
    "wait": bench_wait.run,
    "tree": bench_tree.run,
    "download": bench_download.run,
    "scaling": bench_scaling.run,
    "profile": profile.run,
    "longwait": bench_longwait.run,
    "parallel": bench_parallel.run,
    "rerun": bench_rerun.run,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these benchmarks (calibration always runs)")
    parser.add_argument("--collections", default=os.path.join(REPO_ROOT, "build", "installed"), help="installed collections path")
    parser.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--workdir", default=os.path.join(HERE, "out"))
    return parser.parse_args(argv)


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def curl_version():
    return subprocess.run(["curl", "--version"], capture_output=True, text=True, check=True).stdout.split()[1]


def machine_lines():
    return [
        "machine: %d cores (%s), load average %.2f / %.2f / %.2f at start" % ((os.cpu_count(), cpu_model()) + os.getloadavg()),
        "software: Python %s, ansible-core %s, curl %s" % (platform.python_version(), ANSIBLE_VERSION, curl_version()),
    ]


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(os.path.join(args.collections, "ansible_collections", "migrationops", "atlassian")):
        sys.exit("no installed collection under %s: run `make install` (or `make bench`)" % args.collections)
    started = time.monotonic()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    with page_reporting_paused() as memory_line:
        run_benchmarks(args, started, ["date: %s" % datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")] + machine_lines() + [memory_line])


def run_benchmarks(args, started, preamble):
    print("\n".join(preamble) + "\n", flush=True)
    ctx = Context(args.workdir, Playbooks(args.workdir, args.collections), skip_1gb=os.environ.get("BENCH_SKIP_1GB") == "1")
    ctx.calibration, table = calibrate(ctx)
    tables = [table]
    print(render_text(table), flush=True)
    for name, benchmark in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        try:
            produced = benchmark(ctx)
        except Exception as exc:  # one failed benchmark must not lose the others' figures
            failed = Table("Benchmark %s failed" % name, ["error"])
            failed.add(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            failed.notes.append("target: benchmark %s runs to the end: NOT met (%s)" % (name, type(exc).__name__))
            traceback.print_exc()
            produced = [failed]
        for table in produced:
            tables.append(table)
            print(render_text(table), flush=True)
        write_results(args.results, "Benchmark results", preamble, tables)
    goals = goals_table(tables)
    print(render_text(goals), flush=True)
    footer = "all benchmarks took %.0f s; load average %.2f / %.2f / %.2f at the end" % ((time.monotonic() - started,) + os.getloadavg())
    print(footer)
    write_results(args.results, "Benchmark results", preamble + [footer], [goals] + tables)


if __name__ == "__main__":
    main()
