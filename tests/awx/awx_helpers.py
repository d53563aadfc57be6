# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What AWX does around a job, reproduced for the tests under tests/awx: the extension files,
rendering a credential type's injectors and turning survey answers into extra vars."""

import importlib.util
import os
import stat
import sys
import tempfile

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.migrationops.atlassian.tests.integration.conftest import collections_path

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXTENSIONS = os.path.join(COLLECTION_ROOT, "extensions")
CREDENTIAL_TYPE = os.path.join(EXTENSIONS, "awx", "credential_type.yml")
SERVER_CREDENTIAL_TYPE = os.path.join(EXTENSIONS, "awx", "credential_type_server.yml")
CONTROLLER_PLAYBOOK = os.path.join(EXTENSIONS, "awx", "configure_controller.yml")
EE_DIR = os.path.join(EXTENSIONS, "ee")
ARGUMENT_SPECS = os.path.join(COLLECTION_ROOT, "roles", "cloud_migration", "meta", "argument_specs.yml")
CONTRACT_ENV = {"api_url": "ATLASSIAN_API_URL", "email": "ATLASSIAN_EMAIL", "api_token": "ATLASSIAN_API_TOKEN", "ca_path": "ATLASSIAN_CA_PATH"}
SERVER_CONTRACT_ENV = {
    "server_url": "ATLASSIAN_SERVER_URL",
    "server_username": "ATLASSIAN_SERVER_USERNAME",
    "server_password": "ATLASSIAN_SERVER_PASSWORD",
    "server_token": "ATLASSIAN_SERVER_TOKEN",
    "server_ca_path": "ATLASSIAN_SERVER_CA_PATH",
}


# The project playbooks of the job templates (docs/awx.md): one per collection playbook.
PROJECT_PLAYBOOKS = {"migrate.yml": "migrate", "idmapping_report.yml": "idmapping_report", "waves.yml": "waves"}
# The job templates of configure_controller.yml.
GATE = "Atlassian migration - check gate"
MIGRATE = "Atlassian migration - migrate"
IDMAPPING = "Atlassian migration - ID mapping report"
WAVES = "Atlassian migration - waves"


def project_playbook(name):
    """The text of a project playbook, as docs/awx.md gives it."""
    target = "migrationops.atlassian." + PROJECT_PLAYBOOKS[name]
    return "---\n- name: Run %s\n  ansible.builtin.import_playbook: %s\n" % (target, target)


def awx_collections_path():
    """The collections path holding only awx.awx (``make awx-collection``, from the pinned ``ansible``
    package): MIGRATIONOPS_AWX_COLLECTIONS, else the one beside the build tree these tests run from."""
    path = os.environ.get("MIGRATIONOPS_AWX_COLLECTIONS")
    if not path:
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION_ROOT))))
        path = os.path.join(build, "awx-collections")
    if not os.path.isfile(os.path.join(path, "ansible_collections", "awx", "awx", "MANIFEST.json")):
        pytest.fail("awx.awx is not in %s: run `make awx-collection` (or set MIGRATIONOPS_AWX_COLLECTIONS)" % path)
    return path


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class _TowerNamespace:
    """AWX's ``tower`` template namespace: ``tower.filename.<label>`` for each file injector."""


