# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of an ID mapping run on a real directory: where they go, which names fit, what is left."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils import _idmapping_job
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_job import IdMappingRun
from ansible_collections.migrationops.atlassian.plugins.module_utils._journal import write_journal
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import DestBusy, DestLock, LocalFileError
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock

SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"
REPORT = b"entityType,sourceId,targetId\nissue,10001,20001\n"
JOURNAL_TEMP = ".report.csv.idmapping.json.0123abcd.tmp"


class Download:
    def __init__(self):
        self.headers = {"Content-Length": str(len(REPORT))}

    def iter_content(self, chunk_size=1):
        yield REPORT

    def close(self):
        pass


class Api:
    """Every job succeeds at once; records the calls."""

    def __init__(self):
        self.calls = []

    def trigger(self, product, source_url, destination_url):
        self.calls.append("trigger")
        return "job-%d" % self.calls.count("trigger"), "PENDING"

    def job_status(self, job_id):
        self.calls.append("status")
        return "SUCCESS"

    def download_link(self, job_id):
        self.calls.append("link")
        return "https://s3.example.test/report.csv", 3600

    def open_download(self, url):
        self.calls.append("open")
        return Download(), "GET /report.csv"


class Files:
    """Moves the report into place as the module does; ``attribute_error`` fails applying attributes."""

    def __init__(self, attribute_error=None):
        self.installed = []
        self.attribute_error = attribute_error

    def check_attributes(self):
        pass

    def install(self, temp, dest):
        self.installed.append(dest)
        os.replace(temp, dest)

    def apply_attributes(self, dest, changed):
        if self.attribute_error:
            raise self.attribute_error
        return changed


def run(dest, api=None, files=None, warnings=None, **options):
    params = dict(product="JIRA", source_url=SRC, destination_url=DST, job_id=None, dest=str(dest), force=False, wait=True)
    params.update(wait_timeout=60, wait_sleep=0, retrigger=True, fail_on_timeout=True)
    params.update(options)
    clock = FakeClock()
    warn = warnings.append if warnings is not None else (lambda text: None)
    return IdMappingRun(api or Api(), params, warn, files or Files(), clock=clock.clock, sleep=clock.sleep).run()


def test_a_report_another_run_installed_while_this_one_took_the_lock_is_kept(tmp_path, monkeypatch):
    # Before 0.2.1 "dest exists" was decided before the lock only: a run that got the lock once
    # another had installed the report triggered a second job and replaced it.
    dest = tmp_path / "report.csv"

    class LateLock(DestLock):
        def acquire(self):
            dest.write_bytes(b"the other run's report")
            return DestLock.acquire(self)

    monkeypatch.setattr(_idmapping_job, "DestLock", LateLock)
    api = Api()
    result = run(dest, api)
    assert api.calls == [] and result["changed"] is False and result["triggered"] is False
    assert dest.read_bytes() == b"the other run's report" and sorted(os.listdir(str(tmp_path))) == ["report.csv"]


@pytest.mark.parametrize("given", ["report.csv/", "report.csv/.", "missing/../report.csv"], ids=["slash", "dot", "dotdot"])
def test_a_dest_the_kernel_cannot_create_is_refused_before_anything(tmp_path, given):
    # Before 0.2.1 these passed the lexical checks, triggered a job and failed installing it, leaving a journal.
    api = Api()
    with pytest.raises(InvalidParameterError, match="dest"):
        run(str(tmp_path) + "/" + given, api)
    assert api.calls == [] and os.listdir(str(tmp_path)) == []


def test_links_and_dotdot_in_the_directory_of_dest_are_resolved_as_the_kernel_does(tmp_path):
    # a/link/../report.csv is b/report.csv: its lock, journal and temporary file belong in b/ too.
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "sub").mkdir(parents=True)
    os.symlink(str(tmp_path / "b" / "sub"), str(tmp_path / "a" / "link"))
    given = str(tmp_path / "a" / "link" / ".." / "report.csv")
    real = tmp_path / "b" / "report.csv"
    live = DestLock(str(real)).acquire()
    api = Api()
    try:
        with pytest.raises(DestBusy):
            run(given, api)
    finally:
        live.release()
    assert api.calls == []

    pending = run(given, api, wait=False)
    assert pending["dest"] == given and sorted(os.listdir(str(tmp_path / "b"))) == [".report.csv.idmapping.json", "sub"]
    files = Files()
    done = run(given, api, files)
    assert done["job_id"] == pending["job_id"] and files.installed == [str(real)] and real.read_bytes() == REPORT
    assert done["dest"] == given and done["sha256"] and sorted(os.listdir(str(tmp_path / "b"))) == ["report.csv", "sub"]
    assert os.listdir(str(tmp_path / "a")) == ["link"]


