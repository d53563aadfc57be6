"""Authentication (doc section 2): HTTP Basic ``email:api_token`` or ``Bearer api_token``.

Bearer can be refused per API (``bearer_allowed: {mapi: false}``: Atlassian documents only Basic
for the Migration API). The on-premises instance has its own accounts: Basic
``username:password`` of an administrator, or ``Bearer`` a personal access token.

Only the scheme is ever recorded; the credential itself is compared and forgotten. The rate
limiter keys on a SHA-256 of the Authorization header, never on the header.
"""

import base64
import binascii
import hashlib
import hmac

from .responses import ApiError


def auth_scheme(header):
    """``basic``, ``bearer``, ``other`` or ``None`` (no header): what the log records."""
    if not header:
        return None
    scheme = header.split(None, 1)[0].lower()
    return scheme if scheme in ("basic", "bearer") else "other"


def credential_key(header):
    return hashlib.sha256((header or "").encode("utf-8", "replace")).hexdigest()


def _same(left, right):
    return hmac.compare_digest(left.encode("utf-8", "replace"), right.encode("utf-8", "replace"))


def parse_authorization(header):
    """``(user or None, secret)`` from the header (``None`` user: Bearer); ``None`` if it is not Basic/Bearer."""
    parts = (header or "").split(None, 1)
    if len(parts) != 2:
        return None
    scheme, value = parts[0].lower(), parts[1].strip()
    if scheme == "bearer":
        return None, value
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, secret = decoded.split(":", 1)
    return user, secret


class Authenticator:
    def __init__(self, credentials, forbidden_tokens, bearer_allowed=None):
        self.credentials = [(pair["email"], pair["api_token"]) for pair in credentials]
        self.forbidden = list(forbidden_tokens)
        self.bearer_allowed = dict(bearer_allowed or {})

    def check(self, header, api="mapi"):
        """Raise the 401/403 envelope unless ``header`` carries a valid credential for ``api``."""
        parsed = parse_authorization(header)
        if parsed is None or (parsed[0] is None and not self.bearer_allowed.get(api, True)):
            raise ApiError(401, "Unauthorized")
        email, token = parsed
        if any(_same(token, forbidden) for forbidden in self.forbidden):
            raise ApiError(403, "Forbidden")
        for known_email, known_token in self.credentials:
            email_ok = email is None or email.casefold() == known_email.casefold()
            if email_ok and _same(token, known_token):
                return
        raise ApiError(401, "Unauthorized")


class ServerAuthenticator:
    """The instance's administrators: Basic ``username:password`` or a Bearer personal access token."""

    def __init__(self, server):
        self.accounts = [(pair["username"], pair["password"]) for pair in server["credentials"]]
        self.tokens = list(server["tokens"])

    def check(self, header):
        """Raise a 401 unless ``header`` names an administrator of the instance."""
        parsed = parse_authorization(header)
        if parsed is not None:
            user, secret = parsed
            if user is None and any(_same(secret, token) for token in self.tokens):
                return
            if user is not None and any(user == name and _same(secret, password) for name, password in self.accounts):
                return
        raise ApiError(401, "Client must be authenticated to access this resource.")
