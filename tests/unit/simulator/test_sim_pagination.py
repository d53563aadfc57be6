"""Task-list and status pagination: page sizes, next_style, last_page, overlap, cursors."""

from urllib.parse import parse_qs, urlsplit

import pytest

MAPI = "/migrations/public/v1"


def many_tasks(count, **pagination):
    tasks = [{"task_id": "t%02d" % i, "type": "check", "created_at": "2024-09-20T01:%02d:00Z" % i, "tree": {}} for i in range(count)]
    return {"jobs": [{"job_id": "job-1", "tasks": tasks}], "pagination": pagination}


def follow(api, path, style, params=None):
    """Read every page the way a client would, returning the list of page bodies."""
    pages = []
    response = api.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        nxt = body["links"].get("next")
        if not nxt:
            return pages
        if style == "absolute":
            assert nxt.startswith(api.url + path)
            response = api.get(nxt)
        elif style == "relative":
            assert nxt.startswith(path + "?") and "://" not in nxt
            response = api.get(api.url + nxt)
        else:
            assert "/" not in nxt and "?" not in nxt
            response = api.get(path, params=dict(params or {}, cursor=nxt))
        assert len(pages) < 200


@pytest.mark.parametrize("style", ["absolute", "relative", "cursor"])
def test_task_list_pages_in_every_next_style(simulator, client, style):
    api = client(simulator(many_tasks(7, task_page_size=3, next_style=style)))
    pages = follow(api, MAPI + "/jobs/job-1/tasks", style)
    assert [len(page["data"]) for page in pages] == [3, 3, 1]
    ids = [task["taskId"] for page in pages for task in page["data"]]
    assert ids == ["t%02d" % i for i in reversed(range(7))]  # newest first, no gaps, no repeats


@pytest.mark.parametrize(("last_page", "expected"), [("absent", "missing"), ("empty", ""), ("null", None)])
def test_last_page_variants(simulator, client, last_page, expected):
    api = client(simulator(many_tasks(4, task_page_size=2, last_page=last_page)))
    pages = follow(api, MAPI + "/jobs/job-1/tasks", "absolute")
    assert len(pages) == 2
    assert pages[0]["links"]["next"]
    assert pages[-1]["links"].get("next", "missing") == expected


def test_default_task_page_size_is_20(simulator, client):
    api = client(simulator(many_tasks(45)))
    pages = follow(api, MAPI + "/jobs/job-1/tasks", "absolute")
    assert [len(page["data"]) for page in pages] == [20, 20, 5]


def test_self_link_can_be_disabled(simulator, client):
    api = client(simulator(many_tasks(1, self_link=False)))
    assert api.get(MAPI + "/jobs/job-1/tasks").json()["links"] == {}


def big_node(count, **pagination):
    tree = {"children": {"a": {"generate": {"count": count, "name": "C{i:03d}", "outcome": "SUCCESS"}}}}
    return {
        "jobs": [{"job_id": "job-1", "tasks": [{"task_id": "task-1", "type": "migrate", "tree": tree}]}],
        "pagination": pagination,
    }


def test_status_children_are_paged_by_name_and_repeat_node_fields(simulator, client):
    api = client(simulator(big_node(12, status_page_size=5)))
    path = MAPI + "/jobs/job-1/tasks/task-1/status"
    pages = follow(api, path, "absolute", params={"level": "a", "expandChildren": "true"})
    assert [len(page["data"]["children"]) for page in pages] == [5, 5, 2]
    for page in pages:
        assert page["data"]["status"] == "FINISHED" and page["data"]["outcome"] == "SUCCESS"
    names = [name for page in pages for name in page["data"]["children"]]
    assert names == ["C%03d" % i for i in range(1, 13)]
    query = parse_qs(urlsplit(pages[0]["links"]["next"]).query)
    assert query["level"] == ["a"] and query["expandChildren"] == ["true"] and query["cursor"]


def test_status_page_overlap_repeats_previous_children(simulator, client):
    api = client(simulator(big_node(10, status_page_size=4, page_overlap=1)))
    path = MAPI + "/jobs/job-1/tasks/task-1/status"
    pages = follow(api, path, "absolute", params={"level": "a", "expandChildren": "true"})
    per_page = [list(page["data"]["children"]) for page in pages]
    assert per_page[0] == ["C001", "C002", "C003", "C004"]
    assert per_page[1][0] == "C004"  # the previous page's last child again
    merged = sorted({name for page in per_page for name in page})
    assert merged == ["C%03d" % i for i in range(1, 11)]
    assert sum(len(page) for page in per_page) > 10


def test_without_expand_children_there_are_no_children_and_no_next(simulator, client):
    api = client(simulator(big_node(12, status_page_size=5)))
    body = api.status(level="a").json()
    assert "children" not in body["data"]
    assert "next" not in body["links"]
    assert body["data"] == {"status": "FINISHED", "outcome": "SUCCESS"}


def test_cursor_of_another_query_or_garbage_is_rejected(simulator, client):
    api = client(simulator(big_node(12, status_page_size=5, next_style="cursor")))
    token = api.status(level="a", expandChildren="true").json()["links"]["next"]
    assert api.status(level="a", expandChildren="true", cursor=token).status_code == 200
    assert api.status(level="", expandChildren="true", cursor=token).status_code == 400
    assert api.status(level="a", expandChildren="true", cursor="garbage!").status_code == 400
    assert api.get(MAPI + "/jobs/job-1/tasks", params={"cursor": token}).status_code == 400


def test_ten_thousand_children_come_whole_in_a_hundred_pages(simulator, client):
    # How fast is the benchmarks' business (benchmarks/bench_tree.py reads the same tree); here, that every child comes once.
    api = client(simulator(big_node(10000, status_page_size=100, next_style="cursor")))
    pages = follow(api, MAPI + "/jobs/job-1/tasks/task-1/status", "cursor", params={"level": "a", "expandChildren": "true"})
    assert len(pages) == 100
    names = [name for page in pages for name in page["data"]["children"]]
    assert len(names) == len(set(names)) == 10000
