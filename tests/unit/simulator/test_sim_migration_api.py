"""Documented shapes of the Migration API endpoints and task creation."""

import re
import uuid

BASIC_JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
BASIC_CHECK = "00000132-0319-a3cb-a391-52d37934632d"
BASIC_MIGRATE = "00000132-0319-a3cb-a391-52d37934ff01"
FAILING_JOB = "5f0c8a2e-9d1b-4f7a-b3c6-2e8d1a4b7c90"
MAPI = "/migrations/public/v1"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def assert_envelope(response, status):
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["errorMessage"], str) and body["errorMessage"]
    uuid.UUID(body["id"])
    return body


def test_get_job_returns_the_bare_definition(basic):
    _sim, api = basic
    response = api.get("%s/jobs/%s" % (MAPI, BASIC_JOB))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["name"] == "Sample migration"
    assert body["flow"] == "jira-onpremises-to-cloud"
    assert body["source"] == {"serverId": "0123456789"}
    assert "jobDefinition" not in body


def test_task_list_shape_and_newest_first(basic):
    _sim, api = basic
    body = api.get("%s/jobs/%s/tasks" % (MAPI, BASIC_JOB)).json()
    assert [t["taskId"] for t in body["data"]] == [BASIC_MIGRATE, BASIC_CHECK]
    first = body["data"][0]
    assert set(first) == {"taskId", "taskType", "createdAt", "payload", "results"}
    assert first["taskType"] == "migrate" and body["data"][1]["taskType"] == "check"
    assert ISO_Z.match(first["createdAt"])
    assert first["results"] == {"artifacts": []}
    assert first["payload"] == {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    assert "next" not in body["links"]
    assert body["links"]["self"].endswith("/jobs/%s/tasks" % BASIC_JOB)


def test_get_single_task_equals_list_element(basic):
    _sim, api = basic
    listed = api.get("%s/jobs/%s/tasks" % (MAPI, BASIC_JOB)).json()["data"][1]
    single = api.get("%s/jobs/%s/tasks/%s" % (MAPI, BASIC_JOB, BASIC_CHECK))
    assert single.status_code == 200
    assert single.json() == listed


def test_unknown_job_and_task_are_404_envelopes(basic):
    _sim, api = basic
    assert_envelope(api.get("%s/jobs/nope" % MAPI), 404)
    assert_envelope(api.get("%s/jobs/nope/tasks" % MAPI), 404)
    assert_envelope(api.get("%s/jobs/%s/tasks/nope" % (MAPI, BASIC_JOB)), 404)
    assert_envelope(api.get("%s/jobs/%s/tasks/nope/status" % (MAPI, BASIC_JOB)), 404)
    assert_envelope(api.get("/migrations/public/v1/unknown"), 404)
    assert_envelope(api.request("DELETE", "%s/jobs/%s" % (MAPI, BASIC_JOB)), 405)


def test_create_task_from_template_is_listed_first_and_runs(basic):
    _sim, api = basic
    response = api.post("%s/jobs/%s/tasks" % (MAPI, BASIC_JOB), json={"task": "Check"})
    assert response.status_code == 200
    task_id = response.json()["taskId"]
    uuid.UUID(task_id)
    listed = api.get("%s/jobs/%s/tasks" % (MAPI, BASIC_JOB)).json()["data"]
    assert listed[0]["taskId"] == task_id and listed[0]["taskType"] == "check"
    statuses = [api.status(BASIC_JOB, task_id).json()["data"]["status"] for _attempt in range(3)]
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]


def test_create_task_validation(basic, simulator, client):
    _sim, api = basic
    path = "%s/jobs/%s/tasks" % (MAPI, BASIC_JOB)
    assert_envelope(api.post(path, json={"task": "check"}), 400)
    assert_envelope(api.post(path, json={"task": "Check", "options": {"checkTypes": {"includeKeys": "x"}}}), 400)
    assert_envelope(api.post(path, data=b"{not json", headers={"Content-Type": "application/json"}), 400)
    assert_envelope(api.post("%s/jobs/nope/tasks" % MAPI, json={"task": "Check"}), 404)
    lenient = client(simulator("basic", overrides={"task_type_case": "insensitive"}))
    assert lenient.post(path, json={"task": "check"}).status_code == 200


