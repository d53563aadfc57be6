"""Status-tree content of 0.2: root-only refusals, outcomes INCOMPLETE and CANCELLED, status SUSPENDED."""

import pytest

try:  # repository checkout
    from tests.simulator import ScenarioError, load_scenario
except ImportError:  # build copy
    from ansible_collections.migrationops.atlassian.tests.simulator import ScenarioError, load_scenario

REFUSED_JOBS = ("refused-not-attached", "refused-task-running", "refused-migrated", "refused-app-keys", "refused-empty-scope")


def test_refusals_scenario_has_root_only_trees(simulator, client):
    api = client(simulator("refusals"))
    for job in REFUSED_JOBS:
        root = api.status(job, job + "-migrate", expandChildren="true").json()["data"]
        assert root["status"] == "FINISHED" and root["outcome"] == "FAILED" and root["message"]
        assert root.get("children", {}) == {}
        missing = api.status(job, job + "-migrate", level="check")
        assert missing.status_code == 404 and "Level not found" in missing.json()["errorMessage"]
    assert "Task already running for given jobId" in api.status("refused-task-running", "refused-task-running-migrate").json()["data"]["message"]


def test_new_outcomes_and_suspended_status_over_time(simulator, client):
    api = client(simulator("refusals"))
    task = ("cancelled-migration", "cancelled-migration-migrate")
    seen = []
    for dummy in range(4):
        data = api.status(*task, level="migrate", expandChildren="true").json()["data"]
        seen.append((data["status"], data.get("outcome"), data["children"]["usersAndGroups"]["status"]))
    assert seen[0] == ("IN_PROGRESS", None, "IN_PROGRESS")
    assert seen[1][2] == "SUSPENDED" and seen[2][2] == "SUSPENDED"
    assert seen[3] == ("FINISHED", "CANCELLED", "FINISHED")
    children = api.status(*task, level="migrate", expandChildren="true").json()["data"]["children"]
    assert children["apps"]["outcome"] == "INCOMPLETE" and children["usersAndGroups"]["outcome"] == "CANCELLED"
    assert api.status(*task).json()["data"]["message"] == "Migration was cancelled"


def test_outcomes_are_sent_in_the_case_written(simulator, client, task_scenario):
    api = client(simulator(task_scenario({"outcome": "auto", "children": {"a": {"outcome": "cancelled"}, "b": {"outcome": "Warning"}}})))
    data = api.status(expandChildren="true").json()["data"]
    assert data["outcome"] == "CANCELLED" and data["children"]["a"]["outcome"] == "cancelled" and data["children"]["b"]["outcome"] == "Warning"


@pytest.mark.parametrize(
    "tree,fragment",
    [
        ({"outcome": "BROKEN"}, "outcome"),
        ({"suspend": 3}, "suspend"),
        ({"suspend": [3, 1]}, "suspend[1]"),
        ({"message": {"PARTIAL": "x"}}, "message"),
    ],
)
def test_bad_new_node_fields_are_refused(tree, fragment):
    with pytest.raises(ScenarioError, match=r"tree\.%s" % fragment.replace("[", r"\[").replace("]", r"\]")):
        load_scenario({"jobs": [{"job_id": "j", "tasks": [{"type": "check", "tree": tree}]}]})
