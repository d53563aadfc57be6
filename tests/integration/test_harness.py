# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harness runs the modules on MODULE_PYTHON, so the target-Python leg of the matrix proves what it claims."""

import os

from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON


def test_modules_run_on_the_configured_interpreter(run_tasks):
    tasks = [{"name": "facts", "ansible.builtin.setup": {"gather_subset": ["!all"], "filter": ["ansible_python"]}}]
    python = run_tasks({}, tasks)["facts"]["ansible_facts"]["ansible_python"]
    assert python["executable"] == MODULE_PYTHON
    if os.environ.get("MIGRATIONOPS_MODULE_PYTHON_VERSION"):
        assert "%(major)d.%(minor)d" % python["version"] == os.environ["MIGRATIONOPS_MODULE_PYTHON_VERSION"]
