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
import time
from urllib.parse import quote, urlencode

from werkzeug.http import http_date
from werkzeug.wrappers import Response

from .responses import s3_error

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
    denied = core.presigner.check(request)
    if denied is not None:
        return denied
    report = core.idmapping.report_for_object(bucket, key)
    if report is None:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.", request.path)
    headers = {
        "Content-Length": str(report.size),
        "ETag": report.etag,
        "Last-Modified": http_date(core.started_wall),
        "x-amz-server-side-encryption": "AES256",
    }
    body = () if request.method == "HEAD" else report.chunks()
    return Response(body, status=200, headers=headers, content_type="text/csv", direct_passthrough=True)
