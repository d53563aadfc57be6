# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a migration (playbook migrationops.atlassian.migrate) or three waves at once (playbook
migrationops.atlassian.waves) against the simulator.

``make demo [SCENARIO=story|waves|demo|failing-checks]`` runs this after installing the collection. It
starts the simulator on a free port, runs the playbook with the simulator's connection in
ATLASSIAN_* environment variables, streams the playbook's output, prints where the summaries and
the ID mapping reports are, and always stops the simulator. The exit code is the playbook's.

``story`` (the default) declares the migration from nothing: the role attaches the cloud site to
the instance, creates the job and its check task, overrides the excludable failed check, starts the
migration and saves the ID mapping report. ``waves`` runs three such migrations at once, one per
inventory host. A scenario with jobs of its own (``demo``, ``failing-checks``, a YAML path) is
watched from its check task on, as in 0.1.
Standard library and PyYAML only; run it with the Python of the project's virtualenv.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 30
STOP_TIMEOUT = 10

# The demo scenario runs 60 times faster than real time: checks take ~10 s, the migration
# ~75 s with apps. The story counts status reads: a read every 2 s moves it along. A heartbeat
# of 4 s keeps progress visible throughout.
ROLE_VARS = {
    "cloud_migration_product": "JIRA",
    "cloud_migration_source_url": "https://jira.example.com",
    "cloud_migration_destination_url": "https://example.atlassian.net",
    "cloud_migration_heartbeat": 4,
    "cloud_migration_wait_sleep": 2,
    "cloud_migration_wait_timeout": 600,
}
STORY = "story"
WAVES = "waves"
SERVER_ID = "SRV-0123-4567-89AB"
CLOUD_URL = "https://acme.atlassian.net"
# The waves of SCENARIO=waves: the projects each one moves.
WAVE_PROJECTS = {"wave1": ["ABC"], "wave2": ["OPS"], "wave3": ["HR"]}


def declared_job(name, keys):
    return {
        "name": name,
        "product": "JIRA",
        "server_id": SERVER_ID,
        "destination_url": CLOUD_URL,
        "scope": {"projects": {"includedKeys": keys, "includedData": "all"}},
    }


def story_vars(server_url):
    """The role's variables of a migration declared from nothing, approved and started at once."""
    return dict(
        ROLE_VARS,
        cloud_migration_destination_url=CLOUD_URL,
        cloud_migration_server_url=server_url,
        cloud_migration_override_checks=["excludable"],
        cloud_migration_start_migration=True,
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=STORY, help="story (default), waves, demo, failing-checks or a scenario YAML path")
    parser.add_argument("--output", default=os.path.join(ROOT, "build", "demo"), help="directory for the report and the summary")
    return parser.parse_args(argv)


class SimulatorProcess:
    """The simulator CLI as a child process; its stdout is collected by a thread."""

    def __init__(self, scenario, workdir):
        self.scenario = scenario
        self.ready_file = os.path.join(workdir, "simulator.ready")
        self.log_file = os.path.join(workdir, "simulator-requests.jsonl")
        self.lines = []
        self.proc = None
        self._reader = None

    def start(self):
        command = [
            sys.executable, "-m", "tests.simulator",
            "--scenario", self.scenario,
            "--port", "0",
            "--ready-file", self.ready_file,
            "--log", self.log_file,
        ]  # fmt: skip
        # Its own process group: a Ctrl-C in the terminal reaches the playbook, and the
        # simulator is stopped by us, after the playbook, in an orderly way.
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not os.path.exists(self.ready_file):
            if self.proc.poll() is not None:
                self._reader.join(2)
                raise RuntimeError("the simulator exited with %s:\n%s" % (self.proc.returncode, "\n".join(self.lines)))
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator was not ready within %d s:\n%s" % (READY_TIMEOUT, "\n".join(self.lines)))
            time.sleep(0.05)
        with open(self.ready_file, encoding="utf-8") as handle:
            return handle.read().strip()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def env(self):
        """The ATLASSIAN_* variables from the simulator's ``export`` lines (the token included)."""
        env = {}
        for line in self.lines:
            if line.startswith("export "):
                key, dummy, value = line[len("export ") :].partition("=")
                env[key] = shlex.split(value)[0] if value else ""
        return env

    def jobs(self):
        """{job_id: {task type: task id}} from the simulator's ``job ...`` lines."""
        jobs = {}
        for line in self.lines:
            if line.startswith("job "):
                job_id, dummy, rest = line[len("job ") :].partition(": ")
                tasks = {}
                for item in rest.split(", "):
                    words = item.split()
                    if len(words) == 3 and words[1] == "task":
                        tasks[words[0]] = words[2]
                jobs[job_id] = tasks
        return jobs

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._reader is not None:
            self._reader.join(2)


