# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration harness: run real ansible-playbook against the installed collection and a simulator.

``run_tasks(sim, tasks)`` writes a playbook on localhost in which every task is registered and
may fail, runs it, and returns each task's registered result by task name.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The Python that runs the modules (ansible_python_interpreter). make matrix-target-python sets it to
# the oldest target Python; by default the modules run on the Python running the tests.
MODULE_PYTHON = os.environ.get("MIGRATIONOPS_MODULE_PYTHON") or sys.executable


def collections_path():
    """The installed collection (make exports it); else the tree this checkout sits in."""
    if os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        return os.environ["ANSIBLE_COLLECTIONS_PATH"]
    parent = os.path.dirname(os.path.dirname(COLLECTION_ROOT))
    if os.path.basename(parent) == "ansible_collections":
        return os.path.dirname(parent)
    pytest.fail("set ANSIBLE_COLLECTIONS_PATH or run the tests through make")


def connection_env(sim, **extra):
    """ATLASSIAN_* variables pointing at a simulator, as a credential type would inject them."""
    creds = sim.credentials
    env = {
        "ATLASSIAN_API_URL": sim.url,
        "ATLASSIAN_EMAIL": creds["email"],
        "ATLASSIAN_API_TOKEN": creds["api_token"],
    }
    if getattr(sim, "ca_path", None):
        env["ATLASSIAN_CA_PATH"] = sim.ca_path
    env.update(extra)
    return env


class PlaybookRun:
    def __init__(self, proc, results, log_text):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.results = results
        self.log = log_text

    def __getitem__(self, name):
        return self.results[name]


def _ansible_env(tmp_path, env):
    full = dict(os.environ)
    for key in list(full):
        if key.startswith("ATLASSIAN_"):
            del full[key]
    full.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOG_PATH=str(tmp_path / "ansible.log"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    full.update(env or {})
    return full


def run_playbook(tmp_path, plays, env=None, extra_args=()):
    """Run a playbook (list of plays) and return the finished process."""
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    return run_ansible_playbook(tmp_path, ["-i", "localhost,", str(playbook)] + list(extra_args), env=env)


@pytest.fixture
def run_tasks(tmp_path):
    """run_tasks(env, tasks, extra_args=(), module_defaults=None) -> PlaybookRun."""

    def run(env, tasks, extra_args=(), module_defaults=None, play_vars=None):
        results_file = tmp_path / "results.json"
        names = []
        body = []
        for index, given in enumerate(tasks):
            task = dict(given)
            name = task.setdefault("name", "task%d" % index)
            register = "r_%d" % index
            names.append((name, register))
            task.setdefault("register", register)
            task.setdefault("ignore_errors", True)
            body.append(task)
        mapping = ", ".join("%s: %s | default(None)" % (json.dumps(name), register) for name, register in names)
        body.append(
            {
                "name": "collect results",
                "check_mode": False,
                "ansible.builtin.copy": {"dest": str(results_file), "content": "{{ {%s} | to_json }}" % mapping, "mode": "0600"},
            }
        )
        play = {
            "name": "integration",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": dict({"ansible_python_interpreter": MODULE_PYTHON}, **(play_vars or {})),
            "tasks": body,
        }
        if module_defaults:
            play["module_defaults"] = module_defaults
        proc = run_playbook(tmp_path, [play], env=env, extra_args=extra_args)
        if not results_file.exists():
            pytest.fail("playbook did not finish:\n%s\n%s" % (proc.stdout[-4000:], proc.stderr[-4000:]))
        results = json.loads(results_file.read_text())
        log_path = tmp_path / "ansible.log"
        return PlaybookRun(proc, results, log_path.read_text() if log_path.exists() else "")

    return run


def run_ansible_playbook(tmp_path, args, env=None):
    """Run ``ansible-playbook ARGS`` (for example an FQCN playbook and ``-e`` options) with the harness environment."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook")] + list(args)
    return subprocess.run(command, env=_ansible_env(tmp_path, env), capture_output=True, text=True, timeout=600, check=False)
