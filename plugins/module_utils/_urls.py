# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""URL checks and redaction: which URLs may carry the token, and how URLs appear in messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError

# A query string inside free text, as found in exception messages of requests/urllib3: a "?"
# right after a path or host character (so XML's "<?xml" is left alone).
_QUERY_IN_TEXT = re.compile(r"(?<=[\w/.%-])\?[^\s'\")<>]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_loopback(host):
    """True for localhost and loopback addresses: the only hosts that may see the token over plain HTTP."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_absolute_url(value, option):
    """Split an absolute http(s) URL with a host, or raise InvalidParameterError naming ``option``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError("%s must be an absolute URL such as https://example.atlassian.net, got an empty value" % option)
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        # The message may quote part of the URL, and "user:secret/x@host" puts the secret in the port.
        raise InvalidParameterError("%s is not a valid URL: %s" % (option, "bad port" if "Port" in str(exc) else exc))
    if "@" in parts.netloc or (not parts.netloc and "@" in value):
        # Never quote the value: the part before "@" is a password.
        raise InvalidParameterError(
            "%s must not contain user info (user:password@host): credentials go in their own options, never in a URL" % option
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError("%s must be an absolute http(s) URL with a host, got %r" % (option, redact_url(value)))
    return parts


def normalize_api_url(value):
    """The API base URL without a trailing slash; plain HTTP only to loopback hosts."""
    parts = parse_absolute_url(value, "api_url")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidParameterError(
            "api_url %s uses plain http: the API token would cross the network unencrypted. Use https:// "
            "(plain http is accepted only for loopback addresses such as a local simulator)" % redact_url(value)
        )
    if parts.query or parts.fragment:
        raise InvalidParameterError("api_url must not contain a query string or fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def normalize_site_url(value, option):
    """A Server/DC or Cloud site base URL: absolute, with a host, trailing slash stripped."""
    parts = parse_absolute_url(value, option)
    if parts.query or parts.fragment:
        raise InvalidParameterError("%s must be a base URL without a query string or fragment" % option)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def origin(url):
    """scheme://host[:port] of a URL, lower-cased, for same-host checks."""
    parts = urlsplit(url)
    return "%s://%s" % (parts.scheme.lower(), parts.netloc.lower())


def redirect_origin(url, location):
    """Where a redirect from ``url`` points, for a message: its origin, or why there is none."""
    if not location:
        return "no Location"
    try:
        return origin(urljoin(url, location))
    except ValueError:
        return "an unparsable Location"


def redact_url(url):
    """scheme://host/path of a URL: never the query string, which holds presigned signatures."""
    try:
        parts = urlsplit(str(url))
        netloc = parts.hostname or ""
        if parts.port:
            netloc = "%s:%s" % (netloc, parts.port)
    except ValueError:
        return "<unparsable URL>"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def scrub(text):
    """Remove query strings from free text (exception messages quote request URLs)."""
    return _QUERY_IN_TEXT.sub("?<redacted>", str(text))


def path_segment(value, option):
    """An ID as exactly one URL path segment, or InvalidParameterError naming ``option``.

    Quoted with no safe characters, so "/", "?" and "#" stay inside the segment; "", "." and ".."
    are refused because HTTP clients remove dot segments (a job ID ".." would read the parent
    endpoint), and control characters because no real ID has them.
    """
    text = "" if value is None else str(value)
    if text.strip() in ("", ".", ".."):
        raise InvalidParameterError("%s must be an ID, got %r" % (option, text))
    if _CONTROL.search(text):
        raise InvalidParameterError("%s must not contain control characters, got %r" % (option, text))
    return quote(text, safe="")
