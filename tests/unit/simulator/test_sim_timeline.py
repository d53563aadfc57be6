"""Status-tree timeline: levels, missing levels, poll and seconds clocks, eventual consistency."""

import time

import pytest

CHECKS = {
    "AnonPermission": {"outcome": "FAILED", "message": "Project settings will allow public access"},
    "DatabaseSize": {"outcome": "SUCCESS"},
}
MIGRATE_TREE = {
    "finish": 4,
    "children": {
        "check": {"finish": 1, "children": {"DatabaseSize": {}}},
        "migrate": {
            "start": 1,
            "children": {
                "projects": {"children": {"ABC": {"progress": [{"name": "Issues", "total": 200}]}}},
                "apps": {"appear": 2, "finish": 7, "progress": [{"name": "Apps", "total": 3}]},
            },
        },
    },
}


def test_level_navigates_to_any_depth(simulator, client, task_scenario):
    api = client(simulator(task_scenario(MIGRATE_TREE, "migrate", clock="seconds")))
    api.sim.advance(10)
    assert api.status(level="check").json()["data"]["status"] == "FINISHED"
    assert api.status(level="check,DatabaseSize").json()["data"] == {"status": "FINISHED", "outcome": "SUCCESS"}
    assert api.status(level="migrate,projects,ABC").json()["data"]["outcome"] == "SUCCESS"
    children = api.status(level="migrate", expandChildren="true").json()["data"]["children"]
    assert sorted(children) == ["apps", "projects"]
    assert children["projects"]["children"]["ABC"]["status"] == "FINISHED"  # whole subtree
    assert sorted(api.status(expandChildren="true").json()["data"]["children"]) == ["check", "migrate"]


@pytest.mark.parametrize("mode", ["not_found", "empty"])
def test_missing_level_modes(simulator, client, task_scenario, mode):
    api = client(simulator(task_scenario({"children": CHECKS}, missing_level=mode)))
    response = api.status(level="check,NoSuchCheck")
    if mode == "not_found":
        assert response.status_code == 404
        assert response.json()["status"] == 404 and response.json()["id"]
    else:
        assert response.status_code == 200
        assert response.json()["data"] == {}
    assert api.status(level="AnonPermission").status_code == 200


def test_polls_clock_advances_once_per_uncursored_read(simulator, client, task_scenario):
    tree = {"start": 2, "finish": 4, "running_message": "Preflight checks are running", "children": CHECKS}
    api = client(simulator(task_scenario(tree, pagination={"status_page_size": 1})))
    first = api.status().json()["data"]
    assert first == {"status": "PENDING"}  # tick 1 < start
    second = api.status(expandChildren="true").json()  # tick 2: running
    assert second["data"]["status"] == "IN_PROGRESS"
    assert second["data"]["message"] == "Preflight checks are running"
    assert "outcome" not in second["data"]
    for _attempt in range(5):  # following pages never advance the clock
        page = api.get(second["links"]["next"]).json()
        assert page["data"]["status"] == "IN_PROGRESS"
    third = api.status().json()["data"]  # tick 3
    assert third["status"] == "IN_PROGRESS"
    fourth = api.status().json()["data"]  # tick 4
    assert fourth["status"] == "FINISHED" and fourth["outcome"] == "FAILED"
    assert api.sim.state["jobs"][0]["tasks"][0]["tick"] == 4


def test_seconds_clock_with_advance(simulator, client, task_scenario):
    tree = {"start": 100, "finish": 200, "progress": [{"name": "Preflight Checks", "total": 40}], "children": CHECKS}
    api = client(simulator(task_scenario(tree, clock={"mode": "seconds", "speed": 1})))
    assert api.status().json()["data"]["status"] == "PENDING"
    assert api.status().json()["data"]["status"] == "PENDING"  # reads do not move time
    api.sim.advance(130)
    data = api.status().json()["data"]
    assert data["status"] == "IN_PROGRESS"
    progress = data["progressDetails"]
    assert progress["isSupported"] is True
    assert 30 <= progress["percent"] <= 31
    assert progress["data"] == [{"name": "Preflight Checks", "total": 40, "processed": 12}]
    api.post("/_sim/clock", json={"advance": 100})  # the admin endpoint moves the same clock
    data = api.status().json()["data"]
    assert data["status"] == "FINISHED" and "progressDetails" not in data


