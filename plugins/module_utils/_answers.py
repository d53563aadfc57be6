# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an HTTP answer says: its JSON object, or a short, safe description of what it was instead.

Bodies arrive here already read and capped by the transport; nothing here touches the network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import re

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import scrub

# S3 answers errors as XML; only <Code> and <Message> are kept (other elements echo the signature).
S3_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")
S3_MESSAGE = re.compile(r"<Message>([^<]{1,300})</Message>")
MALFORMED = "malformed JSON (the answer was cut short or corrupted)"
EMPTY = "an empty answer"
TOO_DEEP = "JSON nested too deeply to be an API answer"
# The deepest answer taken: a status tree of _status_tree.MAX_DEPTH levels is about 130 deep. Deeper
# results break ansible-core itself, where its own recursion meets Python's limit: its module
# encoder (2.19 and later) or, on the controller, wrap_var (2.16 to 2.18, three frames a level).
MAX_JSON_DEPTH = 200
REQUEST_ID_LIMIT = 100
_JSON_TYPES = ((dict, "a JSON object"), (list, "a JSON array"), (bool, "JSON true/false"), (str, "a JSON string"), ((int, float), "a JSON number"))


# A lone UTF-16 surrogate, escaped (\\ud800) or as the bytes Python's json lets through. Two
# patterns, each starting with one literal byte that the regex engine skips to: as one alternation
# it tested every byte of every answer against a set, five times slower.
_SURROGATE_PATTERNS = (re.compile(rb"\\[uU][dD][89a-fA-F]"), re.compile(rb"\xed[\xa0-\xbf]"))
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _NotJsonNumber(ValueError):
    """NaN or Infinity: Python's json accepts them, JSON does not, and no API sends them."""


def _refuse_constant(name):
    raise _NotJsonNumber(name)


def _finite_float(text):
    value = float(text)
    if math.isinf(value):
        raise _NotJsonNumber("the number %s, out of range" % text[:30])
    return value


def _without_lone_surrogates(value):
    """``value`` with each lone surrogate replaced by U+FFFD: Ansible refuses them in a result,
    which would lose the whole result (a pair is joined by the decoder and never lone)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return dict((_without_lone_surrogates(key), _without_lone_surrogates(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    return value


def _deeper_than(value, limit):
    """Whether ``value`` nests objects and arrays more than ``limit`` deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for item in items:
            if isinstance(item, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((item, depth + 1))
    return False


def decode_json(content):
    """(value, problem): the decoded JSON of ``content`` (bytes), or None and why it is not usable JSON.

    ``problem`` is None on success, else a phrase for a message; ``MALFORMED`` is the only problem
    a retry may cure.
    """
    if not content or not content.strip():
        return None, EMPTY
    try:
        value = json.loads(content, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotJsonNumber as exc:
        return None, "JSON with %s, which is not a JSON number" % exc
    except RecursionError:
        return None, TOO_DEEP
    except ValueError:
        return None, MALFORMED
    # Counting brackets costs a pass in C; only an answer with enough of them can be too deep.
    raw = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        return None, TOO_DEEP
    # The scan costs a pass in C; the walk happens only for the rare answer that needs it.
    if any(pattern.search(raw) for pattern in _SURROGATE_PATTERNS):
        try:
            value = _without_lone_surrogates(value)
        except RecursionError:
            return None, TOO_DEEP
    return value, None


def json_kind(value):
    if value is None:
        return "JSON null"
    for types, name in _JSON_TYPES:
        if isinstance(value, types):
            return name
    return type(value).__name__


def describe_body(response, redact=None):
    """(message, request_id): Atlassian's error envelope, or what kind of page the (read) answer was.

    ``redact`` (the client's) is applied to a non-JSON text before it is cut short: a secret cut in
    two would no longer be recognised.
    """
    content = response.content or b""
    body, problem = decode_json(content)
    if isinstance(body, dict):
        message = body.get("errorMessage") or body.get("message") or body.get("error") or ""
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            message = "%s: %s" % (message or "error", "; ".join(str(e) for e in errors))
        request_id = body.get("id")[:REQUEST_ID_LIMIT] if isinstance(body.get("id"), str) else None
        return (scrub(message) or response.reason or "no error message"), request_id
    if body is not None:
        return "%s instead of an object" % json_kind(body), None
    content_type = response.headers.get("Content-Type", "")
    text = content.decode("utf-8", "replace")
    code = S3_CODE.search(text)
    if code:
        message = S3_MESSAGE.search(text)
        return scrub("S3 %s%s" % (code.group(1), ": %s" % message.group(1) if message else "")), None
    if "html" in content_type.lower() or text.lstrip().lower().startswith(("<!doctype html", "<html")):
        return "the server answered with an HTML page instead of JSON (a proxy or gateway error?)", None
    if text.lstrip().startswith(("{", "[")):
        return problem, None
    if text.strip():
        return "non-JSON answer: %s" % scrub((redact(text) if redact else text).strip()[:200]), None
    return response.reason or "empty answer", None


def error_for_response(response, endpoint, retries=0, account_hints=True, redact=None):
    """The AtlassianError subclass that describes a non-2xx response.

    ``account_hints`` adds what to check about the credentials on 401/403; a presigned link's
    refusal is about the link, so downloads leave them out. ``redact``: see describe_body.
    """
    message, request_id = describe_body(response, redact)
    status = response.status_code
    cls = {401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError, 429: RateLimitedError}.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else BadRequestError
    hint = None
    if account_hints and status == 401:
        hint = "Check email and api_token (Basic auth needs the Atlassian account email; without email a Bearer token is sent)"
    elif account_hints and status == 403:
        hint = "The account needs site-admin or org-admin rights on the destination site"
    return cls(message, endpoint=endpoint, status=status, request_id=request_id, retries=retries, hint=hint)
