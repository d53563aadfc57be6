# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Following ``links.next`` across pages of a Migration API listing.

The documentation does not say whether ``links.next`` is an absolute URL, a relative path or a
bare cursor token, so all three are accepted. A ``next`` on another host is refused (following it
would send the token there), and so is a ``next`` seen before (a server loop would never end).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urljoin, urlsplit

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import DeadlineExceededError, RefusedAnswerError, UnexpectedResponseError
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import origin

MAX_PAGES = 100000


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


def iterate_pages(fetch, url, params=None, max_pages=MAX_PAGES, deadline=None):
    """Yield each page body. ``fetch(url, params)`` returns the decoded JSON body of one page.

    With a ``deadline`` (a ``_deadline.Deadline``; an ApiClient's ``fetch`` checks its own too),
    ever-new cursors are followed only until it passes.
    """
    seen = set()
    pages = 0
    while True:
        if pages and deadline is not None and deadline.expired():
            raise DeadlineExceededError("stopped following 'links.next' after %d pages: the call's deadline has passed" % pages)
        body = fetch(url, params)
        pages += 1
        yield body
        value = next_link(body)
        if value is None:
            return
        if value in seen:
            raise UnexpectedResponseError("the API returned the same 'links.next' twice; stopping to avoid an endless loop")
        if pages >= max_pages:
            raise UnexpectedResponseError("the API returned more than %d pages; stopping to avoid an endless loop" % max_pages)
        seen.add(value)
        url, params = resolve_next(url, params, value)
