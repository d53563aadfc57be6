# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.migrationops.atlassian.plugins.plugin_utils._report import summary_data, summary_sections, waves_table
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._summary import (
    gate_failure,
    job_declaration,
    missing_variables,
    check_mode_skip,
    overridden_checks,
    override_problem,
    plan_steps,
    timeout_failure,
    variable_problems,
)
from ansible_collections.migrationops.atlassian.plugins.plugin_utils._waves import waves_problems

ALL = ["attach", "job", "check", "migrate", "idmapping"]


@pytest.mark.parametrize(
    "settings, steps",
    [
        ({}, ["check", "migrate", "idmapping"]),  # a playbook of 0.1
        ({"server_url": "https://jira"}, ["attach", "check", "migrate", "idmapping"]),
        ({"job": True}, ["job", "check"]),  # nothing moves without start_migration
        ({"job": True, "start_migration": True}, ["job", "check", "migrate", "idmapping"]),
        ({"job": True, "job_id": "j1", "migrate_task_id": "m1"}, ["check", "migrate", "idmapping"]),
    ],
)
def test_plan_steps(settings, steps):
    assert plan_steps(ALL, "main", **settings) == steps


def test_plan_steps_keeps_the_order_and_entry_points_run_alone():
    assert plan_steps("idmapping, check", "main") == ["check", "idmapping"]
    assert plan_steps(ALL, "check", job=True) == ["check"]


def test_missing_variables_in_step_order_and_a_created_job_stands_for_the_job_id():
    values = {"cloud_migration_job_id": "", "cloud_migration_product": None, "cloud_migration_state_dir": " "}
    assert missing_variables(values, ["check", "idmapping"])[:2] == ["cloud_migration_job_id", "cloud_migration_product"]
    assert missing_variables(values, ["job", "check"]) == ["cloud_migration_state_dir"]


def test_overridden_checks_expand_the_word_excludable_once():
    check = {"excludable_failures": ["AnonPermission", "AppsNotInstalledOnCloud"]}
    assert overridden_checks(["excludable", "AnonPermission", "Extra"], check) == ["AnonPermission", "AppsNotInstalledOnCloud", "Extra"]
    assert overridden_checks("excludable", None) == [] and overridden_checks([], check) == []


def node(name, outcome, excludable=False, level=None):
    return {"level": level or name, "name": name, "status": "FINISHED", "outcome": outcome, "message": "%s message" % name, "excludable": excludable}


def check_result(*nodes, **extra):
    result = {
        "finished": True,
        "task_id": "t1",
        "job_id": "j1",
        "level": [],
        "status": "FINISHED",
        "outcome": "FAILED",
        "message": "failed",
        "nodes": list(nodes),
        "excludable_failures": [n["name"] for n in nodes if n["outcome"] == "FAILED" and n["excludable"]],
        "missing_levels": [],
        "counts": {},
    }
    result.update(extra)
    return result


def test_the_gate_passes_when_every_failed_check_is_overridden():
    result = check_result(node("AnonPermission", "FAILED", True), node("DatabaseSize", "SUCCESS"))
    assert "AnonPermission (FAILED, excludable)" in gate_failure(result, ["FAILED"])
    assert gate_failure(result, ["FAILED", "INCOMPLETE"], ["AnonPermission"]) == ""
    assert gate_failure(dict(result, finished=False), ["FAILED"]) == "" and gate_failure(result, []) == ""


def test_the_gate_fails_on_the_others_naming_only_them():
    result = check_result(node("AnonPermission", "FAILED", True), node("CloudFreeUserLimit", "FAILED"))
    message = gate_failure(result, ["FAILED"], ["AnonPermission", "CloudFreeUserLimit"])
    assert "CloudFreeUserLimit (FAILED, not excludable)" in message and "AnonPermission" not in message


def test_a_refused_task_root_fails_the_gate():
    assert "finished with outcome FAILED (failed)" in gate_failure(check_result(), ["failed"])


def test_timeout_failure_names_phase_status_and_unfinished_levels():
    result = {"timed_out": True, "elapsed": 3.2, "polls": 4, "task_id": None, "job_id": "j1", "level": [], "status": None, "unfinished": [""]}
    assert timeout_failure(result, "check", 3) == (
        "check: not finished after 00:00:03 (cloud_migration_wait_timeout is 3 s, 4 status reads); "
        "task (not listed yet) of job j1 at level (task root) was last not visible; unfinished: (task root)"
    )
    idm = {"timed_out": True, "elapsed": 61, "polls": 9, "job_id": "r1", "status": "IN_PROGRESS", "last_problem": "HTTP 503"}
    assert timeout_failure(idm, "idmapping", 60, "/r.csv").endswith(
        "job r1 was last IN_PROGRESS; it is kept beside /r.csv and resumed by the next run; last problem: HTTP 503"
    )
    assert timeout_failure({"timed_out": False}, "check", 3) == ""


