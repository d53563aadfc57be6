# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes for unit tests: a scripted HTTP session that records what it was asked, a clock, and errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import requests

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import TransportError


def make_response(status=200, body=None, headers=None, text=None, url="https://api.example.test/x"):
    response = requests.Response()
    response.status_code = status
    response.url = url
    response.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Status")
    if text is None and body is not None:
        text = json.dumps(body)
        response.headers["Content-Type"] = "application/json"
    response._content = (text or "").encode("utf-8")
    response._content_consumed = True  # iter_content() then yields the body, as from a socket
    response.headers.update(headers or {})
    return response


class ScriptedSession:
    """Stands in for requests.Session: each call takes the next scripted answer (a Response or an exception)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []
        self.headers = {}

    def request(self, method, url, params=None, json=None, auth=None, **kwargs):
        prepared = requests.Request(method, url, params=params, json=json).prepare()
        if auth is not None:
            prepared = auth(prepared)
        self.calls.append({"method": method, "url": url, "params": params, "json": json, "headers": dict(prepared.headers), "kwargs": kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)


class FakeClock:
    """``clock()`` and ``sleep()`` for wait loops: sleeping only moves the time on, and is recorded."""

    def __init__(self, start=0.0):
        self.now = start
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def refused_connection():
    """A refused connection, as the transport reports it: the request never went out."""
    error = TransportError("connection refused")
    error.request_sent = False
    return error
