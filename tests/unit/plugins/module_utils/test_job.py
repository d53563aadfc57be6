# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._download import LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    CreateUnresolvedError,
    InvalidParameterError,
    NotFoundError,
    OutcomeFailure,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._job import build_definition, differences, ensure_job
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import refused_connection

SCOPE = {"projects": {"includedKeys": ["ABC", "OPS"], "includedData": "all"}}


def params(**changes):
    base = dict(name="Wave 1", product="jira", flow=None, server_id="SRV-1", destination_url="https://acme.atlassian.net/", scope=SCOPE)
    base.update(changes)
    return base


def definition(**changes):
    return build_definition(params(**changes), lambda msg: None)


class FakeJobApi:
    def __init__(self, jobs=None, new_id="job-new", post_error=None):
        self.jobs = dict(jobs or {})
        self.post_error = post_error
        self.new_id = new_id
        self.created = []
        self.read = []

    def get_job(self, job_id):
        self.read.append(job_id)
        if job_id not in self.jobs:
            raise NotFoundError("Job not found", endpoint="GET /jobs/%s" % job_id, status=404)
        return copy.deepcopy(self.jobs[job_id])

    def create_job(self, body):
        self.created.append(body)
        if self.post_error is not None:
            raise self.post_error
        self.jobs[self.new_id] = copy.deepcopy(body)
        return self.new_id, copy.deepcopy(body)


class FakeState:
    """A state file in memory, as ``_job_state.JobState`` keeps it."""

    path = "/state/job.json"

    def __init__(self, record=None, fail_write=False, fail_pending=False, fail_clear=None):
        self.record = record
        self.fail_write = fail_write
        self.fail_pending = fail_pending
        self.fail_clear = fail_clear
        self.written = []
        self.pending_written = []

    def read(self):
        return copy.deepcopy(self.record)

    def write(self, job_id, body):
        if self.fail_write:
            raise LocalFileError("disk full")
        self.written.append((job_id, body))
        self.record = {"job_id": job_id, "definition": copy.deepcopy(body), "created_at": "2026-12-02T19:00:00Z"}

    def write_pending(self, body):
        if self.fail_pending:
            raise LocalFileError("cannot write state_path /state/job.json before creating the job, so nothing was requested: disk full")
        self.pending_written.append(body)
        self.record = {"job_id": None, "definition": copy.deepcopy(body), "pending_since": "2026-12-02T19:00:00Z"}

    def clear_pending(self):
        if self.fail_clear:
            return self.fail_clear
        self.record = None
        return None


def test_definition_defaults_flow_from_product_in_any_case_and_strips_the_trailing_slash():
    body = definition()
    assert body == {
        "name": "Wave 1",
        "flow": "jira-onpremises-to-cloud",
        "source": {"serverId": "SRV-1"},
        "destination": {"url": "https://acme.atlassian.net"},
        "scope": SCOPE,
    }
    confluence = definition(product="Confluence", scope={"spaces": {"includedKeys": ["ENG"], "includedData": "ALL"}})
    assert confluence["flow"] == "confluence-onpremises-to-cloud"
    assert definition(flow="custom-flow")["flow"] == "custom-flow"


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"product": "bamboo"}, "product must be JIRA or CONFLUENCE"),
        ({"server_id": "  "}, "server_id"),
        ({"name": ""}, "name"),
        ({"destination_url": "acme.atlassian.net"}, "destination_url"),
        ({"scope": {}}, "scope must be a non-empty mapping"),
        ({"scope": {"projects": {"includedData": "all"}}}, "scope.projects needs includedKeys"),
        ({"scope": {"projects": {"includedKeys": "ABC"}}}, "scope.projects.includedKeys must be a non-empty list"),
        ({"scope": {"projects": {"includedKeys": []}}}, "scope.projects.includedKeys must be a non-empty list"),
        ({"scope": {"projects": ["ABC"]}}, "scope.projects must be a mapping"),
        ({"product": "CONFLUENCE", "scope": {"spaces": {"includedKeys": ["A"], "includedData": "SOME"}}}, "ALL, ATTACHMENTS"),
        ({"product": "CONFLUENCE", "scope": {"usersAndGroups": {}}}, "scope.usersAndGroups needs mode"),
        ({"scope": {"projects": {"includedKeys": ["x" * (400 * 1024)]}}}, "390 KB"),
    ],
)
def test_bad_declarations_fail_naming_the_option_before_any_request(changes, named):
    with pytest.raises(InvalidParameterError) as failure:
        definition(**changes)
    assert named in str(failure.value)