def context(**extra):
    check = check_result(
        node("AnonPermission", "FAILED", True), node("Big|Pipe", "WARNING"), elapsed=61.4, polls=3, counts={"FAILED": 1, "WARNING": 1}
    )
    data = {
        "result": {"check": check, "job": {"job_id": "j1", "created": True}},
        "steps": ["job", "check"],
        "job_id": "j1",
        "overridden": ["AnonPermission"],
    }
    data.update(extra)
    return data


def test_summary_data_and_sections():
    summary = summary_data(context())
    assert summary["steps"] == ["job", "check"] and summary["result"] == "PASSED" and summary["job"] == {"job_id": "j1", "created": True}
    assert summary["check"]["overridden"] == ["AnonPermission"] and summary["check"]["timing"] == {"seconds": 61, "waited": "00:01:01", "polls": 3}
    sections = summary_sections(summary)
    assert sections[0]["blocks"][0]["rows"][0] == ["Migration job", "`j1` (created by this role)"]
    check = next(s for s in sections if s["title"] == "Check")
    texts = [b["text"] for b in check["blocks"] if "text" in b]
    assert "Overridden checks (sent as `excludeKeys` on the Migrate task): AnonPermission" in texts
    rows = next(b for b in check["blocks"] if "rows" in b and b["header"][0] == "Check")["rows"]
    assert ["Big\\|Pipe", "WARNING", "no", "Big|Pipe message".replace("|", "\\|")] in rows
    assert [s["title"] for s in sections] == [None, "Check", "Timings"]


def test_summary_keeps_earlier_timings_of_unchanged_steps_and_ignores_a_broken_earlier_file():
    first = summary_data(context())
    rerun = context()
    rerun["result"]["check"] = dict(rerun["result"]["check"], elapsed=0.2, polls=1)
    assert summary_data(rerun, json.dumps(first))["check"]["timing"] == first["check"]["timing"]
    assert summary_data(rerun, "{not json")["check"]["timing"]["polls"] == 1
    failed = summary_data(context(failure="gate"))
    assert failed["result"] == "FAILED" and [s["title"] for s in summary_sections(failed)][1] == "Why it failed"


def test_waves_table():
    hostvars = {
        "w1": {
            "cloud_migration_result": {"job_id": "j1", "check": {}, "migrate": {"status": "FINISHED", "outcome": "SUCCESS"}},
            "migration_wave_report_dir": "/o/w1/",
        },
        "w2": {"cloud_migration_result": {"job_id": "j2", "check": {"status": "FINISHED", "outcome": "FAILED"}}, "migration_wave_failure": "gate"},
        "w3": {},
    }
    table = waves_table(hostvars, ["w1", "w2", "w3"])
    assert [(r["host"], r["outcome"], r["steps"]) for r in table["hosts"]] == [
        ("w1", "PASSED", ["check", "migrate"]),
        ("w2", "FAILED", ["check"]),
        ("w3", "NOT RUN", []),
    ]
    assert table["hosts"][0]["summary"] == "/o/w1/summary.md" and table["hosts"][1]["migration_outcome"] == "FAILED" and table["result"] == "FAILED"


def test_job_declaration_accepts_a_mapping_or_the_json_text_an_awx_survey_sends():
    declared = {"name": "wave 1", "product": "JIRA", "scope": {"projects": {"includedKeys": ["ABC"]}}}
    assert job_declaration(declared) is declared
    assert job_declaration(json.dumps(declared)) == declared
    assert job_declaration("") == {}
    assert job_declaration(None) == {}


@pytest.mark.parametrize("text", ["[1, 2]", "just words", "{unclosed: [", "42"])
def test_job_declaration_refuses_text_that_is_not_a_mapping(text):
    with pytest.raises(AnsibleFilterError, match="cloud_migration_job"):
        job_declaration(text)


