# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry timing: exponential backoff with full jitter, and Retry-After parsing. Pure logic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import math
import random
import re
import time
from email.utils import parsedate_tz, mktime_tz

# A server's wait beyond this is not a wait but a broken header: it is ignored like garbage.
MAX_SERVER_WAIT = 366 * 86400.0
# X-RateLimit-Reset values at or above this are epoch seconds, below it seconds from now.
EPOCH_THRESHOLD = 1e9
_ISO_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|z|UTC|[+-]\d{2}:?\d{2})?$")


def _usable(seconds):
    """A finite wait within MAX_SERVER_WAIT (negative means now), or None: inf, nan and huge are unusable."""
    if seconds is None or math.isnan(seconds) or math.isinf(seconds) or seconds > MAX_SERVER_WAIT:
        return None
    return max(0.0, seconds)


def _number(value):
    try:
        return float(value)
    except (ValueError, OverflowError):
        return None


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None if unusable.

    ``inf``, ``nan``, numbers beyond a year and garbage are unusable (the client then backs off on
    its own); a negative number or a past date means "now".
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is not None or value.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return _usable(seconds)
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    now = time.time() if now is None else now
    try:
        return _usable(mktime_tz(parsed) - now)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_rate_limit_reset(value, now=None):
    """Seconds to wait from an X-RateLimit-Reset header, or None if unusable.

    Atlassian documents ``yyyy-MM-ddTHH:mmZ``; other ISO 8601 forms, epoch seconds and small
    numbers (seconds from now) are accepted too.
    """
    if value is None:
        return None
    value = str(value).strip()
    now = time.time() if now is None else now
    seconds = _number(value)
    if seconds is not None:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return _usable(seconds - now if seconds >= EPOCH_THRESHOLD else seconds)
    match = _ISO_TIME.match(value)
    if not match:
        return None
    year, month, day, hour, minute = (int(part) for part in match.group(1, 2, 3, 4, 5))
    second = int(match.group(6) or 0)
    zone = match.group(7) or "Z"
    offset = 0
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * (1 if zone[0] == "+" else -1)
    try:
        epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    except (OverflowError, ValueError):
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    return _usable(epoch - now)


def server_wait(headers, now=None):
    """What a 429/503 answer asks to wait: Retry-After, else X-RateLimit-Reset; None if neither is usable."""
    retry_after = parse_retry_after(headers.get("Retry-After"), now)
    if retry_after is None:
        retry_after = parse_rate_limit_reset(headers.get("X-RateLimit-Reset"), now)
    return retry_after


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
