"""Benchmark 3, downloads: ID mapping reports of 10 MB, 100 MB and 1 GB fetched by
``idmapping_job``, by ``curl`` and by ``ansible.builtin.get_url`` from the same simulator.

The report jobs exist and are finished (``preexisting``), so the module makes one status read
and one link request before the download; curl and get_url get a fresh presigned link from the
harness. Each tool is measured as a process (curl) or module process (wrapper): wall, CPU, peak
RSS. Throughput is given end to end (size / wall) and marginal (extra bytes / extra wall time
over the next smaller size), which takes off each tool's fixed cost (for the module: Ansible's
module start-up, a status read and a link request) and leaves its streaming rate. "simulator
alone" is curl writing to /dev/null: the most the simulator serves. Files go to a tmpfs
(/dev/shm) unless BENCH_DOWNLOAD_DIR says otherwise, so the disk is not what is measured.
"""

import os
import shutil
import tempfile

import requests

from .measure import run_measured, stat
from .playbook import play
from .report import Table, ratio, spread
from .simulator import SimulatorProcess

MB = 10**6
SIZES = {"10 MB": 10 * MB, "100 MB": 100 * MB, "1 GB": 1000 * MB}
REPS = 3
TOOLS = ("simulator alone", "curl", "idmapping_job", "get_url")
RSS_LIMIT_MB = 80
FLAT_MB = 5


def job_id(label):
    return "bench-report-%s" % label.replace(" ", "").lower()


def report_job(label, size):
    return {"job_id": job_id(label), "status": "SUCCESS", "product": "JIRA", "report": {"size_bytes": size}}


def scenario(labels):
    return {"name": "bench-downloads", "idmapping": {"preexisting": [report_job(label, SIZES[label]) for label in labels]}}


def download_task(label, dest):
    return {"name": "Download the report", "migrationops.atlassian.idmapping_job": {"job_id": job_id(label), "dest": dest, "wait_sleep": 0}}


def fresh_link(sim, label):
    return sim.get_json("/migrations/reports/v1/id-mappings/%s/download" % job_id(label))["downloadUrl"]


def served_size(url):
    response = requests.head(url, timeout=30)
    response.raise_for_status()
    return int(response.headers["Content-Length"])


class Downloads:
    def __init__(self, ctx, sim, directory):
        self.ctx = ctx
        self.sim = sim
        self.directory = directory

    def dests(self, tool):
        return [os.path.join(self.directory, "%s-%d.csv" % (tool, rep)) for rep in range(REPS)]

    def collect(self, dests, size):
        for dest in dests:
            actual = os.path.getsize(dest)
            os.remove(dest)
            if actual != size:
                raise RuntimeError("%s has %d bytes instead of %d" % (dest, actual, size))

    def with_curl(self, label, size, to_null):
        samples = []
        for dest in self.dests("curl"):
            usage = run_measured(["curl", "-sS", "-f", "-o", os.devnull if to_null else dest, fresh_link(self.sim, label)])
            if usage.returncode != 0:
                raise RuntimeError("curl failed with rc %d" % usage.returncode)
            if not to_null:
                self.collect([dest], size)
            samples.append(usage)
        return samples

    def with_playbook(self, tool, label, size):
        dests = self.dests(tool)
        if tool == "idmapping_job":
            tasks = [download_task(label, dest) for dest in dests]
        else:
            url = fresh_link(self.sim, label)
            tasks = [
                {"name": "Download", "ansible.builtin.get_url": {"url": url, "dest": dest, "tmp_dest": self.directory, "mode": "0600"}}
                for dest in dests
            ]
        run = self.ctx.playbooks.run("download-%s-%s" % (tool, label.replace(" ", "")), [play(tasks)], env=self.sim.env)
        self.collect(dests, size)
        return run.of(tool)

    def measure(self, tool, label, size):
        sim_cpu = self.sim.cpu()
        if tool in ("simulator alone", "curl"):
            samples = self.with_curl(label, size, to_null=tool == "simulator alone")
        else:
            samples = self.with_playbook(tool, label, size)
        return {
            "wall": stat(s.wall for s in samples),
            "cpu": stat(s.cpu for s in samples),
            "rss": stat(s.max_rss_mb for s in samples),
            "sim_cpu": (self.sim.cpu() - sim_cpu) / len(samples),
        }


