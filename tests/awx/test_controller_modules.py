# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""extensions/awx/configure_controller.yml against the real awx.awx modules (awx.awx 24.6.1 from the
pinned ``ansible`` package, ``make awx-collection``) and the real ansible-lint.

There is no controller here, so the playbook runs against a controller URL that refuses
connections: a module gets past Ansible's validation of its arguments (its own argument spec)
and fails only when it connects. The same run holds a copy of the play with one option of every
task misspelled, which each module must refuse by name, so the check is not blind. Nested
structures the modules pass through to the controller unchecked (``workflow_nodes``) are
validated, as the modules received them, against the suboptions awx.awx documents for them.
"""

import copy
import os
import shutil
import socket
import subprocess
import sys

import ansible_runner
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import (
    COLLECTION_ROOT,
    CONTROLLER_PLAYBOOK,
    EXTENSIONS,
    awx_collections_path,
    collections_path,
    load_yaml,
)

BIN = os.path.dirname(sys.executable)
AS_WRITTEN = "Configure the controller, as written"
MISSPELLED = "Configure the controller, one option of every task misspelled"

pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


def _module_of(task):
    (module,) = [key for key in task if key.startswith("awx.awx.")]
    return module


def _misspell(name):
    """A typo: the first two different neighbouring letters after the first one swapped (``scm_branch`` -> ``sm_cbranch``)."""
    index = next(i for i in range(1, len(name) - 1) if name[i] != name[i + 1])
    typo = name[:index] + name[index + 1] + name[index] + name[index + 2 :]
    assert typo != name
    return typo


def _refused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def controller_run(tmp_path_factory):
    """configure_controller.yml (every task with ignore_errors, and without no_log so that the
    refusal is readable) followed by its misspelled twin, run once through ansible-runner."""
    work = tmp_path_factory.mktemp("controller")
    project = work / "awx"
    shutil.copytree(os.path.join(EXTENSIONS, "awx"), project)
    (play,) = load_yaml(CONTROLLER_PLAYBOOK)
    written, misspelled = copy.deepcopy(play), copy.deepcopy(play)
    written["name"], misspelled["name"] = AS_WRITTEN, MISSPELLED
    typos = {}
    for task in written["tasks"] + misspelled["tasks"]:
        task["ignore_errors"] = True
        task.pop("no_log", None)
    for task in misspelled["tasks"]:
        arguments = task[_module_of(task)]
        option = [key for key in arguments if key not in ("name", "state")][-1]
        arguments[_misspell(option)] = arguments.pop(option)
        typos[task["name"]] = (_module_of(task), option, _misspell(option))
    with open(project / "checked.yml", "w", encoding="utf-8") as handle:
        yaml.safe_dump([written, misspelled], handle, sort_keys=False)
    port = _refused_port()
    (work / "run").mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(work / "run"),
        project_dir=str(project),
        playbook="checked.yml",
        inventory="localhost ansible_connection=local ansible_python_interpreter=%s" % sys.executable,
        envvars={
            "ANSIBLE_COLLECTIONS_PATH": awx_collections_path(),
            "ANSIBLE_HOME": str(work / "ansible-home"),
            "ANSIBLE_LOCALHOST_WARNING": "0",
            # each result keeps the arguments as the module received them (ansible-core 2.21)
            "ANSIBLE_INJECT_INVOCATION": "1",
            "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
            "CONTROLLER_HOST": "https://127.0.0.1:%d" % port,
            "CONTROLLER_USERNAME": "admin",
            "CONTROLLER_PASSWORD": "controller-password-4f1e9a",
            "ATLASSIAN_API_TOKEN": "cloud-token-for-the-credential-7d2c",
            "ATLASSIAN_SERVER_URL": "https://jira.example.com",
            "ATLASSIAN_SERVER_USERNAME": "admin",
            "ATLASSIAN_SERVER_PASSWORD": "server-password-for-the-credential-93ab",
        },
        quiet=True,
        timeout=300,
    )
    results = {}
    for event in runner.events:
        data = event.get("event_data", {})
        if event["event"] in ("runner_on_failed", "runner_on_ok", "runner_item_on_failed", "runner_item_on_ok"):
            if data["res"].get("results") is not None:
                continue  # the summary of a loop: its items are reported one by one
            failed = event["event"].endswith("_failed")  # an item's result has no "failed" key
            results.setdefault((data["play"], data["task"]), []).append(dict(data["res"], failed=failed))
    stdout = "".join(event.get("stdout", "") for event in runner.events)
    return {"runner": runner, "results": results, "typos": typos, "port": port, "tasks": play["tasks"], "vars": play["vars"], "stdout": stdout}


def test_every_task_passes_the_real_argument_validation(controller_run):
    assert controller_run["runner"].status == "successful", controller_run["stdout"][-3000:]
    refused = "127.0.0.1:%d" % controller_run["port"]
    for task in controller_run["tasks"]:
        results = controller_run["results"][(AS_WRITTEN, task["name"])]
        if "loop" in task:  # the credential types: one module call per file
            assert [res["item"] for res in results] == controller_run["vars"]["migration_credential_type_files"]
        else:
            assert len(results) == 1, task["name"]
        for res in results:
            # the module validated its arguments, built its request, and failed only on the connection
            assert res.get("failed") is True, (task["name"], res)
            assert "Connection refused" in res["msg"], (task["name"], res["msg"])
            assert "Unsupported parameters" not in res["msg"] and "missing required" not in res["msg"], res["msg"]
            assert refused in res["invocation"]["module_args"]["controller_host"]


def test_a_misspelled_option_is_refused_by_the_real_module(controller_run):
    assert len(controller_run["typos"]) == len(controller_run["tasks"])
    for task in controller_run["tasks"]:
        module, option, typo = controller_run["typos"][task["name"]]
        for res in controller_run["results"][(MISSPELLED, task["name"])]:
            assert res.get("failed") is True
            # a required option misspelled is missing (checked first); any other is unsupported
            refusals = ("Unsupported parameters for (%s) module: %s." % (module, typo), "missing required arguments: %s" % option)
            assert res["msg"].startswith(refusals), res["msg"]


def _spec_from_doc(options):
    """An argument spec built from a module's documented options (type, elements, choices, suboptions)."""
    spec = {}
    for name, option in options.items():
        entry = {key: option[key] for key in ("type", "elements", "choices") if key in option}
        if "suboptions" in option:
            entry["options"] = _spec_from_doc(option["suboptions"])
        spec[name] = entry
    return spec


