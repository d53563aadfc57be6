# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import parse_rate_limit_reset, parse_retry_after, server_wait
from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import Deadline, call_deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import DeadlineExceededError, InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._pagination import iterate_pages

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def test_deadline_counts_down_on_its_clock():
    clock = FakeClock(100.0)
    deadline = Deadline(30, clock.clock)
    assert deadline.bounded and deadline.remaining() == 30 and deadline.bound(50) == 30 and deadline.bound(5) == 5
    clock.now = 125
    assert deadline.remaining() == 5 and not deadline.expired() and deadline.elapsed() == 25
    clock.now = 131
    assert deadline.remaining() == 0 and deadline.expired()


def test_no_deadline_never_expires():
    deadline = Deadline(None, FakeClock().clock)
    assert not deadline.bounded and deadline.remaining() is None and deadline.bound(30) == 30 and not deadline.expired()


def test_call_deadline_is_wait_timeout_plus_request_timeout_only_when_waiting():
    clock = FakeClock()
    assert call_deadline({"wait": True, "wait_timeout": 60, "request_timeout": 30.0}, clock.clock).seconds == 90
    assert not call_deadline({"wait": False, "wait_timeout": 60, "request_timeout": 30.0}, clock.clock).bounded
    assert not call_deadline({"request_timeout": 30.0}, clock.clock).bounded
    assert call_deadline({"wait": True, "wait_timeout": 0, "request_timeout": 5}, clock.clock).seconds == 5


@pytest.mark.parametrize(
    "params,option",
    [
        ({"request_timeout": float("inf")}, "request_timeout"),
        ({"request_timeout": float("nan")}, "request_timeout"),
        ({"request_timeout": 1e308}, "request_timeout"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"request_timeout": -1}, "request_timeout"),
        ({"request_timeout": 30, "wait": True, "wait_timeout": 10**308}, "wait_timeout"),
        ({"request_timeout": 30, "wait": True, "wait_timeout": float("inf")}, "wait_timeout"),
        ({"request_timeout": 30, "wait": False, "wait_timeout": -5}, "wait_timeout"),
    ],
)
def test_non_finite_huge_or_negative_timeouts_are_refused_naming_the_option(params, option):
    with pytest.raises(InvalidParameterError) as info:
        call_deadline(params)
    assert str(info.value).startswith(option)


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e400", "1e308", "Infinity", "x", "", None, "Mon, 99 Abc 99999 99:99:99 GMT"])
def test_retry_after_unusable_values(value):
    assert parse_retry_after(value, now=NOW) is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2023-11-14T22:14Z", 40.0),
        ("2023-11-14T22:14:00.250Z", 40.0),
        ("2023-11-14T22:14:00+00:00", 40.0),
        ("2023-11-14 22:14:00", 40.0),
        ("2023-11-14T23:14+0100", 40.0),
        ("1700000040", 40.0),
        ("12", 12.0),
        ("2023-11-14T22:00Z", 0.0),
    ],
)
def test_rate_limit_reset_forms(value, expected):
    assert parse_rate_limit_reset(value, now=NOW) == expected


@pytest.mark.parametrize("value", ["2023-13-40T99:99Z", "tomorrow", "nan", "inf", "9999999999999", "99999-01-01T00:00Z", None])
def test_rate_limit_reset_unusable(value):
    assert parse_rate_limit_reset(value, now=NOW) is None


def test_retry_after_wins_over_rate_limit_reset():
    assert server_wait({"Retry-After": "5", "X-RateLimit-Reset": "2023-11-14T22:14Z"}, now=NOW) == 5
    assert server_wait({"Retry-After": "nan", "X-RateLimit-Reset": "2023-11-14T22:14Z"}, now=NOW) == 40
    assert server_wait({}, now=NOW) is None


def test_pagination_stops_at_the_deadline_on_ever_new_cursors():
    clock = FakeClock()
    deadline = Deadline(10, clock.clock)
    fetched = []

    def fetch(url, params):
        clock.now += 1
        fetched.append(params)
        return {"data": [], "links": {"next": "cursor-%d" % len(fetched)}}

    with pytest.raises(DeadlineExceededError) as info:
        list(iterate_pages(fetch, "https://api.example.test/x", None, deadline=deadline))
    assert len(fetched) == 10 and "links.next" in str(info.value)
