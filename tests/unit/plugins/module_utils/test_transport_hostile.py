# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ApiClient against hostile answers: server waits, deadlines, huge or odd bodies, redirects, echoed credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
import requests

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy
from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import Deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    AuthenticationError,
    DeadlineExceededError,
    TRANSIENT_ERRORS,
    RateLimitedError,
    RefusedAnswerError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._reading import MAX_ANSWER_BYTES
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock, ScriptedSession, make_response

API = "https://api.example.test"
TOKEN = "hostile-unit-token-5d1c0e9a8b7f"
EMAIL = "admin@example.com"
BASIC = base64.b64encode(("%s:%s" % (EMAIL, TOKEN)).encode()).decode()
WALL = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 UTC


def make_client(answers, clock=None, deadline_seconds=None, email=EMAIL, retries=5, warnings=None):
    clock = clock or FakeClock()
    session = ScriptedSession(answers)
    deadline = Deadline(deadline_seconds, clock.clock) if deadline_seconds is not None else None
    client = ApiClient(
        API,
        TOKEN,
        email=email,
        policy=BackoffPolicy(retries=retries, rand=lambda: 1.0),
        sleep=clock.sleep,
        session=session,
        deadline=deadline,
        clock=clock.clock,
        wall=lambda: WALL + clock.now,
        warn=None if warnings is None else warnings.append,
    )
    return client, session, clock


def rate_limited(**headers):
    return make_response(429, {"errorMessage": "Too many requests"}, headers=headers)


def test_retry_after_beyond_the_retry_budget_fails_at_once_saying_when():
    client, session, clock = make_client([rate_limited(**{"Retry-After": "86400"})])
    with pytest.raises(RateLimitedError) as info:
        client.get_json("/migrations/public/v1/jobs/j/tasks")
    assert clock.sleeps == [] and len(session.calls) == 1
    message = str(info.value)
    assert "retry in 86400 s (at 2023-11-15 22:13:20 UTC)" in message and "300 s retry budget" in message
    assert info.value.retry_after == 86400


def test_retry_after_beyond_the_deadline_fails_at_once():
    client, dummy, clock = make_client([rate_limited(**{"Retry-After": "120"})], deadline_seconds=65)
    with pytest.raises(RateLimitedError) as info:
        client.get_json("/x")
    assert clock.sleeps == []
    assert "retry in 120 s" in str(info.value) and "65 s left before the deadline" in str(info.value)


def test_a_429_storm_never_sleeps_past_the_deadline():
    answers = [rate_limited(**{"Retry-After": "10"}) for dummy in range(50)]
    client, dummy, clock = make_client(answers, deadline_seconds=25, retries=50)
    with pytest.raises(RateLimitedError):
        client.get_json("/x")
    assert clock.sleeps == [10.0, 10.0] and clock.now <= 25


def test_without_deadline_retry_sleeps_of_the_whole_call_stay_within_300_s():
    answers = []
    for dummy in range(10):
        answers += [rate_limited(**{"Retry-After": "50"}), make_response(body={})]
    client, dummy, clock = make_client(answers)
    with pytest.raises(RateLimitedError) as info:
        for dummy in range(10):
            client.get_json("/x")
    assert sum(clock.sleeps) <= 300 and client.slept == sum(clock.sleeps) == 300
    assert "retry in 50 s" in str(info.value)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "1e308", "99999999999999999999", "soon", "Fri, 99 Foo 2024", "-5"])
def test_unusable_retry_after_values_fall_back_to_backoff(value):
    client, dummy, clock = make_client([rate_limited(**{"Retry-After": value}), make_response(body={"ok": True})])
    assert client.get_json("/x") == {"ok": True}
    assert clock.sleeps == ([0.0] if value == "-5" else [1.0])