def render_injectors(credential_type, inputs, env_dir=None):
    """The environment AWX injects for a credential (awx/main/models/credential: inject_credential).

    Inputs left empty are not in the namespace, so a template naming one renders an empty string
    (AWX's sandbox has the default Undefined); field defaults are filled in as the controller
    stores them. Each ``file`` injector is rendered into a new file of ``env_dir`` (AWX: the job's
    private data directory ``env/``) whose path is ``tower.filename.<label>``.
    """
    namespace = {"tower": _TowerNamespace()}
    for field in credential_type["inputs"]["fields"]:
        value = inputs.get(field["id"], field.get("default", ""))
        if value != "":
            namespace[field["id"]] = value
    env = ImmutableSandboxedEnvironment()
    files = credential_type["injectors"].get("file", {})
    if files:
        namespace["tower"].filename = _TowerNamespace()
    for label, template in files.items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(env.from_string(template).render(namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        setattr(namespace["tower"].filename, label.split(".", 1)[1], path)
    return {name: env.from_string(template).render(namespace) for name, template in credential_type["injectors"]["env"].items()}


def controller_tasks():
    """The tasks of configure_controller.yml, by module name (short name after the collection)."""
    plays = load_yaml(CONTROLLER_PLAYBOOK)
    tasks = {}
    for task in plays[0]["tasks"]:
        module = next(key for key in task if key.startswith(("awx.awx.", "ansible.controller.")))
        tasks.setdefault(module.split(".")[-1], []).append(task[module])
    return tasks


def job_template(name):
    """The job_template arguments of the template called ``name``."""
    for template in controller_tasks()["job_template"]:
        if template["name"] == name:
            return template
    raise AssertionError("no job template %s" % name)


def survey_extra_vars(spec, answers):
    """The extra vars AWX passes for survey answers: defaults for unanswered questions,
    multiselect answers as lists, optional questions left empty omitted."""
    extra = {}
    for question in spec["spec"]:
        name = question["variable"]
        if name in answers:
            value = answers[name]
        elif question.get("default") not in (None, ""):
            value = question["default"]
            if question["type"] == "multiselect":
                value = [item for item in value.split("\n") if item]
        elif question["required"]:
            raise AssertionError("required survey question %s has no answer" % name)
        else:
            continue
        if question["type"] == "integer":
            value = int(value)
        extra[name] = value
    return extra


# The project's ansible.cfg of docs/awx.md: ansible-playbook checks on a running task this often.
PROJECT_ANSIBLE_CFG = "[defaults]\ninternal_poll_interval = 0.05\n"


def workflow_node_extra_vars(template, artifacts, workflow_extra_vars):
    """The extra vars of the job a workflow node launches (awx/main/models/workflow.py,
    WorkflowJobNode.get_job_kwargs): the set_stats artifacts of the nodes before it, overridden by
    the workflow's own extra vars (its survey answers); the job template's survey fills what they
    leave unanswered and its extra_vars are underneath all of them."""
    launch = dict(artifacts)
    launch.update(workflow_extra_vars)
    extra = dict(template.get("extra_vars", {}))
    if template.get("survey_enabled"):
        extra.update(survey_extra_vars(template["survey_spec"], launch))
    extra.update(launch)
    return extra


def write_private_data_dir(root, credentials, extravars, playbook):
    """A private data directory as AWX writes it for a job: ``inventory/hosts`` with localhost,
    ``env/envvars`` with the injectors of each credential (``(credential type path, inputs)``;
    file injectors written into ``env/``), ``env/extravars``, and ``project/`` with the project
    playbook and ansible.cfg of docs/awx.md. Returns the environment."""
    for name in ("inventory", "env", "project"):
        os.makedirs(os.path.join(root, name))
    with open(os.path.join(root, "inventory", "hosts"), "w", encoding="utf-8") as handle:
        handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    envvars = {}
    for credential_type, inputs in credentials:
        envvars.update(render_injectors(load_yaml(credential_type), inputs, os.path.join(root, "env")))
    envvars.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_HOME=os.path.join(root, "ansible-home"),
        ANSIBLE_LOCAL_TEMP=os.path.join(root, "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="0",
        # the ansible-playbook of this Python, as in an execution environment
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )
    with open(os.path.join(root, "env", "envvars"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(envvars, handle)
    with open(os.path.join(root, "env", "extravars"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(extravars, handle)
    with open(os.path.join(root, "project", playbook), "w", encoding="utf-8") as handle:
        handle.write(project_playbook(playbook))
    with open(os.path.join(root, "project", "ansible.cfg"), "w", encoding="utf-8") as handle:
        handle.write(PROJECT_ANSIBLE_CFG)
    return envvars


EDA_SOURCE = os.path.join(EXTENSIONS, "eda", "plugins", "event_source", "migration_status.py")


def load_eda_source():
    """The event source as ansible-rulebook loads it: from its file, not as a package module."""
    spec = importlib.util.spec_from_file_location("migration_status_source", EDA_SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeQueue:
    """The queue ansible-rulebook gives a source: it keeps what is put on it."""

    def __init__(self):
        self.events = []

    async def put(self, event):
        self.events.append(event)
