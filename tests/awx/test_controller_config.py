# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential type and extensions/awx/configure_controller.yml, checked as data.

The controller collection (awx.awx / ansible.controller) cannot be installed here (Galaxy is not
reachable, PyPI does not carry it) and there is no controller to talk to, so the playbook is not
run: its YAML is parsed and checked against AWX's own JSON schema for credential types (as in
awx/main/fields.py), the collection's connection options, and the role's meta/argument_specs.yml.
"""

import os

import jsonschema
import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec
from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import (
    ARGUMENT_SPECS,
    COLLECTION_ROOT,
    CONTRACT_ENV,
    CREDENTIAL_TYPE,
    controller_tasks,
    job_template,
    load_yaml,
    project_playbook,
    render_injectors,
)

# AWX's validation of CredentialType.inputs and .injectors (awx/main/fields.py), as JSON schema.
AWX_INPUTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "required": {"type": "array", "items": {"type": "string"}},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["string", "boolean"]},
                    "format": {"enum": ["ssh_private_key", "url"]},
                    "choices": {"type": "array", "minItems": 1, "items": {"type": "string"}, "uniqueItems": True},
                    "id": {"type": "string", "pattern": "^[a-zA-Z_]+[a-zA-Z0-9_]*$"},
                    "label": {"type": "string"},
                    "help_text": {"type": "string"},
                    "multiline": {"type": "boolean"},
                    "secret": {"type": "boolean"},
                    "ask_at_runtime": {"type": "boolean"},
                    "default": {},
                },
                "additionalProperties": False,
                "required": ["id", "label"],
            },
        },
    },
}
AWX_INJECTORS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "file": {
            "type": "object",
            "patternProperties": {r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$": {"type": "string"}},
            "additionalProperties": False,
        },
        "env": {
            "type": "object",
            "patternProperties": {"^[a-zA-Z_]+[a-zA-Z0-9_]*$": {"type": "string", "pattern": "^[\x00-\x7f]*$"}},
            "additionalProperties": False,
        },
        "extra_vars": {"type": "object", "patternProperties": {"^[a-zA-Z_]+[a-zA-Z0-9_]*$": {"type": "string"}}, "additionalProperties": False},
    },
}

# job template playbook -> (collection playbook, role entry point)
TEMPLATES = {"migrate.yml": ("migrate", "main"), "check_gate.yml": ("check_gate", "check"), "idmapping_report.yml": ("idmapping_report", "idmapping")}
SURVEY_TYPES = {"str": {"text", "textarea"}, "path": {"text"}, "int": {"integer"}, "bool": {"multiplechoice"}, "list": {"multiselect"}}


def _specs():
    return load_yaml(ARGUMENT_SPECS)["argument_specs"]


def test_credential_type_is_valid_for_awx():
    credential_type = load_yaml(CREDENTIAL_TYPE)
    assert credential_type["kind"] == "cloud"
    jsonschema.validate(credential_type["inputs"], AWX_INPUTS_SCHEMA)
    jsonschema.validate(credential_type["injectors"], AWX_INJECTORS_SCHEMA)
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert len(fields) == len(credential_type["inputs"]["fields"])
    assert set(credential_type["inputs"]["required"]) <= set(fields)
    for field in fields.values():
        assert isinstance(field.get("default", ""), str)  # AWX: a default has the field's type
    # AWX's own check: every injector template renders with the defined fields only
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for template in credential_type["injectors"]["env"].values():
        sandbox.from_string(template).render({name: "EXAMPLE" for name in fields})
    for name in credential_type["injectors"]["env"]:
        assert not name.startswith("ANSIBLE_")


def test_credential_type_injects_the_contract_environment():
    credential_type = load_yaml(CREDENTIAL_TYPE)
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert fields["api_token"]["secret"] is True
    assert "api_token" in credential_type["inputs"]["required"]
    assert fields["api_url"]["default"] == "https://api.atlassian.com"
    assert not fields["email"].get("secret", False)
    env = render_injectors(credential_type, {"email": "a@example.com", "api_token": "secret-token-value"})
    assert env == {"ATLASSIAN_API_URL": "https://api.atlassian.com", "ATLASSIAN_EMAIL": "a@example.com", "ATLASSIAN_API_TOKEN": "secret-token-value"}
    # each injected variable is the environment fallback of the module option of the same name
    spec = connection_argument_spec()
    for field, variable in CONTRACT_ENV.items():
        assert spec[field]["fallback"][1] == [variable]
        assert credential_type["injectors"]["env"][variable] == "{{ %s }}" % field


def test_controller_playbook_creates_everything():
    tasks = controller_tasks()
    for module in ("credential_type", "credential", "execution_environment", "project", "inventory", "host", "workflow_job_template"):
        assert len(tasks[module]) == 1, module
    assert len(tasks["job_template"]) == 3
    # the credential type is read from credential_type.yml, not copied
    created = tasks["credential_type"][0]
    for key in ("inputs", "injectors", "name", "kind"):
        assert created[key] == "{{ migration_credential_type.%s }}" % key
    plays = load_yaml(os.path.join(COLLECTION_ROOT, "extensions", "awx", "configure_controller.yml"))
    assert "credential_type.yml" in plays[0]["vars"]["migration_credential_type"]
    credential = tasks["credential"][0]
    assert set(credential["inputs"]) == {"api_url", "email", "api_token"}
    for template in tasks["job_template"]:
        assert template["credentials"] == [credential["name"]]
        assert template["execution_environment"] == tasks["execution_environment"][0]["name"]
        assert template["survey_enabled"] is True
        assert template["allow_simultaneous"] is True


@pytest.mark.parametrize("playbook", sorted(TEMPLATES))
def test_project_playbook_runs_the_collection_playbook(playbook):
    collection_playbook, entry = TEMPLATES[playbook]
    assert job_template(playbook)["playbook"] == playbook
    (play,) = yaml.safe_load(project_playbook(playbook))
    with open(os.path.join(COLLECTION_ROOT, "docs", "awx.md"), encoding="utf-8") as handle:
        assert project_playbook(playbook).split("\n", 1)[1] in handle.read()
    assert play["ansible.builtin.import_playbook"] == "migrationops.atlassian.%s" % collection_playbook
    plays = load_yaml(os.path.join(COLLECTION_ROOT, "playbooks", collection_playbook + ".yml"))
    includes = []
    for task in plays[0]["tasks"]:
        for inner in task.get("block", [task]):
            if "ansible.builtin.include_role" in inner:
                includes.append(inner["ansible.builtin.include_role"])
    (include,) = includes
    assert include["name"] == "migrationops.atlassian.cloud_migration"
    assert include.get("tasks_from", "main") == entry


def _required(entry):
    """What the survey must require: the entry point's required options; for main (all steps by
    default), every option a step's own entry point requires."""
    specs = _specs()
    entries = ["check", "migrate", "idmapping"] if entry == "main" else [entry]
    return {name for step in entries for name, option in specs[step]["options"].items() if option.get("required")}