@pytest.mark.parametrize(
    "value,wait",
    [("2023-11-14T22:14Z", 40.0), ("2023-11-14T22:13:50Z", 30.0), ("2023-11-14T23:13:30+01:00", 10.0), ("1700000020", 20.0), ("7", 7.0)],
)
def test_x_ratelimit_reset_is_honoured_like_retry_after(value, wait):
    client, dummy, clock = make_client([rate_limited(**{"X-RateLimit-Reset": value}), make_response(body={})])
    client.get_json("/x")
    assert clock.sleeps == [wait]


def test_no_request_once_the_deadline_has_passed():
    clock = FakeClock()
    client, session, clock = make_client([make_response(body={})], clock=clock, deadline_seconds=5)
    clock.now = 6
    with pytest.raises(DeadlineExceededError) as info:
        client.get_json("/x")
    assert session.calls == [] and "deadline" in str(info.value)


def test_each_request_timeout_is_bounded_by_what_the_deadline_leaves():
    client, session, clock = make_client([make_response(body={})], deadline_seconds=12)
    clock.now = 4
    client.timeout = 30
    client.get_json("/x")
    assert session.calls[0]["kwargs"]["timeout"] == 8
    assert session.calls[0]["kwargs"]["allow_redirects"] is False and session.calls[0]["kwargs"]["stream"] is True


class StreamedResponse(requests.Response):
    """A 200 whose body is produced chunk by chunk, counting what was consumed."""

    def __init__(self, chunks, on_chunk=None):
        super(StreamedResponse, self).__init__()
        self.status_code = 200
        self.headers["Content-Type"] = "application/json"
        self._chunks = chunks
        self._on_chunk = on_chunk
        self.consumed = 0
        self.closed = False

    def iter_content(self, chunk_size=1, decode_unicode=False):
        for chunk in self._chunks:
            self.consumed += len(chunk)
            if self._on_chunk:
                self._on_chunk()
            yield chunk

    def close(self):
        self.closed = True


def endless(chunk=b" " * 65536):
    while True:
        yield chunk


def test_an_answer_over_the_cap_is_refused_without_reading_the_rest():
    response = StreamedResponse(endless())
    client, dummy, dummy = make_client([response])
    with pytest.raises(UnexpectedResponseError) as info:
        client.get_json("/migrations/public/v1/jobs/j/tasks")
    assert "larger than 8 MiB" in str(info.value) and "GET /migrations/public/v1/jobs/j/tasks" in str(info.value)
    assert MAX_ANSWER_BYTES < response.consumed <= MAX_ANSWER_BYTES + 65536 and response.closed


def dripping(clock):
    def tick():
        clock.now += 1.0  # one byte a second

    return StreamedResponse(endless(b"{"), on_chunk=tick)


def test_a_dripped_body_ends_at_request_timeout_and_is_retried_like_a_read_timeout():
    clock = FakeClock()
    responses = [dripping(clock) for dummy in range(3)]
    client, session, clock = make_client(responses, clock=clock, retries=2)
    client.timeout = 5
    with pytest.raises(TransportError) as info:
        client.get_json("/x")
    assert len(session.calls) == 3 and all(response.closed for response in responses)
    assert clock.now <= 3 * 5 + sum(clock.sleeps)
    assert "not complete within 5s" in str(info.value) and "whole request" in str(info.value)


