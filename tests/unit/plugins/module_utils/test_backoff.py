# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy, parse_retry_after


@pytest.mark.parametrize("value,expected", [("0", 0.0), ("12", 12.0), (" 3.5 ", 3.5), ("-4", 0.0), (None, None), ("", None), ("soon", None)])
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    now = 1_700_000_000  # Tue, 14 Nov 2023 22:13:20 GMT
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now=now) == 30
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now=now) == 0


def test_full_jitter_stays_below_exponential_ceiling():
    draws = iter([0.5, 0.5, 0.5, 0.5])
    policy = BackoffPolicy(base=2.0, max_sleep=100, rand=lambda: next(draws))
    assert [policy.delay(attempt) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]


def test_jitter_uses_random_draws():
    policy = BackoffPolicy(base=1.0)
    delays = {policy.delay(5) for dummy in range(50)}
    assert len(delays) > 1 and all(0 <= d <= 16 for d in delays)


def test_per_sleep_cap_applies_to_backoff_and_retry_after():
    policy = BackoffPolicy(base=1.0, max_sleep=10, rand=lambda: 1.0)
    assert policy.delay(10) == 10
    assert policy.delay(1, retry_after=500) == 10
    assert policy.delay(1, retry_after=3) == 3


def test_next_delay_respects_retry_count_and_total_budget():
    policy = BackoffPolicy(retries=2, base=1.0, max_sleep=50, max_total=5, rand=lambda: 1.0)
    assert policy.next_delay(1, slept=0) == 1.0
    assert policy.next_delay(3, slept=0) is None
    assert policy.next_delay(2, slept=4.5) is None
