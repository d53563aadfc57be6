"""Faults on demand: the network or a gateway misbehaving in front of the service.

A fault is ``{match: {method, path}, kind, times, after, ...params}``; ``path`` is a regular
expression searched in the request path, ``method`` a method or list of methods. The first
``after`` matching requests pass, then the fault fires ``times`` times (``null`` = always).
Faults are tried in registration order; the first that fires wins. ``/_sim/`` is exempt.
"""

import copy
import re
import threading

from .validate import ScenarioError, check_choice, check_keys, check_list, check_number, check_str

KINDS = ("status", "reset", "truncate", "slow", "malformed_json", "html", "redirect", "drip", "huge", "endless_cursor", "json")
PARAMS = {
    "status": ("status", "body", "retry_after", "rate_limit_reset", "message"),
    "reset": (),
    "truncate": ("fraction",),
    "slow": ("delay",),
    "malformed_json": (),
    "html": ("status",),
    "redirect": ("status", "location"),
    "drip": ("delay",),
    "huge": ("size_bytes", "content_type"),
    "endless_cursor": ("body",),
    "json": ("status", "body", "text"),
}
DEFAULTS = {
    "status": {"body": "json"},
    "truncate": {"fraction": 0.5},
    "slow": {"delay": 1.0},
    "html": {"status": 502},
    "redirect": {"status": 302},
    "drip": {"delay": 1.0},
    "huge": {"size_bytes": 300 * 1024 * 1024, "content_type": "application/json"},
    "endless_cursor": {"body": {"data": []}},
    "json": {"status": 200},
}


class AbortConnection(BaseException):
    """Raised out of the WSGI app: the request handler resets the TCP connection (RST)."""


def _check_retry_after(value, path):
    """A number of seconds, ``http-date:<seconds from now>``, or any other string sent verbatim
    (``inf``, ``nan``, ``1e308``, garbage: what hostile servers send)."""
    if isinstance(value, str) and value.startswith("http-date:"):
        check_number(_number(value[len("http-date:") :], path), path, minimum=0)
    elif not isinstance(value, str):
        check_number(value, path, minimum=0)


def _check_rate_limit_reset(value, path):
    """Seconds from now (sent in Atlassian's ``yyyy-MM-ddTHH:mmZ``, rounded up to the minute) or a verbatim string."""
    if not isinstance(value, str):
        check_number(value, path, minimum=0)


def _number(text, path):
    try:
        return float(text)
    except ValueError as exc:
        raise ScenarioError("%s: expected http-date:<seconds>" % path) from exc


def normalize_fault(spec, path="fault"):
    """Validate a fault definition and return it completed with defaults."""
    check_keys(spec, path, None, required=("kind",))
    kind = spec["kind"]
    check_choice(kind, path + ".kind", KINDS)
    check_keys(spec, path, ("match", "kind", "times", "after") + PARAMS[kind])
    match = spec.get("match") or {}
    check_keys(match, path + ".match", ("method", "path"))
    methods = match.get("method")
    if isinstance(methods, str):
        methods = [methods]
    if methods is not None:
        check_list(methods, path + ".match.method", min_items=1)
        methods = [str(m).upper() for m in methods]
    pattern = match.get("path", "")
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ScenarioError("%s.match.path: not a regular expression: %s" % (path, exc)) from exc
    fault = dict(DEFAULTS.get(kind, {}))
    fault.update({k: v for k, v in spec.items() if k != "match"})
    fault["match"] = {"method": methods, "path": pattern}
    fault.setdefault("times", 1)
    fault.setdefault("after", 0)
    check_number(fault["times"], path + ".times", minimum=1, allow_none=True, integer=True)
    check_number(fault["after"], path + ".after", minimum=0, integer=True)
    if kind == "json" and ("body" in fault) == ("text" in fault):
        raise ScenarioError("%s: a json fault needs exactly one of body (any JSON value) and text (sent verbatim)" % path)
    if kind == "json" and "text" in fault:
        check_str(fault["text"], path + ".text")
    if kind in ("status", "html", "json"):
        check_number(fault.get("status"), path + ".status", minimum=100, integer=True)
    if kind == "redirect":
        check_choice(fault["status"], path + ".status", (301, 302, 303, 307, 308))
        check_str(fault.get("location"), path + ".location")
    if kind == "drip":
        check_number(fault["delay"], path + ".delay", minimum=0)
    if kind == "huge":
        check_number(fault["size_bytes"], path + ".size_bytes", minimum=0, integer=True)
        check_str(fault["content_type"], path + ".content_type")
    if kind == "endless_cursor" and not isinstance(fault["body"], dict):
        raise ScenarioError("%s.body: must be a mapping (the JSON object of every page)" % path)
    if kind == "status":
        check_choice(fault["body"], path + ".body", ("json", "html", "text", "empty"))
        if "retry_after" in fault:
            _check_retry_after(fault["retry_after"], path + ".retry_after")
        if "rate_limit_reset" in fault:
            _check_rate_limit_reset(fault["rate_limit_reset"], path + ".rate_limit_reset")
        if "message" in fault:
            check_str(fault["message"], path + ".message")
    if kind == "truncate":
        check_number(fault["fraction"], path + ".fraction", minimum=0)
        if fault["fraction"] >= 1:
            raise ScenarioError("%s.fraction: must be below 1" % path)
    if kind == "slow":
        check_number(fault["delay"], path + ".delay", minimum=0)
    return fault


class FaultRegistry:
    def __init__(self, faults=()):
        self._faults = []
        self._lock = threading.Lock()
        for fault in faults:
            self.add(fault)

    def add(self, spec):
        fault = normalize_fault(spec)
        with self._lock:
            self._faults.append({"spec": fault, "regex": re.compile(fault["match"]["path"]), "seen": 0, "fired": 0})
        return copy.deepcopy(fault)

    def clear(self):
        with self._lock:
            self._faults = []

    def active(self):
        with self._lock:
            return [dict(copy.deepcopy(f["spec"]), fired=f["fired"]) for f in self._faults]

    def take(self, method, path):
        """The fault that fires for this request (consuming one of its ``times``), or ``None``."""
        with self._lock:
            for fault in self._faults:
                spec = fault["spec"]
                methods = spec["match"]["method"]
                if methods is not None and method.upper() not in methods:
                    continue
                if not fault["regex"].search(path):
                    continue
                if spec["times"] is not None and fault["fired"] >= spec["times"]:
                    continue
                fault["seen"] += 1
                if fault["seen"] <= spec["after"]:
                    continue
                fault["fired"] += 1
                return copy.deepcopy(spec)
        return None
