"""Profiles of the module process as Ansible runs it: a 30-poll wait (migration_task_status,
``wait_sleep: 0``: its fixed cost), a tree read of 10,000 children and a 1 GB download
(idmapping_job; 100 MB with BENCH_SKIP_1GB).

The module process runs under cProfile (the wrapper's ``BENCH_PROFILE``), from the AnsiballZ
start to ``exit_json``; the text summaries are saved under benchmarks/profiles/. The wait is
also run under ``-X importtime`` (``BENCH_IMPORTTIME``): its import time by owner (Python and
Ansible, requests and its dependencies, ours) is appended to its profile, since imports are most
of a call's fixed cost and cProfile inflates them.
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

WAIT_JOB, WAIT_TASKS, WAIT_POLLS = "profile-wait-job", ("profile-wait-cprofile", "profile-wait-importtime"), 30
OURS = "ansible_collections"
REQUESTS = ("requests", "urllib3", "charset_normalizer", "chardet", "idna", "certifi")

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


def parse_importtime(text):
    """``-X importtime`` lines as (name, self us, cumulative us, ancestors), ancestors nearest first."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|")
        lines.append((name.rstrip(), int(own), int(cumulative)))
    # importtime prints an import after the imports it caused, indented by depth: read backwards
    parents, entries = {}, []
    for raw, own, cumulative in reversed(lines):
        depth = (len(raw) - len(raw.lstrip())) // 2
        name = raw.strip()
        parents[depth] = name
        entries.append((name, own, cumulative, [parents[d] for d in range(depth - 1, -1, -1)]))
    return entries


def owner(name, ancestors):
    """Who an import's own time is charged to: ours, requests, Ansible or Python.

    The standard library and ``six`` (which Ansible's own module_utils no longer import) are
    charged to the nearest importer that is not.
    """
    for module in [name] + ancestors:
        if module.startswith("ansible.module_utils.six"):
            continue
        top = module.split(".")[0]
        if top == OURS:
            return "ours (ansible_collections.migrationops)"
        if top in REQUESTS:
            return "requests and its dependencies"
        if top == "ansible":
            return "Ansible (module_utils, AnsiballZ)"
    return "Python, standard library"


def import_breakdown(text):
    """(totals by owner in s, text): what the module process spends importing, and what our files import."""
    entries = parse_importtime(text)
    totals = {}
    for name, own, _cumulative, ancestors in entries:
        key = owner(name, ancestors)
        totals[key] = totals.get(key, 0) + own / 1e6
    out = ["== import time by owner (-X importtime: wall time, a run without cProfile) ==", ""]
    for key, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        out.append("%-45s %7.3f s" % (key, seconds))
    out.append("%-45s %7.3f s" % ("all imports", sum(totals.values())))
    out.extend(["", "== what our files import, cumulative (requests is the one runtime dependency) ==", ""])
    for name, _own, cumulative, ancestors in sorted(entries, key=lambda e: -e[2]):
        if ancestors and ancestors[0].startswith(OURS) and not name.startswith(OURS):
            out.append("%7.1f ms  %-55s imported by %s" % (cumulative / 1000, name, ancestors[0]))
    return totals, "\n".join(out) + "\n"


def wait_profiles(ctx, table):
    """The 30-poll wait under cProfile and under -X importtime; its profile file."""
    name = "wait_30_polls"
    scenario = {
        "name": "profile-wait",
        "clock": "polls",
        "jobs": [{"job_id": WAIT_JOB, "tasks": [{"task_id": task, "type": "check", "tree": {"finish": WAIT_POLLS}} for task in WAIT_TASKS]}],
    }
    prof_path, importtime_path = ctx.path("profile", name + ".prof"), ctx.path("profile", name + ".importtime")
    with SimulatorProcess(scenario, ctx.path("profile", "wait-sim")) as sim:
        for task, variable, path in zip(WAIT_TASKS, ("BENCH_PROFILE", "BENCH_IMPORTTIME"), (prof_path, importtime_path)):
            ctx.progress("profile: %s (%s)" % (name, variable))
            body = {"migrationops.atlassian.migration_task_status": {"job_id": WAIT_JOB, "task_id": task, "wait": True, "wait_sleep": 0}}
            run = ctx.playbooks.run("profile-" + name, [play([body])], env=dict(sim.env, **{variable: path}))
            if variable == "BENCH_IMPORTTIME":
                module_cpu = sum(module.cpu for module in run.modules)
    stats, text = summary(prof_path, "migration_task_status waiting %d polls (wait_sleep 0): one module call's fixed cost" % WAIT_POLLS)
    with open(importtime_path, encoding="utf-8") as handle:
        totals, imports = import_breakdown(handle.read())
    with open(os.path.join(PROFILES_DIR, name + ".txt"), "w", encoding="utf-8") as handle:
        handle.write(text + "\n" + imports)
    for function, calls, own, cumulative in top_entries(stats):
        table.add(name, function, calls, "%.3f" % own, "%.3f" % cumulative)
    everything = sum(totals.values())
    ours = sum(seconds for key, seconds in totals.items() if key.startswith("ours"))
    table.notes.append(
        "%s: total %.2f s under cProfile; without it the module process took %.2f CPU s; imports took %.3f s of wall time (-X importtime): %s;"
        " full text in benchmarks/profiles/%s.txt"
        % (
            name,
            stats.total_tt,
            module_cpu,
            everything,
            ", ".join("%s %.0f%%" % (key, 100 * seconds / everything) for key, seconds in sorted(totals.items(), key=lambda item: -item[1])),
            name,
        )
    )
    table.notes.append(
        "%s: our own files (and what only they import) take %.0f%% of the import time" % (name, 100 * ours / everything if everything else 0)
    )


def run(ctx):
    os.makedirs(PROFILES_DIR, exist_ok=True)  # other benchmarks' profiles live there too
    table = Table("Profiles of the module process (top entries by own time)", ["profile", "function", "calls", "own s", "cumulative s"])
    wait_profiles(ctx, table)
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
