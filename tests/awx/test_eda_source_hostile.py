# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Event-Driven Ansible source against odd answers and odd credentials, over real HTTP to the simulator:
secrets echoed by the service, statuses in another case, refused tasks, unparsable redirects, tokens with
whitespace around or inside them."""

import asyncio
import base64
import json
import logging

import pytest

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import FakeQueue, load_eda_source

JOB = "7a1d0c3a-1111-4222-8333-444455556666"
CHECK_TASK = "00000132-0000-4000-8000-0000000c0001"
REFUSED_TASK = "00000132-0000-4000-8000-0000000c0002"
SLOW_TASK = "00000132-0000-4000-8000-0000000c0003"
REFUSAL = "Migration includes invalid app keys = [com.example.gone]. These apps do not exist in the server."

SCENARIO = {
    "clock": "polls",
    "jobs": [
        {
            "job_id": JOB,
            "tasks": [
                {"task_id": CHECK_TASK, "type": "check", "created_at": "2024-09-22T01:00:00Z", "tree": {"finish": 2}},
                {"task_id": SLOW_TASK, "type": "check", "created_at": "2024-09-21T02:00:00Z", "tree": {"finish": 3}},
                # the CMA's refusal: the root alone, FINISHED/FAILED with the reason (api-service-behaviour 3.1)
                {
                    "task_id": REFUSED_TASK,
                    "type": "migrate",
                    "created_at": "2024-09-21T01:00:00Z",
                    "tree": {"finish": 0, "outcome": "FAILED", "message": REFUSAL},
                },
            ],
        }
    ],
}


def _run(args, timeout=20, source=None):
    source = source or load_eda_source()
    queue = FakeQueue()
    asyncio.run(asyncio.wait_for(source.main(queue, args), timeout))
    return [event["migration"] for event in queue.events]


@pytest.fixture
def sim(simulator, monkeypatch):
    for name in ("ATLASSIAN_API_URL", "ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return simulator(SCENARIO)


def _args(sim, **extra):
    args = {"api_url": sim.url, "email": sim.credentials["email"], "api_token": sim.credentials["api_token"], "job_id": JOB, "interval": 0.05}
    args.update(extra)
    return args


def _secrets(sim):
    token, email = sim.credentials["api_token"], sim.credentials["email"]
    return [token, base64.b64encode(("%s:%s" % (email, token)).encode()).decode()]


def _status_answer(sim, node, times=None):
    sim.add_fault({"match": {"path": "/status$"}, "kind": "json", "body": {"data": node, "links": {}}, "times": times})


# 1. what the service echoes is redacted from every event


@pytest.mark.parametrize("with_email", [True, False], ids=["basic", "bearer"])
def test_a_node_message_echoing_the_credentials_is_redacted_in_the_event(sim, with_email):
    token, basic = _secrets(sim)
    _status_answer(sim, {"status": "FINISHED", "outcome": "FAILED", "message": "token %s rejected (Authorization: Basic %s)" % (token, basic)})
    events = _run(_args(sim, task_id=CHECK_TASK, email=sim.credentials["email"] if with_email else None))
    assert [event["kind"] for event in events] == ["finished"]
    text = json.dumps(events)
    assert token not in text
    if with_email:  # without an email no Basic value is sent, and the source cannot know one
        assert basic not in text
    assert events[0]["message"].startswith("token <redacted> rejected")


def test_a_credential_in_any_event_field_is_redacted(sim):
    token, dummy = _secrets(sim)
    _status_answer(sim, {"status": "IN_PROGRESS", "message": token, "progressDetails": {"isSupported": True, "percent": token}}, times=1)
    _status_answer(sim, {"status": "FINISHED", "outcome": "SUCCESS", "message": "done"})
    events = _run(_args(sim, task_id=CHECK_TASK))
    assert [event["kind"] for event in events] == ["initial", "finished"]
    assert token not in json.dumps(events)


# 2. statuses and outcomes compare without case, as the modules compare them


def test_a_lower_case_finished_status_ends_the_source(sim):
    _status_answer(sim, {"status": "in_progress"}, times=1)
    _status_answer(sim, {"status": "finished", "outcome": "success", "message": "ok"})
    events = _run(_args(sim, task_id=CHECK_TASK))
    assert [event["kind"] for event in events] == ["initial", "finished"]
    assert [event["status"] for event in events] == ["IN_PROGRESS", "FINISHED"]
    assert events[-1]["outcome"] == "SUCCESS" and events[-1]["finished"] is True


def test_an_outcome_differing_only_in_case_is_no_change(sim):
    _status_answer(sim, {"status": "IN_PROGRESS", "outcome": "warning"}, times=1)
    _status_answer(sim, {"status": "In_Progress", "outcome": "WARNING"}, times=2)
    _status_answer(sim, {"status": "FINISHED", "outcome": "Warning"})
    events = _run(_args(sim, task_id=CHECK_TASK))
    assert [(event["kind"], event["status"], event["outcome"]) for event in events] == [
        ("initial", "IN_PROGRESS", "WARNING"),
        ("finished", "FINISHED", "WARNING"),
    ]


@pytest.mark.parametrize("percent", ["40", True, [[[40]]], {"value": 40}], ids=["string", "bool", "nested", "object"])
def test_a_percent_that_is_not_a_number_is_null(sim, percent):
    _status_answer(sim, {"status": "IN_PROGRESS", "progressDetails": {"isSupported": True, "percent": percent}}, times=1)
    _status_answer(sim, {"status": "IN_PROGRESS", "progressDetails": {"isSupported": True, "percent": 45.5}}, times=1)
    _status_answer(sim, {"status": "FINISHED", "outcome": "SUCCESS", "progressDetails": {"isSupported": True, "percent": 100}})
    events = _run(_args(sim, task_id=CHECK_TASK))
    assert [(event["kind"], event["percent"]) for event in events] == [("initial", None), ("finished", 100)]
    json.dumps(events, allow_nan=False)


# 3. a refused task (a terminal root without the level asked for) finishes the level, as in the modules


@pytest.mark.parametrize("level", ["migrate", "migrate,apps", ["check"]])
def test_a_refused_task_ends_the_source_with_the_roots_outcome(sim, level):
    events = _run(_args(sim, task_id=REFUSED_TASK, level=level))
    assert len(events) == 1
    event = events[0]
    expected = level if isinstance(level, list) else level.split(",")
    assert event["kind"] == "finished" and event["finished"] is True
    assert (event["status"], event["outcome"], event["message"]) == ("FINISHED", "FAILED", REFUSAL)
    assert event["level"] == expected and event["missing_levels"] == [",".join(expected)]
    statuses = [entry for entry in sim.requests if entry["path"].endswith("/status")]
    assert [entry["query"].get("level") for entry in statuses] == [",".join(expected), None]


def test_a_refused_newest_task_of_a_type_ends_the_source(sim):
    events = _run(_args(sim, task_type="migrate", level="migrate"))
    assert [(event["kind"], event["task_id"], event["outcome"]) for event in events] == [("finished", REFUSED_TASK, "FAILED")]


def test_a_missing_level_under_an_unfinished_root_stays_not_visible(sim):
    """The task's root finishes at its third status read: the level 'nothere' is not visible on the first
    poll (root IN_PROGRESS at read 2), then the root is FINISHED (read 4) and the level never will be."""
    events = _run(_args(sim, task_id=SLOW_TASK, level="nothere"))
    assert [(event["kind"], event["status"], event["missing_levels"]) for event in events] == [
        ("initial", "NOT_VISIBLE", []),
        ("finished", "FINISHED", ["nothere"]),
    ]


# 4. an unexpected failure of one poll is logged (no traceback, no secret) and the source polls again


def test_an_unparsable_redirect_location_is_one_clean_line(sim, caplog):
    """The source decides as a module's wait does: the transport refuses a redirect, which ends the source
    with a MigrationStatusError; nothing else escapes (the bare ValueError of an unparsable Location did),
    and no line holds a credential."""
    token, basic = _secrets(sim)
    sim.add_fault({"match": {"path": "/status$"}, "kind": "redirect", "location": "http://[bad/%s?%s" % (token, basic), "times": 1})
    source = load_eda_source()
    queue = FakeQueue()
    with caplog.at_level(logging.DEBUG):
        try:
            asyncio.run(asyncio.wait_for(source.main(queue, _args(sim, task_id=CHECK_TASK)), 20))
            ended = None
        except source.MigrationStatusError as exc:
            ended = str(exc)
    assert any(entry["fault"] == "redirect" for entry in sim.requests)
    # A redirect is refused, not retried: the source ends as a module's wait does.
    assert ended is not None and "Location" in ended and token not in ended and basic not in ended
    assert queue.events == []
    ours = [record for record in caplog.records if not record.name.startswith("werkzeug")]  # the simulator's own log
    assert all(record.exc_info is None and record.exc_text is None for record in ours)
    logged = "\n".join(record.getMessage() for record in ours)
    assert "Traceback" not in logged and token not in logged and basic not in logged


def test_any_exception_of_a_poll_is_logged_redacted_and_the_source_goes_on(sim, caplog, monkeypatch):
    """A failure no one foresaw (here a RuntimeError quoting the credentials) costs one poll, not the source."""
    token, basic = _secrets(sim)
    source = load_eda_source()
    original = source._migration_api.MigrationApi.status_tree  # pylint: disable=protected-access
    calls = []

    def flaky(self, *args):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("boom with %s and Basic %s" % (token, basic))
        return original(self, *args)

    monkeypatch.setattr(source._migration_api.MigrationApi, "status_tree", flaky)  # pylint: disable=protected-access
    with caplog.at_level(logging.DEBUG):
        events = _run(_args(sim, task_id=CHECK_TASK), source=source)
    assert [event["kind"] for event in events] == ["initial", "finished"]
    assert "RuntimeError" in caplog.text and "boom with <redacted>" in caplog.text
    assert token not in caplog.text and basic not in caplog.text and "Traceback" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


def test_an_authentication_error_still_ends_the_source(sim):
    source = load_eda_source()
    with pytest.raises(source.MigrationStatusError, match="HTTP 401"):
        _run(_args(sim, task_id=CHECK_TASK, api_token="wrong-token-1234567890"), source=source)


# 5. an API token with whitespace around it is trimmed; one with whitespace or a control character inside is refused


@pytest.mark.parametrize("with_email", [True, False], ids=["basic", "bearer"])
@pytest.mark.parametrize("padding", [("", "\n"), ("", "\r\n"), ("\n", ""), (" \t", "  \n")], ids=["lf", "crlf", "leading-lf", "spaces"])
def test_whitespace_around_the_token_is_trimmed(sim, with_email, padding):
    token = sim.credentials["api_token"]
    events = _run(_args(sim, task_id=CHECK_TASK, api_token=padding[0] + token + padding[1], email=sim.credentials["email"] if with_email else None))
    assert [event["kind"] for event in events] == ["initial", "finished"]
    assert {entry["auth"] for entry in sim.requests} == {"basic" if with_email else "bearer"}
    assert all(entry["status"] == 200 for entry in sim.requests)


def test_a_token_from_the_environment_is_trimmed(sim, monkeypatch):
    monkeypatch.setenv("ATLASSIAN_API_TOKEN", sim.credentials["api_token"] + "\n")
    args = _args(sim, task_id=CHECK_TASK)
    del args["api_token"]
    assert [event["kind"] for event in _run(args)] == ["initial", "finished"]


@pytest.mark.parametrize("inside", ["\n", "\r", " ", "\t", "\x00", "\x7f", "\u2028", "\u00a0", "\u200b"])
@pytest.mark.parametrize("with_email", [True, False], ids=["basic", "bearer"])
def test_a_token_with_whitespace_or_a_control_character_inside_is_refused_unquoted(sim, inside, with_email):
    token = sim.credentials["api_token"]
    half = len(token) // 2
    bad = token[:half] + inside + token[half:]
    source = load_eda_source()
    with pytest.raises(source.MigrationStatusError, match="api_token") as info:
        _run(_args(sim, task_id=CHECK_TASK, api_token=bad, email=sim.credentials["email"] if with_email else None), source=source)
    message = str(info.value)
    assert token[:half] not in message and token[half:] not in message and repr(bad) not in message
    assert not sim.requests


def test_a_token_of_whitespace_only_is_missing(sim):
    source = load_eda_source()
    with pytest.raises(source.MigrationStatusError, match="api_token is required"):
        _run(_args(sim, task_id=CHECK_TASK, api_token=" \n"), source=source)
