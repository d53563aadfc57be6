# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy
from ansible_collections.migrationops.atlassian.plugins.module_utils import _migration_api
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import NotVisibleYet, RefusedAnswerError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._migration_api import MigrationApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._pagination import WALK_SECONDS
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock, ScriptedSession, make_response

API = "https://api.example.test"


def api_with(answers):
    session = ScriptedSession(answers)
    client = ApiClient(API, "tok", policy=BackoffPolicy(retries=0), session=session)
    return MigrationApi(client), session


def page(data, next_value=None):
    return make_response(body={"data": data, "links": {"next": next_value} if next_value else {}})


def test_newest_task_of_type_across_pages_case_insensitive():
    api, session = api_with(
        [
            page([{"taskId": "m2", "taskType": "migrate"}], "c1"),
            page([{"taskId": "m1", "taskType": "migrate"}], "c2"),
            page([{"taskId": "k9", "taskType": "CHECK"}, {"taskId": "k1", "taskType": "check"}]),
        ]
    )
    assert api.newest_task("job1", "check")["taskId"] == "k9"
    assert [call["params"] for call in session.calls] == [None, {"cursor": "c1"}, {"cursor": "c2"}]


def test_no_task_of_type_is_not_visible_yet():
    api, dummy = api_with([page([{"taskId": "m1", "taskType": "migrate"}])])
    with pytest.raises(NotVisibleYet) as info:
        api.newest_task("job1", "check")
    assert "no check task" in str(info.value)


def test_unknown_job_is_not_visible_yet():
    api, dummy = api_with([make_response(404, {"errorMessage": "Job not found"})])
    with pytest.raises(NotVisibleYet):
        api.newest_task("nope", "check")


def test_task_list_without_data_is_unexpected():
    api, dummy = api_with([make_response(body={"items": []})])
    with pytest.raises(UnexpectedResponseError):
        api.tasks("job1")


def test_status_tree_merges_pages_and_sends_level():
    api, session = api_with(
        [
            page({"status": "FINISHED", "outcome": "WARNING", "children": {"A": {"status": "FINISHED"}, "B": {"status": "IN_PROGRESS"}}}, "n1"),
            page({"status": "FINISHED", "outcome": "WARNING", "children": {"B": {"status": "FINISHED"}, "C": {"status": "FINISHED"}}}),
        ]
    )
    node = api.status_tree("job1", "t1", ["check"], True)
    assert list(node["children"]) == ["A", "B", "C"] and node["children"]["B"]["status"] == "FINISHED"
    assert session.calls[0]["params"] == {"level": "check", "expandChildren": "true"}
    assert session.calls[1]["params"] == {"level": "check", "expandChildren": "true", "cursor": "n1"}
    assert session.calls[0]["url"] == API + "/migrations/public/v1/jobs/job1/tasks/t1/status"


def test_status_ids_are_one_path_segment():
    api, session = api_with([page({"status": "FINISHED"})])
    api.status_tree("../../evil", "a/b", [], False)
    assert session.calls[0]["url"] == API + "/migrations/public/v1/jobs/..%2F..%2Fevil/tasks/a%2Fb/status"
    assert session.calls[0]["params"] == {}


@pytest.mark.parametrize("answer", [make_response(404, {"errorMessage": "Task not found"}), page({}), page({"message": "no status"})])
def test_missing_task_or_level_is_not_visible_yet(answer):
    api, dummy = api_with([answer])
    with pytest.raises(NotVisibleYet):
        api.status_tree("job1", "t1", ["migrate", "apps"], True)


def test_malformed_tree_is_unexpected():
    api, dummy = api_with([page({"status": "FINISHED", "children": ["a"]})])
    with pytest.raises(UnexpectedResponseError):
        api.status_tree("job1", "t1", [], True)


def endless_pages(data, count):
    return [page(data, "cursor-%d" % n) for n in range(count)]


def test_status_tree_pages_are_bounded_by_the_nodes_they_hold_in_all(monkeypatch):
    # Every page repeats the same 3 nodes (a root and 2 children): merged they stay 3, but each page costs a read.
    monkeypatch.setattr(_migration_api, "MAX_TREE_NODES", 7)
    api, session = api_with(endless_pages({"status": "IN_PROGRESS", "children": {"A": {}, "B": {}}}, 10))
    with pytest.raises(RefusedAnswerError) as info:
        api.status_tree("job1", "t1", [], True)
    assert len(session.calls) == 3
    message = str(info.value)
    assert message.startswith("GET /migrations/public/v1/jobs/job1/tasks/t1/status: ") and "more than 7 status tree nodes" in message
    assert "misbehaves" in message


def test_task_list_pages_are_bounded_by_the_tasks_they_hold_in_all(monkeypatch):
    monkeypatch.setattr(_migration_api, "MAX_TASKS", 5)
    api, session = api_with(endless_pages([{"taskId": "m1", "taskType": "migrate"}, {"taskId": "m2", "taskType": "migrate"}], 10))
    with pytest.raises(RefusedAnswerError) as info:
        api.tasks("job1")
    assert len(session.calls) == 3
    assert str(info.value).startswith("GET /migrations/public/v1/jobs/job1/tasks: ") and "more than 5 tasks" in str(info.value)


class SlowSession(ScriptedSession):
    """Each answer takes ``seconds`` of ``clock``."""

    def __init__(self, answers, clock, seconds):
        ScriptedSession.__init__(self, answers)
        self.clock, self.seconds = clock, seconds

    def request(self, method, url, **kwargs):
        self.clock.now += self.seconds
        return ScriptedSession.request(self, method, url, **kwargs)


def test_a_read_without_wait_follows_pages_for_a_bounded_time():
    clock = FakeClock()
    session = SlowSession(endless_pages([{"taskId": "m1", "taskType": "migrate"}], 200), clock, 20)
    api = MigrationApi(ApiClient(API, "tok", policy=BackoffPolicy(retries=0), session=session, clock=clock.clock))
    with pytest.raises(RefusedAnswerError) as info:
        api.tasks("job1")
    assert len(session.calls) == WALK_SECONDS // 20
    assert str(info.value).startswith("GET /migrations/public/v1/jobs/job1/tasks: ") and "misbehaves" in str(info.value)
