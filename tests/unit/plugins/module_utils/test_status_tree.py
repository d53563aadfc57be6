# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import (
    flat_nodes,
    merge_nodes,
    parse_level,
    progress,
    summarize,
    unfinished_levels,
    validate_node,
)

SEVEN_KEYS = {"SUCCESS": 0, "WARNING": 0, "FAILED": 0, "SKIPPED": 0, "INCOMPLETE": 0, "CANCELLED": 0, "IN_PROGRESS": 0}


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
    assert "B" in page2["children"] and page2["children"]["C"] is merged["children"]["C"]  # the page is adopted, not copied


def test_merge_is_in_place_so_many_pages_cost_what_they_hold():
    first = node("IN_PROGRESS", None, children={"P0": node()})
    children = first["children"]
    merged = first
    for index in range(1, 50):
        merged = merge_nodes(merged, node("IN_PROGRESS", None, children={"P%d" % index: node()}))
    assert merged is first and merged["children"] is children and len(children) == 50


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


def test_counts_always_have_the_seven_keys():
    assert summarize(node(), []).counts == SEVEN_KEYS
    counts = summarize(MIGRATE, ["migrate"]).counts
    assert counts == dict(SEVEN_KEYS, SUCCESS=2, WARNING=1, FAILED=1, IN_PROGRESS=1)


def test_counts_keep_undocumented_outcomes_in_upper_case():
    tree = node(children={"a": node("FINISHED", "Error"), "b": node("FINISHED", None), "c": node("FINISHED", "ERROR")})
    counts = summarize(tree, []).counts
    assert counts["ERROR"] == 2 and counts["UNKNOWN"] == 1 and "Error" not in counts
    assert [e["outcome"] for e in summarize(tree, []).unknown] == ["Error", None, "ERROR"]


def test_new_outcomes_and_statuses_counted_without_case():
    tree = node(
        children={
            "inc": node("FINISHED", "INCOMPLETE"),
            "can": node("finished", "cancelled"),
            "fail": node("Finished", "failed"),
            "warn": node("FINISHED", "Warning"),
            "susp": node("SUSPENDED", None),
            "pend": node("PENDING", None),
        }
    )
    summary = summarize(tree, ["migrate"])
    assert summary.counts == dict(SEVEN_KEYS, INCOMPLETE=1, CANCELLED=1, FAILED=1, WARNING=1, IN_PROGRESS=2)
    assert summary.failed_levels == ["migrate,fail"] and summary.warning_levels == ["migrate,warn"]
    assert summary.unfinished == ["migrate,susp", "migrate,pend"] and summary.unknown == []
    assert unfinished_levels(node("SUSPENDED", None), ["migrate"], summary, include_children=False) == ["migrate"]


@pytest.mark.parametrize("value,expected", [(True, True), ("true", False), (1, False), ("True", False), (False, False), (None, False)])
def test_excludable_only_when_json_true(value, expected):
    tree = node(children={"AnonPermission": node("FINISHED", "FAILED", details={"excludable": value})})
    summary = summarize(tree, ["check"])
    assert summary.nodes[0]["excludable"] is expected
    assert summary.excludable_failures == (["AnonPermission"] if expected else [])


def test_summary_without_nodes_keeps_only_what_a_gate_lists():
    full = summarize(MIGRATE, ["migrate"])
    lean = summarize(MIGRATE, ["migrate"], keep_nodes=False)
    assert [e["level"] for e in lean.nodes] == ["migrate,projects,OPS", "migrate,usersAndGroups"]
    for key in ("counts", "failed_levels", "warning_levels", "excludable_failures", "unfinished"):
        assert getattr(lean, key) == getattr(full, key)


def test_a_summary_only_walk_counts_every_case_and_descends_below_successful_nodes():
    tree = node(
        children={
            "ok": node(),
            "lower": node("finished", "success"),
            "running": node("IN_PROGRESS", "SUCCESS"),
            "scope": node(children={"deep": node(children={"bad": node("FINISHED", "FAILED", details={"excludable": True})})}),
            "late": node("FINISHED", "Warning"),
        }
    )
    full = summarize(tree, ["check"])
    lean = summarize(tree, ["check"], keep_nodes=False)
    assert lean.counts == dict(SEVEN_KEYS, SUCCESS=4, FAILED=1, WARNING=1, IN_PROGRESS=1) == full.counts
    assert lean.failed_levels == ["check,scope,deep,bad"] and lean.excludable_failures == ["bad"]
    assert lean.unfinished == ["check,running"] and lean.warning_levels == ["check,late"]
    assert [e["level"] for e in lean.nodes] == ["check,scope,deep,bad", "check,late"]
    for key in ("counts", "failed_levels", "warning_levels", "excludable_failures", "unfinished"):
        assert getattr(lean, key) == getattr(full, key)


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
    summary = summarize(MIGRATE, ["migrate"])
    assert unfinished_levels(MIGRATE, ["migrate"], summary, include_children=False) == ["migrate"]
    assert unfinished_levels(MIGRATE, ["migrate"], summary, include_children=True) == ["migrate", "migrate,apps"]
    done = node(children={"apps": node("IN_PROGRESS", None)})
    assert unfinished_levels(done, ["migrate"], summarize(done, ["migrate"]), include_children=False) == []


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


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            {"status": "FINISHED", "children": {"A": {"children": {"B%s": {"outcome": 3}}}}},
            "'outcome' of status tree node data.children.A.children.B%s is not",
        ),
        ({"children": {"A": {}, "B": []}}, "status tree node data.children.B is list, not an object"),
        ({"children": {"A": {"children": {"C": {"details": "x"}}}}}, "'details' of status tree node data.children.A.children.C is not an object"),
        ({"children": {"A": {"children": 7}}}, "'children' of status tree node data.children.A is not an object"),
        ({"status": 5}, "'status' of status tree node data is not a string"),
    ],
)
def test_validate_node_names_where_the_malformed_node_is(bad, message):
    with pytest.raises(UnexpectedResponseError) as info:
        validate_node(bad)
    assert message in str(info.value)


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


def test_validate_node_counts_the_nodes_it_checked():
    assert validate_node({"status": "FINISHED"}) == 1
    assert validate_node({"children": {"A": {"children": {"B": {}, "C": {"children": None}}}, "D": {}}}) == 5
