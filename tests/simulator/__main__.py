"""Command line: ``python -m tests.simulator --scenario demo [--port 8080] [--tls] ...``.

Prints the listening line, ``export`` lines for the collection's environment variables and the
scenario's job and task IDs, then serves until SIGINT or SIGTERM.
"""

import argparse
import os
import shlex
import signal
import sys
import threading

from .scenario import deep_merge, parse_set_option
from .server import Simulator
from .validate import ScenarioError


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo", help="bundled scenario name or YAML path (default: demo)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port (default: 8080)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a throw-away CA (trustme)")
    parser.add_argument("--keep-alive", metavar="SECONDS", type=float, help="keep connections open, closing one idle for SECONDS")
    parser.add_argument("--log", metavar="FILE", help="append the request log to FILE as JSON lines")
    parser.add_argument("--set", metavar="KEY.SUB=VALUE", action="append", default=[], help="override a scenario value (YAML)")
    parser.add_argument("--ready-file", metavar="PATH", help="write the base URL to PATH once listening")
    parser.add_argument("--access-log", action="store_true", help="print one line per request to stderr")
    return parser.parse_args(argv)


def _print_access(entry):
    line = "%s %s %s %s%s" % (
        entry["ts"],
        entry["method"],
        entry["path"],
        entry["status"],
        " fault=%s" % entry["fault"] if entry["fault"] else "",
    )
    print(line, file=sys.stderr, flush=True)


def describe(sim):
    lines = ["migrationops simulator listening on %s (scenario %s)" % (sim.url, sim.scenario["name"])]
    server = sim.scenario["server"]
    # The simulated instance (cma_cloud_site) answers on the same port, at the root or under any context path.
    env = dict(sim.env, ATLASSIAN_SERVER_URL=sim.url, ATLASSIAN_SERVER_USERNAME=server["credentials"][0]["username"])
    env["ATLASSIAN_SERVER_PASSWORD"] = server["credentials"][0]["password"]
    for key, value in env.items():
        lines.append("export %s=%s" % (key, shlex.quote(value)))
    lines.append("# or a personal access token instead of the password: export ATLASSIAN_SERVER_TOKEN=%s" % shlex.quote(server["tokens"][0]))
    for job in sim.scenario["jobs"]:
        tasks = ", ".join("%s task %s" % (task["type"], task["task_id"]) for task in job["tasks"]) or "no tasks"
        lines.append("job %s: %s" % (job["job_id"], tasks))
    for job in sim.scenario["idmapping"]["preexisting"]:
        lines.append("id mapping job %s: %s" % (job["job_id"], job["status"]))
    return lines


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {}
    try:
        for item in args.set:
            overrides = deep_merge(overrides, parse_set_option(item))
        sim = Simulator(
            args.scenario, overrides=overrides, host=args.host, port=args.port, tls=args.tls, log_path=args.log, keep_alive=args.keep_alive
        )
        sim.start()
    except (ScenarioError, OSError) as exc:
        print("simulator: %s" % exc, file=sys.stderr)
        return 2
    if args.access_log:
        sim.on_request = _print_access
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        print("\n".join(describe(sim)), flush=True)
        if args.ready_file:
            tmp = args.ready_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(sim.url + "\n")
            os.replace(tmp, args.ready_file)
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    print("migrationops simulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
