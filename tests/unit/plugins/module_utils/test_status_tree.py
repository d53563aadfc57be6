# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import (
    count_outcomes,
    flat_nodes,
    merge_nodes,
    parse_level,
    progress,
    unfinished_levels,
    validate_node,
)


def node(status="FINISHED", outcome="SUCCESS", **extra):
    data = {"status": status, "outcome": outcome}
    data.update(extra)
    return data


MIGRATE = node(
    "IN_PROGRESS",
    None,
    children={
        "projects": node(children={"ABC": node(), "OPS": node("FINISHED", "FAILED", message="2 issues failed")}),
        "apps": node("IN_PROGRESS", None),
        "usersAndGroups": node("FINISHED", "WARNING"),
    },
)


@pytest.mark.parametrize(
    "value,expected",
    [(None, []), ([], []), ("check", ["check"]), ("check,AnonPermission", ["check", "AnonPermission"]), ([" migrate ", "apps"], ["migrate", "apps"])],
)
def test_parse_level(value, expected):
    assert parse_level(value) == expected


@pytest.mark.parametrize("value", ["check,", ",", ["migrate", ""]])
def test_parse_level_refuses_empty_names(value):
    with pytest.raises(ValueError):
        parse_level(value)


def test_merge_children_by_name_over_overlapping_pages():
    page1 = node("IN_PROGRESS", None, message="old", children={"A": node(), "B": node("IN_PROGRESS", None)})
    page2 = node("FINISHED", "WARNING", message="new", children={"B": node("FINISHED", "WARNING"), "C": node()})
    merged = merge_nodes(page1, page2)
    assert list(merged["children"]) == ["A", "B", "C"]
    assert merged["children"]["B"]["outcome"] == "WARNING"
    assert merged["message"] == "new" and merged["status"] == "FINISHED"
    assert "C" not in page1["children"]  # inputs are not modified


def test_merge_nested_children():
    page1 = {"children": {"projects": {"status": "IN_PROGRESS", "children": {"ABC": node()}}}}
    page2 = {"children": {"projects": {"status": "IN_PROGRESS", "children": {"OPS": node()}}}}
    assert list(merge_nodes(page1, page2)["children"]["projects"]["children"]) == ["ABC", "OPS"]


def test_flat_nodes_levels_names_and_excludable():
    tree = node(
        children={
            "AnonPermission": node("FINISHED", "FAILED", message="public", details={"excludable": True}),
            "AppLicenseCheck": node("FINISHED", "SKIPPED"),
        }
    )
    nodes = flat_nodes(tree, ["check"])
    assert nodes[0] == {
        "level": "check,AnonPermission",
        "name": "AnonPermission",
        "status": "FINISHED",
        "outcome": "FAILED",
        "message": "public",
        "excludable": True,
    }
    assert nodes[1]["level"] == "check,AppLicenseCheck" and nodes[1]["excludable"] is False


def test_flat_nodes_depth_first_in_api_order():
    levels = [entry["level"] for entry in flat_nodes(MIGRATE, ["migrate"])]
    assert levels == ["migrate,projects", "migrate,projects,ABC", "migrate,projects,OPS", "migrate,apps", "migrate,usersAndGroups"]


def test_flat_nodes_from_root_level():
    assert flat_nodes({"children": {"check": node()}}, [])[0]["level"] == "check"


def test_counts_always_have_the_five_keys():
    assert count_outcomes([]) == {"SUCCESS": 0, "WARNING": 0, "FAILED": 0, "SKIPPED": 0, "IN_PROGRESS": 0}
    counts = count_outcomes(flat_nodes(MIGRATE, ["migrate"]))
    assert counts == {"SUCCESS": 2, "WARNING": 1, "FAILED": 1, "SKIPPED": 0, "IN_PROGRESS": 1}


def test_counts_keep_undocumented_outcomes():
    counts = count_outcomes([{"status": "FINISHED", "outcome": "ERROR"}, {"status": "FINISHED", "outcome": None}])
    assert counts["ERROR"] == 1 and counts["UNKNOWN"] == 1


def test_progress_only_when_supported():
    running = node(
        "IN_PROGRESS",
        None,
        progressDetails={"isSupported": True, "percent": 30, "data": [{"name": "Preflight Checks", "total": 40, "processed": 12}]},
    )
    assert progress(running) == {"percent": 30, "steps": [{"name": "Preflight Checks", "total": 40, "processed": 12}]}
    assert progress(node(progressDetails={"isSupported": False, "percent": 3})) is None
    assert progress(node()) is None


def test_unfinished_levels_node_then_children():
    nodes = flat_nodes(MIGRATE, ["migrate"])
    assert unfinished_levels(MIGRATE, ["migrate"], nodes, include_children=False) == ["migrate"]
    assert unfinished_levels(MIGRATE, ["migrate"], nodes, include_children=True) == ["migrate", "migrate,apps"]
    done = node(children={"apps": node("IN_PROGRESS", None)})
    assert unfinished_levels(done, ["migrate"], flat_nodes(done, ["migrate"]), include_children=False) == []


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "FINISHED",
        {"status": 5},
        {"status": "FINISHED", "children": []},
        {"status": "FINISHED", "children": {"a": "x"}},
        {"status": "FINISHED", "details": "excludable"},
        {"status": "FINISHED", "children": {"a": {"outcome": ["FAILED"]}}},
    ],
)
def test_validate_node_refuses_malformed_shapes(bad):
    with pytest.raises(UnexpectedResponseError):
        validate_node(bad)


def test_validate_node_refuses_absurd_depth():
    deep = node()
    for dummy in range(100):
        deep = node(children={"x": deep})
    with pytest.raises(UnexpectedResponseError) as info:
        validate_node(deep)
    assert "deeper" in str(info.value)


def test_validate_node_accepts_documented_examples():
    validate_node(MIGRATE)
    validate_node(
        {"status": "PENDING", "outcome": "SUCCESS", "message": "<string>", "details": {"occurrences": ["x"], "excludable": True}, "children": {}}
    )