def test_the_word_excludable_needs_a_finished_check_result():
    finished = check_result(node("AnonPermission", "FAILED", True))
    assert override_problem(["AnonPermission"], None, "j1") == ""  # named checks need no check result
    assert override_problem(["excludable"], finished, "j1") == ""
    missing = override_problem("excludable", {"changed": False, "task_id": None, "msg": "job j1 has no check task (among 0 tasks)"}, "j1")
    assert missing.startswith("cloud_migration_override_checks asks for excludable")
    assert "job j1 has no check task (among 0 tasks)" in missing and "no migrate task was created" in missing
    running = override_problem(["excludable"], dict(finished, finished=False, status="IN_PROGRESS"), "j1")
    assert "check task t1 of job j1 is not finished (IN_PROGRESS)" in running
    assert "could not be read" in override_problem(["excludable"], None, "j1")


def job(**changes):
    declared = {
        "name": "wave 1",
        "product": "jira",
        "server_id": "SRV-1",
        "destination_url": "https://acme.atlassian.net/",
        "scope": {"projects": {"includedKeys": ["ABC"], "includedData": "all"}},
    }
    declared.update(changes)
    return declared


def test_variable_problems_check_the_declared_job_before_any_request():
    values = {"cloud_migration_state_dir": "/s", "cloud_migration_server_url": "https://jira"}
    assert variable_problems(values, ["attach", "job"], 30, 60, 5, job()) == []
    bad = variable_problems(values, ["attach", "job"], 30, 60, 5, job(scope={"projects": {"includedData": "all"}}))
    assert bad == ["cloud_migration_job: scope.projects needs includedKeys"]
    assert variable_problems(values, ["attach", "job"], 30, 60, 5, {"name": "x"}) == [
        "cloud_migration_job: product must be JIRA or CONFLUENCE (any case), got None"
    ]
    assert "cloud_migration_job: destination_url" in variable_problems(values, ["job"], 30, 60, 5, job(destination_url="acme"))[0]
    # a declaration is only checked when the job step runs (a cloud_migration_job_id wins)
    assert variable_problems(dict(values, cloud_migration_job_id="j1"), ["check"], 30, 60, 5, {"name": "x"}) == []


def test_check_mode_skips_the_wait_for_what_it_would_create():
    created = {"changed": True, "task_id": None, "task_type": "check", "created": False}
    assert check_mode_skip(False, "check", "", created) == ""
    assert check_mode_skip(True, "check", "", {"skipped": True}) == (
        "check mode: the migration job would be created, so the check step has no task to wait for"
    )
    assert check_mode_skip(True, "migrate", "j1", dict(created, task_type="migrate")) == (
        "check mode: the migrate task would be created on job j1, so the migrate step does not wait for it"
    )
    assert check_mode_skip(True, "check", "j1", {"changed": False, "task_id": "t1"}) == ""
    assert check_mode_skip(True, "check", "j1", {"skipped": True}) == ""
    assert check_mode_skip(True, "check", "j1", None) == ""


def test_waves_problems_refuse_identical_declarations_and_warn_on_shared_names():
    hostvars = {
        "w1": {"cloud_migration_job": job()},
        "w2": {"cloud_migration_job": job(product="JIRA", destination_url="https://acme.atlassian.net")},  # the same job
        "w3": {"cloud_migration_job": job(scope={"projects": {"includedKeys": ["OPS"]}})},  # same name, other scope
        "w4": {"cloud_migration_job_id": "j4"},
        "w5": {"cloud_migration_job": json.dumps(job(name="wave 5"))},
    }
    found = waves_problems(hostvars, ["w1", "w2", "w3", "w4", "w5"])
    assert found["errors"] == ["w1 and w2 declare the same migration job (wave 1): each would create a job of its own"]
    assert found["warnings"] == ["w1, w2 and w3 declare jobs of the same name (wave 1)"]
    assert waves_problems(hostvars, ["w1", "w3", "w4", "w5"])["errors"] == []


def test_waves_problems_refuse_a_state_directory_that_changes_with_every_awx_job():
    hostvars = {"w1": {"cloud_migration_job": job()}, "w2": {"cloud_migration_job": job(name="two"), "cloud_migration_state_dir": "/s/w2"}}
    errors = waves_problems(hostvars, ["w1", "w2"], "/var/lib/migration/4711", "4711")["errors"]
    assert errors == [
        "the state directory of w1 (/var/lib/migration/4711/w1) holds the AWX job ID 4711, so a relaunch would not find the jobs "
        "it created and would create them again: set migration_waves_state_dir (or cloud_migration_state_dir) to a fixed path"
    ]
    assert waves_problems(hostvars, ["w1", "w2"], "/var/lib/migration/state", "4711")["errors"] == []
    assert waves_problems(hostvars, ["w1", "w2"], "/var/lib/migration/4711", "")["errors"] == []
