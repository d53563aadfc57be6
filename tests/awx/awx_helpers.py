# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What AWX does around a job, reproduced for the tests under tests/awx: the extension files,
rendering a credential type's injectors and turning survey answers into extra vars."""

import os

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.migrationops.atlassian.tests.integration.conftest import collections_path  # noqa: F401  pylint: disable=unused-import

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXTENSIONS = os.path.join(COLLECTION_ROOT, "extensions")
CREDENTIAL_TYPE = os.path.join(EXTENSIONS, "awx", "credential_type.yml")
CONTROLLER_PLAYBOOK = os.path.join(EXTENSIONS, "awx", "configure_controller.yml")
EE_DIR = os.path.join(EXTENSIONS, "ee")
ARGUMENT_SPECS = os.path.join(COLLECTION_ROOT, "roles", "cloud_migration", "meta", "argument_specs.yml")
CONTRACT_ENV = {"api_url": "ATLASSIAN_API_URL", "email": "ATLASSIAN_EMAIL", "api_token": "ATLASSIAN_API_TOKEN"}


# The project playbooks of the job templates (docs/awx.md): one per collection playbook.
PROJECT_PLAYBOOKS = {"migrate.yml": "migrate", "check_gate.yml": "check_gate", "idmapping_report.yml": "idmapping_report"}


def project_playbook(name):
    """The text of a project playbook, as docs/awx.md gives it."""
    target = "migrationops.atlassian." + PROJECT_PLAYBOOKS[name]
    return "---\n- name: Run %s\n  ansible.builtin.import_playbook: %s\n" % (target, target)


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def render_injectors(credential_type, inputs):
    """The environment AWX injects for a credential: every env injector rendered in a sandbox.

    AWX renders the templates with the credential's inputs, field defaults filled in; a field
    left empty renders as an empty string.
    """
    namespace = {}
    for field in credential_type["inputs"]["fields"]:
        if field["id"] in inputs:
            namespace[field["id"]] = inputs[field["id"]]
        elif "default" in field:
            namespace[field["id"]] = field["default"]
        else:
            namespace[field["id"]] = ""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    return {name: env.from_string(template).render(namespace) for name, template in credential_type["injectors"]["env"].items()}


def controller_tasks():
    """The tasks of configure_controller.yml, by module name (short name after the collection)."""
    plays = load_yaml(CONTROLLER_PLAYBOOK)
    tasks = {}
    for task in plays[0]["tasks"]:
        module = next(key for key in task if key.startswith(("awx.awx.", "ansible.controller.")))
        tasks.setdefault(module.split(".")[-1], []).append(task[module])
    return tasks


def job_template(playbook):
    """The job_template arguments of the template that runs ``playbook``."""
    for template in controller_tasks()["job_template"]:
        if template["playbook"] == playbook:
            return template
    raise AssertionError("no job template runs %s" % playbook)


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
