# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A wait loop over plain functions and an injectable clock, independent of HTTP and AnsibleModule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time


class WaitResult:
    """What a wait ended with: the last polled value and how the wait went."""

    def __init__(self, value, done, timed_out, elapsed, polls):
        self.value = value
        self.done = done
        self.timed_out = timed_out
        self.elapsed = elapsed
        self.polls = polls


def honour_retry_after(error, interval, sleep, remaining):
    """Before the next poll of a wait, sleep whatever of the server's Retry-After ``interval`` does not cover.

    A wait that polled into a rate limit must not come back sooner than the server asked, nor
    sleep past its own end: at most ``remaining`` seconds (the time left of the wait) are slept,
    so a ``Retry-After`` of a day ends the wait at its timeout and a read without a wait at once.
    """
    retry_after = getattr(error, "retry_after", None)
    if not retry_after or retry_after <= interval:
        return
    delay = min(remaining, retry_after - interval)
    if delay > 0:
        sleep(delay)


def wait_for(poll, is_done, timeout, interval, clock=time.monotonic, sleep=time.sleep):
    """Call ``poll()`` every ``interval`` seconds until ``is_done(value)`` or ``timeout`` seconds pass.

    The last poll happens at the deadline, never after it, so completion is detected within one
    interval and a timeout is reported only when the final poll still was not done.
    """
    start = clock()
    polls = 0
    while True:
        polls += 1
        value = poll()
        elapsed = clock() - start
        if is_done(value):
            return WaitResult(value, True, False, elapsed, polls)
        remaining = timeout - elapsed
        if remaining <= 0:
            return WaitResult(value, False, True, elapsed, polls)
        sleep(min(interval, remaining))
