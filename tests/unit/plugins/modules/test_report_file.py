# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report put in place by a real AnsibleModule: never readable more widely than its mode, even for a moment."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import stat

import pytest

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.migrationops.atlassian.plugins.modules.idmapping_job import ReportFile, argument_spec


@contextlib.contextmanager
def module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args  # noqa: PLC0415 (ansible-core 2.19 and later)
    except ImportError:
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved
    else:
        with patch_module_args(args):
            yield


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def install(tmp_path, **attributes):
    """Install a report the way idmapping_job does; returns (dest mode when attributes were applied, final mode)."""
    dest = tmp_path / "report.csv"
    temp = tmp_path / ".report.csv.part"
    temp.write_bytes(b"entityType,sourceId,targetId\n")
    os.chmod(str(temp), 0o600)
    with module_args(dict(api_token="t", dest=str(dest), **attributes)):
        module = AnsibleModule(argument_spec=argument_spec(), add_file_common_args=True)
    files, seen = ReportFile(module), []
    apply = module.set_fs_attributes_if_different

    def recording(file_args, changed, *args, **kwargs):
        seen.append(stat.S_IMODE(os.stat(str(dest)).st_mode))
        return apply(file_args, changed, *args, **kwargs)

    module.set_fs_attributes_if_different = recording
    files.install(str(temp), str(dest))
    files.apply_attributes(str(dest), True)
    return seen[0], stat.S_IMODE(dest.stat().st_mode)


def test_a_new_report_is_not_readable_by_others_before_its_mode_is_applied(tmp_path, umask_022):
    # atomic_move gives a new file 0666 & ~umask (0644) before the mode is set: the report appears 0600.
    before, final = install(tmp_path, mode="0600")
    assert before == 0o600 and final == 0o600


def test_a_wider_mode_is_applied_after_the_report_appears_private(tmp_path, umask_022):
    before, final = install(tmp_path, mode="0644")
    assert before == 0o600 and final == 0o644


def test_without_mode_a_new_report_gets_the_umask_default_as_with_ansible(tmp_path, umask_022):
    before, final = install(tmp_path)
    assert before == final == 0o644
    assert os.umask(0o022) == 0o022  # the process umask is restored
