# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import json
import os
import stat

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._download import LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._job_state import JobState

from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock


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
    [
        ("{not json", "cannot read state_path"),
        (json.dumps({"jobId": "x"}), "is not a migration_job state file"),
        ("[]", "is not a migration_job"),
        (json.dumps({"job_id": "", "definition": {}}), "is not a migration_job state file"),
        (json.dumps({"job_id": None, "definition": {}}), "is not a migration_job state file"),
    ],
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
    with pytest.raises(LocalFileError, match="is a symbolic link"):
        JobState(str(tmp_path / "link.json")).read()


def test_a_state_path_in_a_missing_directory_fails_before_anything_is_sent(tmp_path):
    with pytest.raises(LocalFileError, match="cannot create its lock file"):
        with JobState(str(tmp_path / "missing" / "job.json")).locked():
            pytest.fail("the lock must not be taken")


def test_a_directory_as_state_path_is_refused_before_its_lock_file_is_created(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(LocalFileError, match=r"state_path .* is a directory, not a regular file: remove it or choose another state_path"):
        with JobState(str(tmp_path / "dir")).locked():
            pytest.fail("the lock must not be taken")
    assert sorted(os.listdir(str(tmp_path))) == ["dir"]


def test_a_fifo_at_the_lock_path_is_refused_at_once_instead_of_blocking(tmp_path):
    os.mkfifo(str(tmp_path / "job.json.lock"))
    with pytest.raises(LocalFileError, match=r"lock file of state_path .* is a FIFO"):
        with JobState(str(tmp_path / "job.json")).locked():
            pytest.fail("the lock must not be taken")


def test_a_symlink_at_the_lock_path_is_not_followed(tmp_path):
    target = tmp_path / "outside" / "planted"
    target.parent.mkdir()
    os.symlink(str(target), str(tmp_path / "job.json.lock"))
    with pytest.raises(LocalFileError, match="is a symbolic link"):
        with JobState(str(tmp_path / "job.json")).locked():
            pytest.fail("the lock must not be taken")
    assert not target.exists()


def test_a_lock_held_by_a_stuck_run_ends_the_wait_with_a_clear_error(tmp_path):
    path = str(tmp_path / "job.json")
    clock = FakeClock()
    holder = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with pytest.raises(LocalFileError, match=r"another run has held .*job.json.lock for 600 s .*nothing was requested"):
            with JobState(path, clock=clock.clock, sleep=clock.sleep).locked():
                pytest.fail("the lock must not be taken")
    finally:
        os.close(holder)
    assert 600 <= clock.now < 601 and set(clock.sleeps) == {0.2}


def test_a_lock_released_during_the_wait_is_taken(tmp_path):
    path = str(tmp_path / "job.json")
    holder = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    clock = FakeClock()

    def sleep(seconds):
        clock.sleep(seconds)
        if clock.now >= 1:
            os.close(holder)

    state = JobState(path, clock=clock.clock, sleep=sleep)
    with state.locked():
        state.write("job-1", {"name": "Wave 1"})
    assert state.read()["job_id"] == "job-1" and 1 <= clock.now < 2


def test_an_unanswered_create_is_recorded_then_replaced_by_the_job_or_removed(tmp_path):
    state = JobState(str(tmp_path / "job.json"))
    with state.locked():
        state.write_pending({"name": "Wave 1"})
        record = state.read()
        assert record["job_id"] is None and record["definition"] == {"name": "Wave 1"} and record["pending_since"]
        assert stat.S_IMODE(os.stat(state.path).st_mode) == 0o600
        state.write("job-1", {"name": "Wave 1"})
        assert state.read()["job_id"] == "job-1"
        state.write_pending({"name": "Wave 2"})
        assert state.clear_pending() is None and state.read() is None
        assert state.clear_pending() is None
    assert sorted(os.listdir(str(tmp_path))) == ["job.json.lock"]


def test_a_state_file_that_cannot_be_written_before_the_create_says_nothing_was_requested(tmp_path):
    (tmp_path / "job.json").mkdir()
    with pytest.raises(LocalFileError, match="before creating the job, so nothing was requested"):
        JobState(str(tmp_path / "job.json")).write_pending({"name": "Wave 1"})


def test_a_job_created_but_not_recorded_says_to_set_job_id(tmp_path):
    (tmp_path / "job.json").mkdir()
    with pytest.raises(LocalFileError) as failure:
        JobState(str(tmp_path / "job.json")).write("job-7", {"name": "Wave 1"})
    assert "job job-7 was created but cannot be recorded" in str(failure.value) and "Set job_id to job-7" in str(failure.value)


def test_the_record_and_its_directory_are_synced_so_that_it_outlives_a_crash(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    JobState(str(tmp_path / "job.json")).write_pending({"name": "Wave 1"})
    assert synced == [False, True]
