# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile input, property-based: parsers and validators end in a result or a clean, mapped error."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from ansible_collections.migrationops.atlassian.plugins.module_utils._answers import decode_json
from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import MAX_SERVER_WAIT, parse_rate_limit_reset, parse_retry_after
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError, RefusedAnswerError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_api import normalize_trigger_inputs
from ansible_collections.migrationops.atlassian.plugins.module_utils._pagination import iterate_pages, resolve_next
from ansible_collections.migrationops.atlassian.plugins.module_utils._status_tree import flat_nodes, merge_nodes, parse_level, validate_node
from ansible_collections.migrationops.atlassian.plugins.module_utils._task_status import build_result, gate_message
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import is_loopback, normalize_api_url, normalize_site_url, path_segment
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import FULL

EXAMPLES = 2000 if FULL else 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)
CLEAN = (AtlassianError, ValueError)  # parse_level: the module maps its ValueError to InvalidParameterError
BASE = "https://api.atlassian.com/migrations/public/v1/jobs/j/tasks"

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=30
)
step_lists = st.one_of(st.none(), st.lists(json_values, max_size=4), json_values)
statuses = st.one_of(st.sampled_from(["FINISHED", "IN_PROGRESS", "PENDING", "", "finished"]), scalars)
outcomes = st.one_of(st.sampled_from(["SUCCESS", "WARNING", "FAILED", "SKIPPED"]), scalars)
node_fields = {
    "status": statuses,
    "outcome": outcomes,
    "message": st.one_of(st.text(max_size=30), scalars),
    "details": st.one_of(st.dictionaries(st.sampled_from(["excludable", "description"]), json_values, max_size=2), json_values),
    "progressDetails": st.one_of(st.fixed_dictionaries({"isSupported": st.booleans(), "percent": scalars, "data": step_lists}), json_values),
}
nodes = st.recursive(
    st.fixed_dictionaries({}, optional=node_fields),
    lambda inner: st.fixed_dictionaries(
        {}, optional=dict(node_fields, children=st.one_of(st.dictionaries(st.text(max_size=6), inner, max_size=4), json_values))
    ),
    max_leaves=25,
)
levels = st.one_of(st.none(), st.text(max_size=20), st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4))


class Counter:
    tried = 0


def attempt(function, *args, **kwargs):
    """Call ``function``: its result, or the clean error; anything else fails the property.

    Only parse_level's ValueError is mapped by the module (to InvalidParameterError); elsewhere a
    ValueError would end in "internal error", so it is not clean.
    """
    clean = kwargs.get("clean", AtlassianError)
    Counter.tried += 1
    try:
        return function(*args)
    except clean as exc:
        return exc


@SETTINGS
@given(first=st.one_of(nodes, json_values), second=st.one_of(nodes, json_values), level=levels, wait_for_children=st.booleans())
def prop_status_tree_parsing_never_raises_anything_else(first, second, level, wait_for_children):
    parsed = attempt(parse_level, level, clean=CLEAN)
    path = parsed if isinstance(parsed, list) else []
    checked = [attempt(validate_node, node) for node in (first, second)]
    if any(isinstance(value, Exception) for value in checked):
        return
    merged = attempt(merge_nodes, first, second)
    for node in (first, merged):
        if isinstance(node, Exception):
            continue
        flat = attempt(flat_nodes, node, path)
        result = attempt(build_result, "job", "task", path, node, wait_for_children)
        if isinstance(result, dict):
            assert isinstance(flat, list) and result["nodes"] == flat
            assert set(("SUCCESS", "WARNING", "FAILED", "SKIPPED", "IN_PROGRESS")) <= set(result["counts"])
            attempt(gate_message, result, ["FAILED", "WARNING"], wait_for_children)


@pytest.mark.parametrize("data", [True, 5, 1.5])
def test_progress_details_data_that_is_not_a_list(data):
    node = {"status": "IN_PROGRESS", "progressDetails": {"isSupported": True, "percent": 10, "data": data}}
    try:
        validate_node(node)
        build_result("job", "task", [], node, False)
    except CLEAN:
        pass


