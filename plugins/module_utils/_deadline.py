# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one deadline of a module call, and the checks that keep every time value finite. Pure logic.

With ``wait: true`` a call must end within ``wait_timeout + request_timeout + 10`` seconds of its
start whatever the server does (contract, "One deadline"): every request, retry sleep,
``Retry-After`` and page follows the same ``Deadline``. Without ``wait`` the deadline is unbounded
and only the retry-sleep budget (300 s), ``request_timeout`` per request and the bound of a walk
over pages (``_pagination.WALK_SECONDS``, a ``part`` of the call's deadline) apply.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import time

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError

# Far beyond any real wait, far below what time.sleep() and datetime accept (OverflowError).
MAX_WAIT_SECONDS = 366 * 86400
MAX_REQUEST_SECONDS = 86400


class Deadline:
    """A point in time (on ``clock``, a monotonic clock) after which a call must not go on.

    ``seconds=None`` is a call without a deadline: ``remaining()`` is None and nothing expires.
    """

    def __init__(self, seconds=None, clock=time.monotonic):
        self._clock = clock
        self.seconds = seconds
        self.started = clock()
        self.expires_at = None if seconds is None else self.started + seconds

    @property
    def bounded(self):
        return self.expires_at is not None

    def remaining(self):
        """Seconds left (never negative), or None without a deadline."""
        if self.expires_at is None:
            return None
        return max(0.0, self.expires_at - self._clock())

    def expired(self):
        return self.expires_at is not None and self._clock() >= self.expires_at

    def bound(self, seconds):
        """``seconds`` shortened to what is left of the deadline."""
        left = self.remaining()
        return seconds if left is None else min(seconds, left)

    def elapsed(self):
        return self._clock() - self.started

    def part(self, seconds):
        """A Deadline ``seconds`` from now on the same clock: the bound of one part of the call, checked beside this one."""
        return Deadline(seconds, self._clock)


def finite_seconds(value, option, minimum=0.0, maximum=MAX_WAIT_SECONDS, allow_zero=True):
    """``value`` as a float of seconds, or InvalidParameterError naming ``option`` (inf, nan, huge, negative)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError("%s must be a number of seconds, got %r" % (option, value))
    if math.isnan(seconds) or math.isinf(seconds):
        raise InvalidParameterError("%s must be a finite number of seconds, got %s" % (option, value))
    if seconds < minimum or (seconds == 0 and not allow_zero):
        raise InvalidParameterError("%s must be %s seconds, got %s" % (option, "a positive number of" if not allow_zero else "0 or more", value))
    if seconds > maximum:
        raise InvalidParameterError("%s must be at most %d seconds, got %s" % (option, maximum, value))
    return seconds


def call_deadline(params, clock=time.monotonic):
    """The Deadline of a module call from its validated parameters.

    ``wait: true`` with a ``wait_timeout``: ``wait_timeout + request_timeout`` from now (the 10 s
    of the contract are left for the module's start and exit). Anything else: no deadline.
    Raises InvalidParameterError for a non-finite, negative or huge ``wait_timeout`` or
    ``request_timeout``, before any request.
    """
    request_timeout = finite_seconds(params.get("request_timeout", 30), "request_timeout", maximum=MAX_REQUEST_SECONDS, allow_zero=False)
    if params.get("wait_timeout") is None:
        return Deadline(None, clock)
    wait_timeout = finite_seconds(params["wait_timeout"], "wait_timeout")
    if not params.get("wait"):
        return Deadline(None, clock)
    return Deadline(wait_timeout + request_timeout, clock)
