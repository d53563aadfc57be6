"""Profiles of the module's two heaviest paths, as Ansible runs them: a tree read of 10,000
children (migration_task_status) and a 1 GB download (idmapping_job; 100 MB with BENCH_SKIP_1GB).

The module process runs under cProfile (the wrapper's ``BENCH_PROFILE``), from the AnsiballZ
start to ``exit_json``; the text summaries are saved under benchmarks/profiles/.
"""

import io
import os
import pstats
import shutil
from datetime import datetime, timezone

from .bench_download import SIZES, download_directory, download_task, report_job
from .playbook import play
from .report import Table
from .simulator import SimulatorProcess
from .trees import read_task, tree_scenario, tree_task

PROFILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profiles")
TREE_TASK = "profile-tree-10000"
SHOWN = 30
IN_TABLE = 8


def summary(prof_path, title):
    text = io.StringIO()
    stats = pstats.Stats(prof_path, stream=text).strip_dirs()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text.write("%s\nprofiled %s: the whole module process under cProfile, from the AnsiballZ start to exit_json\n" % (title, when))
    text.write("\n== by own time (tottime) ==\n")
    stats.sort_stats("tottime").print_stats(SHOWN)
    text.write("\n== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(SHOWN)
    return stats, text.getvalue()


def top_entries(stats):
    """(function, calls, own s, cumulative s) of the entries with the most own time.

    A pstats entry is (primitive calls, calls, own time, cumulative time, callers).
    """
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:IN_TABLE]
    return [("%s:%d(%s)" % key, entry[1], entry[2], entry[3]) for key, entry in rows]


def run(ctx):
    shutil.rmtree(PROFILES_DIR, ignore_errors=True)
    os.makedirs(PROFILES_DIR)
    report = "100 MB" if ctx.skip_1gb else "1 GB"
    scenario = tree_scenario([tree_task(TREE_TASK, 10000)])
    scenario["idmapping"] = {"preexisting": [report_job(report, SIZES[report])]}
    directory = download_directory(ctx)
    cases = {
        "tree_read_10000": ("migration_task_status reading a status tree of 10,000 children (100 pages)", read_task(TREE_TASK)),
        "download_" + report.replace(" ", ""): (
            "idmapping_job downloading a %s report" % report,
            download_task(report, os.path.join(directory, "report.csv")),
        ),
    }
    table = Table("Profiles of the module process (top entries by own time)", ["profile", "function", "calls", "own s", "cumulative s"])
    try:
        with SimulatorProcess(scenario, ctx.path("profile", "sim")) as sim:
            for name, (title, task) in cases.items():
                ctx.progress("profile: %s" % name)
                prof_path = ctx.path("profile", name + ".prof")
                ctx.playbooks.run("profile-" + name, [play([task])], env=dict(sim.env, BENCH_PROFILE=prof_path))
                stats, text = summary(prof_path, title)
                with open(os.path.join(PROFILES_DIR, name + ".txt"), "w", encoding="utf-8") as handle:
                    handle.write(text)
                for function, calls, own, cumulative in top_entries(stats):
                    table.add(name, function, calls, "%.3f" % own, "%.3f" % cumulative)
                table.notes.append("%s: total %.2f s under cProfile, full text in benchmarks/profiles/%s.txt" % (name, stats.total_tt, name))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return [table]