def test_page_with_null_children_merges_cleanly():
    first, second = {"status": "IN_PROGRESS", "children": {}}, {"status": "FINISHED", "children": None}
    validate_node(first)
    validate_node(second)
    try:
        merge_nodes(first, second)
    except AtlassianError:
        pass


def test_deep_trees_are_refused_cleanly():
    node = {"status": "FINISHED"}
    for dummy in range(5000):
        node = {"status": "IN_PROGRESS", "children": {"x": node}}
    try:
        validate_node(node)
        raise AssertionError("a tree 5000 levels deep must be refused")
    except UnexpectedResponseError as exc:
        assert "deeper" in str(exc)


hosts = st.sampled_from(["api.atlassian.com", "evil.example.com", "API.ATLASSIAN.COM", "127.0.0.1", "api.atlassian.com.evil.com", "[::1]"])
next_values = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda s, h, p: "%s%s%s" % (s, h, p),
        st.sampled_from(["https://", "http://", "//", "/\\\\", "https:", "\\\\", ""]),
        hosts,
        st.text(max_size=15),
    ),
    st.builds(
        lambda p, c: "%s?cursor=%s" % (p, c), st.sampled_from(["", "/x", "https://evil.example.com/y", "//evil.example.com"]), st.text(max_size=10)
    ),
)


@SETTINGS
@given(value=next_values)
def prop_links_next_never_leaves_the_api_host(value):
    outcome = attempt(resolve_next, BASE, {"level": "check"}, value)
    if isinstance(outcome, Exception):
        # an unusable value is refused as malformed, a link to another host as not to be followed
        assert isinstance(outcome, (UnexpectedResponseError, RefusedAnswerError))
        return
    url, dummy = outcome
    try:
        parsed = parse_url(url)  # how urllib3 (what requests sends with) reads the URL
    except ValueError:
        return  # requests would refuse to send it at all
    assert (parsed.scheme, (parsed.host or "").lower(), parsed.port) == ("https", "api.atlassian.com", None), "followed %r to %s" % (value, url)


@pytest.mark.parametrize("value", ["A://[", "https://[::1/x"])
def test_unparsable_links_next_is_a_clean_error(value):
    try:
        resolve_next(BASE, None, value)
    except AtlassianError:
        pass


@SETTINGS
@given(chain=st.lists(st.one_of(st.none(), st.text(max_size=6), st.integers(), json_values), min_size=1, max_size=12), cycle=st.booleans())
def prop_iterate_pages_ends_on_loops_and_junk(chain, cycle):
    """Pages whose links.next values come from ``chain`` (repeating forever when ``cycle``): the walk always ends."""
    calls = []

    def fetch(url, params):
        calls.append(url)
        index = len(calls) - 1
        if not cycle and index >= len(chain):
            return {"data": [], "links": {}}
        return {"data": [index], "links": {"next": chain[index % len(chain)]}}

    try:
        Counter.tried += 1
        pages = list(iterate_pages(fetch, BASE, None, max_pages=1000))
        assert len(pages) <= len(chain) + 1
    except CLEAN:
        pass
    assert len(calls) <= len(chain) + 1, "a looping links.next was followed %d times" % len(calls)


urls = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda s, h, p: s + h + p,
        st.sampled_from(["https://", "http://", "ftp://", "", "HTTP://", "http:/", "https:///"]),
        st.one_of(
            hosts, st.sampled_from(["localhost", "127.0.0.2", "0.0.0.0", "10.0.0.1", "localhost.evil.com", "x.localhost"]), st.text(max_size=10)
        ),
        st.text(max_size=15),
    ),
)