def test_unknown_scope_keys_and_fields_warn_and_are_sent():
    warnings = []
    scope = {"projects": {"includedKeys": ["ABC"], "includedDta": "all"}, "dashbords": {"mode": "ALL"}}
    body = build_definition(params(scope=scope), warnings.append)
    assert body["scope"] == scope
    assert len(warnings) == 2
    assert "scope.dashbords is not a scope key known for JIRA" in warnings[0]
    assert "scope.projects.includedDta is not a known field" in warnings[1]


def test_differences_name_dotted_fields_and_subset_ignores_what_only_the_service_added():
    declared = definition()
    stored = copy.deepcopy(declared)
    stored["scope"]["usersAndGroups"] = {"mode": "REFERENCED"}
    assert differences(declared, stored, subset=True) == []
    assert differences(declared, stored) == ["scope.usersAndGroups"]
    stored["name"] = "Other"
    stored["scope"]["projects"]["includedKeys"] = ["ABC"]
    assert differences(declared, stored, subset=True) == ["name", "scope.projects.includedKeys"]


def test_job_id_is_read_and_compared_and_a_difference_fails_naming_fields():
    body = definition()
    stored = dict(copy.deepcopy(body), destination={"url": "https://acme.atlassian.net/"})
    api = FakeJobApi({"job-1": stored})
    result = ensure_job(api, body, "job-1", None, False, pytest.fail)
    assert result == dict(job_id="job-1", definition=stored, created=False, changed=False)
    other = definition(name="Wave 2", server_id="SRV-2")
    with pytest.raises(OutcomeFailure) as failure:
        ensure_job(api, other, "job-1", None, False, pytest.fail)
    assert "job job-1 differs from the declaration in name, source.serverId" in str(failure.value)
    assert failure.value.result["differences"] == ["name", "source.serverId"]
    assert failure.value.result["job_id"] == "job-1"
    assert api.created == []


def test_unknown_job_id_fails_clearly():
    with pytest.raises(NotFoundError) as failure:
        ensure_job(FakeJobApi(), definition(), "job-x", None, False, pytest.fail)
    assert "job_id job-x does not exist" in str(failure.value)


def test_without_job_id_or_state_every_run_creates_and_warns():
    api, warnings = FakeJobApi(), []
    result = ensure_job(api, definition(), None, None, False, warnings.append)
    assert result["created"] and result["changed"] and result["job_id"] == "job-new"
    assert api.created == [definition()]
    assert "every run creates a new job" in warnings[0]


def test_state_records_the_created_job_and_a_rerun_reuses_it_after_reading_it():
    api, state = FakeJobApi(), FakeState()
    first = ensure_job(api, definition(), None, state, False, pytest.fail)
    assert state.written == [("job-new", definition())]
    state.record = {"job_id": "job-new", "definition": definition()}
    second = ensure_job(api, definition(), None, state, False, pytest.fail)
    assert (first["created"], second["created"], second["changed"]) == (True, False, False)
    assert second["job_id"] == "job-new" and api.read == ["job-new"] and len(api.created) == 1


def test_a_different_declaration_in_the_state_fails_before_any_request():
    api = FakeJobApi({"job-1": definition()})
    state = FakeState({"job_id": "job-1", "definition": definition()})
    with pytest.raises(OutcomeFailure) as failure:
        ensure_job(api, definition(scope={"projects": {"includedKeys": ["HR"]}}), None, state, False, pytest.fail)
    message = str(failure.value)
    assert "scope.projects.includedData" in message and "scope.projects.includedKeys" in message
    assert "records a job for another declaration" in message
    assert api.read == [] and api.created == []


