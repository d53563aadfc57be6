"""Sliding-window rate limits per credential and bucket (doc section 6).

Buckets: ``read`` (GETs on the Migration API), ``create_job`` and ``create_task`` (POST jobs,
POST tasks: 5 a minute each, the limits are stated per endpoint) and ``idmapping`` (every ID
mapping request). A limit of ``None`` means unlimited.
"""

import collections
import math
import threading
import time

from werkzeug.http import http_date

from .responses import ApiError


class RateLimiter:
    def __init__(self, config, clock):
        self.window = float(config["window"])
        self.limits = {
            "read": config["read_per_window"],
            "create_job": config["create_per_window"],
            "create_task": config["create_per_window"],
            "idmapping": config["idmapping_per_window"],
        }
        self.header_style = config["retry_after_header"]
        self.clock = clock
        self._hits = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def hit(self, bucket, key):
        """Count a request; raise the 429 envelope when the window is already full."""
        limit = self.limits.get(bucket)
        if limit is None:
            return
        now = self.clock.monotonic()
        with self._lock:
            hits = self._hits[(bucket, key)]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) < limit:
                hits.append(now)
                return
            wait = max(1, math.ceil(hits[0] + self.window - now)) if hits else math.ceil(self.window)
        raise ApiError(429, "Rate limit exceeded", headers=self._retry_after(wait))

    def _retry_after(self, wait):
        if self.header_style == "seconds":
            return {"Retry-After": str(wait)}
        if self.header_style == "http-date":
            return {"Retry-After": http_date(time.time() + wait)}
        return {}