def test_a_dripped_body_cut_by_the_deadline_ends_the_call():
    clock = FakeClock()
    client, session, clock = make_client([dripping(clock), dripping(clock)], clock=clock, deadline_seconds=3)
    client.timeout = 30
    with pytest.raises(DeadlineExceededError) as info:
        client.get_json("/x")
    assert len(session.calls) == 1 and clock.now <= 3
    assert "not complete within 3s" in str(info.value) and "deadline left no more" in str(info.value)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        # deeper than ansible-core 2.16's wrap_var can take on the controller, which Python's decoder takes
        ('{"a": %s1%s}' % ("[" * 200, "]" * 200), "nested too deeply"),
        ('{"a": %s}' % ('{"b": ' * 200 + "1" + "}" * 200), "nested too deeply"),
        ("[1, 2]", "got a JSON array"),
        ('"a string"', "got a JSON string"),
        ("42", "got a JSON number"),
        ("null", "got JSON null"),
        ('{"percent": NaN}', "NaN"),
        ('{"percent": Infinity}', "Infinity"),
    ],
)
def test_odd_json_is_named_never_malformed(text, expected):
    client, session, dummy = make_client([make_response(200, text=text, headers={"Content-Type": "application/json"})])
    with pytest.raises(UnexpectedResponseError) as info:
        client.get_json("/x")
    assert expected in str(info.value) and "malformed" not in str(info.value)
    assert len(session.calls) == 1  # the same answer would come back: not retried


def test_a_status_tree_as_deep_as_the_module_takes_is_decoded():
    # _status_tree.MAX_DEPTH levels of children, each a node object and its children object: about 130 deep.
    node = {"status": "FINISHED"}
    for level in range(64):
        node = {"status": "FINISHED", "children": {"level-%d" % level: node}}
    client, dummy, dummy = make_client([make_response(200, text=json.dumps({"data": node}), headers={"Content-Type": "application/json"})])
    assert client.get_json("/x")["data"]["children"]["level-63"]["status"] == "FINISHED"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_api_calls_follow_no_redirect(status):
    redirect = make_response(status, text="", headers={"Location": "https://evil.example:8443/steal?token=x"})
    client, session, dummy = make_client([redirect, make_response(body={"data": "evil"})])
    with pytest.raises(RefusedAnswerError) as info:
        client.get_json("/migrations/public/v1/jobs/j/tasks/t/status")
    assert not isinstance(info.value, TRANSIENT_ERRORS)  # a wait ends at once
    assert len(session.calls) == 1
    assert "redirect (HTTP %d) to https://evil.example:8443" % status in str(info.value)
    assert "steal" not in str(info.value) and "token=x" not in str(info.value)


LINK = "https://s3.example.test/bucket/report.csv?X-Amz-Signature=sig-abcdef"


def test_download_follows_an_https_redirect_without_credentials():
    moved = make_response(302, text="", headers={"Location": "https://s3.eu.example.test/bucket/report.csv?X-Amz-Signature=sig2"})
    client, session, dummy = make_client([moved, make_response(200, text="a,b\n")])
    session.headers["Cookie"] = "atlassian.xsrf.token=api-cookie"
    response = client.open_download(LINK)
    assert response.status_code == 200 and len(session.calls) == 2
    assert session.calls[1]["url"].startswith("https://s3.eu.example.test/")
    for call in session.calls:
        assert "Authorization" not in call["headers"] and "Cookie" not in call["headers"]
        assert call["kwargs"]["allow_redirects"] is False


@pytest.mark.parametrize("location", ["http://evil.example/report.csv", "ftp://evil.example/r", "//evil.example:80/r"])
def test_download_refuses_a_redirect_off_https(location):
    if location.startswith("//"):
        link = "http://127.0.0.1:9/bucket/r?X-Amz-Signature=s"  # loopback http link, redirect to another host over http
    else:
        link = LINK
    client, session, dummy = make_client([make_response(302, text="", headers={"Location": location}), make_response(200, text="evil")])
    with pytest.raises(UnexpectedResponseError) as info:
        client.open_download(link)
    assert len(session.calls) == 1 and "refused" in str(info.value)


def test_download_redirect_loop_is_bounded():
    loop = [make_response(302, text="", headers={"Location": "/bucket/again"}) for dummy in range(10)]
    client, session, dummy = make_client(loop)
    with pytest.raises(UnexpectedResponseError) as info:
        client.open_download(LINK)
    assert len(session.calls) == 4 and "more than 3 times" in str(info.value)


