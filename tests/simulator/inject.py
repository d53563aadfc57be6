"""Responses of the faults that replace or damage the real answer."""

import json
import math
import time
import uuid

from werkzeug.http import http_date
from werkzeug.wrappers import Response

from .responses import CLOSE_CONNECTION, ERROR_MESSAGES, JSON_TYPE, envelope, html_page

# Faults whose response replaces the service's (it is never reached); the others damage it.
REPLACING = ("status", "html", "redirect", "huge", "endless_cursor", "json")
HUGE_CHUNK = 1024 * 1024


class _VerbatimLocation(Response):
    """A redirect whose Location goes out as given: werkzeug would rewrite it, and refuse an
    unparsable one with a 500, which a hostile server does not send."""

    def get_wsgi_headers(self, environ):
        return self.headers.copy()


def _retry_after(value):
    if isinstance(value, str) and value.startswith("http-date:"):
        return http_date(time.time() + float(value[len("http-date:") :]))
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _rate_limit_reset(value):
    """Atlassian's ``yyyy-MM-ddTHH:mmZ`` for seconds from now (rounded up to the minute), or a string verbatim."""
    if isinstance(value, str):
        return value
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(math.ceil((time.time() + value) / 60.0) * 60))


def fault_response(fault):
    """The whole response of a replacing fault (see REPLACING); the service is never reached."""
    if fault["kind"] == "redirect":
        return _VerbatimLocation(b"", status=fault["status"], headers={"Location": fault["location"]})
    if fault["kind"] == "huge":
        return _huge(fault["size_bytes"], fault["content_type"])
    if fault["kind"] == "json":
        text = fault["text"].encode() if "text" in fault else json.dumps(fault["body"]).encode()
        return Response(text, status=fault["status"], content_type=JSON_TYPE)
    if fault["kind"] == "endless_cursor":
        body = dict(fault["body"], links={"next": "?cursor=%s" % uuid.uuid4().hex})
        return Response(json.dumps(body).encode(), status=200, content_type=JSON_TYPE)
    status = fault["status"]
    headers = {}
    if fault.get("retry_after") is not None:
        headers["Retry-After"] = _retry_after(fault["retry_after"])
    if fault.get("rate_limit_reset") is not None:
        headers["X-RateLimit-Reset"] = _rate_limit_reset(fault["rate_limit_reset"])
    body_kind = "html" if fault["kind"] == "html" else fault["body"]
    if body_kind == "json":
        body = json.dumps(envelope(status, fault.get("message") or ERROR_MESSAGES.get(status, "Error"))).encode()
        return Response(body, status=status, headers=headers, content_type=JSON_TYPE)
    if body_kind == "html":
        return Response(html_page(status), status=status, headers=headers, content_type="text/html")
    if body_kind == "text":
        text = "%d %s\n" % (status, ERROR_MESSAGES.get(status, "Error"))
        return Response(text.encode(), status=status, headers=headers, content_type="text/plain")
    return Response(b"", status=status, headers=headers)


def malformed(response):
    """200 with the first half of the real JSON body (or a fixed fragment): unparseable JSON."""
    body = response.get_data() if response.mimetype == JSON_TYPE else b""
    if len(body) < 8:
        body = b'{"data": {"status": "IN_PROGRESS", "children": {"a": {"st'
    else:
        body = body[: len(body) // 2]
    return Response(body, status=200, content_type=JSON_TYPE)


def truncate(response, environ, fraction):
    """``(status, headers, body)``: the real status and headers, ``fraction`` of the body.

    The Content-Length header keeps announcing the full size and the connection is closed after
    the response, so the client sees an incomplete read.
    """
    environ[CLOSE_CONNECTION] = True
    app_iter, status, headers = response.get_wsgi_response(environ)
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    if response.direct_passthrough:
        total = int(response.headers.get("Content-Length", "0"))
    else:
        chunks = list(app_iter)
        total = sum(len(chunk) for chunk in chunks)
        app_iter = chunks
    headers.append(("Content-Length", str(total)))
    return status, headers, _head(app_iter, int(total * fraction))


def _head(app_iter, limit):
    sent = 0
    try:
        for chunk in app_iter:
            if sent + len(chunk) >= limit:
                if limit > sent:
                    yield bytes(chunk[: limit - sent])
                return
            sent += len(chunk)
            yield chunk
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()


def _huge(size, content_type):
    """200 with a ``size``-byte JSON object (``{"pad": "xxx..."}``), streamed, never held in memory."""
    head, tail = b'{"pad": "', b'"}'
    fill = max(0, size - len(head) - len(tail))

    def chunks():
        yield head
        left = fill
        block = b"x" * HUGE_CHUNK
        while left > 0:
            yield block[: min(left, HUGE_CHUNK)]
            left -= HUGE_CHUNK
        yield tail

    response = Response(chunks(), status=200, content_type=content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(len(head) + fill + len(tail))
    return response


def damage(fault, response, environ):
    """``(status, headers, body)`` of a damaging fault (``malformed_json``, ``truncate``, ``drip``) over the real response."""
    if fault["kind"] == "malformed_json":
        damaged = malformed(response)
        app_iter, status, headers = damaged.get_wsgi_response(environ)
        return status, list(headers), app_iter
    if fault["kind"] == "drip":
        return drip(response, environ, fault["delay"])
    return truncate(response, environ, fault["fraction"])


def drip(response, environ, delay):
    """The real status, headers and body, the body sent one byte every ``delay`` seconds."""
    app_iter, status, headers = response.get_wsgi_response(environ)

    def one_byte_at_a_time():
        try:
            for chunk in app_iter:
                for index in range(len(chunk)):
                    time.sleep(delay)
                    yield bytes(chunk[index : index + 1])
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()

    return status, list(headers), one_byte_at_a_time()
