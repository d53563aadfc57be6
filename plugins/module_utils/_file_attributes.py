# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checking ``mode``, ``owner`` and ``group`` before any request.

Ansible applies them only after the report is downloaded, and fails there without the job's ID;
what it would refuse (an unknown user or group, a bad mode, an owner change without root) is
refused here first, so nothing is triggered or downloaded for a run that cannot finish.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import re

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError

OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")


def _user_id(owner):
    if str(owner).isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(str(owner)).pw_uid
    except KeyError:
        raise InvalidParameterError("owner %r is not a user on this host; nothing was requested" % owner)


def _group_id(group):
    if str(group).isdigit():
        return int(group)
    try:
        return grp.getgrnam(str(group)).gr_gid
    except KeyError:
        raise InvalidParameterError("group %r is not a group on this host; nothing was requested" % group)


def check_file_attributes(params, symbolic_to_octal, directory):
    """Raise InvalidParameterError for a mode, owner or group the run could not apply.

    ``symbolic_to_octal(stat_result, mode)`` is AnsibleModule's parser of symbolic modes
    (``u=rw,g=r``), raising ValueError; ``directory`` is dest's directory.
    """
    owner, group, mode = params.get("owner"), params.get("group"), params.get("mode")
    euid = os.geteuid()
    if owner is not None and _user_id(owner) != euid and euid != 0:
        raise InvalidParameterError("owner %s can only be set by root (become: true); nothing was requested" % owner)
    if group is not None:
        gid = _group_id(group)
        if euid != 0 and gid != os.getegid() and gid not in os.getgroups():
            raise InvalidParameterError("group %s: this user is not a member of it, so cannot give it the report; nothing was requested" % group)
    if mode is None:
        return
    if isinstance(mode, int) and not isinstance(mode, bool):
        if not 0 <= mode <= 0o7777:
            raise InvalidParameterError("mode %r is out of range (0 to 07777); nothing was requested" % mode)
        return
    text = str(mode).strip()
    if OCTAL_MODE.match(text):
        return
    try:
        symbolic_to_octal(os.stat(directory), text)
    except (ValueError, OSError):
        raise InvalidParameterError('mode %r is neither octal ("0640") nor symbolic ("u=rw,g=r"); nothing was requested' % mode)
