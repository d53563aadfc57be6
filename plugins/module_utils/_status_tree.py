# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status tree of a migration task, as plain data: validation, page merging and reading it.

A node is ``{status, outcome, message, details, progressDetails, children: {name: node}}``.
Children may be split over pages, and pages may overlap, so children are merged by name.
Nothing here does I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import UnexpectedResponseError

FINISHED = "FINISHED"
OUTCOMES = ("SUCCESS", "WARNING", "FAILED", "SKIPPED")
MAX_DEPTH = 64


def parse_level(value):
    """A level as a list of names; accepts a list or the comma string form ``"check,AnonPermission"``."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    names = [str(name).strip() for name in value]
    if any(not name for name in names):
        raise ValueError("level contains an empty name: %r" % (value,))
    return names


def level_label(level):
    """A level as shown in messages: the comma form, or ``(task root)``."""
    return ",".join(level) if level else "(task root)"


def validate_node(node, where="data", depth=0):
    """Check that ``node`` has the documented shape; raise UnexpectedResponseError naming what is wrong."""
    if depth > MAX_DEPTH:
        raise UnexpectedResponseError("status tree is deeper than %d levels at %s" % (MAX_DEPTH, where))
    if not isinstance(node, dict):
        raise UnexpectedResponseError("status tree node %s is %s, not an object" % (where, type(node).__name__))
    for key in ("status", "outcome", "message"):
        if not isinstance(node.get(key), (str, type(None))):
            raise UnexpectedResponseError("'%s' of status tree node %s is not a string" % (key, where))
    for key in ("details", "progressDetails"):
        if node.get(key) is not None and not isinstance(node[key], dict):
            raise UnexpectedResponseError("'%s' of status tree node %s is not an object" % (key, where))
    children = node.get("children")
    if children is None:
        return
    if not isinstance(children, dict):
        raise UnexpectedResponseError("'children' of status tree node %s is not an object" % where)
    for name, child in children.items():
        validate_node(child, "%s.children.%s" % (where, name), depth + 1)


def merge_nodes(base, page):
    """``base`` updated with ``page``: scalar fields from the newer page, children merged by name."""
    merged = dict(base)
    for key, value in page.items():
        if key == "children" and value is None:
            continue  # a page without children adds none; it does not remove the earlier pages' children
        if key == "children" and isinstance(merged.get("children"), dict):
            children = dict(merged["children"])
            for name, child in value.items():
                children[name] = merge_nodes(children[name], child) if name in children else child
            merged["children"] = children
        else:
            merged[key] = value
    return merged


def is_finished(node):
    return isinstance(node, dict) and node.get("status") == FINISHED


def descendants(node, level):
    """Yield ``(level, name, node)`` for every descendant, depth first, in the API's order."""
    stack = [(list(level), node)]
    while stack:
        path, current = stack.pop()
        children = current.get("children") or {}
        for name, child in reversed(list(children.items())):
            stack.append((path + [name], child))
        if current is not node:
            yield path, path[-1], current


def flat_nodes(node, level):
    """The contract's ``nodes``: one entry per descendant."""
    return [
        {
            "level": ",".join(path),
            "name": name,
            "status": child.get("status"),
            "outcome": child.get("outcome"),
            "message": child.get("message"),
            "excludable": bool((child.get("details") or {}).get("excludable", False)),
        }
        for path, name, child in descendants(node, level)
    ]


def count_outcomes(nodes):
    """Descendants by outcome; unfinished ones count as IN_PROGRESS. The five keys are always present."""
    counts = dict((outcome, 0) for outcome in OUTCOMES + ("IN_PROGRESS",))
    for entry in nodes:
        key = entry["outcome"] if entry["status"] == FINISHED else "IN_PROGRESS"
        key = key or "UNKNOWN"
        counts[key] = counts.get(key, 0) + 1
    return counts


def progress(node):
    """``{percent, steps}`` from ``progressDetails`` when the API supports it for this node, else None."""
    details = node.get("progressDetails") if isinstance(node, dict) else None
    if not isinstance(details, dict) or not details.get("isSupported"):
        return None
    steps = []
    data = details.get("data")
    for step in data if isinstance(data, list) else []:
        if isinstance(step, dict):
            steps.append({"name": step.get("name"), "total": step.get("total"), "processed": step.get("processed")})
    return {"percent": details.get("percent"), "steps": steps}


def unfinished_levels(node, level, nodes, include_children):
    """Levels still running: the node itself, then (when its children count) unfinished descendants."""
    levels = [] if is_finished(node) else [",".join(level)]
    if include_children:
        levels.extend(entry["level"] for entry in nodes if entry["status"] != FINISHED)
    return levels
