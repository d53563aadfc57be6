"""Small type checks shared by scenario, tree and fault validation."""

import numbers


class ScenarioError(ValueError):
    """A scenario (or a fault definition) is invalid; the message names where."""


def fail(path, message):
    raise ScenarioError("%s: %s" % (path, message))


def check_keys(value, path, allowed, required=()):
    if not isinstance(value, dict):
        fail(path, "must be a mapping, got %s" % type(value).__name__)
    if allowed is not None:
        unknown = sorted(str(key) for key in value if key not in allowed)
        if unknown:
            fail(path, "unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(allowed)))
    for key in required:
        if key not in value:
            fail(path, "missing required key %r" % key)


def check_list(value, path, min_items=0):
    if not isinstance(value, list):
        fail(path, "must be a list, got %s" % type(value).__name__)
    if len(value) < min_items:
        fail(path, "needs at least %d item(s)" % min_items)


def check_str(value, path):
    if not isinstance(value, str) or not value:
        fail(path, "must be a non-empty string")


def check_bool(value, path):
    if not isinstance(value, bool):
        fail(path, "must be true or false")


def check_choice(value, path, choices):
    if value not in choices:
        fail(path, "must be one of %s, got %r" % (", ".join(str(c) for c in choices), value))


def check_number(value, path, minimum=None, allow_none=False, integer=False):
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        fail(path, "must be %s%s" % ("an integer" if integer else "a number", " or null" if allow_none else ""))
    if minimum is not None and value < minimum:
        fail(path, "must be >= %s, got %s" % (minimum, value))
