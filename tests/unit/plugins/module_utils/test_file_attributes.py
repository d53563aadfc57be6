# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._file_attributes import check_file_attributes

SYMBOLIC = AnsibleModule._symbolic_mode_to_octal


def check(tmp_path, **params):
    check_file_attributes(params, SYMBOLIC, str(tmp_path))


@pytest.mark.parametrize("mode", ["0640", "640", 0o640, "u=rw,g=r,o=", "u+x", None])
def test_modes_ansible_accepts_pass(tmp_path, mode):
    check(tmp_path, mode=mode)


@pytest.mark.parametrize("mode", ["0999", "0o640", "rw-r--r--", "u=rwz", "preserve", 0o17777, -1])
def test_bad_modes_fail_naming_the_mode(tmp_path, mode):
    with pytest.raises(InvalidParameterError, match="mode"):
        check(tmp_path, mode=mode)


def test_unknown_owner_and_group_fail_before_anything_is_sent(tmp_path):
    with pytest.raises(InvalidParameterError, match="owner 'no-such-user-xyz' is not a user"):
        check(tmp_path, owner="no-such-user-xyz")
    with pytest.raises(InvalidParameterError, match="group 'no-such-group-xyz' is not a group"):
        check(tmp_path, group="no-such-group-xyz")


def test_known_owner_and_group_pass(tmp_path):
    check(tmp_path, owner=pwd.getpwuid(os.geteuid()).pw_name, group=grp.getgrgid(os.getegid()).gr_name)
    check(tmp_path, owner=str(os.geteuid()), group=str(os.getegid()))


def test_changing_the_owner_without_root_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    with pytest.raises(InvalidParameterError, match="only be set by root"):
        check(tmp_path, owner="0")
    monkeypatch.setattr(os, "getegid", lambda: 4242)
    monkeypatch.setattr(os, "getgroups", lambda: [4243])
    with pytest.raises(InvalidParameterError, match="not a member"):
        check(tmp_path, group="0")
    check(tmp_path, group="4243")
