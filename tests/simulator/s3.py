"""The S3-like object endpoint behind ``downloadUrl`` (``/s3/<bucket>/<key>``).

Links are signed with a per-run secret: ``X-Amz-Signature`` is the hex HMAC-SHA256 of
``path\\nX-Amz-Date\\nX-Amz-Expires``. The host is not signed, so a link can be served under
another host name. Validity is checked against the wall clock (plus ``advance()``):
``link_valid_seconds`` may be shorter than the ``X-Amz-Expires`` the link advertises.
"""

import calendar
import hashlib
import hmac
import os
import socket
import time
from urllib.parse import quote, urlencode

from werkzeug.http import http_date
from werkzeug.wrappers import Response

from .responses import CLOSE_CONNECTION, s3_error

ALGORITHM = "AWS4-HMAC-SHA256"
REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")
ONE_AUTH = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
    "parameter or the Authorization header should be specified"
)
MISMATCH = "The request signature we calculated does not match the signature you provided. Check your key and signing method."


class Presigner:
    def __init__(self, clock, valid_seconds):
        self.clock = clock
        self.valid_seconds = valid_seconds
        self._secret = os.urandom(32)

    def _sign(self, path, amz_date, expires):
        message = ("%s\n%s\n%s" % (path, amz_date, expires)).encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, base_url, bucket, key, expires_in):
        path = "/s3/%s/%s" % (quote(bucket), quote(key))
        now = self.clock.wall()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        query = {
            "X-Amz-Algorithm": ALGORITHM,
            "X-Amz-Credential": "SIMAKIA%s/%s/us-east-1/s3/aws4_request" % (self._secret.hex()[:13].upper(), amz_date[:8]),
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(int(expires_in)),
            "X-Amz-SignedHeaders": "host",
        }
        query["X-Amz-Signature"] = self._sign(path, amz_date, query["X-Amz-Expires"])
        return base_url.rstrip("/") + path + "?" + urlencode(query)

    def check(self, request):
        """``None`` when the request may read the object, else the S3 error response."""
        args = request.args
        if request.headers.get("Authorization"):
            if "X-Amz-Algorithm" in args:
                return s3_error(400, "InvalidArgument", ONE_AUTH, request.path)
            return s3_error(400, "InvalidArgument", "Unsupported Authorization Type", request.path)
        if any(name not in args for name in REQUIRED):
            return s3_error(403, "AccessDenied", "Access Denied", request.path)
        if args["X-Amz-Algorithm"] != ALGORITHM:
            return s3_error(400, "AuthorizationQueryParametersError", "Unsupported algorithm", request.path)
        expected = self._sign(request.path, args["X-Amz-Date"], args["X-Amz-Expires"])
        if not hmac.compare_digest(expected, args["X-Amz-Signature"]):
            return s3_error(403, "SignatureDoesNotMatch", MISMATCH, request.path)
        try:
            issued = calendar.timegm(time.strptime(args["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
            advertised = int(args["X-Amz-Expires"])
        except ValueError:
            return s3_error(400, "AuthorizationQueryParametersError", "Malformed X-Amz-Date or X-Amz-Expires", request.path)
        if self.clock.wall() > issued + min(advertised, self.valid_seconds):
            return s3_error(403, "AccessDenied", "Request has expired", request.path)
        return None


def get_object(core, request, bucket, key):
    """The report object, served as its scenario says (``report``: framing, content_encoding, cut_at)."""
    denied = core.presigner.check(request)
    if denied is not None:
        return denied
    job = core.idmapping.job_for_object(bucket, key)
    if job is None:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.", request.path)
    spec, report = job.served, job.report
    chunks, length = report.served(spec["content_encoding"], spec["cut_at"])
    if spec["framing"] == "close" or spec["cut_at"] is not None:
        request.environ[CLOSE_CONNECTION] = True
    headers = {
        "ETag": report.etag,
        "Last-Modified": http_date(core.started_wall),
        "x-amz-server-side-encryption": "AES256",
    }
    if spec["content_encoding"] != "identity":
        headers["Content-Encoding"] = spec["content_encoding"]
    if spec["framing"] == "length":
        headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response((), status=200, headers=headers, content_type=spec["content_type"], direct_passthrough=True)
    if spec["framing"] == "close":
        return _close_delimited(request, headers, spec["content_type"], chunks)
    if spec["framing"] == "chunked" and spec["cut_at"] is not None:
        chunks = _without_last_chunk(chunks)
    return Response(chunks, status=200, headers=headers, content_type=spec["content_type"], direct_passthrough=True)


def _without_last_chunk(chunks):
    """Chunks, then a dropped connection: werkzeug never sends the final (zero) chunk."""
    yield from chunks
    raise ConnectionAbortedError("simulated: the body ends without its final chunk")


def _close_delimited(request, headers, content_type, chunks):
    """HTTP/1.1 without Content-Length or chunks: the body ends when the connection closes.

    werkzeug chunks every such answer, so the answer is written to the socket here, the sending
    side shut down cleanly (FIN), and werkzeug's own response then fails quietly on the closed socket.
    """
    sock = request.environ["werkzeug.socket"]
    lines = ["HTTP/1.1 200 OK", "Content-Type: %s" % content_type, "Connection: close"]
    lines.extend("%s: %s" % item for item in headers.items())
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in chunks:
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    return Response(b"", status=200)
