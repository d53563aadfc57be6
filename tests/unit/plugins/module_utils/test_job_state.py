# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._download import LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._job_state import JobState


def test_write_then_read_round_trips_with_mode_0600_and_no_temporary_files(tmp_path):
    state = JobState(str(tmp_path / "job.json"))
    assert state.read() is None
    with state.locked():
        state.write("job-1", {"name": "Wave 1"})
    record = state.read()
    assert record["job_id"] == "job-1" and record["definition"] == {"name": "Wave 1"} and record["created_at"]
    assert stat.S_IMODE(os.stat(state.path).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["job.json", "job.json.lock"]


@pytest.mark.parametrize(
    "content, message",
    [("{not json", "cannot read state_path"), (json.dumps({"jobId": "x"}), "is not a migration_job state file"), ("[]", "is not a migration_job")],
)
def test_an_unusable_state_file_is_an_error_not_a_new_job(tmp_path, content, message):
    path = tmp_path / "job.json"
    path.write_text(content)
    with pytest.raises(LocalFileError) as failure:
        JobState(str(path)).read()
    assert message in str(failure.value)


def test_a_directory_or_symlink_as_state_path_is_refused(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(LocalFileError, match="not a regular file"):
        JobState(str(tmp_path / "dir")).read()
    os.symlink(str(tmp_path / "elsewhere.json"), str(tmp_path / "link.json"))
    with pytest.raises(LocalFileError, match="not a regular file"):
        JobState(str(tmp_path / "link.json")).read()


def test_a_state_path_in_a_missing_directory_fails_before_anything_is_sent(tmp_path):
    with pytest.raises(LocalFileError, match="cannot create its lock file"):
        with JobState(str(tmp_path / "missing" / "job.json")).locked():
            pytest.fail("the lock must not be taken")
