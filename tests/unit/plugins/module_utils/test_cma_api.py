# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy
from ansible_collections.migrationops.atlassian.plugins.module_utils._cma_api import CmaApi, mint_token
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import ScriptedSession, make_response

SERVER = "https://jira.example.test/jira"
CLOUD = "https://acme.atlassian.net"
PASSWORD = "server-admin-password-7f3a9c2e"
TOKEN = "minted-connection-token-5d8e1b4c9a"


def server_with(answers, retries=2):
    session = ScriptedSession(answers)
    client = ApiClient(SERVER, PASSWORD, email="admin", policy=BackoffPolicy(retries=retries), session=session, sleep=lambda s: None)
    client.add_secret(TOKEN)
    return CmaApi(client), session


def test_save_token_and_attach_use_the_context_path_json_and_basic_auth():
    api, session = server_with(
        [
            make_response(body={"cloudUrl": CLOUD, "message": "Token saved successfully."}),
            make_response(body={"cloudUrl": CLOUD, "expiryTime": "2026-12-02T10:00:00Z"}),
        ]
    )
    api.save_token(CLOUD, TOKEN)
    assert api.attach(CLOUD) == "2026-12-02T10:00:00Z"
    save, attach = session.calls
    assert save["url"] == SERVER + "/rest/migration/latest/cloud/save/token"
    assert save["json"] == {"cloudUrl": CLOUD, "token": TOKEN}
    assert attach["url"] == SERVER + "/rest/migration/latest/public/v1/attach" and attach["params"] == {"cloudUrl": CLOUD}
    assert attach["headers"]["Content-Type"] == "application/json"
    expected = "Basic " + base64.b64encode(("admin:%s" % PASSWORD).encode()).decode()
    assert save["headers"]["Authorization"] == expected


def test_plain_text_refusal_of_save_token_names_the_step_says_run_again_and_is_not_retried():
    api, session = server_with([make_response(500, text="Exception in saving token.")])
    with pytest.raises(ServerError) as failure:
        api.save_token(CLOUD, TOKEN)
    message = str(failure.value)
    assert "cannot save the connection token on the instance" in message and "Exception in saving token." in message
    assert "valid for 5 minutes" in message and "Run the task again" in message
    assert len(session.calls) == 1


def test_attach_of_a_site_not_connected_says_connect_first():
    refusal = "Invalid Request. Reason = Destination cloud URL = %s is either incorrect or is not authorised with server." % CLOUD
    api, _session = server_with([make_response(400, body={"message": refusal})])
    with pytest.raises(BadRequestError) as failure:
        api.attach(CLOUD)
    message = str(failure.value)
    assert "cannot attach %s on the instance" % CLOUD in message and "is not authorised with server" in message
    assert "connect=true" in message


def test_attach_server_error_points_at_the_instance_log():
    api, session = server_with([make_response(500, body={"message": "Please check Jira Logs to find the issue"})])
    with pytest.raises(ServerError) as failure:
        api.attach(CLOUD)
    assert "Please check Jira Logs" in str(failure.value) and "atlassian-jira.log" in str(failure.value)
    assert len(session.calls) == 1


@pytest.mark.parametrize(
    "status, error, hint",
    [(401, AuthenticationError, "server_username and server_password"), (404, NotFoundError, "context path")],
)
def test_instance_auth_and_missing_endpoint_hints_are_about_the_instance(status, error, hint):
    api, _session = server_with([make_response(status, body={"message": "nope"})])
    with pytest.raises(error) as failure:
        api.save_token(CLOUD, TOKEN)
    assert hint in str(failure.value) and "email and api_token" not in str(failure.value)


def test_an_instance_that_echoes_the_token_or_password_never_shows_them():
    echo = "token %s rejected for admin:%s" % (TOKEN, PASSWORD)
    api, _session = server_with([make_response(400, body={"message": echo})])
    with pytest.raises(BadRequestError) as failure:
        api.save_token(CLOUD, TOKEN)
    assert TOKEN not in str(failure.value) and PASSWORD not in str(failure.value)


def test_mint_token_posts_the_cloud_url_and_needs_a_token_in_the_answer():
    session = ScriptedSession([make_response(body={"uri": "x", "cloudUrl": CLOUD, "token": TOKEN}), make_response(body={"cloudUrl": CLOUD})])
    cloud = ApiClient("https://api.example.test", "cloud-api-token-123456", email="a@example.com", policy=BackoffPolicy(retries=0), session=session)
    assert mint_token(cloud, CLOUD) == TOKEN
    assert session.calls[0]["url"] == "https://api.example.test/migrations/public/v1/token"
    assert session.calls[0]["json"] == {"cloudUrl": CLOUD}
    with pytest.raises(UnexpectedResponseError, match=r"cannot mint a connection token for https://acme\.atlassian\.net"):
        mint_token(cloud, CLOUD)
