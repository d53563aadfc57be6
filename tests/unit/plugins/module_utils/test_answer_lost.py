# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a failed POST may have been carried out: the transport says whether its request went out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno

import pytest
import requests

from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import Deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AuthenticationError,
    DeadlineExceededError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    answer_lost,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._reading import transport_error
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock


def refused():
    return requests.exceptions.ConnectionError(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))


@pytest.mark.parametrize(
    "exc, lost",
    [
        (refused(), False),
        (requests.exceptions.ConnectTimeout("connect timed out"), False),
        (requests.exceptions.SSLError("certificate verify failed"), False),
        (requests.exceptions.ReadTimeout("read timed out"), True),
        (requests.exceptions.ChunkedEncodingError("broken"), True),
        (requests.exceptions.ConnectionError("Connection aborted, RemoteDisconnected"), True),
    ],
)
def test_a_transport_failure_may_have_acted_unless_the_request_never_went_out(exc, lost):
    assert answer_lost(transport_error(exc, "POST /x", 30)) is lost


@pytest.mark.parametrize(
    "error, lost",
    [
        (ServerError("Bad Gateway", status=502), True),
        (UnexpectedResponseError("malformed JSON"), True),
        (RateLimitedError("Too many requests", status=429), False),
        (AuthenticationError("Unauthorized", status=401), False),
    ],
)
def test_an_answer_that_came_back_says_whether_it_acted(error, lost):
    assert answer_lost(error) is lost


def test_a_request_the_deadline_left_no_time_for_was_never_sent():
    clock = FakeClock()
    client = ApiClient("https://api.example.test", "token-123456", timeout=5, deadline=Deadline(1, clock.clock), clock=clock.clock)
    clock.now = 2
    with pytest.raises(DeadlineExceededError) as info:
        client.post_json("/x", {})
    assert "no time left" in str(info.value) and not answer_lost(info.value)
