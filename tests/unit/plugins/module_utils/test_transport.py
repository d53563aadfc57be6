# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import socket

import pytest
import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError, ProtocolError

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.plugins.module_utils._version import USER_AGENT

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import ScriptedSession, make_response

API = "https://api.example.test"
TOKEN = "unit-test-token-7f3a9c"


def client_with(answers, email=None, retries=5, sleeps=None):
    session = ScriptedSession(answers)
    sleeps = [] if sleeps is None else sleeps
    policy = BackoffPolicy(retries=retries, rand=lambda: 1.0)
    client = ApiClient(API, TOKEN, email=email, policy=policy, sleep=sleeps.append, session=session)
    return client, session


def refused():
    cause = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(cause)


def unresolved():
    answer = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    cause = NameResolutionError("api.example.test", None, answer)
    cause.__cause__ = answer  # urllib3 raises it "from" the resolver's error
    return requests.exceptions.ConnectionError(cause)


def test_basic_auth_when_email_given():
    client, session = client_with([make_response(body={"ok": 1})], email="admin@example.com")
    assert client.get_json("/x") == {"ok": 1}
    expected = "Basic " + base64.b64encode(("admin@example.com:%s" % TOKEN).encode()).decode()
    assert session.calls[0]["headers"]["Authorization"] == expected


def test_bearer_auth_without_email_and_user_agent():
    client, session = client_with([make_response(body={})])
    client.get_json("/x")
    assert session.calls[0]["headers"]["Authorization"] == "Bearer " + TOKEN
    assert session.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("migrationops.atlassian/")


def test_auth_object_repr_hides_token():
    client, dummy = client_with([])
    assert TOKEN not in repr(client._auth)


def test_verify_settings():
    assert ApiClient(API, TOKEN, session=ScriptedSession([])).verify is True
    assert ApiClient(API, TOKEN, ca_path="/ca.pem", session=ScriptedSession([])).verify == "/ca.pem"
    assert ApiClient(API, TOKEN, validate_certs=False, ca_path="/ca.pem", session=ScriptedSession([])).verify is False


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_retried_on_retryable_status(status):
    sleeps = []
    client, session = client_with([make_response(status, {"errorMessage": "busy"}), make_response(body={"ok": True})], sleeps=sleeps)
    assert client.get_json("/x") == {"ok": True}
    assert len(session.calls) == 2
    assert client.retries_used == 1
    assert client.requests_sent == 2
    assert sleeps == [1.0]


def test_backoff_grows_exponentially_and_stops_after_retries():
    sleeps = []
    answers = [make_response(503, {"errorMessage": "down", "id": "req-1"}) for dummy in range(4)]
    client, session = client_with(answers, retries=3, sleeps=sleeps)
    with pytest.raises(ServerError) as info:
        client.get_json("/migrations/x")
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(session.calls) == 4
    error = info.value
    assert error.status == 503 and error.request_id == "req-1" and error.retries == 3
    assert "GET /migrations/x" in str(error) and "req-1" in str(error) and "3 retries" in str(error)


def test_retry_after_seconds_honoured():
    sleeps = []
    client, dummy = client_with([make_response(429, {}, headers={"Retry-After": "7"}), make_response(body={})], sleeps=sleeps)
    client.get_json("/x")
    assert sleeps == [7.0]


def test_retry_after_http_date_honoured():
    sleeps = []
    answers = [make_response(503, {}, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}), make_response(body={})]
    client, dummy = client_with(answers, sleeps=sleeps)
    client._wall = lambda: 4096250880.0 - 30  # 30 s before that date
    client.get_json("/x")
    assert sleeps == [30.0]


def test_total_sleep_budget_stops_retries():
    sleeps = []
    answers = [make_response(429, {}, headers={"Retry-After": "200"}) for dummy in range(3)]
    client, dummy = client_with(answers, sleeps=sleeps)
    client.policy.max_sleep = 200
    with pytest.raises(RateLimitedError):
        client.get_json("/x")
    assert sleeps == [200.0]  # a second 200 s sleep would pass the 300 s budget


def test_get_retried_on_connection_errors():
    answers = [requests.exceptions.ConnectionError(ProtocolError("reset")), requests.exceptions.ReadTimeout("slow"), make_response(body={"a": 1})]
    client, session = client_with(answers)
    assert client.get_json("/x") == {"a": 1}
    assert len(session.calls) == 3


def test_post_not_retried_on_5xx():
    client, session = client_with([make_response(500, {"errorMessage": "boom"}), make_response(body={})])
    with pytest.raises(ServerError):
        client.post_json("/trigger", {"a": 1})
    assert len(session.calls) == 1


def test_post_not_retried_on_reset_or_read_timeout():
    for failure in (requests.exceptions.ConnectionError(ProtocolError("Connection reset by peer")), requests.exceptions.ReadTimeout("slow")):
        client, session = client_with([failure, make_response(body={})])
        with pytest.raises(TransportError):
            client.post_json("/trigger", {})
        assert len(session.calls) == 1


def test_post_retried_on_429_and_refused_connection():
    client, session = client_with([make_response(429, {}), refused(), make_response(body={"jobId": "j"})])
    assert client.post_json("/trigger", {"x": 1}) == {"jobId": "j"}
    assert len(session.calls) == 3
    assert all(call["json"] == {"x": 1} for call in session.calls)


