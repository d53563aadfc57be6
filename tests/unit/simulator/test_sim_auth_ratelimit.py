"""Authentication (Basic and Bearer, 401/403) and sliding-window rate limits with Retry-After."""

import email.utils
import time

import pytest

JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
JOB_PATH = "/migrations/public/v1/jobs/" + JOB
TASKS = JOB_PATH + "/tasks"
TOKEN = "sim-token-0123456789abcdef"


def test_basic_and_bearer_are_accepted(basic):
    sim, api = basic
    assert api.get(JOB_PATH).status_code == 200
    assert api.get(JOB_PATH, headers={"Authorization": "Bearer " + TOKEN}).status_code == 200
    assert api.trigger().status_code == 202
    bearer = {"Authorization": "Bearer " + TOKEN}
    assert api.get("/migrations/reports/v1/id-mappings/x", headers=bearer).status_code == 404
    assert [entry["auth"] for entry in sim.requests] == ["basic", "bearer", "basic", "bearer"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic bm90LWJhc2U2NA=="},  # "not-base64" without a colon
        {"Authorization": "Token " + TOKEN},
    ],
)
def test_missing_or_wrong_credentials_are_401(basic, headers):
    _sim, api = basic
    response = api.get(JOB_PATH, headers=headers, auth=None) if headers else api.get(JOB_PATH, auth=None)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["errorMessage"] == "Unauthorized" and body["id"]


def test_wrong_email_or_token_with_basic_is_401(basic, client):
    sim, _api = basic
    assert client(sim, auth=("other@example.com", TOKEN)).get(JOB_PATH).status_code == 401
    assert client(sim, auth=("demo@example.com", "nope")).get(JOB_PATH).status_code == 401
    assert client(sim, auth=("DEMO@example.com", TOKEN)).get(JOB_PATH).status_code == 200


def test_every_api_family_requires_auth_but_not_admin(basic):
    _sim, api = basic
    assert api.get(TASKS, auth=None).status_code == 401
    assert api.post(TASKS, json={"task": "Check"}, auth=None).status_code == 401
    assert api.get("/migrations/reports/v1/id-mappings/x", auth=None).status_code == 401
    assert api.get("/_sim/health", auth=None).status_code == 200


def test_forbidden_token_is_403_and_extra_credentials_work(simulator, client):
    creds = [{"email": "a@example.com", "api_token": "token-a"}, {"email": "b@example.com", "api_token": "token-b"}]
    sim = simulator("basic", overrides={"credentials": creds, "forbidden_tokens": ["token-readonly"]})
    assert client(sim, auth=("b@example.com", "token-b")).get(JOB_PATH).status_code == 200
    response = client(sim, auth=("c@example.com", "token-readonly")).get(JOB_PATH)
    assert response.status_code == 403
    assert response.json()["status"] == 403 and response.json()["errorMessage"] == "Forbidden"
    assert client(sim).get(JOB_PATH, headers={"Authorization": "Bearer token-readonly"}).status_code == 403


def test_create_limit_429_with_retry_after_seconds(simulator, client):
    sim = simulator("basic", overrides={"rate_limits": {"create_per_window": 2, "window": 30}})
    api = client(sim)
    assert [api.post(TASKS, json={"task": "Check"}).status_code for _attempt in range(2)] == [200, 200]
    limited = api.post(TASKS, json={"task": "Check"})
    assert limited.status_code == 429
    assert limited.json()["status"] == 429 and limited.json()["id"]
    assert 29 <= int(limited.headers["Retry-After"]) <= 30
    assert api.get(TASKS).status_code == 200  # reads have their own budget
    bearer = client(sim, auth=None)
    other = bearer.post(TASKS, json={"task": "Check"}, headers={"Authorization": "Bearer " + TOKEN})
    assert other.status_code == 200  # another Authorization header is another credential key
    assert [entry["rate_limited"] for entry in sim.requests] == [False, False, True, False, False]
    assert len(api.get(TASKS).json()["data"]) == 5  # the limited POST created nothing
    sim.advance(31)  # the window slides
    assert api.post(TASKS, json={"task": "Check"}).status_code == 200


def test_sliding_window_frees_slots_in_real_time(simulator, client):
    sim = simulator("basic", overrides={"rate_limits": {"read_per_window": 2, "window": 0.5}})
    api = client(sim)
    assert [api.get(JOB_PATH).status_code for _attempt in range(3)] == [200, 200, 429]
    time.sleep(0.6)
    assert api.get(JOB_PATH).status_code == 200


def test_retry_after_http_date_and_none(simulator, client):
    overrides = {"rate_limits": {"read_per_window": 1, "retry_after_header": "http-date"}}
    api = client(simulator("basic", overrides=overrides))
    api.get(JOB_PATH)
    limited = api.get(JOB_PATH)
    assert limited.status_code == 429
    when = email.utils.parsedate_to_datetime(limited.headers["Retry-After"]).timestamp()
    assert 50 < when - time.time() <= 61
    overrides = {"rate_limits": {"read_per_window": 1, "retry_after_header": "none"}}
    api = client(simulator("basic", overrides=overrides))
    api.get(JOB_PATH)
    limited = api.get(JOB_PATH)
    assert limited.status_code == 429 and "Retry-After" not in limited.headers


def test_idmapping_is_unlimited_by_default_and_configurable(simulator, client):
    api = client(simulator("basic"))
    assert all(api.get("/migrations/reports/v1/id-mappings/x").status_code == 404 for _attempt in range(30))
    api = client(simulator("basic", overrides={"rate_limits": {"idmapping_per_window": 2}}))
    codes = [api.get("/migrations/reports/v1/id-mappings/x").status_code for _attempt in range(3)]
    assert codes == [404, 404, 429]
