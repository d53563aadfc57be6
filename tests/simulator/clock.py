"""Time sources of the simulator.

Two notions of time, both shifted by ``advance()``:

* ``sim_seconds()``: simulated seconds since the simulator started, running ``speed`` times
  faster than real time. Drives ``clock: seconds`` status timelines and the ID mapping TTLs.
* ``wall()`` / ``monotonic()``: real time (epoch / monotonic) plus the advanced offset. Drives
  presigned link expiry and rate-limit windows, which model the client's real clock.
"""

import threading
import time


class SimClock:
    def __init__(self, speed=1.0):
        self.speed = float(speed)
        self._start = time.monotonic()
        self._advanced = 0.0
        self._lock = threading.Lock()

    def advance(self, seconds):
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("the simulated clock cannot go backwards")
        with self._lock:
            self._advanced += seconds
        return self._advanced

    @property
    def advanced(self):
        return self._advanced

    def sim_seconds(self):
        return (time.monotonic() - self._start) * self.speed + self._advanced

    def wall(self):
        return time.time() + self._advanced

    def monotonic(self):
        return time.monotonic() + self._advanced