def _documentation(module):
    path = os.path.join(awx_collections_path(), "ansible_collections", "awx", "awx", "plugins", "modules", module + ".py")
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    return yaml.safe_load(source.split("DOCUMENTATION = ", 1)[1].split("'''")[1])


def test_workflow_nodes_follow_the_documented_suboptions(controller_run):
    (res,) = controller_run["results"][(AS_WRITTEN, "Create the workflow check gate, approval, migrate, ID mapping report")]
    nodes = res["invocation"]["module_args"]["workflow_nodes"]  # templated, as the module received them
    spec = _spec_from_doc(_documentation("workflow_job_template")["options"]["workflow_nodes"]["suboptions"])
    assert "unified_job_template" in spec and "related" in spec
    validator = ArgumentSpecValidator(spec)
    for node in nodes:
        result = validator.validate(node)
        assert not result.error_messages, (node["identifier"], result.error_messages)
    approval = next(node for node in nodes if node["unified_job_template"]["type"] == "workflow_approval")
    assert approval["unified_job_template"]["timeout"] == 86400
    # the check is not blind: an undocumented key and a wrongly typed one are refused
    broken = copy.deepcopy(approval)
    broken["unified_job_template"]["timeuot"] = broken["unified_job_template"].pop("timeout")
    broken["related"]["succes_nodes"] = broken["related"].pop("success_nodes")
    messages = " ".join(validator.validate(broken).error_messages)
    assert "timeuot" in messages and "succes_nodes" in messages


def _lint(path, work):
    """ansible-lint (production profile) with awx.awx on the collections path and no mock modules."""
    with open(os.path.join(COLLECTION_ROOT, ".ansible-lint"), encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    config.pop("mock_modules", None)
    config_path = work / "ansible-lint.yml"
    config_path.write_text(yaml.safe_dump(config))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=awx_collections_path() + os.pathsep + collections_path(), NO_COLOR="1")
    env["ANSIBLE_HOME"] = str(work / "ansible-home")
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-lint"), "--offline", "--nocolor", "-c", str(config_path), path],
        cwd=COLLECTION_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_ansible_lint_passes_without_mock_modules(tmp_path):
    code, output = _lint(os.path.relpath(CONTROLLER_PLAYBOOK, COLLECTION_ROOT), tmp_path)
    assert code == 0, output[-4000:]
    assert "Passed: 0 failure(s), 0 warning(s)" in output, output[-4000:]
    assert "AnsibleWarning" not in output and "mock" not in output.lower(), output[-4000:]
    # the same lint refuses a module name awx.awx does not have (it resolves the real modules)
    broken = tmp_path / "awx"
    shutil.copytree(os.path.join(EXTENSIONS, "awx"), broken)
    text = (broken / "configure_controller.yml").read_text().replace("awx.awx.execution_environment:", "awx.awx.execution_environments:")
    (broken / "configure_controller.yml").write_text(text)
    code, output = _lint(str(broken / "configure_controller.yml"), tmp_path)
    assert code != 0 and "awx.awx.execution_environments" in output, output[-4000:]
