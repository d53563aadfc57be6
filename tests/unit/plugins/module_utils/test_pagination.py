# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import RefusedAnswerError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._pagination import iterate_pages, next_link, resolve_next

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


def test_iterate_pages_bounded():
    counter = iter(range(10**6))

    def fetch(url, params):
        return {"links": {"next": "c%d" % next(counter)}}

    with pytest.raises(UnexpectedResponseError):
        list(iterate_pages(fetch, BASE, max_pages=5))
