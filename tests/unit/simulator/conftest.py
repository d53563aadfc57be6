"""Helpers for the simulator's own tests: an HTTP client and scenario builders.

The ``simulator`` fixture itself comes from tests/conftest.py.
"""

import pytest
import requests

MAPI = "/migrations/public/v1"
IDM = "/migrations/reports/v1/id-mappings"
JOB = "job-1"
TASK = "task-1"


class Client:
    """``requests`` against one simulator with its first credential (Basic auth)."""

    def __init__(self, sim, auth=None, timeout=10):
        self.sim = sim
        self.session = requests.Session()  # reuses connections where the simulator keeps them alive
        self.url = sim.url
        creds = sim.credentials
        self.auth = (creds["email"], creds["api_token"]) if auth is None else auth
        self.timeout = timeout
        self.verify = sim.ca_path or True

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify", self.verify)
        if "headers" not in kwargs or "Authorization" not in kwargs["headers"]:
            kwargs.setdefault("auth", self.auth)
        url = path if path.startswith(("http://", "https://")) else self.url + path
        return self.session.request(method, url, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def status(self, job=JOB, task=TASK, **params):
        return self.get("%s/jobs/%s/tasks/%s/status" % (MAPI, job, task), params=params)

    def trigger(self, product="JIRA", dest="https://acme.atlassian.net", source="https://jira.acme.com"):
        return self.post(IDM + "/trigger", json={"product": product, "destinationURL": dest, "sourceURL": source})


@pytest.fixture(params=[None, 15], ids=["close", "keep-alive"])
def simulator(request, simulator):
    """The simulator factory; every simulator test runs once per connection mode (``keep_alive``)."""

    def factory(*args, **kwargs):
        kwargs.setdefault("keep_alive", request.param)
        return simulator(*args, **kwargs)

    return factory


@pytest.fixture
def client():
    return Client


def one_task(tree, task_type="check", templates=None, **top):
    """A scenario dict with job ``job-1`` holding task ``task-1`` whose tree is ``tree``."""
    scenario = {
        "jobs": [
            {
                "job_id": JOB,
                "tasks": [{"task_id": TASK, "type": task_type, "created_at": "2024-09-20T01:02:03Z", "tree": tree}],
                "templates": templates or {},
            }
        ]
    }
    scenario.update(top)
    return scenario


@pytest.fixture
def task_scenario():
    return one_task


@pytest.fixture
def basic(simulator):
    """A started ``basic`` simulator and a client for it."""
    sim = simulator("basic")
    return sim, Client(sim)
