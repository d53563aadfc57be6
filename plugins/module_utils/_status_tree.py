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
OUTCOMES = ("SUCCESS", "WARNING", "FAILED", "SKIPPED", "INCOMPLETE", "CANCELLED")
# Statuses the service is known to send (PENDING, IN_PROGRESS, SUSPENDED, FINISHED): every one but
# FINISHED counts as unfinished, and so does one it may add.
UNFINISHED_KEY = "IN_PROGRESS"
NO_OUTCOME_KEY = "UNKNOWN"
MAX_DEPTH = 64
# The documented fields' types (null allowed); other fields are the service's business.
FIELD_TYPES = {"status": str, "outcome": str, "message": str, "details": dict, "progressDetails": dict, "children": dict}
FIELD_KINDS = {str: "a string", dict: "an object"}


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


class _Malformed(Exception):
    """A node of the wrong shape: ``template`` says what, with ``%s`` for where; ``names`` the path up from it."""

    def __init__(self, template):
        Exception.__init__(self, template)
        self.template = template
        self.names = []


def validate_node(node, where="data"):
    """Check that ``node`` has the documented shape and return how many nodes it holds (itself
    included); raise UnexpectedResponseError naming what is wrong.

    The walk names no node on the way: a page holds thousands, so the offending node's location
    (``data.children.A.children.B``) is put together only once one is found.
    """
    try:
        return _check_node(node, 0)
    except _Malformed as exc:
        location = where + "".join(".children.%s" % name for name in reversed(exc.names))
        raise UnexpectedResponseError(exc.template % location)


def _check_node(node, depth):
    """The number of nodes in ``node``'s subtree, once it is checked."""
    if depth > MAX_DEPTH:
        raise _Malformed("status tree is deeper than %d levels at %%s" % MAX_DEPTH)
    if not isinstance(node, dict):
        raise _Malformed("status tree node %%s is %s, not an object" % type(node).__name__)
    # One pass over the fields a node has (a leaf has three or four), not a lookup per documented field.
    for key, value in node.items():
        kind = FIELD_TYPES.get(key)
        if kind is not None and value is not None and not isinstance(value, kind):
            raise _Malformed("'%s' of status tree node %%s is not %s" % (key, FIELD_KINDS[kind]))
    nodes = 1
    children = node.get("children")
    if children:
        for name, child in children.items():
            try:
                nodes += _check_node(child, depth + 1)
            except _Malformed as exc:
                exc.names.append(name)
                raise
    return nodes


def merge_nodes(base, page):
    """Merge ``page`` into ``base`` in place and return ``base``: scalar fields from the newer page,
    children merged by name.

    Both are freshly decoded JSON, so the page's nodes are adopted rather than copied: merging
    pages costs what the page holds, not what the pages before it held.
    """
    for key, value in page.items():
        if key == "children":
            if value is None:
                continue  # a page without children adds none; it does not remove the earlier pages' children
            children = base.get("children")
            if isinstance(children, dict):
                for name, child in value.items():
                    if name in children:
                        merge_nodes(children[name], child)
                    else:
                        children[name] = child
                continue
        base[key] = value
    return base


def upper(value):
    """A status or outcome for comparison: the service's values are compared without regard to case."""
    return value.upper() if isinstance(value, str) else value


def outcome_key(value):
    """The key an outcome counts under: upper case; a missing one is ``UNKNOWN``."""
    return value.upper() if isinstance(value, str) and value else NO_OUTCOME_KEY


def is_finished(node):
    return isinstance(node, dict) and upper(node.get("status")) == FINISHED


def is_excludable(node):
    """A failed check may be overridden only when ``details.excludable`` is JSON true (not "true", not 1)."""
    details = node.get("details")
    return isinstance(details, dict) and details.get("excludable") is True


class TreeSummary:
    """What the result says about a node's descendants, gathered in one walk (see ``summarize``)."""

    def __init__(self):
        self.nodes = []
        self.counts = dict((outcome, 0) for outcome in OUTCOMES + (UNFINISHED_KEY,))
        self.failed_levels = []
        self.warning_levels = []
        self.excludable_failures = []
        self.unfinished = []
        self.unknown = []

    @property
    def all_finished(self):
        return not self.unfinished


def summarize(node, level, keep_nodes=True):
    """Walk the descendants of ``node`` once, depth first in the API's order, and summarize them.

    ``nodes`` gets one entry per descendant (the contract's ``nodes``); with ``keep_nodes`` false
    it keeps only finished descendants whose outcome is not SUCCESS, which is all a gate message
    lists, so a summary-only read builds no entry per successful node. ``unknown`` holds the
    entries of finished descendants with an outcome outside ``OUTCOMES``.
    """
    summary = TreeSummary()
    counts = summary.counts
    excludable = set()  # names already in excludable_failures: a list scan per failed check grows as its square
    stack = [(",".join(level), iter((node.get("children") or {}).items()))]
    while stack:
        prefix, items = stack[-1]
        for name, child in items:
            status, outcome, grandchildren = child.get("status"), child.get("outcome"), child.get("children")
            # A successful leaf, nearly every node of a big tree, is settled here: for a summary-only
            # read it adds only to the counts.
            if outcome == "SUCCESS" and status == FINISHED and not (keep_nodes or grandchildren):
                counts["SUCCESS"] += 1
                continue
            finished = upper(status) == FINISHED
            key = outcome_key(outcome) if finished else UNFINISHED_KEY
            counts[key] = counts.get(key, 0) + 1
            if key == "SUCCESS" and not (keep_nodes or grandchildren):
                continue
            path = "%s,%s" % (prefix, name) if prefix else name
            entry = None
            if keep_nodes or (finished and key != "SUCCESS"):
                entry = {
                    "level": path,
                    "name": name,
                    "status": child.get("status"),
                    "outcome": child.get("outcome"),
                    "message": child.get("message"),
                    "excludable": is_excludable(child),
                }
                summary.nodes.append(entry)
            if not finished:
                summary.unfinished.append(path)
            elif key == "FAILED":
                summary.failed_levels.append(path)
                if entry["excludable"] and name not in excludable:
                    excludable.add(name)
                    summary.excludable_failures.append(name)
            elif key == "WARNING":
                summary.warning_levels.append(path)
            elif key not in OUTCOMES:
                summary.unknown.append(entry)
            if grandchildren:
                stack.append((path, iter(grandchildren.items())))
                break
        else:
            stack.pop()
    return summary


def flat_nodes(node, level):
    """The contract's ``nodes``: one entry per descendant."""
    return summarize(node, level).nodes


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


def unfinished_levels(node, level, summary, include_children):
    """Levels still running: the node itself, then (when its children count) unfinished descendants."""
    levels = [] if is_finished(node) else [",".join(level)]
    if include_children:
        levels.extend(summary.unfinished)
    return levels