def test_a_recorded_job_that_is_gone_fails_naming_the_state_file():
    state = FakeState({"job_id": "job-gone", "definition": definition()})
    with pytest.raises(NotFoundError) as failure:
        ensure_job(FakeJobApi(), definition(), None, state, False, pytest.fail)
    assert "/state/job.json" in str(failure.value)


def test_check_mode_creates_nothing_and_returns_what_would_be_sent():
    api, state = FakeJobApi(), FakeState()
    result = ensure_job(api, definition(), None, state, True, pytest.fail)
    assert result == dict(job_id=None, definition=definition(), created=False, changed=True)
    assert api.created == [] and state.written == []


def test_a_job_created_but_not_recorded_is_named_in_the_failure():
    with pytest.raises(LocalFileError) as failure:
        ensure_job(FakeJobApi(), definition(), None, FakeState(fail_write=True), False, pytest.fail)
    assert failure.value.result["job_id"] == "job-new" and failure.value.result["created"] is True


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"scope": {"": {}}}, "scope has no key known for JIRA (known: projects)"),
        ({"scope": {"project": {"includedKeys": ["ABC"]}}}, "'project'"),
        ({"scope": {1: {}, "x": {}}}, "scope has no key known for JIRA"),
        ({"product": "CONFLUENCE", "scope": {"space": {"includedKeys": ["ENG"]}}}, "known: apps, globalEntities, spaces, usersAndGroups"),
        ({"product": "CONFLUENCE", "scope": {"usersAndGroups": {"mode": "REFERENCED"}}}, "scope names nothing to migrate"),
    ],
)
def test_a_scope_the_service_would_see_as_empty_fails_before_any_request(changes, named):
    # defect: a scope of unknown keys only created a job whose every task the instance refuses ("empty scope")
    warnings = []
    with pytest.raises(InvalidParameterError) as failure:
        build_definition(params(**changes), warnings.append)
    assert named in str(failure.value)
    assert "empty scope" in str(failure.value)


def test_a_confluence_scope_of_all_users_alone_is_something_to_migrate():
    body = definition(product="CONFLUENCE", scope={"usersAndGroups": {"mode": "ALL"}})
    assert body["scope"] == {"usersAndGroups": {"mode": "ALL"}}


@pytest.mark.parametrize(
    "error",
    [
        TransportError("no answer within request_timeout (30s)", endpoint="POST /migrations/public/v1/jobs"),
        TransportError("the connection broke while the answer was being received"),
        ServerError("Bad Gateway", status=502),
        UnexpectedResponseError("the answer has no jobId"),
    ],
)
def test_a_create_whose_answer_was_lost_says_the_job_may_exist_and_how_to_go_on(error):
    state = FakeState()
    with pytest.raises(type(error)) as failure:
        ensure_job(FakeJobApi(post_error=error), definition(), None, state, False, lambda msg: None)
    message = str(failure.value)
    assert "may have been created" in message
    assert "Cloud Migration Assistant" in message and "'Wave 1'" in message
    assert "job_id set to its ID" in message and "run again" in message
    assert state.written == []
    # The record of the unanswered create stays: a re-run must not create a second job.
    assert state.pending_written == [definition()] and state.record["job_id"] is None
    assert "records this create as unanswered" in message and "remove /state/job.json" in message


@pytest.mark.parametrize("error", [RateLimitedError("Too Many Requests", status=429), refused_connection()])
def test_a_create_the_service_cannot_have_acted_on_fails_as_it_is(error):
    with pytest.raises(type(error)) as failure:
        ensure_job(FakeJobApi(post_error=error), definition(), None, None, False, lambda msg: None)
    assert "may have been created" not in str(failure.value)


class PendingAtPost(FakeJobApi):
    """Sees what the state file holds when the create is sent."""

    def __init__(self, state, **kwargs):
        super(PendingAtPost, self).__init__(**kwargs)
        self.state = state
        self.record_at_post = "not sent"

    def create_job(self, body):
        self.record_at_post = self.state.read()
        return super(PendingAtPost, self).create_job(body)


