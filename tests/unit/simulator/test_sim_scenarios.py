"""Scenario loading and validation, and the content and timeline of the bundled scenarios."""

import pytest

try:  # repository checkout
    from tests import simulator as package
except ImportError:  # build copy
    from ansible_collections.migrationops.atlassian.tests import simulator as package

DEMO_JOB = "7d0b2a4e-5c3f-4e1a-9b8d-6f2c1e0a9b17"
DEMO_CHECK = "00000132-0319-a3cb-a391-52d37934d001"
DEMO_MIGRATE = "00000132-0319-a3cb-a391-52d37934d002"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"clock": "hours"}, "clock.mode"),
        ({"pagination": {"next_style": "weird"}}, "pagination.next_style"),
        ({"pagination": {"page_overlap": 50}}, "page_overlap"),
        ({"bogus": 1}, "unknown key(s) bogus"),
        ({"jobs": [{"tasks": [{"type": "check", "tree": {"outcome": "GREAT"}}]}]}, "jobs[0].tasks[0].tree.outcome"),
        ({"jobs": [{"tasks": [{"type": "check", "tree": {"children": {"a": {"finish": -1}}}}]}]}, "children.a.finish"),
        ({"jobs": [{"tasks": [{"type": "check", "created_at": "yesterday"}]}]}, "created_at"),
        ({"jobs": [{"tasks": [{"type": "check", "tree": {"generate": {"count": 2}}}]}]}, "generate[0]"),
        ({"idmapping": {"jobs": [{"result": "DONE"}]}}, "idmapping.jobs[0].result"),
        ({"idmapping": {"jobs": [{"report": {"rows": 1, "size_bytes": 2}}]}}, "exactly one of rows, size_bytes"),
        ({"faults": [{"kind": "slow", "delay": "x"}]}, "faults[0].delay"),
        ({"rate_limits": {"create_per_window": -1}}, "rate_limits.create_per_window"),
    ],
)
def test_scenario_validation_errors_name_the_location(overrides, fragment):
    with pytest.raises(package.ScenarioError) as raised:
        package.Simulator("basic", overrides=overrides)
    assert fragment in str(raised.value)


def test_scenarios_load_by_name_path_and_dict(tmp_path):
    assert {"basic", "demo", "failing-checks"} <= set(package.available_scenarios())
    path = tmp_path / "mine.yml"
    path.write_text("clock: seconds\njobs: [{job_id: j, tasks: [{type: check}]}]\n", encoding="utf-8")
    loaded = package.load_scenario(str(path))
    assert loaded["name"] == "mine" and loaded["clock"] == {"mode": "seconds", "speed": 1}
    assert loaded["pagination"]["status_page_size"] == 50
    assert package.load_scenario({"jobs": []}, overrides={"missing_level": "empty"})["missing_level"] == "empty"
    with pytest.raises(package.ScenarioError, match="unknown scenario"):
        package.load_scenario("no-such-scenario")
    merged = package.deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}})
    assert merged == {"a": {"b": 1, "c": [2]}}


def test_bundled_scenarios_have_the_documented_content():
    demo = package.load_scenario("demo")
    assert demo["clock"]["mode"] == "seconds"
    migrate = demo["jobs"][0]["tasks"][1]["tree"]["children"]["migrate"]["children"]
    assert {"projects", "usersAndGroups", "jsm", "apps"} <= set(migrate)
    assert {"ABC", "OPS", "HR", "FIN"} <= set(migrate["projects"]["children"])
    assert demo["idmapping"]["jobs"][0]["report"] == {"rows": 50000}
    failing = package.load_scenario("failing-checks")["jobs"][0]["tasks"][0]["tree"]["children"]
    assert failing["AnonPermission"]["details"]["excludable"] is True
    assert failing["CloudFreeUserLimit"]["details"]["excludable"] is False


def test_demo_timeline(simulator, client):
    api = client(simulator("demo"))
    assert api.status(DEMO_JOB, DEMO_MIGRATE, level="migrate").status_code == 404  # appears after 120 s
    api.sim.advance(300)
    check = api.status(DEMO_JOB, DEMO_CHECK, expandChildren="true").json()["data"]
    assert check["status"] == "IN_PROGRESS" and 45 <= check["progressDetails"]["percent"] <= 55
    finished = [name for name, node in check["children"].items() if node["status"] == "FINISHED"]
    assert "AdvancedRoadmapsOutdated" in finished and "MissingAttachments" not in finished
    api.sim.advance(700)  # 1000 s
    assert api.status(DEMO_JOB, DEMO_CHECK).json()["data"]["outcome"] == "WARNING"
    assert api.status(DEMO_JOB, DEMO_MIGRATE, level="check").json()["data"]["status"] == "FINISHED"
    users = api.status(DEMO_JOB, DEMO_MIGRATE, level="migrate,usersAndGroups").json()["data"]
    assert users["status"] == "IN_PROGRESS" and users["progressDetails"]["data"][0]["name"] == "Users"
    api.sim.advance(2100)  # 3100 s: core done, apps running
    root = api.status(DEMO_JOB, DEMO_MIGRATE).json()["data"]
    assert root["status"] == "FINISHED" and root["outcome"] == "SUCCESS"
    migrate = api.status(DEMO_JOB, DEMO_MIGRATE, level="migrate", expandChildren="true").json()["data"]
    assert sorted(migrate["children"]["projects"]["children"]) == ["ABC", "FIN", "HR", "OPS"]
    assert migrate["children"]["apps"]["status"] == "IN_PROGRESS"
    assert migrate["children"]["projects"]["status"] == "FINISHED"
    api.sim.advance(1300)  # 4400 s
    assert api.status(DEMO_JOB, DEMO_MIGRATE, level="migrate,apps").json()["data"]["status"] == "FINISHED"
