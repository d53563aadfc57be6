"""Running ansible-playbook under measurement.

``Playbooks`` runs playbooks on localhost against a private copy of the installed collection
(a concurrent ``make install`` cannot pull it away mid-run), with ``ansible_python_interpreter``
set to the measuring wrapper (rusage_python.py). A run returns the ansible-playbook process's
usage, which includes every module process, and one ModuleRun per module process.
"""

import json
import os
import shutil
import sys
from dataclasses import dataclass

import yaml

from .measure import Usage, run_measured

WRAPPER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rusage_python.py")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


class PlaybookError(RuntimeError):
    pass


@dataclass(frozen=True)
class ModuleRun:
    """One module process, measured by the wrapper."""

    module: str
    cpu: float
    wall: float
    max_rss_mb: float
    instructions: object = None  # an int under BENCH_INSTRUCTIONS (rusage_python.py)


@dataclass(frozen=True)
class PlaybookRun:
    """One ansible-playbook run; ``usage.cpu`` excludes the wrapper's own CPU. ``output``: its stdout file."""

    usage: Usage
    modules: tuple
    output: str

    def of(self, module):
        return [run for run in self.modules if run.module == module]


def play(tasks):
    """A play on localhost over the local connection, facts off."""
    return {"name": "benchmark", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": list(tasks)}


class Playbooks:
    def __init__(self, directory, installed_collections):
        self.directory = directory
        self.collections = os.path.join(directory, "collections")
        shutil.rmtree(self.collections, ignore_errors=True)
        shutil.copytree(installed_collections, self.collections, symlinks=True)
        self.interpreter = os.path.join(directory, "python-rusage")
        with open(WRAPPER_SOURCE, encoding="utf-8") as source, open(self.interpreter, "w", encoding="utf-8") as wrapper:
            wrapper.write("#!%s -S\n" % sys.executable)
            wrapper.write(source.read())
        os.chmod(self.interpreter, 0o755)
        self._count = 0

    def environment(self, run_dir, extra):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("ATLASSIAN_", "ANSIBLE_", "BENCH_"))}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=self.collections,
            ANSIBLE_HOME=os.path.join(self.directory, "ansible-home"),
            ANSIBLE_LOCAL_TEMP=os.path.join(run_dir, "local-tmp"),
            ANSIBLE_REMOTE_TMP=os.path.join(run_dir, "remote-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            BENCH_RUSAGE_LOG=os.path.join(run_dir, "modules.jsonl"),
        )
        env.update(extra or {})
        return env

    def run(self, name, plays, env=None, extra_args=(), inventory="localhost,"):
        """Run ``plays`` (a list of plays, or a playbook name such as ``ns.coll.pb``); fail unless rc 0.

        ``inventory``: an ``-i`` argument (default: localhost alone) or a dict, written as YAML.
        """
        self._count += 1
        run_dir = os.path.join(self.directory, "runs", "%03d-%s" % (self._count, name))
        os.makedirs(run_dir)
        if isinstance(plays, str):
            target = plays
        else:
            target = os.path.join(run_dir, "playbook.yml")
            with open(target, "w", encoding="utf-8") as handle:
                yaml.safe_dump(plays, handle, sort_keys=False)
        if isinstance(inventory, dict):
            inventory_path = os.path.join(run_dir, "inventory.yml")
            with open(inventory_path, "w", encoding="utf-8") as handle:
                yaml.safe_dump(inventory, handle, sort_keys=False)
            inventory = inventory_path
        command = [ANSIBLE_PLAYBOOK, "-i", inventory, "-e", "ansible_python_interpreter=%s" % self.interpreter, target]
        output_path = os.path.join(run_dir, "output.txt")
        with open(output_path, "w", encoding="utf-8") as output:
            usage = run_measured(command + list(extra_args), env=self.environment(run_dir, env), output=output)
        if usage.returncode != 0:
            with open(output_path, encoding="utf-8") as output:
                tail = output.read()[-3000:]
            raise PlaybookError("playbook %s failed (rc %d), see %s:\n%s" % (name, usage.returncode, output_path, tail))
        records = _module_records(os.path.join(run_dir, "modules.jsonl"))
        wrapper_cpu = sum(record["wrapper_cpu"] for record in records)
        modules = tuple(ModuleRun(r["module"], r["cpu"], r["wall"], r["max_rss_kb"] / 1024, r.get("instructions")) for r in records)
        return PlaybookRun(Usage(usage.wall, usage.cpu - wrapper_cpu, usage.max_rss_mb, usage.returncode), modules, output_path)


def _module_records(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