def test_an_error_body_echoing_the_authorization_header_is_scrubbed():
    echo = {"errorMessage": "bad header Authorization: Basic %s (token %s, Bearer %s)" % (BASIC, TOKEN, TOKEN)}
    client, dummy, dummy = make_client([make_response(400, echo)])
    with pytest.raises(Exception) as info:
        client.get_json("/x")
    message = str(info.value)
    assert BASIC not in message and TOKEN not in message and "<redacted>" in message


def test_added_secrets_are_scrubbed_from_every_error():
    minted = "minted-connection-token-0c9e7d"
    client, dummy, dummy = make_client([make_response(400, {"errorMessage": "token %s refused" % minted})])
    client.add_secret(minted)
    with pytest.raises(Exception) as info:
        client.post_json("/migrations/public/v1/token", {})
    assert minted not in str(info.value)
    assert client.redact({"nested": ["x %s y" % minted]}) == {"nested": ["x <redacted> y"]}


def test_bearer_on_the_migration_api_warns_once_and_401_says_why():
    warnings = []
    answers = [make_response(body={}), make_response(body={}), make_response(401, {"errorMessage": "Unauthorized"})]
    client, dummy, dummy = make_client(answers, email=None, warnings=warnings)
    client.get_json("/migrations/reports/v1/id-mappings/j")
    assert warnings == []  # the ID Mapping API takes Bearer
    client.get_json("/migrations/public/v1/jobs/j/tasks")
    with pytest.raises(AuthenticationError) as info:
        client.get_json("/migrations/public/v1/jobs/j/tasks")
    assert len(warnings) == 1 and "Migration API" in warnings[0] and "email" in warnings[0]
    assert "Basic" in str(info.value) and "ATLASSIAN_EMAIL" in str(info.value)


def test_basic_auth_gives_no_bearer_warning():
    warnings = []
    client, dummy, dummy = make_client([make_response(body={})], warnings=warnings)
    client.get_json("/migrations/public/v1/jobs/j/tasks")
    assert warnings == []


def test_an_unparsable_redirect_location_is_named_not_a_crash():
    client, dummy, dummy = make_client([make_response(302, text="", headers={"Location": "http://[bad/x"})])
    with pytest.raises(RefusedAnswerError, match="an unparsable Location"):
        client.get_json("/x")
    client, dummy, dummy = make_client([make_response(302, text="", headers={"Location": "http://[bad/x"})])
    with pytest.raises(UnexpectedResponseError, match="redirected to an unparsable Location"):
        client.open_download(LINK)


def test_a_header_that_http_client_refuses_fails_without_quoting_it():
    refusal = ValueError("Invalid header value b'Bearer %s\\n'" % TOKEN)
    client, dummy, dummy = make_client([refusal])
    with pytest.raises(AtlassianError) as info:
        client.get_json("/x")
    assert "the request failed: Python refused a header value" in str(info.value) and TOKEN not in str(info.value)
    client, dummy, dummy = make_client([ValueError("URL can't contain control characters. %r" % LINK)])
    with pytest.raises(UnexpectedResponseError) as info:
        client.open_download(LINK)
    assert "sig-abcdef" not in str(info.value)


@pytest.mark.parametrize("offset", [150, 170, 190, 199])
def test_a_non_json_error_body_cut_short_never_shows_part_of_a_secret(offset):
    body = "x" * offset + " token " + TOKEN + " and more text after it"
    client, dummy, dummy = make_client([make_response(400, text=body)])
    with pytest.raises(AtlassianError) as info:
        client.get_json("/x")
    for length in range(6, len(TOKEN) + 1):
        assert TOKEN[:length] not in str(info.value)


def test_an_empty_success_answer_is_called_empty():
    client, dummy, dummy = make_client([make_response(200, text="")], retries=0)
    with pytest.raises(UnexpectedResponseError, match="expected a JSON object, got an empty answer"):
        client.get_json("/x")