def ansible_env(sim_env):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("ATLASSIAN_"):
            del env[key]
    env.update(sim_env)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, "build", "installed"))
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env.setdefault("ANSIBLE_LOCALHOST_WARNING", "false")
    env.setdefault("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
    env.setdefault("ANSIBLE_RETRY_FILES_ENABLED", "false")
    env["PYTHONUNBUFFERED"] = "1"
    return env


REPORT_NAME = "jira-id-mappings.csv"
DEMO_FILES = (
    "summary.md",
    "summary.json",
    "migration-job.json",
    REPORT_NAME,
    "extra-vars.json",
    "waves.yml",
    "waves.md",
    "waves.json",
    "simulator.ready",
    "simulator-requests.jsonl",
)


def prepare_output(path):
    """The output directory without the files of an earlier demo, so the report is triggered and
    downloaded again (only the demo's own files are removed: --output may be any directory)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name in WAVE_PROJECTS and os.path.isdir(os.path.join(path, name)):
            prepare_output(os.path.join(path, name))
        elif name in DEMO_FILES or name.startswith("." + REPORT_NAME):
            os.remove(os.path.join(path, name))


def banner(text):
    print("\n=== %s" % text, flush=True)


def stop_playbook(playbook):
    if playbook is None or playbook.poll() is not None:
        return
    playbook.send_signal(signal.SIGINT)
    try:
        playbook.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        playbook.kill()
        playbook.wait()


def _terminate(_signum, _frame):
    raise SystemExit(143)


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)


def plan(scenario, sim, output):
    """(playbook, extra arguments, what to show at the end) for the scenario."""
    env = sim.env()
    if scenario == WAVES:
        hosts = {}
        for host, keys in WAVE_PROJECTS.items():
            hosts[host] = {"cloud_migration_job": declared_job("ACME Jira %s" % host, keys)}
            hosts[host]["cloud_migration_idmapping_dest"] = os.path.join(output, host, REPORT_NAME)
        group_vars = dict(story_vars(env["ATLASSIAN_SERVER_URL"]), ansible_connection="local", ansible_python_interpreter=sys.executable)
        inventory = os.path.join(output, "waves.yml")
        with open(inventory, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"migrations": {"hosts": hosts, "vars": group_vars}}, handle, sort_keys=False)
        shown = [("waves table", os.path.join(output, "waves.md"))]
        shown += [("%s summary" % host, os.path.join(output, host, "summary.md")) for host in WAVE_PROJECTS]
        return "waves", ["-i", inventory, "-e", "migration_waves_report_dir=" + output], shown
    extra_vars = dict(ROLE_VARS, cloud_migration_idmapping_dest=os.path.join(output, REPORT_NAME), cloud_migration_report_dir=output)
    extra_vars["ansible_python_interpreter"] = sys.executable
    jobs = sim.jobs()
    if jobs:
        extra_vars["cloud_migration_job_id"] = next(iter(jobs))
    else:
        extra_vars.update(story_vars(env["ATLASSIAN_SERVER_URL"]), cloud_migration_job=declared_job("ACME Jira wave 1", ["ABC", "OPS", "HR"]))
    vars_file = os.path.join(output, "extra-vars.json")
    write_json(vars_file, extra_vars)
    shown = [("summary", os.path.join(output, "summary.md")), ("summary data", os.path.join(output, "summary.json"))]
    shown.append(("ID mapping report", extra_vars["cloud_migration_idmapping_dest"]))
    return "migrate", ["-i", "localhost,", "-e", "@" + vars_file], shown


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    output = os.path.abspath(args.output)
    prepare_output(output)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    sim = SimulatorProcess(STORY if args.scenario == WAVES else args.scenario, output)
    playbook = None
    try:
        url = sim.start()
        name, arguments, shown = plan(args.scenario, sim, output)
        banner("simulator (scenario %s) at %s" % (args.scenario, url))
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "migrationops.atlassian." + name] + arguments
        shown_args = [os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in arguments]
        banner(" ".join(["ansible-playbook", "migrationops.atlassian." + name] + shown_args))
        playbook = subprocess.Popen(command, cwd=ROOT, env=ansible_env(sim.env()))
        rc = playbook.wait()
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, OSError) as exc:
        print("demo: %s" % exc, file=sys.stderr)
        return 2
    finally:
        stop_playbook(playbook)
        sim.stop()

    banner("playbook exited with %d after %.0f s; simulator stopped" % (rc, time.monotonic() - started))
    for what, path in shown:
        print("%-20s%s" % (what + ":", path if os.path.exists(path) else "(not written)"))
    print("%-20s%s" % ("simulator requests:", sim.log_file))
    return rc


if __name__ == "__main__":
    sys.exit(main())
