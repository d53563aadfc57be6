# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_module.run_module and client_from_params: the call's deadline, validation before any request, scrubbing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils import _module
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import BadRequestError, InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_api import IdMappingApi
from ansible_collections.migrationops.atlassian.plugins.module_utils._migration_api import MigrationApi

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import ScriptedSession, make_response

TOKEN = "module-run-token-3e8f1a6c2d"
EMAIL = "admin@example.com"
BASIC = base64.b64encode(("%s:%s" % (EMAIL, TOKEN)).encode()).decode()


class Exited(Exception):
    pass


class FakeAnsibleModule:
    def __init__(self, **params):
        self.params = dict(
            api_url="https://api.example.test", email=EMAIL, api_token=TOKEN, validate_certs=True, ca_path=None, request_timeout=30.0, retries=0
        )
        self.params.update(params)
        self.warnings = []
        self.exit = None

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, **result):
        self.exit = dict(result, failed=True)
        raise Exited()

    def exit_json(self, **result):
        self.exit = result
        raise Exited()


def run(module, body):
    with pytest.raises(Exited):
        _module.run_module(module, body)
    return module.exit


def test_deadline_of_a_waiting_call_reaches_the_client():
    seen = {}

    def body(module, client):
        seen["deadline"] = client.deadline
        return {"changed": False}

    run(FakeAnsibleModule(wait=True, wait_timeout=60, request_timeout=5.0), body)
    assert seen["deadline"].seconds == 65
    run(FakeAnsibleModule(wait=False, wait_timeout=60), body)
    assert not seen["deadline"].bounded


@pytest.mark.parametrize(
    "params,option", [({"request_timeout": float("inf")}, "request_timeout"), ({"wait": True, "wait_timeout": 10**308}, "wait_timeout")]
)
def test_bad_timeouts_fail_before_any_request(params, option):
    called = []
    result = run(FakeAnsibleModule(**params), lambda module, client: called.append(1))
    assert result["failed"] and result["msg"].startswith(option) and called == []
    assert result["error"]["type"] == "InvalidParameterError"


def test_user_info_in_api_url_is_refused_without_quoting_it():
    result = run(FakeAnsibleModule(api_url="https://me:pa55word-secret@api.example.test"), lambda module, client: {})
    assert result["failed"] and "api_url" in result["msg"] and "pa55word" not in str(result)


def test_message_result_and_warnings_are_scrubbed_of_every_credential_form():
    minted = "minted-token-9b8a7c6d5e"

    def body(module, client):
        client.add_secret(minted)
        module.warn("server said Authorization: Basic %s" % BASIC)
        error = BadRequestError("echo: Basic %s Bearer %s %s" % (BASIC, TOKEN, minted))
        error.result = {"job_id": "j", "echo": [BASIC, {"token": minted}]}
        raise error

    module = FakeAnsibleModule()
    result = run(module, body)
    everything = repr(result) + repr(module.warnings)
    for secret in (TOKEN, BASIC, minted):
        assert secret not in everything
    assert result["job_id"] == "j" and "<redacted>" in result["msg"]


def test_a_successful_result_is_scrubbed_too():
    result = run(FakeAnsibleModule(), lambda module, client: {"changed": False, "message": "token was %s" % TOKEN})
    assert TOKEN not in repr(result)


def test_bearer_warning_reaches_the_module_once_for_the_migration_api_only():
    def body(module, client):
        client.session = ScriptedSession([make_response(body={}) for dummy in range(3)])
        client.get_json("/migrations/reports/v1/id-mappings/j")
        assert module.warnings == []
        client.get_json("/migrations/public/v1/jobs/j/tasks")
        client.get_json("/migrations/public/v1/jobs/j/tasks")
        return {}

    module = FakeAnsibleModule(email=None)
    run(module, body)
    assert len(module.warnings) == 1 and "Migration API" in module.warnings[0] and "ATLASSIAN_EMAIL" in module.warnings[0]


@pytest.mark.parametrize("job_id", ["..", ".", "", "a\nb"])
def test_dot_segment_ids_never_reach_another_endpoint(job_id):
    session = ScriptedSession([])
    client = _module.ApiClient("https://api.example.test", TOKEN, session=session)
    for call in (
        lambda: IdMappingApi(client).job_status(job_id),
        lambda: IdMappingApi(client).download_link(job_id),
        lambda: MigrationApi(client).tasks(job_id),
    ):
        with pytest.raises(InvalidParameterError) as info:
            call()
        assert "job_id" in str(info.value)
    with pytest.raises(InvalidParameterError):
        MigrationApi(client).status_tree("job", job_id, [], True)
    assert session.calls == []