def test_post_retried_when_the_host_name_did_not_resolve():
    # No connection was made, so the service cannot have acted on the first POST.
    client, session = client_with([unresolved(), make_response(body={"jobId": "j"})])
    assert client.post_json("/trigger", {"x": 1}) == {"jobId": "j"}
    assert len(session.calls) == 2


def test_an_unresolved_host_name_is_named_in_the_error():
    client, dummy = client_with([unresolved()], retries=0)
    with pytest.raises(TransportError) as info:
        client.post_json("/trigger", {})
    assert "the host name did not resolve (Name or service not known)" in str(info.value)
    assert info.value.request_sent is False


@pytest.mark.parametrize(
    "status,cls",
    [(400, BadRequestError), (401, AuthenticationError), (403, PermissionDeniedError), (404, NotFoundError), (409, BadRequestError)],
)
def test_client_errors_not_retried(status, cls):
    client, session = client_with([make_response(status, {"status": status, "errorMessage": "nope", "errors": ["bad product"], "id": "rid"})])
    with pytest.raises(cls) as info:
        client.get_json("/x")
    assert len(session.calls) == 1
    assert "nope: bad product" in str(info.value) and info.value.request_id == "rid"


def test_permission_denied_is_an_authentication_error_with_hint():
    client, dummy = client_with([make_response(403, {"errorMessage": "Forbidden"})])
    with pytest.raises(AuthenticationError) as info:
        client.get_json("/x")
    assert "site-admin" in str(info.value)


def test_html_error_page_gives_clear_message():
    page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
    client, dummy = client_with([make_response(502, text=page, headers={"Content-Type": "text/html"})], retries=0)
    with pytest.raises(ServerError) as info:
        client.get_json("/x")
    assert "HTML page instead of JSON" in str(info.value)
    assert "<html" not in str(info.value)


def test_malformed_json_on_success_is_retried_then_reported():
    answers = [make_response(200, text='{"data": [', headers={"Content-Type": "application/json"}) for dummy in range(2)]
    client, session = client_with(answers, retries=1)
    with pytest.raises(UnexpectedResponseError) as info:
        client.get_json("/x")
    assert len(session.calls) == 2
    assert "expected a JSON object" in str(info.value) and "malformed JSON" in str(info.value)


def test_json_that_is_not_an_object_is_unexpected():
    client, dummy = client_with([make_response(200, body=[1, 2])], retries=0)
    with pytest.raises(UnexpectedResponseError):
        client.get_json("/x")


def test_tls_failure_points_to_ca_path():
    client, dummy = client_with([requests.exceptions.SSLError("certificate verify failed")], retries=0)
    with pytest.raises(TransportError) as info:
        client.get_json("/x")
    assert "ca_path" in str(info.value)


def test_transport_error_messages_never_quote_query_strings():
    failure = requests.exceptions.ConnectionError("Max retries exceeded with url: /s3/r.csv?X-Amz-Signature=deadbeef (Caused by boom)")
    client, dummy = client_with([failure], retries=0)
    with pytest.raises(TransportError) as info:
        client.get_json("/x")
    assert "deadbeef" not in str(info.value)


def test_endpoint_names_path_for_api_and_redacted_url_elsewhere():
    client, dummy = client_with([])
    assert client.endpoint("GET", API + "/migrations/a?cursor=1") == "GET /migrations/a"
    assert client.endpoint("GET", "https://s3.example.test/b/k?X-Amz-Signature=abc") == "GET https://s3.example.test/b/k"


def test_open_download_sends_no_credentials_and_reports_redacted_endpoint():
    url = "https://s3.example.test/bucket/report.csv?X-Amz-Signature=secret-signature"
    client, session = client_with([make_response(403, text="<Error><Code>AccessDenied</Code></Error>")])
    with pytest.raises(PermissionDeniedError) as info:
        client.open_download(url)
    assert "Authorization" not in session.calls[0]["headers"]
    assert "secret-signature" not in str(info.value)
    assert "https://s3.example.test/bucket/report.csv" in str(info.value)


def test_open_download_strips_netrc_style_authorization():
    class NetrcSession(ScriptedSession):
        def request(self, method, url, params=None, json=None, auth=None, **kwargs):
            prepared = requests.Request(method, url, headers={"Authorization": "Basic from-netrc"}).prepare()
            prepared = auth(prepared)
            self.calls.append({"headers": dict(prepared.headers)})
            return make_response(body={})

    session = NetrcSession([])
    client = ApiClient(API, TOKEN, session=session)
    client.open_download("https://s3.example.test/k")
    assert "Authorization" not in session.calls[0]["headers"]


def test_s3_xml_error_keeps_only_code_and_message_and_no_account_hint():
    body = (
        "<?xml version='1.0'?><Error><Code>SignatureDoesNotMatch</Code><Message>The signature does not match</Message>"
        "<SignatureProvided>abc123secret</SignatureProvided></Error>"
    )
    client, dummy = client_with([make_response(403, text=body, headers={"Content-Type": "application/xml"})])
    with pytest.raises(PermissionDeniedError) as info:
        client.open_download("https://s3.example.test/b/k?X-Amz-Signature=abc123secret")
    assert "S3 SignatureDoesNotMatch: The signature does not match" in str(info.value)
    assert "abc123secret" not in str(info.value) and "site-admin" not in str(info.value)
