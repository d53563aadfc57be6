"""The on-premises side of the simulator and the refusals of the CMA (api-service-behaviour 2.2, 3.1)."""

import pytest

MAPI = "/migrations/public/v1"
CLOUD = "https://acme.atlassian.net"
SERVER_ID = "SRV-0123-4567-89AB"
PASSWORD = "sim-server-password-0123456789abcdef"
PAT = "sim-server-pat-0123456789abcdef0123456789"
DEFINITION = {
    "flow": "jira-onpremises-to-cloud",
    "source": {"serverId": SERVER_ID},
    "destination": {"url": CLOUD},
    "scope": {"projects": {"includedKeys": ["ABC"], "includedData": "all"}},
}


def save(client, sim, token, cloud_url=CLOUD, auth=("admin", PASSWORD), context="/jira"):
    return client(sim, auth=auth).post(context + "/rest/migration/latest/cloud/save/token", json={"cloudUrl": cloud_url, "token": token})


def attach(client, sim, cloud_url=CLOUD, **kwargs):
    kwargs.setdefault("auth", ("admin", PASSWORD))
    return client(sim, auth=kwargs.pop("auth")).post("/rest/migration/latest/public/v1/attach", params={"cloudUrl": cloud_url}, **kwargs)


def mint(client, sim, cloud_url=CLOUD):
    return client(sim).post(MAPI + "/token", json={"cloudUrl": cloud_url}).json()["token"]


def new_task(api, job_id, task="Migrate", options=None):
    body = {"task": task}
    if options:
        body["options"] = options
    task_id = api.post("%s/jobs/%s/tasks" % (MAPI, job_id), json=body).json()["taskId"]
    return task_id, api.status(job=job_id, task=task_id).json()["data"]


def new_job(api, **changes):
    definition = dict(DEFINITION, **changes)
    return api.post(MAPI + "/jobs", json=definition).json()["jobId"]


def test_token_save_and_attach_with_expiries_and_their_error_shapes(simulator, client):
    sim = simulator("flow")
    token = mint(client, sim)
    refused = attach(client, sim)
    assert refused.status_code == 400 and "is not authorised with server" in refused.json()["message"]
    expired_later = mint(client, sim)
    sim.advance(301)  # a connection token lasts 5 minutes
    stale = save(client, sim, expired_later)
    assert stale.status_code == 500 and stale.text == "Exception in saving token." and stale.headers["Content-Type"] == "text/plain"
    assert save(client, sim, token).status_code == 500  # minted before the advance too
    assert save(client, sim, mint(client, sim), cloud_url="https://other.atlassian.net").status_code == 500  # minted for another site
    saved = save(client, sim, mint(client, sim))
    assert saved.json() == {"cloudUrl": CLOUD, "message": "Token saved successfully."}
    attached = attach(client, sim)
    assert attached.status_code == 200 and attached.json()["cloudUrl"] == CLOUD and attached.json()["expiryTime"].endswith("Z")
    api = client(sim)
    job_id = new_job(api)
    assert new_task(api, job_id, "Check")[1]["status"] == "IN_PROGRESS"  # attached: it runs
    sim.advance(86401)  # an attachment lasts 24 hours
    assert "not attached" in new_task(api, new_job(api), "Check")[1]["message"]


def test_instance_credentials_are_its_own_basic_or_pat(simulator, client):
    sim = simulator("flow", overrides={"server": {"connected": [CLOUD]}})
    assert attach(client, sim, auth=None, headers={"Authorization": "Bearer " + PAT}).status_code == 200
    for auth in (("admin", "wrong"), (sim.credentials["email"], sim.credentials["api_token"])):
        denied = attach(client, sim, auth=auth)
        assert denied.status_code == 401 and denied.json() == {"message": "Client must be authenticated to access this resource."}
    assert client(sim, auth=("admin", PASSWORD)).get(MAPI + "/jobs/x").status_code == 401  # not a cloud credential


def test_attach_server_error_is_a_message_body(simulator, client):
    sim = simulator("flow", overrides={"server": {"connected": [CLOUD], "attach_error": "server_error"}})
    failed = attach(client, sim)
    assert failed.status_code == 500 and failed.json()["message"].startswith("Please check Jira Logs")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"source": {"serverId": "OTHER"}}, "Server ID: OTHER used in the job definition is incorrect"),
        ({"scope": {"apps": {"includedKeys": ["com.example.gone"]}, "projects": {"includedKeys": ["A"]}}}, "invalid app keys = [com.example.gone]"),
        ({"scope": {"projects": {"includedKeys": []}}}, "You have passed an empty scope"),
    ],
)
def test_job_definition_refusals_give_a_root_only_failed_tree(simulator, client, changes, message):
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD]}})
    api = client(sim)
    job_id = new_job(api, **changes)
    task_id, root = new_task(api, job_id)
    assert root == {"status": "FINISHED", "outcome": "FAILED", "message": root["message"]}
    assert message in root["message"]
    assert api.status(job=job_id, task=task_id, level="check").status_code == 404  # never written


def test_one_task_at_a_time_and_nothing_after_a_migration(simulator, client):
    sim = simulator("flow", overrides={"server": {"attached": [CLOUD]}})
    api = client(sim)
    job_id = new_job(api)
    check_id, _root = new_task(api, job_id, "Check")
    busy = new_task(api, job_id)[1]
    assert busy["message"] == "Task already running for given jobId = %s with taskId = %s" % (job_id, check_id)
    api.status(job=job_id, task=check_id)  # the check task finishes on its 2nd read
    migrate_id, migrate = new_task(api, job_id, options={"checkTypes": {"excludeKeys": ["AnonPermission", "CloudSiteNotEmpty"]}})
    assert migrate["status"] == "IN_PROGRESS"  # the refused task does not count as running
    for _read in range(3):
        api.status(job=job_id, task=migrate_id)
    check = api.status(job=job_id, task=migrate_id, level="check", expandChildren="true").json()["data"]
    assert check["outcome"] == "WARNING" and check["children"]["AnonPermission"]["outcome"] == "WARNING"
    assert check["children"]["CloudSiteNotEmpty"]["outcome"] == "SKIPPED"  # not failed: untouched
    after = new_task(api, job_id, "Check")[1]
    assert after["message"] == "Task Not Allowed, migration has already been processed for JobId = %s" % job_id


def test_old_scenarios_refuse_nothing_and_bearer_can_be_refused_on_mapi_only(simulator, client):
    sim = simulator("basic", overrides={"bearer_allowed": {"mapi": False}})
    api = client(sim)
    job_id = "0bacecde-372e-4d84-8d79-d66433b8fa45"
    assert new_task(api, job_id, "Check")[1]["status"] == "IN_PROGRESS"  # after a migrate task, not attached
    bearer = {"Authorization": "Bearer " + sim.credentials["api_token"]}
    assert client(sim).get("%s/jobs/%s" % (MAPI, job_id), headers=bearer).status_code == 401
    assert client(sim).trigger(dest=CLOUD, source="https://jira.acme.com").status_code == 202


def test_create_limits_are_per_endpoint(simulator, client):
    sim = simulator("flow", overrides={"rate_limits": {"create_per_window": 1}})
    api = client(sim)
    job_id = new_job(api)
    assert api.post("%s/jobs/%s/tasks" % (MAPI, job_id), json={"task": "Check"}).status_code == 200  # its own bucket
    assert api.post(MAPI + "/jobs", json=DEFINITION).status_code == 429
    assert api.post("%s/jobs/%s/tasks" % (MAPI, job_id), json={"task": "Check"}).status_code == 429
