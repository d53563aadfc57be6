# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Event-Driven Ansible source extensions/eda/plugins/event_source/migration_status.py:
main(queue, args) with a fake queue against the simulator, over real HTTP."""

import asyncio
import base64
import json

import pytest
import yaml

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import FakeQueue, load_eda_source

JOB = "5e1d0c3a-1111-4222-8333-444455556666"
OLD_TASK = "00000132-0000-4000-8000-0000000a0001"
NEW_TASK = "00000132-0000-4000-8000-0000000a0002"

SCENARIO = {
    "clock": "polls",
    "pagination": {"task_page_size": 1},
    "jobs": [
        {
            "job_id": JOB,
            "tasks": [
                # listed newest first by the API; one task per page, so resolving the newest
                # migrate task follows links.next
                {
                    "task_id": OLD_TASK,
                    "type": "migrate",
                    "created_at": "2024-09-20T01:00:00Z",
                    "tree": {"children": {"migrate": {"outcome": "FAILED"}}},
                },
                {
                    "task_id": NEW_TASK,
                    "type": "migrate",
                    "created_at": "2024-09-21T01:00:00Z",
                    "tree": {
                        "finish": 6,
                        "children": {
                            "check": {"finish": 1},
                            # status read 1: not there yet (404), so read 2 is the root's (unfinished:
                            # the level is still to come); 3: PENDING; 4-5: IN_PROGRESS; 6: FINISHED
                            "migrate": {
                                "appear": 3,
                                "start": 4,
                                "finish": 6,
                                "outcome": "WARNING",
                                "message": {"WARNING": "Migration completed with warnings."},
                                "progress": [{"name": "Migration", "total": 10}],
                            },
                        },
                    },
                },
                {"task_id": "00000132-0000-4000-8000-0000000a0003", "type": "check", "created_at": "2024-09-22T01:00:00Z", "tree": {"finish": 2}},
            ],
        }
    ],
}


def _run(args, timeout=30):
    source = load_eda_source()
    queue = FakeQueue()
    asyncio.run(asyncio.wait_for(source.main(queue, args), timeout))
    return [event["migration"] for event in queue.events]


@pytest.fixture
def sim(simulator):
    return simulator(SCENARIO)


def _args(sim, **extra):
    args = {"api_url": sim.url, "email": sim.credentials["email"], "api_token": sim.credentials["api_token"], "job_id": JOB, "interval": 0.05}
    args.update(extra)
    return args


def test_events_on_each_change_until_finished(sim):
    events = _run(_args(sim, task_type="migrate", level="migrate"))
    assert [event["kind"] for event in events] == ["initial", "status_change", "status_change", "finished"]
    assert [event["status"] for event in events] == ["NOT_VISIBLE", "PENDING", "IN_PROGRESS", "FINISHED"]
    assert [event["previous_status"] for event in events] == [None, "NOT_VISIBLE", "PENDING", "IN_PROGRESS"]
    last = events[-1]
    assert last["finished"] is True and all(not event["finished"] for event in events[:-1])
    assert last["outcome"] == "WARNING"
    assert last["message"] == "Migration completed with warnings."
    assert last["polls"] == 5 and [event["polls"] for event in events] == [1, 2, 3, 5]
    assert [event["missing_levels"] for event in events] == [[], [], [], []]
    assert events[2]["percent"] is not None and events[2]["outcome"] is None
    for event in events:
        assert event["task_id"] == NEW_TASK  # the newest migrate task, found on the second page
        assert event["job_id"] == JOB
        assert event["level"] == ["migrate"]
        assert event["task_type"] == "migrate"
    # the source read the status of the new task only, and every page of the task list
    statuses = [entry for entry in sim.requests if entry["path"].endswith("/status")]
    assert len(statuses) == 6 and all(NEW_TASK in entry["path"] for entry in statuses)
    # the first poll found no level "migrate" and read the root, as the modules do
    assert [entry["query"].get("level") for entry in statuses] == ["migrate", None, "migrate", "migrate", "migrate", "migrate"]
    assert all(entry["auth"] == "basic" for entry in sim.requests)
    assert sim.credentials["api_token"] not in json.dumps(events)


def test_environment_fallback_bearer_and_429_retried(sim, monkeypatch):
    for name, value in sim.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ATLASSIAN_EMAIL")
    sim.add_fault({"match": {"path": "/status$"}, "kind": "status", "status": 429, "retry_after": 0, "times": 1})
    events = _run({"job_id": JOB, "task_id": "00000132-0000-4000-8000-0000000a0003", "interval": 0.05})
    assert [event["kind"] for event in events] == ["initial", "finished"]
    assert events[-1]["level"] == [] and events[-1]["outcome"] == "SUCCESS"
    assert [entry["status"] for entry in sim.requests] == [429, 200, 200]
    assert {entry["auth"] for entry in sim.requests} == {"bearer"}


def test_finished_task_gives_one_event(sim):
    events = _run(_args(sim, task_id=OLD_TASK, level=["migrate"]))
    assert len(events) == 1
    assert events[0]["kind"] == "finished" and events[0]["outcome"] == "FAILED"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"task_type": "migrate", "api_token": "wrong-token-1234567890"}, "HTTP 401"),
        ({"task_type": "migrate", "task_id": NEW_TASK}, "exactly one of task_id and task_type"),
        ({"task_type": "migrate", "api_url": "http://api.example.com"}, "uses plain http"),
        ({"task_type": "migrate", "api_url": "https://me:pa55-secret@api.example.com"}, "must not contain user info"),
        ({"task_type": "migrate", "job_id": ".."}, "job_id must be an ID"),
        ({"task_id": "."}, "task_id must be an ID"),
        ({"task_type": "migrate", "request_timeout": float("inf")}, "request_timeout must be a finite number"),
        ({"task_type": "migrate", "interval": float("nan")}, "interval must be a finite number"),
        ({"task_type": "other"}, "task_type must be check or migrate"),
    ],
)
def test_errors_end_the_source(sim, monkeypatch, extra, message):
    for name in ("ATLASSIAN_API_URL", "ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    source = load_eda_source()
    with pytest.raises(source.MigrationStatusError, match=message):
        asyncio.run(asyncio.wait_for(source.main(FakeQueue(), _args(sim, **extra)), 30))


def test_documented_event_keys_match_the_events(sim):
    source = load_eda_source()
    documented = set(yaml.safe_load(source.DOCUMENTATION)["event"]["keys"])
    events = _run(_args(sim, task_type="migrate", level="migrate"))
    assert {key for event in events for key in event} == documented
    example = yaml.safe_load(source.EXAMPLES)
    assert example[0]["sources"][0]["migrationops.atlassian.migration_status"]["task_type"] == "migrate"


def test_an_error_echoing_the_credentials_ends_the_source_without_them(sim):
    echo = "Authorization: Basic %s" % base64.b64encode(("%s:%s" % (sim.credentials["email"], sim.credentials["api_token"])).encode()).decode()
    sim.add_fault({"match": {"path": "/tasks$"}, "kind": "status", "status": 400, "message": echo})
    source = load_eda_source()
    with pytest.raises(source.MigrationStatusError) as info:
        asyncio.run(asyncio.wait_for(source.main(FakeQueue(), _args(sim, task_type="migrate")), 30))
    assert "HTTP 400" in str(info.value) and echo not in str(info.value) and sim.credentials["api_token"] not in str(info.value)


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "86400"])
def test_a_huge_or_odd_retry_after_does_not_silence_the_source(sim, value):
    """Retry-After 86400 (beyond the 300 s retry budget) fails the read at once and delays the next poll by at most
    MAX_SERVER_WAIT (shortened here); inf/nan/1e308 are unusable and the client backs off on its own."""
    sim.add_fault({"match": {"path": "/status$"}, "kind": "status", "status": 429, "retry_after": value, "times": 1})
    source = load_eda_source()
    assert source._next_delay(60, type("E", (), {"retry_after": 86400.0})()) == 300  # pylint: disable=protected-access
    source.MAX_SERVER_WAIT = 0.2
    queue = FakeQueue()
    asyncio.run(asyncio.wait_for(source.main(queue, _args(sim, task_id="00000132-0000-4000-8000-0000000a0003")), 20))
    assert [event["migration"]["kind"] for event in queue.events] == ["initial", "finished"]


def test_a_json_array_answer_is_retried_at_the_next_poll_not_raised(sim):
    sim.add_fault({"match": {"path": "/status$"}, "kind": "json", "body": [{"status": "FINISHED"}], "times": 2})
    events = _run(_args(sim, task_id="00000132-0000-4000-8000-0000000a0003"))
    assert [event["kind"] for event in events] == ["initial", "finished"]
    assert [entry["fault"] for entry in sim.requests][:2] == ["json", "json"]


def test_ids_stay_one_path_segment(sim):
    """A task ID ../../x?y= must not reach /jobs/x (the job definition) or any other endpoint."""
    source = load_eda_source()
    queue = FakeQueue()
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(source.main(queue, _args(sim, task_id="../../x?y=")), 1))
    assert queue.events and queue.events[0]["migration"]["status"] == "NOT_VISIBLE"
    assert sim.requests and all(entry["path"].endswith("/status") and entry["query"] == {} for entry in sim.requests)


def test_newest_task_is_the_first_listed_not_the_greatest_created_at_string(simulator):
    job = "6f1d0c3a-1111-4222-8333-444455556666"
    older, newer = "00000132-0000-4000-8000-0000000b0001", "00000132-0000-4000-8000-0000000b0002"
    sim = simulator(
        {
            "jobs": [
                {
                    "job_id": job,
                    "tasks": [
                        # 23:00Z, but its string sorts after the other one
                        {"task_id": older, "type": "check", "created_at": "2024-09-21T01:00:00+02:00", "tree": {"finish": 0}},
                        {"task_id": newer, "type": "check", "created_at": "2024-09-20T23:30:00Z", "tree": {"finish": 0}},
                    ],
                }
            ]
        }
    )
    events = _run(_args(sim, job_id=job, task_type="check"))
    assert [event["task_id"] for event in events] == [newer]