def test_create_task_without_template_is_400(simulator, client, task_scenario):
    api = client(simulator(task_scenario({}, templates={"check": {}})))
    body = assert_envelope(api.post("%s/jobs/job-1/tasks" % MAPI, json={"task": "Migrate"}), 400)
    assert "template" in body["errorMessage"]
    assert api.post("%s/jobs/job-1/tasks" % MAPI, json={"task": "Check"}).status_code == 200


def test_migrate_exclude_keys_downgrade_only_excludable_failures(simulator, client):
    api = client(simulator("failing-checks"))
    path = "%s/jobs/%s/tasks" % (MAPI, FAILING_JOB)
    excluded = ["AnonPermission", "CloudFreeUserLimit"]
    task_id = api.post(path, json={"task": "Migrate", "options": {"checkTypes": {"excludeKeys": excluded}}}).json()
    api.status(FAILING_JOB, task_id["taskId"])
    check = api.status(FAILING_JOB, task_id["taskId"], level="check", expandChildren="true").json()["data"]
    assert check["status"] == "FINISHED"
    assert check["children"]["AnonPermission"]["outcome"] == "WARNING"
    assert check["children"]["CloudFreeUserLimit"]["outcome"] == "FAILED"  # not excludable
    assert check["outcome"] == "FAILED"
    listed = api.get("%s/jobs/%s/tasks/%s" % (MAPI, FAILING_JOB, task_id["taskId"])).json()
    assert listed["payload"] == {"checkTypes": {"excludeKeys": excluded}}


def test_migrate_override_makes_auto_parents_pass(simulator, client, task_scenario):
    failing = {"outcome": "FAILED", "details": {"excludable": True}}
    template = {"children": {"check": {"children": {"AnonPermission": failing, "DatabaseSize": {}}}}}
    api = client(simulator(task_scenario({}, templates={"migrate": template})))
    plain = api.post("%s/jobs/job-1/tasks" % MAPI, json={"task": "Migrate"}).json()["taskId"]
    options = {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    overridden = api.post("%s/jobs/job-1/tasks" % MAPI, json={"task": "Migrate", "options": options}).json()["taskId"]
    assert api.status("job-1", plain).json()["data"]["outcome"] == "FAILED"
    assert api.status("job-1", overridden).json()["data"]["outcome"] == "WARNING"


def test_check_include_and_exclude_keys_select_checks(basic):
    _sim, api = basic
    path = "%s/jobs/%s/tasks" % (MAPI, BASIC_JOB)
    include = {"checkTypes": {"includeKeys": ["AnonPermission", "DatabaseSize"]}}
    task_id = api.post(path, json={"task": "Check", "options": include}).json()["taskId"]
    children = api.status(BASIC_JOB, task_id, expandChildren="true").json()["data"]["children"]
    assert sorted(children) == ["AnonPermission", "DatabaseSize"]
    exclude = {"checkTypes": {"excludeKeys": ["AnonPermission"]}}
    task_id = api.post(path, json={"task": "Check", "options": exclude}).json()["taskId"]
    children = api.status(BASIC_JOB, task_id, expandChildren="true").json()["data"]["children"]
    assert "AnonPermission" not in children and "DatabaseSize" in children


def test_create_job(basic):
    _sim, api = basic
    definition = {
        "flow": "jira-onpremises-to-cloud",
        "source": {"serverId": "1"},
        "destination": {"url": "https://x.atlassian.net"},
        "scope": {"projects": {"includedKeys": ["ABC"], "includedData": "all"}},
    }
    response = api.post(MAPI + "/jobs", json=definition)
    assert response.status_code == 200
    job_id = response.json()["jobId"]
    assert response.json()["jobDefinition"] == definition
    assert api.get("%s/jobs/%s" % (MAPI, job_id)).json() == definition
    assert api.post("%s/jobs/%s/tasks" % (MAPI, job_id), json={"task": "Check"}).status_code == 200
    assert_envelope(api.post(MAPI + "/jobs", json={"flow": "x"}), 400)
