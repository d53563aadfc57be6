"""Authentication (doc section 2): HTTP Basic ``email:api_token`` or ``Bearer api_token``.

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


class Authenticator:
    def __init__(self, credentials, forbidden_tokens):
        self.credentials = [(pair["email"], pair["api_token"]) for pair in credentials]
        self.forbidden = list(forbidden_tokens)

    def _parse(self, header):
        """``(email or None, token)`` from the header; ``None`` if it is not Basic/Bearer."""
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
        email, token = decoded.split(":", 1)
        return email, token

    def check(self, header):
        """Raise the 401/403 envelope unless ``header`` carries a valid credential."""
        parsed = self._parse(header)
        if parsed is None:
            raise ApiError(401, "Unauthorized")
        email, token = parsed
        if any(_same(token, forbidden) for forbidden in self.forbidden):
            raise ApiError(403, "Forbidden")
        for known_email, known_token in self.credentials:
            email_ok = email is None or email.casefold() == known_email.casefold()
            if email_ok and _same(token, known_token):
                return
        raise ApiError(401, "Unauthorized")
