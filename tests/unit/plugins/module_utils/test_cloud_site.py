# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._cloud_site import ensure_cloud_site
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import BadRequestError

URL = "https://acme.atlassian.net"


class Recorder:
    def __init__(self, attach_error=None):
        self.calls = []
        self.attach_error = attach_error

    def mint(self, url):
        self.calls.append(("mint", url))
        return "minted-connection-token-0123456789"

    def register(self, value):
        self.calls.append(("secret", value))

    def save_token(self, url, token):
        self.calls.append(("save", url, token))

    def attach(self, url):
        self.calls.append(("attach", url))
        if self.attach_error:
            raise self.attach_error
        return "2026-12-02T10:00:00.000Z"


def run(recorder, connect=True, check_mode=False):
    return ensure_cloud_site(recorder.mint, recorder, URL, connect, check_mode, recorder.register)


def test_connect_mints_registers_the_token_as_a_secret_saves_then_attaches():
    recorder = Recorder()
    result = run(recorder)
    token = "minted-connection-token-0123456789"
    assert recorder.calls == [("mint", URL), ("secret", token), ("save", URL, token), ("attach", URL)]
    assert result == dict(
        cloud_url=URL,
        connected=True,
        attached=True,
        expiry_time="2026-12-02T10:00:00.000Z",
        changed=True,
        steps=["mint token", "save token", "attach"],
    )
    assert token not in repr(result)


def test_connect_false_only_attaches():
    recorder = Recorder()
    result = run(recorder, connect=False)
    assert recorder.calls == [("attach", URL)]
    assert (result["connected"], result["attached"], result["steps"]) == (False, True, ["attach"])


def test_check_mode_sends_nothing_and_lists_the_steps():
    recorder = Recorder()
    result = run(recorder, check_mode=True)
    assert recorder.calls == []
    assert result["changed"] and not result["attached"] and result["steps"] == ["mint token", "save token", "attach"]


def test_a_failed_attach_still_says_that_the_site_was_connected():
    recorder = Recorder(BadRequestError("not authorised", status=400))
    with pytest.raises(BadRequestError) as failure:
        run(recorder)
    assert failure.value.result == dict(cloud_url=URL, connected=True, attached=False)
