# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the whole migration chain (playbook migrationops.atlassian.migrate) against the simulator.

``make demo [SCENARIO=demo|failing-checks]`` runs this after installing the collection. It starts
the simulator on a free port, runs the playbook with the simulator's connection in ATLASSIAN_*
environment variables, streams the playbook's output, prints where the summary and the ID mapping
report are, and always stops the simulator. The exit code is the playbook's.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 30
STOP_TIMEOUT = 10

# The demo scenario runs 60 times faster than real time: checks take ~10 s, the migration
# ~75 s with apps. A heartbeat of 4 s and polls every 2 s keep progress visible throughout.
ROLE_VARS = {
    "cloud_migration_product": "JIRA",
    "cloud_migration_source_url": "https://jira.example.com",
    "cloud_migration_destination_url": "https://example.atlassian.net",
    "cloud_migration_heartbeat": 4,
    "cloud_migration_wait_sleep": 2,
    "cloud_migration_wait_timeout": 600,
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo", help="simulator scenario: demo (default), failing-checks or a YAML path")
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
    # The waits end with a few skipped "another chunk" includes; the demo hides skipped tasks.
    env.setdefault("ANSIBLE_DISPLAY_SKIPPED_HOSTS", "false")
    env.setdefault("ANSIBLE_LOCALHOST_WARNING", "false")
    env.setdefault("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
    env.setdefault("ANSIBLE_RETRY_FILES_ENABLED", "false")
    env["PYTHONUNBUFFERED"] = "1"
    return env


REPORT_NAME = "jira-id-mappings.csv"
DEMO_FILES = ("summary.md", "summary.json", REPORT_NAME, "extra-vars.json", "simulator.ready", "simulator-requests.jsonl")


def prepare_output(path):
    """The output directory without the files of an earlier demo, so the report is triggered and
    downloaded again (only the demo's own files are removed: --output may be any directory)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name in DEMO_FILES or name.startswith("." + REPORT_NAME):
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


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    output = os.path.abspath(args.output)
    prepare_output(output)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    sim = SimulatorProcess(args.scenario, output)
    report = os.path.join(output, REPORT_NAME)
    playbook = None
    try:
        url = sim.start()
        jobs = sim.jobs()
        if not jobs:
            raise RuntimeError("the scenario %s has no migration job:\n%s" % (args.scenario, "\n".join(sim.lines)))
        job_id = next(iter(jobs))
        banner("simulator (scenario %s) at %s, job %s" % (args.scenario, url, job_id))
        extra_vars = dict(
            ROLE_VARS,
            cloud_migration_job_id=job_id,
            cloud_migration_idmapping_dest=report,
            cloud_migration_report_dir=output,
            ansible_python_interpreter=sys.executable,
        )
        vars_file = os.path.join(output, "extra-vars.json")
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump(extra_vars, handle, indent=2, sort_keys=True)
        command = [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "migrationops.atlassian.migrate",
            "-i", "localhost,",
            "-e", "@" + vars_file,
        ]  # fmt: skip
        banner("ansible-playbook migrationops.atlassian.migrate -i localhost, -e @%s" % os.path.relpath(vars_file, ROOT))
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
    summary = os.path.join(output, "summary.md")
    print("summary:            %s" % (summary if os.path.exists(summary) else "(not written)"))
    data = os.path.join(output, "summary.json")
    print("summary data:       %s" % (data if os.path.exists(data) else "(not written)"))
    print("ID mapping report:  %s" % (report if os.path.exists(report) else "(not saved)"))
    print("simulator requests: %s" % sim.log_file)
    return rc


if __name__ == "__main__":
    sys.exit(main())
