# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Following ``links.next`` across pages of a Migration API listing.

The documentation does not say whether ``links.next`` is an absolute URL, a relative path or a
bare cursor token, so all three are accepted. A ``next`` on another host is refused (following it
would send the token there), and so is a ``next`` seen before (a server loop would never end).

A server that sends ever-new cursors is stopped by bounds on the walk as a whole, far above what a
real listing reaches: pages (``MAX_PAGES``), the items all pages hold (the caller's ``max_items``)
and time (``WALK_SECONDS``, even when the call itself has no deadline).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
from urllib.parse import urljoin, urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import Deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import DeadlineExceededError, RefusedAnswerError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import origin

MAX_PAGES = 100000
# One walk over pages ends within this time even without a deadline (no wait). A real tree of tens
# of thousands of nodes is about a thousand pages at most (50 a page in the simulator; the
# service's page size is not documented): under 2 minutes at the documented 600 reads a minute,
# plus at most the call's 300 s of retry sleeps. An hour is ten times that; a fixed figure rather
# than a multiple of request_timeout, so that the worst case does not grow with an option raised
# for a slow network. Checked between pages: the last page still gets its whole request_timeout.
WALK_SECONDS = 3600
# nginx and Apache refuse a request line longer than 8 KiB by default (HTTP 414), so no cursor in
# use is longer; a longer one is refused before it is parsed (Python caches the last URLs it
# parsed, and those would be the server's to size).
MAX_NEXT_CHARS = 32768


def next_link(body):
    """The ``links.next`` value of a page body, or None on the last page."""
    links = body.get("links") if isinstance(body, dict) else None
    if links is None:
        return None
    if not isinstance(links, dict):
        raise UnexpectedResponseError("'links' is not an object in the response")
    value = links.get("next")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UnexpectedResponseError("'links.next' is not a string in the response")
    if len(value) > MAX_NEXT_CHARS:
        raise UnexpectedResponseError("'links.next' is %d characters long, more than the %d of any usable cursor" % (len(value), MAX_NEXT_CHARS))
    return value


def resolve_next(current_url, current_params, next_value):
    """(url, params) for the page after ``current_url`` given its ``links.next`` value.

    An absolute or relative URL is followed as given; anything else is a bare cursor sent as
    ``cursor=`` on the current URL with the current parameters.
    """
    try:
        parts = urlsplit(next_value)
        url = urljoin(current_url, next_value)
    except ValueError as exc:
        raise UnexpectedResponseError("'links.next' is not a usable URL or cursor: %s" % exc)
    if parts.scheme or next_value.startswith(("/", "?")) or "cursor=" in next_value:
        if origin(url) != origin(current_url):
            raise RefusedAnswerError("refusing to follow 'links.next' to another host (%s): the API token would be sent there" % origin(url))
        return url, None
    params = dict(current_params or {})
    params["cursor"] = next_value
    return current_url, params


def _misbehaving(endpoint, pages, what=""):
    """The error of a walk past one of its bounds: no real listing gets there, so asking again would not help."""
    return RefusedAnswerError(
        "stopped following 'links.next' after %d pages%s: no real listing comes near that, the service misbehaves (endless pages)" % (pages, what),
        endpoint=endpoint,
    )


def _fingerprint(value):
    """What the loop check keeps of a ``links.next``: a digest, not the value (32 KiB on each of 100,000 pages)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def iterate_pages(fetch, url, params=None, deadline=None, endpoint=None, count=None, max_items=None, items="items", max_pages=MAX_PAGES):
    """Yield each page body. ``fetch(url, params)`` returns the decoded JSON body of one page.

    ``count(body)`` checks a page and returns how many ``items`` it holds; once all pages hold
    more than ``max_items``, the page that went over is not yielded and the walk is refused.
    ``deadline`` is the call's (a ``_deadline.Deadline``, default none; an ApiClient's ``fetch``
    checks it too): ever-new cursors are followed until it passes, and for ``WALK_SECONDS`` at
    most, on its clock. ``endpoint`` names the listing in the errors raised here.
    """
    deadline = deadline or Deadline(None)
    walk = deadline.part(WALK_SECONDS)
    seen = set()
    pages = total = 0
    while True:
        if pages and deadline.expired():
            raise DeadlineExceededError("stopped following 'links.next' after %d pages: the call's deadline has passed" % pages, endpoint=endpoint)
        if pages and walk.expired():
            raise _misbehaving(endpoint, pages, " and %d s" % WALK_SECONDS)
        body = fetch(url, params)
        pages += 1
        if count is not None:
            total += count(body)
            if total > max_items:
                raise _misbehaving(endpoint, pages, " holding more than %d %s in all" % (max_items, items))
        yield body
        value = next_link(body)
        if value is None:
            return
        fingerprint = _fingerprint(value)
        if fingerprint in seen:
            raise UnexpectedResponseError("the API returned the same 'links.next' twice; stopping to avoid an endless loop", endpoint=endpoint)
        if pages >= max_pages:
            raise _misbehaving(endpoint, pages)
        seen.add(fingerprint)
        url, params = resolve_next(url, params, value)
