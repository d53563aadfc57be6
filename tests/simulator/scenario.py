"""Loading scenarios: by name (``scenarios/<name>.yml``), by path, or from a dict.

``overrides`` are deep-merged over the loaded document (mappings merge, everything else
replaces), then the result is validated and completed with defaults by ``schema.normalize``.
"""

import copy
import os

import yaml

from .schema import ScenarioError, normalize

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")


def available_scenarios():
    names = []
    for entry in sorted(os.listdir(SCENARIO_DIR)):
        if entry.endswith((".yml", ".yaml")):
            names.append(entry.rsplit(".", 1)[0])
    return names


def deep_merge(base, override):
    """Return ``base`` with ``override`` merged in; neither argument is modified."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve_path(scenario):
    if os.path.sep in scenario or scenario.endswith((".yml", ".yaml")):
        return scenario
    for ext in (".yml", ".yaml"):
        candidate = os.path.join(SCENARIO_DIR, scenario + ext)
        if os.path.exists(candidate):
            return candidate
    raise ScenarioError("unknown scenario %r: not a file and not one of the bundled scenarios (%s)" % (scenario, ", ".join(available_scenarios())))


def read_scenario_file(path):
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise ScenarioError("cannot read scenario file %s: %s" % (path, exc)) from exc
    except yaml.YAMLError as exc:
        raise ScenarioError("scenario file %s is not valid YAML: %s" % (path, exc)) from exc
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ScenarioError("scenario file %s: the top level must be a mapping" % path)
    return document


def load_scenario(scenario="basic", overrides=None):
    """Return the validated, normalized scenario (a plain dict)."""
    if isinstance(scenario, dict):
        document = copy.deepcopy(scenario)
        document.setdefault("name", "custom")
    elif isinstance(scenario, str):
        path = _resolve_path(scenario)
        document = read_scenario_file(path)
        document.setdefault("name", os.path.basename(path).rsplit(".", 1)[0])
    else:
        raise ScenarioError("scenario must be a name, a path or a dict, not %s" % type(scenario).__name__)
    if overrides:
        if not isinstance(overrides, dict):
            raise ScenarioError("overrides must be a dict")
        document = deep_merge(document, overrides)
    return normalize(document)


def parse_set_option(text):
    """Turn a CLI ``key.sub=value`` into an overrides dict; the value is parsed as YAML."""
    if "=" not in text:
        raise ScenarioError("--set expects key.sub=value, got %r" % text)
    dotted, raw = text.split("=", 1)
    keys = [key for key in dotted.strip().split(".") if key]
    if not keys:
        raise ScenarioError("--set expects key.sub=value, got %r" % text)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError("--set %s: value is not valid YAML: %s" % (dotted, exc)) from exc
    result = value
    for key in reversed(keys):
        result = {key: result}
    return result
