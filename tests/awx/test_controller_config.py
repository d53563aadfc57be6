# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential types and extensions/awx/configure_controller.yml, checked as data: what no
module checks because there is no controller here (test_controller_modules.py runs the playbook
through the real awx.awx modules). The credential types are checked against AWX's own JSON schema
(as in awx/main/fields.py) and rendered as awx/main/models/credential renders them, the surveys
against the role's meta/argument_specs.yml, the workflow against how AWX passes variables
between its nodes (awx/main/models/workflow.py: the workflow's extra vars win over set_stats
artifacts, which win over a node's own prompts).
"""

import os

import jsonschema
import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.migrationops.atlassian.plugins.module_utils._module import connection_argument_spec
from ansible_collections.migrationops.atlassian.plugins.module_utils._server_module import server_argument_spec
from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import (
    ARGUMENT_SPECS,
    COLLECTION_ROOT,
    CONTROLLER_PLAYBOOK,
    CONTRACT_ENV,
    CREDENTIAL_TYPE,
    SERVER_CONTRACT_ENV,
    SERVER_CREDENTIAL_TYPE,
    controller_tasks,
    GATE,
    IDMAPPING,
    MIGRATE,
    PROJECT_PLAYBOOKS,
    WAVES,
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

# A list without choices is a text question: the role's argument spec splits "a,b" on commas;
# a dict is a textarea holding JSON, which the argument spec parses.
SURVEY_TYPES = {"str": {"text", "textarea"}, "path": {"text"}, "int": {"integer"}, "bool": {"multiplechoice"}, "list": {"text"}, "dict": {"textarea"}}
# What the role hands to the next node of a workflow with set_stats (contract, role cloud_migration in 0.2).
SET_STATS = ("cloud_migration_job_id", "cloud_migration_check_task_id", "cloud_migration_migrate_task_id")


def _specs():
    return load_yaml(ARGUMENT_SPECS)["argument_specs"]


class _Namespace:
    pass


@pytest.mark.parametrize("path", [CREDENTIAL_TYPE, SERVER_CREDENTIAL_TYPE], ids=["cloud", "server"])
def test_credential_type_is_valid_for_awx(path):
    credential_type = load_yaml(path)
    assert credential_type["kind"] == "cloud"
    jsonschema.validate(credential_type["inputs"], AWX_INPUTS_SCHEMA)
    jsonschema.validate(credential_type["injectors"], AWX_INJECTORS_SCHEMA)
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert len(fields) == len(credential_type["inputs"]["fields"])
    assert set(credential_type["inputs"]["required"]) <= set(fields)
    for field in fields.values():
        assert isinstance(field.get("default", ""), str)  # AWX: a default has the field's type
    # AWX's own check (CredentialTypeInjectorField.validate): every template renders with each
    # field set and tower.filename.<label> defined for each file injector of the multi-file syntax
    files = credential_type["injectors"].get("file", {})
    assert "template" not in files, "one file injector must still use the multi-file syntax template.<label>"
    namespace = {name: "EXAMPLE" for name in fields}
    namespace["tower"] = _Namespace()
    namespace["tower"].filename = _Namespace()
    for label in files:
        setattr(namespace["tower"].filename, label.split(".", 1)[1], "EXAMPLE_FILENAME")
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind in ("file", "env"):
        for template in credential_type["injectors"].get(kind, {}).values():
            sandbox.from_string(template).render(namespace)
    for name in credential_type["injectors"]["env"]:
        assert name.startswith("ATLASSIAN_")  # AWX refuses ANSIBLE_* and its own job variables
    # a file's content is a multiline input, never a secret shown in a one-line field
    for template in files.values():
        (field,) = [name for name in fields if "{{ %s }}" % name == template]
        assert fields[field]["multiline"] is True


def _fallback(spec, option):
    (variable,) = spec[option]["fallback"][1]
    return variable


def test_credential_type_injects_the_contract_environment(tmp_path):
    credential_type = load_yaml(CREDENTIAL_TYPE)
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert fields["api_token"]["secret"] is True
    assert "api_token" in credential_type["inputs"]["required"]
    assert fields["api_url"]["default"] == "https://api.atlassian.com"
    assert not fields["email"].get("secret", False)
    env = render_injectors(credential_type, {"email": "a@example.com", "api_token": "secret-token-value"}, str(tmp_path))
    assert env == {
        "ATLASSIAN_API_URL": "https://api.atlassian.com",
        "ATLASSIAN_EMAIL": "a@example.com",
        "ATLASSIAN_API_TOKEN": "secret-token-value",
        "ATLASSIAN_CA_PATH": "",  # no CA: the modules use the public CAs (an empty path is unset)
    }
    # a CA bundle is written to a file of the private data directory and its path injected
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    env = render_injectors(credential_type, {"api_token": "secret-token-value", "ca_bundle": pem}, str(tmp_path))
    assert os.path.dirname(env["ATLASSIAN_CA_PATH"]) == str(tmp_path)
    with open(env["ATLASSIAN_CA_PATH"], encoding="utf-8") as handle:
        assert handle.read() == pem
    # each injected variable is the environment fallback of the module option it stands for
    spec = connection_argument_spec()
    for option, variable in CONTRACT_ENV.items():
        assert _fallback(spec, option) == variable
        assert variable in credential_type["injectors"]["env"]


def test_server_credential_type_injects_the_server_options(tmp_path):
    credential_type = load_yaml(SERVER_CREDENTIAL_TYPE)
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert credential_type["name"] != load_yaml(CREDENTIAL_TYPE)["name"]  # one credential of each on a job template
    assert credential_type["inputs"]["required"] == ["server_url"]
    assert fields["server_password"]["secret"] is True and fields["server_token"]["secret"] is True
    assert not fields["server_username"].get("secret", False)
    spec = server_argument_spec()
    assert {_fallback(spec, option) for option in spec} >= set(SERVER_CONTRACT_ENV.values())
    for option, variable in SERVER_CONTRACT_ENV.items():
        assert _fallback(spec, option) == variable
        assert variable in credential_type["injectors"]["env"]
    # a password credential: the token is injected empty, which the module reads as unset
    env = render_injectors(
        credential_type,
        {"server_url": "https://jira.example.com", "server_username": "admin", "server_password": "server-password-value"},
        str(tmp_path),
    )
    assert env == {
        "ATLASSIAN_SERVER_URL": "https://jira.example.com",
        "ATLASSIAN_SERVER_USERNAME": "admin",
        "ATLASSIAN_SERVER_PASSWORD": "server-password-value",
        "ATLASSIAN_SERVER_TOKEN": "",
        "ATLASSIAN_SERVER_CA_PATH": "",
    }
    env = render_injectors(
        credential_type, {"server_url": "https://jira.example.com", "server_token": "server-pat-value", "ca_bundle": "PEM"}, str(tmp_path)
    )
    assert (env["ATLASSIAN_SERVER_PASSWORD"], env["ATLASSIAN_SERVER_TOKEN"]) == ("", "server-pat-value")
    with open(env["ATLASSIAN_SERVER_CA_PATH"], encoding="utf-8") as handle:
        assert handle.read() == "PEM"


def test_controller_playbook_creates_everything():
    tasks = controller_tasks()
    counts = {name: len(found) for name, found in tasks.items()}
    assert counts == {
        "credential_type": 1,
        "credential": 2,
        "execution_environment": 1,
        "project": 1,
        "inventory": 2,
        "host": 1,
        "group": 1,
        "job_template": 4,
        "workflow_job_template": 1,
    }
    (play,) = load_yaml(CONTROLLER_PLAYBOOK)
    play_vars = play["vars"]
    # the credential types are read from the files beside the playbook, not copied
    (created,) = tasks["credential_type"]
    for key in ("inputs", "injectors", "name", "kind"):
        assert created[key] == "{{ migration_credential_type.%s }}" % key
    assert play_vars["migration_credential_type_files"] == [os.path.basename(CREDENTIAL_TYPE), os.path.basename(SERVER_CREDENTIAL_TYPE)]
    # each credential fills exactly the inputs of its type, under the type's name
    by_type = {load_yaml(path)["name"]: load_yaml(path) for path in (CREDENTIAL_TYPE, SERVER_CREDENTIAL_TYPE)}
    type_names = {play_vars["migration_credential_type_name"], play_vars["migration_server_credential_type_name"]}
    assert type_names == set(by_type)
    names = {}
    for task in play["tasks"]:
        if "awx.awx.credential" in task:
            credential = task["awx.awx.credential"]
            type_name = play_vars[credential["credential_type"].strip("{} ")]
            fields = {field["id"] for field in by_type[type_name]["inputs"]["fields"]}
            assert set(task["vars"]["migration_inputs"]) == fields
            assert task["no_log"] is True
            names[type_name] = play_vars[credential["name"].strip("{} ")]
    both = [names[play_vars["migration_credential_type_name"]], names[play_vars["migration_server_credential_type_name"]]]
    assert [play_vars[name.strip("{} ")] for name in play_vars["migration_credentials"]] == both
    assert {template["name"] for template in tasks["job_template"]} == {GATE, MIGRATE, IDMAPPING, WAVES}
    for template in tasks["job_template"]:
        assert template["execution_environment"] == tasks["execution_environment"][0]["name"]
        assert template["allow_simultaneous"] is (template["name"] != WAVES)
        if template["name"] == IDMAPPING:  # the reports API needs the cloud credential only
            assert template["credentials"] == [tasks["credential"][0]["name"]]
        else:
            assert template["credentials"] == "{{ migration_credentials }}"
        assert template.get("survey_enabled", False) is (template["name"] != WAVES)
    # every project playbook of docs/awx.md runs in a template, and nothing else does
    assert {template["playbook"] for template in tasks["job_template"]} == set(PROJECT_PLAYBOOKS)


def _collection_playbook_entry(collection_playbook):
    """The role entry point (tasks_from) that a collection playbook includes."""
    plays = load_yaml(os.path.join(COLLECTION_ROOT, "playbooks", collection_playbook + ".yml"))
    includes = []
    for play in plays:
        for task in play.get("tasks", []):
            for inner in task.get("block", [task]) + task.get("always", []):
                for action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                    if action in inner:
                        includes.append(inner[action])
    (include,) = includes
    assert include["name"] == "migrationops.atlassian.cloud_migration"
    return include.get("tasks_from", "main")


@pytest.mark.parametrize("playbook", sorted(PROJECT_PLAYBOOKS))
def test_project_playbook_runs_the_collection_playbook(playbook):
    (play,) = yaml.safe_load(project_playbook(playbook))
    with open(os.path.join(COLLECTION_ROOT, "docs", "awx.md"), encoding="utf-8") as handle:
        assert project_playbook(playbook).split("\n", 1)[1] in handle.read()
    assert play["ansible.builtin.import_playbook"] == "migrationops.atlassian.%s" % PROJECT_PLAYBOOKS[playbook]
    assert _collection_playbook_entry(PROJECT_PLAYBOOKS[playbook]) in _specs()


# What a step of the role hands to the steps after it, so that they need not be asked for it.
PRODUCED_BY_STEP = {"job": {"cloud_migration_job_id"}}


def _required(entry, steps):
    """What a survey must require: the entry point's required options; for main, every option that
    the entry point of a step run requires and no step run before it produces."""
    specs = _specs()
    entries = [step for step in steps if step in specs] if entry == "main" else [entry]
    produced = {name for step in steps for name in PRODUCED_BY_STEP.get(step, ())}
    required = {name for step in entries for name, option in specs[step]["options"].items() if option.get("required")}
    return required - produced


def _check_question(question, option):
    """A survey question asks an option of the role's argument spec with its type, choices and default."""
    name = question["variable"]
    kind = option.get("type", "str")
    if kind == "str" and "choices" in option:
        assert question["type"] == "multiplechoice", name
    elif kind == "list" and "choices" in option:
        assert question["type"] == "multiselect", name
    else:
        assert question["type"] in SURVEY_TYPES[kind], name
    if kind == "bool":
        assert question["choices"] == ["true", "false"], name
    if "choices" in option:
        assert question["choices"] == option["choices"], name
    if "default" in option and "default" in question:
        default = question["default"]
        if kind == "list":
            assert [item for item in default.split("\n" if question["type"] == "multiselect" else ",") if item] == option["default"], name
        elif kind == "bool":
            assert default == str(option["default"]).lower(), name
        else:
            assert default == option["default"], name
    elif "default" in option and question["required"]:
        raise AssertionError("%s: a required question without the role's default %r" % (name, option["default"]))
    if question["type"] == "integer" and "default" in option:
        assert question["min"] <= option["default"] <= question["max"], name


@pytest.mark.parametrize("template_name", [GATE, MIGRATE, IDMAPPING])
def test_survey_matches_the_argument_spec(template_name):
    template = job_template(template_name)
    entry = _collection_playbook_entry(PROJECT_PLAYBOOKS[template["playbook"]])
    options = _specs()[entry]["options"]
    fixed = template.get("extra_vars", {})
    assert set(fixed) <= set(options)
    steps = fixed.get("cloud_migration_steps", options.get("cloud_migration_steps", {}).get("default", []))
    survey = template["survey_spec"]["spec"]
    questions = {question["variable"]: question for question in survey}
    assert len(questions) == len(survey)
    assert set(questions) <= set(options), set(questions) - set(options)
    assert not set(questions) & set(fixed), "the survey would override what the template fixes"
    required = _required(entry, steps)
    for name, question in questions.items():
        _check_question(question, options[name])
        if question["required"] and question.get("default") in (None, ""):
            assert name in required, "%s is required in the survey but not by the role" % name
    for name in required:
        assert questions[name]["required"] is True, name


def test_only_the_migrate_template_starts_the_migration():
    migrate = job_template(MIGRATE)
    assert migrate["extra_vars"]["cloud_migration_start_migration"] is True
    # attach again (an attachment lasts 24 hours, the approval as long), re-read the gate's check task
    assert migrate["extra_vars"]["cloud_migration_steps"] == ["attach", "check", "migrate"]
    assert job_template(GATE)["extra_vars"]["cloud_migration_steps"] == ["attach", "job", "check"]
    for name in (GATE, IDMAPPING, WAVES):
        assert "cloud_migration_start_migration" not in job_template(name).get("extra_vars", {})
    for template in controller_tasks()["job_template"] + controller_tasks()["workflow_job_template"]:
        questions = template.get("survey_spec", {}).get("spec", [])
        assert "cloud_migration_start_migration" not in [question["variable"] for question in questions]


def test_waves_template_slices_the_inventory():
    tasks = controller_tasks()
    (play,) = load_yaml(CONTROLLER_PLAYBOOK)
    waves = job_template(WAVES)
    assert waves["job_slice_count"] == "{{ migration_waves_slices }}" and play["vars"]["migration_waves_slices"] > 1
    assert waves["inventory"] == "{{ migration_waves_inventory_name }}"
    (group,) = tasks["group"]
    assert group["name"] == "migrations" and group["inventory"] == waves["inventory"]
    assert group["preserve_existing_hosts"] is True  # hosts are the administrator's, one per migration
    # one waves job at a time: two would run the same migrations side by side
    assert waves["allow_simultaneous"] is False


def test_workflow_hands_over_through_set_stats_after_an_approval():
    (workflow,) = controller_tasks()["workflow_job_template"]
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    templates = {template["name"]: template for template in controller_tasks()["job_template"]}

    def following(identifier):
        successors = nodes[identifier].get("related", {}).get("success_nodes", [])
        return [successor["identifier"] for successor in successors]

    # exactly one start node (not a successor of any other node), and a single chain from it
    successors = {after for identifier in nodes for after in following(identifier)}
    (start,) = set(nodes) - successors
    chain = [start]
    while following(chain[-1]):
        (after,) = following(chain[-1])
        chain.append(after)
    assert len(chain) == len(nodes)
    kinds = [nodes[identifier]["unified_job_template"]["type"] for identifier in chain]
    assert kinds == ["job_template", "workflow_approval", "job_template", "job_template"]
    names = [nodes[identifier]["unified_job_template"]["name"] for identifier in chain]
    assert names[:1] + names[2:] == [GATE, MIGRATE, IDMAPPING]
    approval = nodes[chain[1]]["unified_job_template"]
    assert approval["timeout"]
    # no failure or always path leads around the approval
    for node in nodes.values():
        assert not node.get("related", {}).get("failure_nodes") and not node.get("related", {}).get("always_nodes")
        assert "extra_data" not in node  # AWX lets the workflow survey override a node's extra_data

    survey = {question["variable"]: question for question in workflow["survey_spec"]["spec"]}
    options = _specs()["main"]["options"]
    for name, question in survey.items():
        _check_question(question, options[name])
    # AWX gives the workflow's extra vars precedence over set_stats artifacts and over what a job
    # template fixes: the survey asks neither
    assert not set(survey) & set(SET_STATS)
    jobs = [templates[nodes[identifier]["unified_job_template"]["name"]] for identifier in chain if identifier != chain[1]]
    for template in jobs:
        assert not set(survey) & set(template.get("extra_vars", {})), template["name"]
    # every required question without a default of a job in the chain is answered by the workflow
    # survey or handed over by the role's set_stats of an earlier node (the job and check task by
    # the gate)
    answered = set(survey)
    for index, template in enumerate(jobs):
        for question in template["survey_spec"]["spec"]:
            if question["required"] and question.get("default") in (None, ""):
                handed_over = index > 0 and question["variable"] in SET_STATS
                assert question["variable"] in answered or handed_over, (template["name"], question["variable"])
