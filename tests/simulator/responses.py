"""Response helpers: JSON bodies, the Atlassian error envelope and S3 XML errors."""

import json
import uuid

from werkzeug.wrappers import Response

JSON_TYPE = "application/json"
# Set in the WSGI environ of a response that must end its connection, also when the server keeps
# connections alive: a body cut short, or framed by the close, ends for the client only then.
CLOSE_CONNECTION = "migrationops.close_connection"

ERROR_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """Raised by handlers; rendered as the documented error envelope."""

    def __init__(self, status, message=None, errors=None, headers=None):
        super().__init__(message or ERROR_MESSAGES.get(status, "Error"))
        self.status = status
        self.message = message or ERROR_MESSAGES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}

    def response(self):
        return error_response(self.status, self.message, self.errors, self.headers)


def request_id():
    return str(uuid.uuid4())


def envelope(status, message, errors=None):
    """The error body documented for the ID Mapping API (doc 3.11-3.13, 5.2)."""
    body = {"status": status, "errorMessage": message}
    if errors is not None:
        body["errors"] = list(errors)
    body["id"] = request_id()
    return body


def json_response(data, status=200, headers=None):
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return Response(body, status=status, headers=headers or {}, content_type=JSON_TYPE)


def error_response(status, message=None, errors=None, headers=None):
    message = message or ERROR_MESSAGES.get(status, "Error")
    return json_response(envelope(status, message, errors), status=status, headers=headers)


def s3_error(status, code, message, resource=""):
    """An S3-style XML error document."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource>"
        "<RequestId>%s</RequestId><HostId>%s</HostId></Error>" % (code, message, resource, uuid.uuid4().hex[:16].upper(), uuid.uuid4().hex)
    )
    return Response(body.encode("utf-8"), status=status, content_type="application/xml")


def html_page(status, reason=None):
    """An HTML error page as a gateway (nginx, a load balancer) would return it."""
    title = "%d %s" % (status, reason or ERROR_MESSAGES.get(status, "Error"))
    return (
        "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (title, title)
    ).encode("utf-8")