@SETTINGS
@given(
    value=st.one_of(urls, scalars), product=st.one_of(scalars, st.sampled_from(["jira", " Confluence ", "JIRA\\n"])), other=st.one_of(urls, st.none())
)
def prop_argument_validation_is_clean(value, product, other):
    api = attempt(normalize_api_url, value)
    if isinstance(api, str):
        try:
            parsed = parse_url(api)
        except ValueError:
            return  # e.g. a control character as host: accepted here, refused by requests as InvalidURL (a clean TransportError)
        assert parsed.scheme in ("http", "https") and parsed.host
        if parsed.scheme == "http":
            assert is_loopback(parsed.host), "plain http accepted for %r" % api
        assert not api.endswith("/") and "?" not in api
    site = attempt(normalize_site_url, value, "source_url")
    if isinstance(site, Exception):
        assert "source_url" in str(site)
    inputs = attempt(normalize_trigger_inputs, product, value, other)
    if isinstance(inputs, dict):
        assert inputs["product"] in ("JIRA", "CONFLUENCE", None)


def run_property(prop, reliability, name):
    """Run a property (all its examples) and publish how many hostile inputs it tried."""
    before = Counter.tried
    prop()
    tried = Counter.tried - before
    assert tried >= EXAMPLES
    reliability(kind="input", name="hostile input: %s" % name, inputs=tried, detail="%d inputs, each a result or a clean error" % tried)


def test_status_tree_parsing_never_raises_anything_else(reliability):
    run_property(prop_status_tree_parsing_never_raises_anything_else, reliability, "status tree (validate, merge, flatten, build_result)")


def test_links_next_never_leaves_the_api_host(reliability):
    run_property(prop_links_next_never_leaves_the_api_host, reliability, "links.next never leaves the API host")


def test_iterate_pages_ends_on_loops_and_junk(reliability):
    run_property(prop_iterate_pages_ends_on_loops_and_junk, reliability, "pagination ends on loops and junk")


def test_argument_validation_is_clean(reliability):
    run_property(prop_argument_validation_is_clean, reliability, "api_url, site URLs, product")


server_waits = st.one_of(
    st.text(max_size=40),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.sampled_from(["inf", "-inf", "nan", "1e308", "1e400", "Infinity", "2024-08-01T12:30Z", "9999-12-31T23:59Z", "Wed, 21 Oct 2099 07:28:00 GMT"]),
)


@SETTINGS
@given(value=server_waits, now=st.floats(min_value=0, max_value=4e9))
def prop_server_waits_are_finite_or_unusable(value, now):
    """Retry-After and X-RateLimit-Reset: None or a finite wait within a year, never an exception (OverflowError)."""
    for parse in (parse_retry_after, parse_rate_limit_reset):
        Counter.tried += 1
        wait = parse(value, now=now)
        assert wait is None or 0 <= wait <= MAX_SERVER_WAIT


json_texts = st.one_of(
    st.binary(max_size=60),
    st.integers(min_value=1, max_value=50000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=50000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.sampled_from([b"NaN", b'{"a": Infinity}', b"[-Infinity]", b"\xff\xfe{", b'"x"', b"null"]),
)


@SETTINGS
@given(content=json_texts)
def prop_answers_decode_or_name_their_problem(content):
    """Any body: a decoded value, or a named problem; never RecursionError, UnicodeDecodeError or ValueError."""
    Counter.tried += 1
    value, problem = decode_json(content)
    assert (problem is None) or (value is None and isinstance(problem, str))


@SETTINGS
@given(value=st.one_of(st.none(), st.text(max_size=20), st.integers()))
def prop_path_segment_is_one_segment_or_refused(value):
    Counter.tried += 1
    try:
        segment = path_segment(value, "job_id")
    except AtlassianError:
        return
    assert "/" not in segment and "?" not in segment and "#" not in segment and segment not in ("", ".", "..")


def test_server_waits_are_finite_or_unusable(reliability):
    run_property(prop_server_waits_are_finite_or_unusable, reliability, "Retry-After and X-RateLimit-Reset values")


def test_answers_decode_or_name_their_problem(reliability):
    run_property(prop_answers_decode_or_name_their_problem, reliability, "answer bodies (nested, NaN, binary)")


def test_path_segments_never_leave_their_segment(reliability):
    run_property(prop_path_segment_is_one_segment_or_refused, reliability, "IDs as URL path segments")
