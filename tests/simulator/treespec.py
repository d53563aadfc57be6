"""Status-tree node specifications: validation and compilation into ``tree.Node`` objects.

A spec is a mapping with the optional keys of ``NODE_KEYS``. ``appear``, ``start`` and
``finish`` are inherited from the parent when absent (``finish: null`` = never finishes).
``generate`` creates ``count`` children named ``name.format(i=...)``; in a generator the times
may be ``[first, last]`` to spread them linearly over the generated children.
``suspend: [from, until]`` shows a running node as SUSPENDED from tick ``from`` until ``until``
(``null``: until it finishes). Outcomes are accepted in any case and sent as written, since the
service's case is not documented and clients must compare without it.
"""

import copy

from .tree import Node
from .validate import ScenarioError, check_bool, check_choice, check_keys, check_list, check_number, check_str

# MapiOutcome of the CMA (api-service-behaviour 3.2): the four documented ones, INCOMPLETE and CANCELLED.
OUTCOMES = ("SUCCESS", "WARNING", "FAILED", "SKIPPED", "INCOMPLETE", "CANCELLED")
# What ``auto`` picks over the children: the first of these that any child has.
WORST_FIRST = ("FAILED", "CANCELLED", "INCOMPLETE", "WARNING")
TIME_KEYS = ("appear", "start", "finish")
NODE_KEYS = TIME_KEYS + (
    "suspend",
    "outcome",
    "message",
    "running_message",
    "pending_message",
    "details",
    "progress",
    "children",
    "generate",
)
GENERATE_KEYS = tuple(k for k in NODE_KEYS if k not in ("children", "generate")) + ("count", "name", "start_index")


def _time(value, path, key, ranged):
    if ranged and isinstance(value, list):
        if len(value) != 2:
            raise ScenarioError("%s.%s: a range must be [first, last]" % (path, key))
        for index, item in enumerate(value):
            check_number(item, "%s.%s[%d]" % (path, key, index), minimum=0)
        return
    check_number(value, "%s.%s" % (path, key), minimum=0, allow_none=(key == "finish"))


def _fields(spec, path, ranged=False):
    for key in TIME_KEYS:
        if key in spec:
            _time(spec[key], path, key, ranged)
    if "suspend" in spec:
        _suspend(spec["suspend"], path + ".suspend")
    if "outcome" in spec:
        outcome = spec["outcome"]
        check_choice(outcome.upper() if isinstance(outcome, str) and outcome != "auto" else outcome, path + ".outcome", OUTCOMES + ("auto",))
    message = spec.get("message")
    if isinstance(message, dict):
        for outcome, text in message.items():
            check_choice(outcome.upper() if isinstance(outcome, str) else outcome, path + ".message", OUTCOMES)
            check_str(text, "%s.message.%s" % (path, outcome))
    elif message is not None:
        check_str(message, path + ".message")
    for key in ("running_message", "pending_message"):
        if key in spec:
            check_str(spec[key], path + "." + key)
    if "details" in spec:
        details = spec["details"]
        check_keys(details, path + ".details", ("excludable", "description", "occurrences"))
        if "excludable" in details:
            check_bool(details["excludable"], path + ".details.excludable")
        if "description" in details:
            check_str(details["description"], path + ".details.description")
        if "occurrences" in details:
            check_list(details["occurrences"], path + ".details.occurrences")
    if "progress" in spec:
        check_list(spec["progress"], path + ".progress", min_items=1)
        for index, step in enumerate(spec["progress"]):
            step_path = "%s.progress[%d]" % (path, index)
            check_keys(step, step_path, ("name", "total"), required=("name", "total"))
            check_str(step["name"], step_path + ".name")
            check_number(step["total"], step_path + ".total", minimum=0, integer=True)


def _suspend(value, path):
    if not isinstance(value, list) or len(value) != 2:
        raise ScenarioError("%s: must be [from, until] (until may be null)" % path)
    check_number(value[0], path + "[0]", minimum=0)
    check_number(value[1], path + "[1]", minimum=value[0], allow_none=True)