@pytest.mark.parametrize("playbook", sorted(TEMPLATES))
def test_survey_matches_the_argument_spec(playbook):
    entry = TEMPLATES[playbook][1]
    options = _specs()[entry]["options"]
    survey = job_template(playbook)["survey_spec"]["spec"]
    questions = {question["variable"]: question for question in survey}
    assert len(questions) == len(survey)
    assert set(questions) == set(options)
    required = _required(entry)
    for name, question in questions.items():
        option = options[name]
        if option.get("type", "str") == "str" and "choices" in option:
            assert question["type"] == "multiplechoice", name
        else:
            assert question["type"] in SURVEY_TYPES[option.get("type", "str")], name
        if option.get("type") == "bool":
            assert question["choices"] == ["true", "false"], name
        if "choices" in option:
            assert question["choices"] == option["choices"], name
        if name in required:
            assert question["required"] is True, name
        if "default" in option:
            default = question.get("default")
            if option.get("type") == "list":
                assert default.split("\n") == option["default"], name
            elif option.get("type") == "bool":
                assert default == str(option["default"]).lower(), name
            else:
                assert default == option["default"], name
        elif question["required"]:
            assert name in required, "%s is required in the survey but not by the role" % name
        if question["type"] == "integer" and "default" in option:
            assert question["min"] <= option["default"] <= question["max"]


def test_workflow_gates_the_migration_on_an_approval():
    (workflow,) = controller_tasks()["workflow_job_template"]
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    templates = {template["name"]: template for template in controller_tasks()["job_template"]}

    def following(identifier):
        successors = nodes[identifier].get("related", {}).get("success_nodes", [])
        return [successor["identifier"] for successor in successors]

    # exactly one start node (not a successor of any other node), and a single chain from it
    successors = {identifier for identifier in nodes for identifier in following(identifier)}
    (start,) = set(nodes) - successors
    chain = [start]
    while following(chain[-1]):
        (after,) = following(chain[-1])
        chain.append(after)
    assert len(chain) == len(nodes) == 3
    kinds = [nodes[identifier]["unified_job_template"]["type"] for identifier in chain]
    assert kinds == ["job_template", "workflow_approval", "job_template"]
    first, approval, last = (nodes[identifier]["unified_job_template"] for identifier in chain)
    assert templates[first["name"]]["playbook"] == "check_gate.yml"
    assert templates[last["name"]]["playbook"] == "migrate.yml"
    assert approval["timeout"]
    # no failure or always path leads around the approval
    for node in nodes.values():
        assert not node.get("related", {}).get("failure_nodes") and not node.get("related", {}).get("always_nodes")
    # the workflow survey answers every required question without a default of both job templates
    answered = {question["variable"] for question in workflow["survey_spec"]["spec"]}
    for name in (first["name"], last["name"]):
        for question in templates[name]["survey_spec"]["spec"]:
            if question["required"] and question.get("default") in (None, ""):
                assert question["variable"] in answered, (name, question["variable"])
    # and asks nothing the role does not know
    assert answered <= set(_specs()["main"]["options"])
