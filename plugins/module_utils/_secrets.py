# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every form of the credentials a client holds, and their removal from text and results.

``no_log`` masks only the literal option values; an error body that echoes the Authorization
header carries ``base64(email:token)``, which Ansible does not know. Pure logic.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import unicodedata

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError

REDACTED = "<redacted>"
# Shorter values would mangle ordinary words (no_log has the same weakness).
MIN_SECRET_LENGTH = 6


def basic_value(user, password):
    """The base64 part of an HTTP Basic header for ``user:password``."""
    return base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")


def header_token(value, option):
    """A token sent as ``Bearer <token>`` (or inside a Basic value), without surrounding whitespace.

    A token read from a file or pasted often ends with a newline; http.client would refuse the
    header and quote its value in the error. Whitespace or a control or format character left
    inside (no real token has one) is refused, naming its code point, never the value.
    """
    token = value.strip()
    for index, char in enumerate(token):
        if char.isspace() or unicodedata.category(char).startswith("C"):
            raise InvalidParameterError(
                "%s contains whitespace or a control character (U+%04X at character %d): set the token alone; nothing was sent"
                % (option, ord(char), index + 1)
            )
    return token


class SecretRedactor:
    """Knows the secrets of one module call and replaces each of them by ``<redacted>``."""

    def __init__(self):
        self._secrets = []
        self._encoded = []

    def add(self, value):
        """Register a secret (a token, a password, a header value); empty or short values are ignored."""
        if value is None:
            return
        text = str(value)
        if len(text) >= MIN_SECRET_LENGTH and text not in self._secrets:
            self._secrets.append(text)
            self._encoded.append(json.dumps(text, ensure_ascii=False)[1:-1])
            # How Python quotes it in an exception's message (str and bytes repr), when that differs.
            for quoted in (repr(text)[1:-1], repr(text.encode("utf-8"))[2:-1]):
                if quoted != text and quoted not in self._secrets:
                    self._secrets.append(quoted)
                    self._encoded.append(json.dumps(quoted, ensure_ascii=False)[1:-1])
            # The longest first, so "Basic <value>" is replaced whole before "<value>".
            self._secrets.sort(key=len, reverse=True)

    def add_basic(self, user, password):
        """Register the Basic value of ``user:password`` and the whole header value."""
        value = basic_value(user, password)
        self.add(value)
        self.add("Basic " + value)

    def redact(self, text):
        if not isinstance(text, str):
            return text
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def redact_value(self, value):
        """``value`` with every string inside it (dict keys included) redacted; ``value`` itself,
        not a copy, when no secret is in it."""
        if isinstance(value, str):
            return self.redact(value)
        if not self._may_hold_secret(value):
            return value
        return self._redact_walk(value)

    def _may_hold_secret(self, value):
        # JSON encodes a string character by character, so a secret inside any string or key of
        # ``value`` shows as its own encoding in the dump: one pass in C instead of a walk in Python
        # over a result of 100,000 values. What JSON cannot encode is walked.
        if not self._secrets:
            return False
        try:
            dump = json.dumps(value, ensure_ascii=False, check_circular=False)
        except (TypeError, ValueError, RecursionError):
            return True
        return any(encoded in dump for encoded in self._encoded)

    def _redact_walk(self, value):
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return dict((self._redact_walk(key), self._redact_walk(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return type(value)(self._redact_walk(item) for item in value)
        return value

    def redact_error(self, error):
        """An AtlassianError with its message, hint and partial result redacted (in place; returned)."""
        error.message = self.redact(error.message)
        error.hint = self.redact(error.hint)
        error.endpoint = self.redact(error.endpoint)
        error.result = self.redact_value(error.result)
        return error
