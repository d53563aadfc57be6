# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._secrets import REDACTED, SecretRedactor, basic_value, header_token

TOKEN = "tok-1234567890abcdef"


def redactor(*secrets):
    secrets_of_call = SecretRedactor()
    for secret in secrets:
        secrets_of_call.add(secret)
    return secrets_of_call


def big_result(message="Migrated"):
    children = dict(("ISSUE-%05d" % i, {"status": "FINISHED", "outcome": "SUCCESS", "message": message}) for i in range(2000))
    nodes = [{"level": name, "name": name, "status": "FINISHED", "outcome": "SUCCESS", "message": message, "excludable": False} for name in children]
    return {"tree": {"status": "FINISHED", "children": children}, "nodes": nodes, "counts": {"SUCCESS": 2000}, "elapsed": 1.5, "finished": True}


def test_a_result_without_a_secret_is_returned_as_it_is_not_copied():
    result = big_result()
    assert redactor(TOKEN).redact_value(result) is result


@pytest.mark.parametrize(
    "secret",
    [
        TOKEN,
        'pass"word\\with/quotes',  # JSON escapes " and \ in the dump
        "multi\nline\ttoken\x01",  # control characters are escaped too
        "pässwörd-ünïcode",  # and non-ASCII is kept as it is
    ],
)
def test_a_secret_deep_inside_a_big_result_is_found_and_redacted(secret):
    result = big_result()
    result["nodes"][1500]["message"] = "echoed: %s!" % secret
    result["tree"]["children"]["ISSUE-00007"]["details"] = {"header": "Basic %s" % secret}
    redacted = redactor(secret).redact_value(result)
    assert redacted["nodes"][1500]["message"] == "echoed: %s!" % REDACTED
    assert redacted["tree"]["children"]["ISSUE-00007"]["details"] == {"header": "Basic %s" % REDACTED}
    assert secret not in repr(redacted)
    assert result["nodes"][1500]["message"] == "echoed: %s!" % secret  # the input is left alone


def test_a_secret_in_a_key_is_redacted():
    redacted = redactor(TOKEN).redact_value({"children": {"user-%s" % TOKEN: {"status": "FINISHED"}}})
    assert redacted == {"children": {"user-%s" % REDACTED: {"status": "FINISHED"}}}


def test_the_basic_value_and_header_are_redacted():
    secrets = SecretRedactor()
    secrets.add(TOKEN)
    secrets.add_basic("user@example.com", TOKEN)
    value = basic_value("user@example.com", TOKEN)
    assert secrets.redact_value({"echo": ["Authorization: Basic %s" % value]}) == {"echo": ["Authorization: %s" % REDACTED]}


def test_what_json_cannot_encode_is_walked_and_still_redacted():
    # A tuple key and an object: no JSON dump, so the walk decides.
    marker = object()
    value = {("a", "b"): "x", "list": ("keep %s" % TOKEN, marker)}
    redacted = redactor(TOKEN).redact_value(value)
    assert redacted[("a", "b")] == "x"
    assert redacted["list"] == ("keep %s" % REDACTED, marker)


def test_without_secrets_nothing_is_dumped_or_copied():
    result = big_result()
    assert SecretRedactor().redact_value(result) is result


def test_short_values_are_not_secrets():
    assert redactor("abc").redact_value({"message": "abc"}) == {"message": "abc"}


def test_a_secret_quoted_by_python_in_an_exception_message_is_redacted():
    secret = "tok-with\nnewline-123"
    redactor_ = redactor(secret)
    for text in ("Invalid header value b'Bearer %s'" % repr(secret.encode())[2:-1], "bad value %r" % secret):
        assert secret.split("\n")[1] not in redactor_.redact(text), text
    assert redactor_.redact_value({"msg": "value %r" % secret}) == {"msg": "value '%s'" % REDACTED}


@pytest.mark.parametrize("value, token", [("tok-123456\n", "tok-123456"), ("\r\n  tok-123456 \t", "tok-123456"), ("tok-é-123456", "tok-é-123456")])
def test_a_header_token_loses_surrounding_whitespace(value, token):
    assert header_token(value, "api_token") == token


@pytest.mark.parametrize("inside", ["\n", "\x00", "\x7f", "\r", " ", "\u00a0", "\u2028", "\u200b"])
def test_a_header_token_with_whitespace_or_a_control_character_inside_is_refused_without_quoting_it(inside):
    with pytest.raises(InvalidParameterError) as info:
        header_token("tok" + inside + "123456", "server_token")
    assert str(info.value) == (
        "server_token contains whitespace or a control character (U+%04X at character 4): set the token alone; nothing was sent" % ord(inside)
    )
