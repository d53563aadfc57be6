# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module shares: the connection argument spec, the client factory, and the one
place where errors become ``fail_json``.

The call's deadline: ``client_from_params`` gives every client ``call_deadline(params)`` (see
``_deadline.py``): with ``wait: true`` the call ends within ``wait_timeout + request_timeout``
(+ 10 s for the module's start and exit) whatever the server does. Wait loops read
``client.deadline.remaining()`` to stop; the client stops its own requests, retries and pages.
Everything ``run_module`` reports (msg, result, warnings) is scrubbed of the client's secrets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.migrationops.atlassian.plugins.module_utils._deadline import call_deadline
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError, InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._secrets import header_token
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, ApiClient
from ansible_collections.migrationops.atlassian.plugins.module_utils._urls import normalize_api_url, scrub


def connection_argument_spec():
    """Options of the ``migrationops.atlassian.connection`` doc fragment, with their environment fallbacks."""
    return dict(
        api_url=dict(type="str", default="https://api.atlassian.com", fallback=(env_fallback, ["ATLASSIAN_API_URL"])),
        email=dict(type="str", aliases=["username"], fallback=(env_fallback, ["ATLASSIAN_EMAIL"])),
        api_token=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["ATLASSIAN_API_TOKEN"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["ATLASSIAN_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["ATLASSIAN_CA_PATH"])),
        request_timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["ATLASSIAN_REQUEST_TIMEOUT"])),
        retries=dict(type="int", default=5),
    )


def client_from_params(params, warn, sleep=None, deadline=None):
    """An ApiClient for validated module parameters; bad connection input fails before any request.

    ``deadline`` defaults to ``call_deadline(params)``; ``warn`` also receives the client's own
    warning, once, when a Migration API request goes out without ``email`` (Bearer).
    """
    api_url = normalize_api_url(params["api_url"])
    api_token = header_token(params["api_token"] or "", "api_token")
    if not api_token:
        raise InvalidParameterError("api_token is empty: set it or ATLASSIAN_API_TOKEN")
    if deadline is None:
        deadline = call_deadline(params)
    if params["retries"] < 0:
        raise InvalidParameterError("retries must be zero or more, got %s" % params["retries"])
    ca_path = params.get("ca_path")
    if ca_path and not os.path.isfile(ca_path):
        raise InvalidParameterError("ca_path %s is not a readable file" % ca_path)
    if not params["validate_certs"]:
        warn("validate_certs is false: the TLS certificate of %s is not verified" % api_url)
    kwargs = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    return ApiClient(
        api_url,
        api_token,
        email=(params.get("email") or "").strip() or None,
        validate_certs=params["validate_certs"],
        ca_path=ca_path,
        timeout=params["request_timeout"],
        retries=params["retries"],
        deadline=deadline,
        warn=warn,
        **kwargs,
    )


def run_module(module, run):
    """Run ``run(module, client)`` and exit with its result; every failure ends in one fail_json here.

    The message, the result and every warning go through ``client.redact``: an error body that
    echoes the Authorization header must not print ``base64(email:token)``, which no_log does not know.
    """
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    client = None
    warn = module.warn

    def redact(value):
        return client.redact(value) if client is not None else value

    # Warnings come from the modules and module_utils during the run; all pass here.
    module.warn = lambda text: warn(redact(text))
    try:
        client = client_from_params(module.params, module.warn)
        result = run(module, client)
    except AtlassianError as exc:
        failed = dict(changed=False)
        failed.update(exc.details())
        failed.update(exc.result)
        module.fail_json(msg=redact(str(exc)), **redact(failed))
    except Exception as exc:  # pylint: disable=broad-except
        # A bug of ours, not a foreseeable failure: say so plainly, keep the traceback for -vvv.
        module.fail_json(
            msg=redact("internal error in migrationops.atlassian, please report it: %s: %s" % (type(exc).__name__, scrub(exc))),
            exception=redact(scrub(traceback.format_exc())),
        )
    try:
        module.exit_json(**redact(result))
    except RecursionError:
        # Python's JSON decoder takes nesting that ansible-core's encoder, deeper in the stack, cannot.
        module.fail_json(msg="the result could not be returned: an answer of the API was nested too deeply (hundreds of levels)")