def download_directory(ctx):
    base = os.environ.get("BENCH_DOWNLOAD_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else ctx.directory)
    return tempfile.mkdtemp(prefix="migrationops-bench-", dir=base)


def run(ctx):
    labels = [label for label in SIZES if not (ctx.skip_1gb and label == "1 GB")]
    results, sizes = {}, {}
    directory = download_directory(ctx)
    try:
        with SimulatorProcess(scenario(labels), ctx.path("download", "sim")) as sim:
            downloads = Downloads(ctx, sim, directory)
            for label in labels:
                sizes[label] = served_size(fresh_link(sim, label))
                for tool in TOOLS:
                    ctx.progress("download: %s, %s, %d runs" % (tool, label, REPS))
                    results[tool, label] = downloads.measure(tool, label, sizes[label])
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return [table(labels, sizes, results, directory)]


def marginal_rate(size, wall, smaller_size, smaller_wall):
    """MB/s of the extra bytes over the next smaller report, from median walls; None when noise hides it."""
    extra_wall = wall - smaller_wall
    return (size - smaller_size) / MB / extra_wall if extra_wall > 0 else None


def table(labels, sizes, results, directory):
    result = Table(
        "3. Downloading an ID mapping report",
        ["size", "tool", "runs", "wall s", "MB/s end to end", "MB/s marginal", "CPU s", "peak RSS MB", "simulator CPU s"],
    )
    rates = {}
    for index, label in enumerate(labels):
        for tool in TOOLS:
            r = results[tool, label]
            raw = stat(sizes[label] / MB / wall for wall in r["wall"].values)
            marginal = None
            if index:
                smaller = labels[index - 1]
                marginal = marginal_rate(sizes[label], r["wall"].median, sizes[smaller], results[tool, smaller]["wall"].median)
            rates[tool, label] = (raw.median, marginal, r["cpu"].median)
            result.add(
                label,
                tool,
                REPS,
                spread(r["wall"]),
                spread(raw, 0),
                "" if not index else ("%.0f" % marginal if marginal else "hidden by noise"),
                spread(r["cpu"]),
                spread(r["rss"], 1),
                "%.2f" % r["sim_cpu"],
            )
        for tool in ("idmapping_job", "get_url"):
            mine, curl = rates[tool, label], rates["curl", label]
            result.add(
                label,
                "ratio %s / curl" % tool,
                "",
                ratio(results[tool, label]["wall"].median, results["curl", label]["wall"].median, 2),
                ratio(mine[0], curl[0], 2),
                ratio(mine[1], curl[1], 2) if mine[1] and curl[1] else "",
                ratio(mine[2], curl[2], 1),
                "",
                "",
            )
    largest = labels[-1]
    module_rss = [results["idmapping_job", label]["rss"].median for label in labels]
    growth = module_rss[-1] - module_rss[0]
    module, curl = rates["idmapping_job", largest], rates["curl", largest]
    marginal_ratio = module[1] / curl[1] if module[1] and curl[1] else 0.0
    result.notes.extend(
        [
            "target: throughput >= 0.8x curl at %s: %.2fx marginal (streaming rate), %.2fx end to end, %s%s"
            % (
                largest,
                marginal_ratio,
                module[0] / curl[0],
                "met" if marginal_ratio >= 0.8 else "NOT met",
                "" if largest == "1 GB" else " (1 GB skipped)",
            ),
            "target: module peak RSS under %d MB: max %.1f MB, %s"
            % (RSS_LIMIT_MB, max(module_rss), "met" if max(module_rss) < RSS_LIMIT_MB else "NOT met"),
            "target: peak RSS flat from 10 MB to %s: %+.1f MB, %s" % (largest, growth, "met" if abs(growth) <= FLAT_MB else "NOT met"),
            "marginal = extra MB / extra median wall time over the next smaller size, which takes off each tool's fixed cost",
            "downloads written to %s; idmapping_job also hashes (SHA-256) and fsyncs, curl and get_url do neither" % os.path.dirname(directory),
            "get_url runs with tmp_dest in the download directory (its default would download to the remote tmp dir and copy)",
        ]
    )
    return result