def test_speed_accelerates_the_seconds_clock(simulator, client, task_scenario):
    api = client(simulator(task_scenario({"finish": 30}, clock={"mode": "seconds", "speed": 200})))
    time.sleep(0.3)
    assert api.status().json()["data"]["status"] == "FINISHED"


def test_eventual_consistency_root_and_children_appear_late(simulator, client, task_scenario):
    tree = {"appear": 2, "finish": 5, "children": {"early": {}, "late": {"appear": 3}}}
    api = client(simulator(task_scenario(tree)))
    assert api.status().status_code == 404  # tick 1: the task's status is not visible yet
    children = api.status(expandChildren="true").json()["data"]["children"]  # tick 2
    assert list(children) == ["early"]
    assert api.status(level="late").status_code == 200  # tick 3


def test_apps_finish_after_the_root(simulator, client, task_scenario):
    api = client(simulator(task_scenario(MIGRATE_TREE, "migrate")))
    for _attempt in range(3):
        api.status()
    root = api.status(expandChildren="true").json()["data"]  # tick 4
    assert root["status"] == "FINISHED"
    apps = api.status(level="migrate,apps").json()["data"]  # tick 5
    assert apps["status"] == "IN_PROGRESS"
    assert apps["progressDetails"]["data"][0]["name"] == "Apps"
    assert "outcome" not in apps
    assert api.status(level="migrate").json()["data"]["status"] == "FINISHED"  # inherited finish 4
    api.status()
    assert api.status(level="migrate,apps").json()["data"]["status"] == "FINISHED"  # tick 7


def test_nodes_without_progress_report_unsupported_while_running(simulator, client, task_scenario):
    api = client(simulator(task_scenario({"finish": 3, "children": {"a": {}}})))
    data = api.status(expandChildren="true").json()["data"]
    assert data["progressDetails"] == {"isSupported": False}
    assert data["children"]["a"]["progressDetails"] == {"isSupported": False}


def test_generated_children_spread_finish_and_message_by_outcome(simulator, client, task_scenario):
    gen = {"count": 4, "name": "ISSUE-{i:05d}", "outcome": "WARNING", "finish": [1, 4]}
    tree = {"message": {"WARNING": "passed with warning"}, "finish": 4, "generate": gen}
    api = client(simulator(task_scenario(tree)))
    children = api.status(expandChildren="true").json()["data"]["children"]  # tick 1
    assert list(children) == ["ISSUE-00001", "ISSUE-00002", "ISSUE-00003", "ISSUE-00004"]
    assert [c["status"] for c in children.values()] == ["FINISHED", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"]
    api.status()
    api.status()
    data = api.status().json()["data"]  # tick 4
    assert data == {"status": "FINISHED", "outcome": "WARNING", "message": "passed with warning"}


def test_unfinished_forever_with_null_finish(simulator, client, task_scenario):
    api = client(simulator(task_scenario({"finish": None}, clock="seconds")))
    api.sim.advance(10**6)
    assert api.status().json()["data"]["status"] == "IN_PROGRESS"


def test_check_task_level_check_names_the_root(simulator, client, task_scenario):
    api = client(simulator(task_scenario({"finish": 1, "children": CHECKS})))
    root = api.status(expandChildren="true").json()["data"]
    assert api.status(level="check", expandChildren="true").json()["data"] == root
    assert api.status(level="check,AnonPermission").json()["data"]["outcome"] == "FAILED"
