"""Benchmark 3, downloads: ID mapping reports of 10 MB, 100 MB and 1 GB fetched by
``idmapping_job`` and by its baselines, measured in the same run.

Two servers of the same report: the simulator (a Python server on the same two cores, which
caps any client near 0.7x) and a ``sendfile`` server of the simulator's report written to a
file (``benchmarks/sendfile_server.py``: the kernel copies it, so the client is what is
measured). The module reaches the sendfile server through the simulator's ``s3_base_url``.

Tools: ``curl`` (plain, the baseline of the throughput goals), ``idmapping_job``,
``ansible.builtin.get_url`` (10 MB and 100 MB), ``curl | openssl dgst -sha256`` (the hashing
baseline: the system sha256sum has no SHA-NI and would flatter us), and, at the largest size, to
a directory on disk: ``curl -o f && sync f`` against ``idmapping_job`` (which fsyncs). The report
jobs exist and are finished (``preexisting``): the module makes one status read and one link
request before the download; curl and get_url get a fresh presigned link from the harness.

Each tool is measured as a process (curl) or module process (wrapper): wall, CPU, peak RSS, in
rounds of one run of every tool, so that a drift of the machine touches them alike.
Ratios are of process wall times (medians); "MB/s marginal" (extra bytes / extra wall over the
next smaller size) takes off each tool's fixed cost (for the module: Ansible's module start-up,
a status read and a link request). Files go to a tmpfs (/dev/shm) unless BENCH_DOWNLOAD_DIR says
otherwise; the disk comparison uses BENCH_DOWNLOAD_DISK_DIR (default: the benchmark work
directory). BENCH_DOWNLOAD_REPS sets the runs per tool (default 5).
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import requests

from .measure import run_measured, stat
from .memory import warm_memory
from .playbook import play
from .report import Table, ratio, spread
from .simulator import SimulatorProcess

MB = 10**6
SIZES = {"10 MB": 10 * MB, "100 MB": 100 * MB, "1 GB": 1000 * MB}
REPS = int(os.environ.get("BENCH_DOWNLOAD_REPS") or 5)
SIM, SENDFILE = "simulator", "sendfile"
# (tool, server, storage); storage "disk" only at the largest size, get_url only below 1 GB.
TOOLS = (
    ("server alone", SIM, "null"),
    ("curl", SIM, "tmpfs"),
    ("idmapping_job", SIM, "tmpfs"),
    ("get_url", SIM, "tmpfs"),
    ("server alone", SENDFILE, "null"),
    ("curl", SENDFILE, "tmpfs"),
    ("curl | openssl dgst -sha256", SENDFILE, "null"),
    ("idmapping_job", SENDFILE, "tmpfs"),
    ("curl -o f && sync f", SENDFILE, "disk"),
    ("idmapping_job", SENDFILE, "disk"),
)
GOALS = (
    # (what, tool, baseline tool, server, storage, minimum ratio baseline wall / tool wall)
    ("throughput vs plain curl, low-CPU server", "idmapping_job", "curl", SENDFILE, "tmpfs", 0.8),
    ("throughput vs plain curl, simulator", "idmapping_job", "curl", SIM, "tmpfs", 0.65),
    ("to disk vs curl -o f && sync f", "idmapping_job", "curl -o f && sync f", SENDFILE, "disk", 1.0),
)
RSS_LIMIT_MB = 50
FLAT_MB = 5
READY_TIMEOUT = 30


def job_id(label):
    return "bench-report-%s" % label.replace(" ", "").lower()


def report_job(label, size):
    return {"job_id": job_id(label), "status": "SUCCESS", "product": "JIRA", "report": {"size_bytes": size}}


def scenario(labels, s3_base_url=None):
    result = {"name": "bench-downloads", "idmapping": {"preexisting": [report_job(label, SIZES[label]) for label in labels]}}
    if s3_base_url:
        result["s3_base_url"] = s3_base_url
    return result


def download_task(label, dest):
    return {"name": "Download the report", "migrationops.atlassian.idmapping_job": {"job_id": job_id(label), "dest": dest, "wait_sleep": 0}}


def fresh_link(sim, label):
    return sim.get_json("/migrations/reports/v1/id-mappings/%s/download" % job_id(label))["downloadUrl"]


def served_size(url):
    response = requests.head(url, timeout=30)
    response.raise_for_status()
    return int(response.headers["Content-Length"])


class SendfileServer:
    """benchmarks/sendfile_server.py in a process of its own, serving ``path``."""

    def __init__(self, path, directory):
        self.path = path
        self.ready = os.path.join(directory, "sendfile-ready")
        self.proc = None
        self.url = None

    def __enter__(self):
        if os.path.exists(self.ready):
            os.remove(self.ready)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.sendfile_server", self.path, self.ready], cwd=root)
        deadline = time.monotonic() + READY_TIMEOUT
        while not os.path.exists(self.ready):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the sendfile server did not start")
            time.sleep(0.02)
        with open(self.ready, encoding="ascii") as handle:
            self.url = handle.read().strip()
        return self

    def __exit__(self, *exc_info):
        self.proc.kill()
        self.proc.wait()


def save_report(sim, label, path):
    """The simulator's report, as served, written to ``path`` (the sendfile server's file)."""
    with requests.get(fresh_link(sim, label), stream=True, timeout=60) as response, open(path, "wb") as handle:
        response.raise_for_status()
        for chunk in response.iter_content(4 * 1024 * 1024):
            handle.write(chunk)


class Downloads:
    def __init__(self, ctx, sims, directories):
        self.ctx = ctx
        self.sims = sims  # server name -> SimulatorProcess whose links lead to that server
        self.directories = directories  # storage -> directory

    def dest(self, tool, storage, rep):
        name = tool.split()[0]
        return os.path.join(self.directories.get(storage, self.directories["tmpfs"]), "%s-%d.csv" % (name, rep))

    @staticmethod
    def collect(dest, size):
        actual = os.path.getsize(dest)
        os.remove(dest)
        if actual != size:
            raise RuntimeError("%s has %d bytes instead of %d" % (dest, actual, size))

    def with_command(self, tool, sim, label, size, storage, rep):
        dest = self.dest(tool, storage, rep)
        url = fresh_link(sim, label)
        if tool == "server alone":
            command = ["curl", "-sS", "-f", "-o", os.devnull, url]
        elif tool == "curl":
            command = ["curl", "-sS", "-f", "-o", dest, url]
        elif tool.startswith("curl |"):
            command = ["sh", "-c", 'curl -sS -f "$1" | openssl dgst -sha256 >/dev/null', "sh", url]
        else:
            command = ["sh", "-c", 'curl -sS -f -o "$1" "$2" && sync "$1"', "sh", dest, url]
        usage = run_measured(command)
        if usage.returncode != 0:
            raise RuntimeError("%s failed with rc %d" % (tool, usage.returncode))
        if storage in ("tmpfs", "disk"):
            self.collect(dest, size)
        return usage

    def with_playbook(self, tool, sim, label, size, storage, rep):
        dest = self.dest(tool, storage, rep)
        if tool == "idmapping_job":
            task = download_task(label, dest)
        else:
            task = {
                "name": "Download",
                "ansible.builtin.get_url": {"url": fresh_link(sim, label), "dest": dest, "tmp_dest": os.path.dirname(dest), "mode": "0600"},
            }
        # The report is checked and removed after the download, as after each curl run: reports of
        # 1 GB left on tmpfs would slow the later runs.
        check = 'test "$(stat -c %%s %s)" -eq %d && rm -f %s' % (shlex.quote(dest), size, shlex.quote(dest))
        tasks = [task, {"name": "Check the size and remove the report", "ansible.builtin.shell": check, "changed_when": False}]
        name = "download-%s-%s-%s-%d" % (tool.replace(" ", ""), label.replace(" ", ""), storage, rep)
        run = self.ctx.playbooks.run(name, [play(tasks)], env=sim.env)
        (module,) = run.of(tool)
        return module

    def measure_once(self, tool, server, label, size, storage, rep):
        """One download: the process's usage, and the server's CPU for it (simulator only)."""
        sim = self.sims[server]
        sim_cpu = sim.cpu()
        if tool in ("idmapping_job", "get_url"):
            sample = self.with_playbook(tool, sim, label, size, storage, rep)
        else:
            sample = self.with_command(tool, sim, label, size, storage, rep)
        return sample, sim.cpu() - sim_cpu


def figures(samples):
    usages = [usage for usage, dummy in samples]
    return {
        "wall": stat(s.wall for s in usages),
        "cpu": stat(s.cpu for s in usages),
        "rss": stat(s.max_rss_mb for s in usages),
        "sim_cpu": sum(cpu for dummy, cpu in samples) / len(samples),
    }


def download_directory(ctx):
    base = os.environ.get("BENCH_DOWNLOAD_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else ctx.directory)
    return tempfile.mkdtemp(prefix="migrationops-bench-", dir=base)


def tools_for(label, largest):
    return [
        (tool, server, storage)
        for tool, server, storage in TOOLS
        if (storage != "disk" or label == largest) and (tool != "get_url" or label != "1 GB")
    ]


def run(ctx):
    labels = [label for label in SIZES if not (ctx.skip_1gb and label == "1 GB")]
    results, sizes = {}, {}
    directories = {
        "tmpfs": download_directory(ctx),
        "disk": tempfile.mkdtemp(prefix="bench-disk-", dir=os.environ.get("BENCH_DOWNLOAD_DISK_DIR") or ctx.directory),
    }
    sources = tempfile.mkdtemp(prefix="bench-sources-", dir=os.path.dirname(directories["tmpfs"]))
    try:
        with SimulatorProcess(scenario(labels), ctx.path("download", "sim")) as sim:
            for label in labels:
                sizes[label] = served_size(fresh_link(sim, label))
                save_report(sim, label, os.path.join(sources, job_id(label)))
            for label in labels:
                with SendfileServer(os.path.join(sources, job_id(label)), ctx.directory) as server:
                    # Same job IDs, links to the sendfile server: the module runs as against S3.
                    with SimulatorProcess(scenario(labels, server.url), ctx.path("download", "sim-sendfile")) as via_sendfile:
                        downloads = Downloads(ctx, {SIM: sim, SENDFILE: via_sendfile}, directories)
                        tools = tools_for(label, labels[-1])
                        samples = dict((entry, []) for entry in tools)
                        # Twice the report: the first runs find warm pages too (see memory.py).
                        warm_memory(2 * sizes[label] // MB)
                        # Interleaved rounds: the machine's drifts (tmpfs and disk writes of 1 GB
                        # are bimodal here) touch every tool alike.
                        for rep in range(REPS):
                            ctx.progress("download: %s, round %d/%d, one run of each of %d tools" % (label, rep + 1, REPS, len(tools)))
                            for tool, source, storage in tools:
                                samples[tool, source, storage].append(downloads.measure_once(tool, source, label, sizes[label], storage, rep))
                        for (tool, source, storage), runs in samples.items():
                            results[tool, source, storage, label] = figures(runs)
    finally:
        for directory in list(directories.values()) + [sources]:
            shutil.rmtree(directory, ignore_errors=True)
    return [table(labels, sizes, results, directories)]


def marginal_rate(size, wall, smaller_size, smaller_wall):
    """MB/s of the extra bytes over the next smaller report, from median walls; None when noise hides it."""
    extra_wall = wall - smaller_wall
    return (size - smaller_size) / MB / extra_wall if extra_wall > 0 else None


def streaming_notes(labels, sizes, results):
    """The streaming rates alone (marginal MB/s, fixed costs off), module against curl; no goal is on them."""
    if len(labels) < 2:
        return []
    large, small = labels[-1], labels[-2]
    notes = []
    for server in (SENDFILE, SIM):
        rates = {}
        for tool in ("idmapping_job", "curl"):
            walls = [results[tool, server, "tmpfs", label]["wall"].median for label in (large, small)]
            rates[tool] = marginal_rate(sizes[large], walls[0], sizes[small], walls[1])
        if rates["idmapping_job"] and rates["curl"]:
            notes.append(
                "streaming alone, %s server, %s to %s: idmapping_job %.0f MB/s marginal, curl %.0f: %.2fx (reported; the goals are on process walls)"
                % (server, small, large, rates["idmapping_job"], rates["curl"], rates["idmapping_job"] / rates["curl"])
            )
    return notes


def table(labels, sizes, results, directories):
    result = Table(
        "3. Downloading an ID mapping report",
        ["size", "tool", "server", "to", "runs", "wall s", "MB/s end to end", "MB/s marginal", "CPU s", "peak RSS MB", "server CPU s"],
    )
    for index, label in enumerate(labels):
        for tool, server, storage in tools_for(label, labels[-1]):
            r = results[tool, server, storage, label]
            raw = stat(sizes[label] / MB / wall for wall in r["wall"].values)
            smaller = results.get((tool, server, storage, labels[index - 1])) if index else None
            marginal = marginal_rate(sizes[label], r["wall"].median, sizes[labels[index - 1]], smaller["wall"].median) if smaller else None
            result.add(
                label,
                tool,
                server,
                storage,
                REPS,
                spread(r["wall"]),
                spread(raw, 0),
                "" if not smaller else ("%.0f" % marginal if marginal else "hidden by noise"),
                spread(r["cpu"]),
                spread(r["rss"], 1),
                "%.2f" % r["sim_cpu"] if server == SIM else "",
            )
        for _what, tool, baseline, server, storage, _goal in GOALS:
            key, base = (tool, server, storage, label), (baseline, server, storage, label)
            if key in results and base in results:
                result.add(
                    label,
                    "ratio %s / %s" % (baseline, tool),
                    server,
                    storage,
                    "",
                    ratio(results[base]["wall"].median, results[key]["wall"].median, 2),
                    "",
                    "",
                    "",
                    "",
                    "",
                )
        hashing = ("curl | openssl dgst -sha256", SENDFILE, "null", label), ("idmapping_job", SENDFILE, "tmpfs", label)
        result.add(
            label,
            "ratio curl | openssl / idmapping_job",
            SENDFILE,
            "",
            "",
            ratio(results[hashing[0]]["wall"].median, results[hashing[1]]["wall"].median, 2),
            "",
            "",
            "",
            "",
            "",
        )
    largest = labels[-1]
    for what, tool, baseline, server, storage, goal in GOALS:
        figure = results[baseline, server, storage, largest]["wall"].median / results[tool, server, storage, largest]["wall"].median
        result.notes.append(
            "target: %s at %s: >= %.2fx (%s wall / idmapping_job wall, medians of %d): %.2fx, %s%s"
            % (what, largest, goal, baseline, REPS, figure, "met" if figure >= goal else "NOT met", "" if largest == "1 GB" else " (1 GB skipped)")
        )
    rss = [results["idmapping_job", server, "tmpfs", label]["rss"].median for label in labels for server in (SIM, SENDFILE)]
    growth = max(rss) - min(rss)
    result.notes.extend(
        [
            "target: module peak RSS <= %d MB: max %.1f MB, %s" % (RSS_LIMIT_MB, max(rss), "met" if max(rss) <= RSS_LIMIT_MB else "NOT met"),
            "target: module peak RSS flat from 10 MB to %s: %+.1f MB, %s" % (largest, growth, "met" if growth <= FLAT_MB else "NOT met"),
            "hashing baseline: curl | openssl dgst -sha256 from the sendfile server, %.2fx the module's wall at %s (reported, no goal)"
            % (
                results["curl | openssl dgst -sha256", SENDFILE, "null", largest]["wall"].median
                / results["idmapping_job", SENDFILE, "tmpfs", largest]["wall"].median,
                largest,
            ),
            "ratios are process walls: the module's includes Ansible's module start-up, a status read and a link request; marginal takes them off",
        ]
        + streaming_notes(labels, sizes, results)
        + [
            "tmpfs downloads went to %s, disk ones to %s; idmapping_job hashes (SHA-256), proves the body complete and fsyncs once"
            % (os.path.dirname(directories["tmpfs"]), os.path.dirname(directories["disk"])),
            "get_url runs with tmp_dest in the download directory (its default would download to the remote tmp dir and copy); not run at 1 GB",
        ]
    )
    return result