def longest_name_that_fits(directory):
    # The journal's temporary file is the longest hidden name: ".{name}.idmapping.json.0123abcd.tmp".
    return os.pathconf(str(directory), "PC_NAME_MAX") - len(".idmapping.json.0123abcd.tmp") - 1


def test_a_dest_name_too_long_for_its_hidden_files_is_refused_before_any_request(tmp_path):
    # Before 0.2.1 every run triggered a job, could not keep its journal, and failed "File name too long".
    api = Api()
    fits = longest_name_that_fits(tmp_path)
    with pytest.raises(InvalidParameterError) as info:
        run(tmp_path / ("r" * (fits + 1)), api)
    assert "%d bytes" % (fits + 1) in str(info.value) and "at most %d" % fits in str(info.value)
    assert api.calls == [] and os.listdir(str(tmp_path)) == []


def test_the_longest_dest_name_that_fits_keeps_its_journal_and_gets_its_report(tmp_path):
    dest = tmp_path / ("r" * longest_name_that_fits(tmp_path))
    warnings = []
    first = run(dest, wait=False, warnings=warnings)
    assert warnings == [] and os.listdir(str(tmp_path)) == ["." + dest.name + ".idmapping.json"]
    done = run(dest, warnings=warnings)
    assert warnings == [] and done["job_id"] == first["job_id"] and os.listdir(str(tmp_path)) == [dest.name]


def test_the_journal_is_gone_once_the_report_is_in_place_even_if_attributes_fail(tmp_path):
    # Before 0.2.1 a failure applying attributes kept the journal: a later force run resumed that old
    # job (its report already at dest) instead of generating a fresh one.
    dest = tmp_path / "report.csv"
    with pytest.raises(LocalFileError):
        run(dest, files=Files(attribute_error=LocalFileError("chattr failed")))
    assert os.listdir(str(tmp_path)) == ["report.csv"]
    api = Api()
    result = run(dest, api, force=True)
    assert result["triggered"] is True and api.calls[0] == "trigger"


@pytest.mark.parametrize("force", [False, True])
def test_the_journals_temporary_file_left_by_a_killed_run_is_removed(tmp_path, force):
    dest = tmp_path / "report.csv"
    dest.write_bytes(b"old report")
    write_journal(str(dest), "job-0", "JIRA", SRC, DST)
    kept = [".report.csv.idmapping.json", ".report.csv.idmapping.json.short.tmp", ".other.csv.idmapping.json.0123abcd.tmp"]
    for name in [JOURNAL_TEMP] + kept[1:]:
        (tmp_path / name).write_text("{}")
    run(dest, wait=False, force=force)
    assert sorted(os.listdir(str(tmp_path))) == sorted(kept + ["report.csv"])


def test_the_report_is_renamed_then_its_directory_synced_before_the_journal_goes(tmp_path, monkeypatch):
    # A report renamed into place is lost in a crash until the directory entry is on disk; the journal that lets
    # the next run resume must outlive it.
    dest = tmp_path / "reports" / "report.csv"
    dest.parent.mkdir()
    events = []
    real_fsync, real_remove_journal = os.fsync, _idmapping_job.remove_journal

    class RecordingFiles(Files):
        def install(self, temp, dest):
            Files.install(self, temp, dest)
            events.append("renamed")

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            events.append(("synced", os.fstat(fd).st_ino))
        real_fsync(fd)

    def remove_journal(path):
        events.append("journal removed")
        real_remove_journal(path)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(_idmapping_job, "remove_journal", remove_journal)
    result = run(dest, files=RecordingFiles())
    assert result["changed"] and dest.read_bytes() == REPORT
    after = events[events.index("renamed") :]
    assert after == ["renamed", ("synced", os.stat(str(dest.parent)).st_ino), "journal removed"], events
