# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry timing: exponential backoff with full jitter, and Retry-After parsing. Pure logic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time
from email.utils import parsedate_tz, mktime_tz


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None if unusable."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, mktime_tz(parsed) - now)


class BackoffPolicy:
    """How long to sleep before each retry, within a per-sleep cap and a total budget.

    Full jitter (a uniform draw below the exponential ceiling) keeps many clients that failed
    together from retrying together, which is what Atlassian asks of API clients.
    """

    def __init__(self, retries=5, base=1.0, max_sleep=60.0, max_total=300.0, rand=None):
        self.retries = retries
        self.base = base
        self.max_sleep = max_sleep
        self.max_total = max_total
        self._rand = rand if rand is not None else random.random

    def delay(self, attempt, retry_after=None):
        """Sleep before retry number ``attempt`` (1-based). A server's Retry-After wins over jitter."""
        if retry_after is not None:
            return min(retry_after, self.max_sleep)
        ceiling = min(self.max_sleep, self.base * (2 ** (attempt - 1)))
        return self._rand() * ceiling

    def next_delay(self, attempt, slept, retry_after=None):
        """The delay before retry ``attempt``, or None when the retry or time budget is spent."""
        if attempt > self.retries:
            return None
        delay = self.delay(attempt, retry_after)
        if slept + delay > self.max_total:
            return None
        return delay
