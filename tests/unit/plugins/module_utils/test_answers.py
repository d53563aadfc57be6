# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""decode_json: what an answer's JSON may hold that Ansible would refuse in a result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._answers import decode_json


@pytest.mark.parametrize(
    "content",
    [
        b'{"message": "cut \\ud800 here"}',  # escaped, lower case
        b'{"message": "cut \\uDBFF here"}',  # escaped, upper case
        b'{"message": "cut \xed\xa0\x80 here"}',  # the bytes of a surrogate, which Python's json lets through
    ],
)
def test_a_lone_surrogate_becomes_the_replacement_character(content):
    value, problem = decode_json(content)
    assert problem is None and value == {"message": "cut \ufffd here"}


def test_a_surrogate_pair_and_other_escapes_are_kept():
    value, problem = decode_json(b'{"message": "caf\\u00e9 \\ud83d\\ude00 \\\\ud800"}')
    assert problem is None and value == {"message": "caf\u00e9 \U0001f600 \\ud800"}
