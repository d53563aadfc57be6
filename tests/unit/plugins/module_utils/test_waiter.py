# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._waiter import honour_retry_after, wait_for
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock


def test_returns_at_once_when_done():
    fake = FakeClock(start=1000.0)
    result = wait_for(lambda: "FINISHED", lambda v: v == "FINISHED", timeout=60, interval=10, clock=fake.clock, sleep=fake.sleep)
    assert result.done and not result.timed_out and result.polls == 1 and fake.sleeps == []


def test_polls_every_interval_until_done():
    fake = FakeClock(start=1000.0)
    values = iter(["PENDING", "IN_PROGRESS", "IN_PROGRESS", "FINISHED"])
    result = wait_for(lambda: next(values), lambda v: v == "FINISHED", timeout=600, interval=15, clock=fake.clock, sleep=fake.sleep)
    assert result.done and result.value == "FINISHED" and result.polls == 4
    assert fake.sleeps == [15, 15, 15] and result.elapsed == 45


def test_timeout_polls_last_at_the_deadline():
    fake = FakeClock(start=1000.0)
    result = wait_for(lambda: "IN_PROGRESS", lambda v: False, timeout=40, interval=15, clock=fake.clock, sleep=fake.sleep)
    assert result.timed_out and not result.done
    assert fake.sleeps == [15, 15, 10]  # never sleeps past the deadline
    assert result.polls == 4 and result.elapsed == 40


def test_completion_seen_on_the_final_poll_is_not_a_timeout():
    fake = FakeClock(start=1000.0)
    values = iter(["IN_PROGRESS", "IN_PROGRESS", "FINISHED"])
    result = wait_for(lambda: next(values), lambda v: v == "FINISHED", timeout=20, interval=10, clock=fake.clock, sleep=fake.sleep)
    assert result.done and not result.timed_out


def test_zero_timeout_means_one_poll():
    fake = FakeClock(start=1000.0)
    result = wait_for(lambda: "IN_PROGRESS", lambda v: False, timeout=0, interval=10, clock=fake.clock, sleep=fake.sleep)
    assert result.timed_out and result.polls == 1 and fake.sleeps == []


def test_slow_polls_count_against_the_timeout():
    fake = FakeClock(start=1000.0)

    def slow_poll():
        fake.now += 25
        return "IN_PROGRESS"

    result = wait_for(slow_poll, lambda v: False, timeout=60, interval=10, clock=fake.clock, sleep=fake.sleep)
    assert result.timed_out and result.polls == 2 and result.elapsed == 60


class Limited(Exception):
    def __init__(self, retry_after):
        super(Limited, self).__init__("429")
        self.retry_after = retry_after


def test_retry_after_beyond_the_interval_sleeps_the_difference():
    fake = FakeClock()
    honour_retry_after(Limited(40), 15, fake.sleep, remaining=600)
    assert fake.sleeps == [25]


def test_retry_after_never_sleeps_past_the_end_of_the_wait():
    fake = FakeClock()
    honour_retry_after(Limited(86400), 15, fake.sleep, remaining=100)
    honour_retry_after(Limited(float("inf")), 15, fake.sleep, remaining=50)
    honour_retry_after(Limited(86400), 15, fake.sleep, remaining=0)
    honour_retry_after(Limited(86400), 15, fake.sleep, remaining=-3)
    assert fake.sleeps == [100, 50]


def test_retry_after_within_the_interval_or_absent_sleeps_nothing():
    fake = FakeClock()
    honour_retry_after(Limited(10), 15, fake.sleep, remaining=600)
    honour_retry_after(Limited(None), 15, fake.sleep, remaining=600)
    honour_retry_after(ValueError("no retry_after"), 15, fake.sleep, remaining=600)
    assert fake.sleeps == []
