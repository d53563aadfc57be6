"""Responses of the faults that replace or damage the real answer."""

import json
import time

from werkzeug.http import http_date
from werkzeug.wrappers import Response

from .responses import ERROR_MESSAGES, JSON_TYPE, envelope, html_page


def _retry_after(value):
    if isinstance(value, str) and value.startswith("http-date:"):
        return http_date(time.time() + float(value[len("http-date:") :]))
    return str(int(value)) if float(value).is_integer() else str(value)


def fault_response(fault):
    """The whole response of a ``status`` or ``html`` fault; the service is never reached."""
    status = fault["status"]
    headers = {}
    if fault.get("retry_after") is not None:
        headers["Retry-After"] = _retry_after(fault["retry_after"])
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

    The Content-Length header keeps announcing the full size; the server closes the connection
    after every response, so the client sees an incomplete read.
    """
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