def _generator(gen, path):
    check_keys(gen, path, GENERATE_KEYS, required=("count", "name"))
    check_number(gen["count"], path + ".count", minimum=0, integer=True)
    check_number(gen.get("start_index", 1), path + ".start_index", minimum=0, integer=True)
    check_str(gen["name"], path + ".name")
    try:
        gen["name"].format(i=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ScenarioError("%s.name: bad format string (use {i}): %s" % (path, exc)) from exc
    _fields(gen, path, ranged=True)


def validate(spec, path):
    """Check a node spec recursively; return a deep copy."""
    check_keys(spec, path, NODE_KEYS)
    _fields(spec, path)
    children = spec.get("children") or {}
    check_keys(children, path + ".children", None)
    validated = {}
    for name, child in children.items():
        if not isinstance(name, str) or not name or "," in name:
            raise ScenarioError("%s.children: child names must be non-empty strings without ',': %r" % (path, name))
        validated[name] = validate(child if child is not None else {}, "%s.children.%s" % (path, name))
    generate = spec.get("generate") or []
    generators = [generate] if isinstance(generate, dict) else generate
    check_list(generators, path + ".generate")
    for index, gen in enumerate(generators):
        _generator(gen, "%s.generate[%d]" % (path, index))
    result = {key: copy.deepcopy(value) for key, value in spec.items() if key not in ("children", "generate")}
    result["children"] = validated
    result["generate"] = copy.deepcopy(generators)
    return result


def _spread(value, index, count):
    if not isinstance(value, list):
        return value
    first, last = value
    return first if count <= 1 else first + (last - first) * index / (count - 1)


def _generated(gen):
    count = gen["count"]
    start = gen.get("start_index", 1)
    for index in range(count):
        child = {k: v for k, v in gen.items() if k not in ("count", "name", "start_index")}
        for key in TIME_KEYS:
            if key in child:
                child[key] = _spread(child[key], index, count)
        yield gen["name"].format(i=start + index), child


def aggregate(outcomes):
    outcomes = [outcome.upper() for outcome in outcomes]
    for worst in WORST_FIRST:
        if worst in outcomes:
            return worst
    if outcomes and all(o == "SKIPPED" for o in outcomes):
        return "SKIPPED"
    return "SUCCESS"


def compile_tree(spec, keep=None, transform=None):
    """Build the ``Node`` tree of a validated spec.

    ``keep(path, name)`` may drop children; ``transform(path, node)`` may adjust a compiled node
    before its parent's ``auto`` outcome is computed. ``path`` is the tuple of names to the node.
    """
    inherited = {"appear": 0, "start": 0, "finish": 0}
    return _compile(spec, "", (), inherited, keep, transform)


def _compile(spec, name, path, inherited, keep, transform):
    times = {key: spec.get(key, inherited[key]) for key in TIME_KEYS}
    node = Node(name, times["appear"], times["start"], times["finish"])
    node.suspend = spec.get("suspend")
    specs = {}
    for gen in spec.get("generate") or []:
        specs.update(_generated(gen))
    specs.update(spec.get("children") or {})
    children = []
    for child_name in sorted(specs):
        if keep is not None and not keep(path, child_name):
            continue
        children.append(_compile(specs[child_name], child_name, path + (child_name,), times, keep, transform))
    node.set_children(children)
    outcome = spec.get("outcome", "auto" if specs else "SUCCESS")
    if outcome == "auto":
        outcome = aggregate(child.outcome for child in children)
    node.outcome = outcome
    node.messages = spec.get("message")
    node.running_message = spec.get("running_message")
    node.pending_message = spec.get("pending_message")
    node.details = copy.deepcopy(spec.get("details"))
    node.progress = copy.deepcopy(spec.get("progress"))
    if transform is not None:
        transform(path, node)
    return node
