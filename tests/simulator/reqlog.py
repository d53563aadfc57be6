"""The request log: in memory and optionally as JSON lines in a file.

An entry is ``{ts, method, path, query, status, auth, bytes_sent, fault, rate_limited}``.
``auth`` is only the scheme; presigned-URL secrets in the query are replaced by ``REDACTED``.
Entries become visible when the response starts; ``bytes_sent`` is final once it ends.
"""

import copy
import json
import threading
from datetime import datetime, timezone

from .auth import auth_scheme

REDACTED_QUERY = ("X-Amz-Signature", "X-Amz-Credential")


def _query(request):
    query = {}
    for key in request.args:
        values = request.args.getlist(key)
        if key in REDACTED_QUERY:
            values = ["REDACTED"] * len(values)
        query[key] = values[0] if len(values) == 1 else values
    return query


class RequestLog:
    def __init__(self, path=None, on_finish=None):
        self.path = path
        self.on_finish = on_finish
        self._entries = []
        self._lock = threading.Lock()
        self._file_lock = threading.Lock()

    @staticmethod
    def begin(request):
        return {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": request.method,
            "path": request.path,
            "query": _query(request),
            "status": None,
            "auth": auth_scheme(request.headers.get("Authorization")),
            "bytes_sent": 0,
            "fault": None,
            "rate_limited": False,
        }

    def commit(self, entry):
        with self._lock:
            self._entries.append(entry)

    def finish(self, entry):
        if self.path:
            line = json.dumps(entry, sort_keys=True) + "\n"
            with self._file_lock:
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line)
        if self.on_finish is not None:
            self.on_finish(dict(entry))

    def entries(self):
        with self._lock:
            return copy.deepcopy(self._entries)

    def clear(self):
        with self._lock:
            self._entries = []
