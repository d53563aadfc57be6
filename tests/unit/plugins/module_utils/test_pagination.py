# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import tracemalloc

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import Deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import RefusedAnswerError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._pagination import (
    MAX_NEXT_CHARS,
    WALK_SECONDS,
    iterate_pages,
    next_link,
    resolve_next,
)

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock

BASE = "https://api.example.test/migrations/public/v1/jobs/j/tasks"


@pytest.mark.parametrize("body", [{}, {"links": {}}, {"links": {"next": ""}}, {"links": {"next": None}}, {"links": None}])
def test_last_page_variants(body):
    assert next_link(body) is None


@pytest.mark.parametrize("body", [{"links": []}, {"links": {"next": 5}}])
def test_malformed_links_refused(body):
    with pytest.raises(UnexpectedResponseError):
        next_link(body)


def test_absolute_next_followed_verbatim():
    assert resolve_next(BASE, {"level": "check"}, BASE + "?cursor=abc") == (BASE + "?cursor=abc", None)


def test_relative_path_next_joined_to_host():
    url, params = resolve_next(BASE, None, "/migrations/public/v1/jobs/j/tasks?cursor=p2")
    assert url == BASE + "?cursor=p2" and params is None


def test_query_only_next_joined_to_current_path():
    assert resolve_next(BASE, None, "?cursor=p3")[0] == BASE + "?cursor=p3"


def test_bare_cursor_keeps_params():
    url, params = resolve_next(BASE, {"level": "check", "expandChildren": "true"}, "eyJvZmZzZXQiOjUwfQ==")
    assert url == BASE
    assert params == {"level": "check", "expandChildren": "true", "cursor": "eyJvZmZzZXQiOjUwfQ=="}


@pytest.mark.parametrize(
    "target", ["https://evil.example.test/steal?cursor=1", "//evil.example.test/x?cursor=1", "http://api.example.test/x?cursor=1"]
)
def test_next_to_another_origin_refused(target):
    with pytest.raises(RefusedAnswerError) as info:
        resolve_next(BASE, None, target)
    assert "another host" in str(info.value)


def test_iterate_pages_follows_until_last_page():
    pages = {None: {"links": {"next": "c1"}, "n": 1}, "c1": {"links": {"next": "c2"}, "n": 2}, "c2": {"links": {}, "n": 3}}
    calls = []

    def fetch(url, params):
        calls.append((url, params))
        return pages[(params or {}).get("cursor")]

    assert [body["n"] for body in iterate_pages(fetch, BASE)] == [1, 2, 3]
    assert calls[-1] == (BASE, {"cursor": "c2"})


def test_iterate_pages_detects_cursor_loop():
    def fetch(url, params):
        return {"links": {"next": "same"}}

    with pytest.raises(UnexpectedResponseError) as info:
        list(iterate_pages(fetch, BASE))
    assert "same 'links.next' twice" in str(info.value)


def endless(pages_fetched, items=0, clock=None, seconds=0):
    """A fetch answering ever-new cursors, each page with ``items`` items, ``seconds`` of ``clock`` per page."""

    def fetch(url, params):
        if clock is not None:
            clock.now += seconds
        pages_fetched.append(params)
        return {"data": list(range(items)), "links": {"next": "cursor-%d" % len(pages_fetched)}}

    return fetch


def test_iterate_pages_bounded_refuses_the_service_naming_the_endpoint():
    fetched = []
    with pytest.raises(RefusedAnswerError) as info:
        list(iterate_pages(endless(fetched), BASE, max_pages=5, endpoint="GET /x/tasks"))
    assert len(fetched) == 5
    assert str(info.value).startswith("GET /x/tasks: ") and "5 pages" in str(info.value) and "misbehaves" in str(info.value)


def test_a_walk_stops_once_its_pages_hold_more_items_than_a_real_listing():
    fetched, yielded = [], []
    walk = iterate_pages(endless(fetched, items=3), BASE, endpoint="GET /x/tasks", count=lambda body: len(body["data"]), max_items=10, items="tasks")
    with pytest.raises(RefusedAnswerError) as info:
        for body in walk:
            yielded.append(body)
    # The page that goes over the bound is not handed on: 3 pages of 3 are, the 4th is refused.
    assert len(fetched) == 4 and len(yielded) == 3
    message = str(info.value)
    assert message.startswith("GET /x/tasks: ") and "more than 10 tasks" in message and "4 pages" in message and "misbehaves" in message


def test_a_page_count_that_fails_ends_the_walk_with_its_own_error():
    def count(body):
        raise UnexpectedResponseError("no 'data' list")

    with pytest.raises(UnexpectedResponseError) as info:
        list(iterate_pages(endless([]), BASE, count=count, max_items=10))
    assert "no 'data' list" in str(info.value)


def test_a_walk_without_a_call_deadline_stops_at_its_own_time_bound():
    clock = FakeClock()
    fetched = []
    walk = iterate_pages(endless(fetched, clock=clock, seconds=60), BASE, deadline=Deadline(None, clock.clock), endpoint="GET /x/status")
    with pytest.raises(RefusedAnswerError) as info:
        list(walk)
    assert len(fetched) == WALK_SECONDS // 60
    message = str(info.value)
    assert message.startswith("GET /x/status: ") and "%d s" % WALK_SECONDS in message and "misbehaves" in message


def test_the_cursors_seen_are_not_held_whole():
    """A loop check that kept every ``links.next`` would hold all of them: 100,000 pages of long cursors."""
    in_use = {}

    def fetch(url, params):
        page = len(in_use) + 1
        in_use[page] = tracemalloc.get_traced_memory()[0]
        if page == 400:
            return {"links": {}}
        return {"links": {"next": "%d-%s" % (page, "x" * 30000)}}

    tracemalloc.start()
    try:
        for dummy in iterate_pages(fetch, BASE):
            pass
    finally:
        tracemalloc.stop()
    # From page 200 to 400, 200 more cursors of 30 kB (6 MB) were seen; what the walk holds does not grow with them.
    assert in_use[400] - in_use[200] < 1000000


def test_an_overlong_next_is_refused_before_it_is_parsed():
    assert next_link({"links": {"next": "c" * MAX_NEXT_CHARS}}) == "c" * MAX_NEXT_CHARS
    with pytest.raises(UnexpectedResponseError) as info:
        next_link({"links": {"next": "c" * (MAX_NEXT_CHARS + 1)}})
    assert "%d characters" % (MAX_NEXT_CHARS + 1) in str(info.value)
