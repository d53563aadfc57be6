# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._server_module import normalize_server_url, server_client_from_params


def params(**changes):
    base = dict(
        server_url="https://jira.example.test/jira/",
        server_username="admin",
        server_password="server-admin-password-7f3a9c2e",
        server_token=None,
        server_validate_certs=True,
        server_ca_path=None,
        request_timeout=12.0,
        retries=3,
    )
    base.update(changes)
    return base


def test_server_url_keeps_its_context_path_and_follows_the_plain_http_rule():
    assert normalize_server_url("https://jira.example.test/jira/") == "https://jira.example.test/jira"
    assert normalize_server_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    with pytest.raises(InvalidParameterError, match=r"server_url .* uses plain http"):
        normalize_server_url("http://jira.example.test")
    with pytest.raises(InvalidParameterError, match="server_url must not contain user info") as failure:
        normalize_server_url("https://admin:hunter2-secret@jira.example.test")
    assert "hunter2-secret" not in str(failure.value)
    with pytest.raises(InvalidParameterError, match="without a query string"):
        normalize_server_url("https://jira.example.test/?a=b")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"server_password": None}, "exactly one of server_password"),
        ({"server_token": "pat-0123456789abcdef"}, "exactly one of server_password"),
        ({"server_username": None}, "server_password needs server_username"),
        ({"server_ca_path": "/nonexistent/ca.pem"}, "server_ca_path /nonexistent/ca.pem is not a readable file"),
    ],
)
def test_bad_server_credentials_fail_before_any_request(changes, message):
    with pytest.raises(InvalidParameterError) as failure:
        server_client_from_params(params(**changes), pytest.fail)
    assert message in str(failure.value)


def test_password_gives_basic_and_token_gives_bearer_with_the_shared_timeout_and_own_tls():
    basic = server_client_from_params(params(), pytest.fail)
    assert basic.api_url == "https://jira.example.test/jira" and basic.timeout == 12.0 and basic.verify is True
    warnings = []
    bearer = server_client_from_params(
        params(server_password=None, server_username=None, server_token="pat-0123456789abcdef", server_validate_certs=False), warnings.append
    )
    assert bearer.verify is False and "server_validate_certs is false" in warnings[0]
    request = type("Request", (), {"headers": {}})()
    assert bearer._auth(request).headers["Authorization"] == "Bearer pat-0123456789abcdef"
    assert basic._auth(request).headers["Authorization"].startswith("Basic ")
