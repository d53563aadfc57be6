"""The on-premises side: the Cloud Migration Assistant of a Jira/Confluence instance.

Connecting a cloud site takes three steps (research file 1.3, 3.1, 3.2, 3.5):

1. ``POST /migrations/public/v1/token {cloudUrl}`` (cloud) mints a connection token, valid
   ``token_ttl`` simulated seconds (5 minutes);
2. ``POST {server}/rest/migration/latest/cloud/save/token {cloudUrl, token}`` stores it on the
   instance: the site is *connected*; an expired, unknown or mismatched token is a 500 with the
   plain-text body ``Exception in saving token.``;
3. ``POST {server}/rest/migration/latest/public/v1/attach?cloudUrl=`` attaches a connected site for
   ``attach_ttl`` simulated seconds (24 hours); a site that is not connected is a 400
   ``{"message": ...}``, looked up by the exact ``cloudUrl`` string as the CMA does.

Tasks created in the cloud run only for jobs whose destination is attached (see ``jobs.py``).
"""

import json
import secrets
import threading

from werkzeug.wrappers import Response

from .jobs import iso_utc
from .mapi import read_json
from .responses import ApiError, json_response

NOT_AUTHORISED = (
    "Invalid Request. Reason = Destination cloud URL = %s is either incorrect or is not authorised with server. "
    "Please Authorise the CloudSite and retry."
)
ATTACH_SERVER_ERROR = "Please check %s Logs to find the issue or contact support, if the issue persists."


def site_key(url):
    """How a job's destination is matched with an attachment: trailing slash and case ignored."""
    return str(url or "").strip().rstrip("/").lower()


class CmaInstance:
    """Connection tokens minted in the cloud, sites connected to and attached on the instance."""

    def __init__(self, server, clock):
        self.clock = clock
        self.server_id = server["server_id"]
        self.product = server["product"]
        self.token_ttl = server["token_ttl"]
        self.attach_ttl = server["attach_ttl"]
        self.attach_error = server["attach_error"]
        self.installed_apps = set(server["installed_apps"])
        self.refuse = set(server["refuse"])
        self._tokens = {}
        self._connected = set(server["connected"])
        self._attached = {}
        self._lock = threading.Lock()
        for url in server["attached"]:
            self._connected.add(url)
            self._attached[site_key(url)] = clock.sim_seconds() + self.attach_ttl

    def mint(self, cloud_url):
        token = "cmt-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (cloud_url, self.clock.sim_seconds() + self.token_ttl)
        return token

    def minted_tokens(self):
        """Every token minted so far (tests assert that none of them leaks)."""
        with self._lock:
            return list(self._tokens)

    def save_token(self, cloud_url, token):
        with self._lock:
            minted = self._tokens.get(token)
            if minted is None or minted[0] != cloud_url or minted[1] <= self.clock.sim_seconds():
                return False
            self._connected.add(cloud_url)
            return True

    def attach(self, cloud_url):
        """The attachment's expiry (epoch), or ``None`` when the site is not connected."""
        with self._lock:
            if cloud_url not in self._connected:
                return None
            self._attached[site_key(cloud_url)] = self.clock.sim_seconds() + self.attach_ttl
        return self.clock.wall() + self.attach_ttl

    def attached(self, destination_url):
        with self._lock:
            expiry = self._attached.get(site_key(destination_url))
        return expiry is not None and expiry > self.clock.sim_seconds()


def _cloud_url(value):
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "cloudUrl is required")
    return value


def mint_token(core, request):
    """``POST /migrations/public/v1/token`` (cloud, doc 3.1): ``{uri, cloudUrl, token}``."""
    body = read_json(request)
    cloud_url = _cloud_url((body or {}).get("cloudUrl") if isinstance(body, dict) else None)
    token = core.instance.mint(cloud_url)
    return json_response({"uri": "%s/migrations/public/v1/token" % request.host_url.rstrip("/"), "cloudUrl": cloud_url, "token": token})


def save_token(core, request, context=None):
    """``POST {server}/rest/migration/latest/cloud/save/token`` (doc 3.2)."""
    body = read_json(request)
    if not isinstance(body, dict) or not core.instance.save_token(body.get("cloudUrl"), body.get("token")):
        return Response(b"Exception in saving token.", status=500, content_type="text/plain")
    return json_response({"cloudUrl": body["cloudUrl"], "message": "Token saved successfully."})


def attach(core, request, context=None):
    """``POST {server}/rest/migration/latest/public/v1/attach?cloudUrl=`` (doc 3.5, S2')."""
    cloud_url = request.args.get("cloudUrl", "")
    if core.instance.attach_error == "server_error":
        return message_response(500, ATTACH_SERVER_ERROR % core.instance.product.capitalize())
    expiry = core.instance.attach(cloud_url) if cloud_url else None
    if expiry is None:
        return message_response(400, NOT_AUTHORISED % cloud_url)
    return json_response({"cloudUrl": cloud_url, "expiryTime": iso_utc(expiry)})


def message_response(status, message):
    """The instance's JSON error shape: ``{"message": ...}``."""
    return Response(json.dumps({"message": message}).encode("utf-8"), status=status, content_type="application/json")
