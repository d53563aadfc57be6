# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``cma_cloud_site``: connect (mint and save a token) and attach, in that order. Pure logic over
two small interfaces, so the order and the check-mode promise are unit-tested without HTTP."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError

STEPS_CONNECT = ("mint token", "save token", "attach")
STEPS_ATTACH = ("attach",)


def ensure_cloud_site(mint, cma, cloud_url, connect, check_mode, register_secret):
    """Run the steps and return the module result.

    ``mint(cloud_url)`` returns a connection token, ``cma`` has ``save_token(cloud_url, token)``
    and ``attach(cloud_url)``; ``register_secret(value)`` is called with the token before it is
    sent anywhere. Attaching always changes something: it renews the 24 hours. In check mode
    nothing is sent and ``steps`` says what would be done.
    """
    steps = list(STEPS_CONNECT if connect else STEPS_ATTACH)
    result = dict(cloud_url=cloud_url, connected=False, attached=False, expiry_time=None, changed=True, steps=steps)
    if check_mode:
        return result
    if connect:
        token = mint(cloud_url)
        register_secret(token)
        cma.save_token(cloud_url, token)
        result["connected"] = True
    try:
        result["expiry_time"] = cma.attach(cloud_url)
    except AtlassianError as exc:
        # A failed result still says whether the connection step was done.
        exc.result.update(cloud_url=cloud_url, connected=result["connected"], attached=False)
        raise
    result["attached"] = True
    return result
