"""Where the time of a report download goes, stage by stage, in this process (no Ansible).

``python -m benchmarks.stream_breakdown [MB] [REPS] [--profile]`` (``make bench-stream``) streams one
report of MB megabytes (default 1000) from the simulator several ways, interleaved, REPS times each:

- ``read``: the body read through requests and dropped, the baseline every ratio is against;
- ``read+hash`` and ``read+write``: one of the module's two costs each;
- ``stream_to_temp``: the collection's own function: ``readinto`` a ring of four reusable
  buffers straight from the connection, SHA-256 in one worker thread, ``os.write`` in the reading
  thread, completeness proven, one fsync;
- ``pipelined``: iter_content in this thread, SHA-256 and write in a second one (a bounded queue
  of four chunks), the 0.1 alternative it was measured against.

``--profile`` also runs ``stream_to_temp`` once under cProfile and writes the summary to
benchmarks/profiles/download_stream.txt (on Python 3.12+ cProfile records every thread, so the
hashing thread's ``update`` calls appear beside the reading thread's; their CPU is given apart).
Files go to /dev/shm when it exists, so the disk is not measured. The simulator runs in its own
process on the same cores, as in bench_download.
"""

import cProfile
import io
import pstats
import hashlib
import os
import queue
import sys
import tempfile
import threading
import time

import requests

from .bench_download import fresh_link, report_job
from .measure import process_cpu, stat
from .memory import page_reporting_paused, warm_memory
from .report import Table, ratio, render_text, spread
from .simulator import SimulatorProcess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 1024 * 1024
LABEL = "stream"


def _import_stream_to_temp():
    installed = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.path.join(REPO_ROOT, "build", "installed")
    sys.path.insert(0, installed.split(os.pathsep)[0])
    from ansible_collections.migrationops.atlassian.plugins.module_utils._download import stream_to_temp  # noqa: PLC0415

    return stream_to_temp


def _read(response, directory):
    for dummy in response.iter_content(CHUNK):
        pass


def _read_hash(response, directory):
    digest = hashlib.sha256()
    for chunk in response.iter_content(CHUNK):
        digest.update(chunk)


def _write_to(directory):
    handle = tempfile.NamedTemporaryFile(dir=directory, delete=False)
    return handle, handle.name


def _read_write(response, directory):
    handle, path = _write_to(directory)
    with handle:
        for chunk in response.iter_content(CHUNK):
            handle.write(chunk)
    os.remove(path)


def _pipelined(response, directory):
    handle, path = _write_to(directory)
    chunks = queue.Queue(maxsize=4)
    digest = hashlib.sha256()

    def consume():
        while True:
            chunk = chunks.get()
            if chunk is None:
                return
            digest.update(chunk)
            handle.write(chunk)

    worker = threading.Thread(target=consume)
    worker.start()
    for chunk in response.iter_content(CHUNK):
        chunks.put(chunk)
    chunks.put(None)
    worker.join()
    handle.close()
    os.remove(path)


PROFILE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profiles", "download_stream.txt")


def profile_once(stream_to_temp, sim, directory, size_mb):
    """cProfile of one stream_to_temp call, and the CPU of its reading and hashing threads."""
    profiler = cProfile.Profile()
    with requests.get(fresh_link(sim, LABEL), stream=True, timeout=60) as response:
        response.raise_for_status()
        start, cpu, thread_cpu = time.perf_counter(), process_cpu(os.getpid()), time.thread_time()
        profiler.enable()
        path, dummy_size, dummy_digest = stream_to_temp(response, os.path.join(directory, "report.csv"))
        profiler.disable()
        wall, cpu, thread_cpu = time.perf_counter() - start, process_cpu(os.getpid()) - cpu, time.thread_time() - thread_cpu
    os.remove(path)
    text = io.StringIO()
    text.write("stream_to_temp of %d MB from the simulator (in-process, no Ansible), one run under cProfile\n" % size_mb)
    text.write(
        "wall %.2f s; process CPU %.2f s, of which the reading thread %.2f s and the hashing thread about %.2f s\n"
        % (wall, cpu, thread_cpu, cpu - thread_cpu)
    )
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    text.write("\n== by own time (Python 3.12+: both threads) ==\n")
    stats.sort_stats("tottime").print_stats(20)
    text.write("\n== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(20)
    with open(PROFILE_PATH, "w", encoding="utf-8") as handle:
        handle.write(text.getvalue())
    print("profile written to %s" % PROFILE_PATH)


def main(size_mb=1000, reps=5, profile=False):
    stream_to_temp = _import_stream_to_temp()

    def collection(response, directory):
        path, dummy_size, dummy_digest = stream_to_temp(response, os.path.join(directory, "report.csv"))
        os.remove(path)

    ways = [("read", _read), ("read+hash", _read_hash), ("read+write", _read_write), ("stream_to_temp", collection), ("pipelined", _pipelined)]
    size = size_mb * 10**6
    scenario = {"name": "bench-stream", "idmapping": {"preexisting": [report_job(LABEL, size)]}}
    walls = {name: [] for name, dummy in ways}
    cpus = {name: [] for name, dummy in ways}
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with page_reporting_paused() as memory_line, tempfile.TemporaryDirectory(dir=base) as directory:
        print(memory_line)
        warm_memory(2 * size_mb)
        with SimulatorProcess(scenario, os.path.join(directory, "sim")) as sim:
            session = requests.Session()
            for dummy in range(reps):
                for name, way in ways:
                    url = fresh_link(sim, LABEL)
                    start, cpu = time.perf_counter(), process_cpu(os.getpid())
                    with session.get(url, stream=True, timeout=60) as response:
                        response.raise_for_status()
                        way(response, directory)
                    walls[name].append(time.perf_counter() - start)
                    cpus[name].append(process_cpu(os.getpid()) - cpu)
            if profile:
                profile_once(stream_to_temp, sim, directory, size_mb)
    table = Table(
        "Streaming %d MB, %d runs each, interleaved" % (size_mb, reps),
        ["way", "wall s", "MB/s", "CPU s (this process)", "wall / read"],
    )
    baseline = stat(walls["read"]).median
    for name, dummy in ways:
        wall = stat(walls[name])
        table.add(name, spread(wall), "%.0f" % (size_mb / wall.median), spread(stat(cpus[name])), ratio(wall.median, baseline, 2))
    table.notes.append("wall / read: the median wall time over that of reading the body alone, measured in the same run")
    print(render_text(table))


if __name__ == "__main__":
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    main(*numbers[:2], profile="--profile" in sys.argv[1:])