def test_the_create_is_recorded_as_unanswered_before_it_is_sent_and_as_the_job_after():
    state = FakeState()
    api = PendingAtPost(state)
    result = ensure_job(api, definition(), None, state, False, pytest.fail)
    assert api.record_at_post["job_id"] is None and api.record_at_post["definition"] == definition()
    assert result["job_id"] == "job-new" and state.record["job_id"] == "job-new"


def test_a_rerun_after_an_unanswered_create_fails_before_any_request_and_says_how_to_go_on():
    api = FakeJobApi()
    state = FakeState({"job_id": None, "definition": definition(), "pending_since": "2026-12-02T19:00:00Z"})
    for check_mode in (False, True):
        with pytest.raises(CreateUnresolvedError) as failure:
            ensure_job(api, definition(), None, state, check_mode, pytest.fail)
        message = str(failure.value)
        assert "records a create of the job 'Wave 1' (at 2026-12-02T19:00:00Z) whose answer never came back" in message
        assert "nothing was requested" in message and "job_id set to its ID" in message and "remove /state/job.json" in message
    assert api.created == [] and api.read == []


def test_an_unanswered_create_of_another_declaration_is_named_too():
    state = FakeState({"job_id": None, "definition": definition(name="Wave 0"), "pending_since": "2026-12-02T19:00:00Z"})
    with pytest.raises(CreateUnresolvedError) as failure:
        ensure_job(FakeJobApi(), definition(), None, state, False, pytest.fail)
    assert "'Wave 0'" in str(failure.value) and "another declaration: name differ" in str(failure.value)


def test_the_job_found_after_an_unanswered_create_is_recorded_when_named_by_job_id():
    body = definition()
    api = FakeJobApi({"job-found": body})
    state = FakeState({"job_id": None, "definition": body, "pending_since": "2026-12-02T19:00:00Z"})
    ensure_job(api, body, "job-found", state, True, pytest.fail)
    assert state.written == []
    result = ensure_job(api, body, "job-found", state, False, pytest.fail)
    assert result["job_id"] == "job-found" and not result["changed"]
    assert state.written == [("job-found", body)]
    # The next run needs no job_id.
    assert ensure_job(api, body, None, state, False, pytest.fail)["job_id"] == "job-found" and api.created == []


def test_job_id_leaves_the_state_alone_unless_it_resolves_an_unanswered_create_of_the_same_declaration():
    body = definition()
    api = FakeJobApi({"job-1": body})
    for record in (
        {"job_id": None, "definition": definition(name="Wave 0"), "pending_since": "2026-12-02T19:00:00Z"},
        {"job_id": "job-0", "definition": body, "created_at": "2026-12-02T19:00:00Z"},
    ):
        state = FakeState(copy.deepcopy(record))
        ensure_job(api, body, "job-1", state, False, pytest.fail)
        assert state.written == [] and state.record == record


@pytest.mark.parametrize("error", [RateLimitedError("Too Many Requests", status=429), refused_connection()])
def test_a_create_the_service_cannot_have_acted_on_removes_its_record(error):
    state = FakeState()
    with pytest.raises(type(error)):
        ensure_job(FakeJobApi(post_error=error), definition(), None, state, False, pytest.fail)
    assert state.pending_written == [definition()] and state.record is None
    failed_clear = FakeState(fail_clear="Read-only file system")
    with pytest.raises(type(error)) as failure:
        ensure_job(FakeJobApi(post_error=error), definition(), None, failed_clear, False, pytest.fail)
    assert "could not be removed (Read-only file system): remove it before the next run" in str(failure.value)


def test_a_state_file_that_cannot_record_the_create_first_stops_before_the_request():
    api = FakeJobApi()
    with pytest.raises(LocalFileError, match="nothing was requested"):
        ensure_job(api, definition(), None, FakeState(fail_pending=True), False, pytest.fail)
    assert api.created == []
