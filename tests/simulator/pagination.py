"""Opaque cursors, page slicing and the ``links`` object in its configurable styles.

``next_style``: ``absolute`` (full URL), ``relative`` (path and query) or ``cursor`` (the bare
token, which the client sends back as ``cursor=``). ``last_page``: ``links.next`` is left out
(``absent``), ``""`` (``empty``) or ``null`` (``null``) on the last page.
"""

import base64
import binascii
import json
from urllib.parse import urlencode

from .responses import ApiError


def encode_cursor(key, offset, tick=None):
    payload = {"k": key, "o": offset}
    if tick is not None:
        payload["t"] = tick
    raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token, key):
    """Return ``(offset, tick)``; a malformed cursor or one from another listing is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode("utf-8"))
        offset = int(payload["o"])
        cursor_key = payload["k"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "Invalid cursor") from exc
    if cursor_key != key or offset < 0:
        raise ApiError(400, "Invalid cursor: it belongs to another listing or query")
    return offset, payload.get("t")


def page_bounds(total, offset, size, overlap):
    """``(start, end, next_offset)`` of the page at ``offset``; ``next_offset`` None on the last page."""
    start = min(offset, total)
    end = min(start + size, total)
    if end >= total:
        return start, end, None
    return start, end, end - overlap


def _with_query(request, cursor):
    pairs = [(key, value) for key, value in request.args.items(multi=True) if key != "cursor"]
    if cursor is not None:
        pairs.append(("cursor", cursor))
    query = urlencode(pairs)
    return request.path + ("?" + query if query else "")


def _url(request, cursor, style):
    relative = _with_query(request, cursor)
    if style == "relative":
        return relative
    return request.host_url.rstrip("/") + relative


def links(request, pagination, next_cursor):
    """The ``links`` object of a listing response."""
    result = {}
    if pagination["self_link"]:
        style = "relative" if pagination["next_style"] == "relative" else "absolute"
        current = request.args.get("cursor")
        result["self"] = _url(request, current, style)
    if next_cursor is not None:
        style = pagination["next_style"]
        result["next"] = next_cursor if style == "cursor" else _url(request, next_cursor, style)
    elif pagination["last_page"] == "empty":
        result["next"] = ""
    elif pagination["last_page"] == "null":
        result["next"] = None
    return result
