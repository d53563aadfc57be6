# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._journal import (
    journal_matches,
    journal_path,
    read_journal,
    remove_journal,
    write_journal,
)

SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"


def test_journal_is_hidden_beside_dest(tmp_path):
    path = journal_path(str(tmp_path / "report.csv"))
    assert path == str(tmp_path / ".report.csv.idmapping.json")


def test_round_trip(tmp_path):
    dest = str(tmp_path / "report.csv")
    written = write_journal(dest, "job-1", "JIRA", SRC, DST)
    warnings = []
    read = read_journal(dest, warnings.append)
    assert read == written and warnings == []
    assert set(read) == {"job_id", "product", "source_url", "destination_url", "triggered_at"}
    assert read["triggered_at"].endswith("Z")
    assert os.stat(journal_path(dest)).st_mode & 0o777 == 0o600


def test_absent_journal_is_none_without_warning(tmp_path):
    warnings = []
    assert read_journal(str(tmp_path / "r"), warnings.append) is None and warnings == []


@pytest.mark.parametrize(
    "content",
    ['{"job_id": "job-1", "product": "JI', "[1, 2]", '{"product": "JIRA"}', '{"job_id": "   "}', "\xff\xfe"],
    ids=["cut", "not-object", "no-job", "blank-job", "not-utf8"],
)
def test_corrupt_journal_is_ignored_with_a_warning(tmp_path, content):
    dest = str(tmp_path / "r")
    with open(journal_path(dest), "wb") as handle:
        handle.write(content.encode("latin-1"))
    warnings = []
    assert read_journal(dest, warnings.append) is None
    assert len(warnings) == 1 and journal_path(dest) in warnings[0]


def _plant(kind, path, tmp_path):
    if kind == "directory":
        os.mkdir(path)
    elif kind == "FIFO":
        os.mkfifo(path)
    elif kind == "symbolic link":
        target = tmp_path / "elsewhere.json"
        target.write_text('{"job_id": "planted"}')
        os.symlink(str(target), path)
    else:
        os.symlink("/dev/zero", path)


@pytest.mark.parametrize("kind", ["directory", "FIFO", "symbolic link", "link to a device"])
def test_non_regular_journal_is_refused_at_once_without_blocking(tmp_path, kind):
    # Before 0.2 a FIFO here blocked the module in open() forever; a directory was only a warning.
    dest = str(tmp_path / "r")
    _plant(kind, journal_path(dest), tmp_path)
    previous = signal.signal(signal.SIGALRM, _blocked)
    signal.alarm(5)
    try:
        with pytest.raises(LocalFileError) as info:
            read_journal(dest, lambda msg: None)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert journal_path(dest) in str(info.value)
    assert ("is a %s" % kind.split(" to ")[0].replace("FIFO", "FIFO (named pipe)")) in str(info.value) or "symbolic link" in str(info.value)


def _blocked(signum, frame):
    raise AssertionError("read_journal blocked on a non-regular file")


def test_write_replaces_atomically_and_leaves_no_temp(tmp_path, monkeypatch):
    dest = str(tmp_path / "r")
    write_journal(dest, "job-1", "JIRA", SRC, DST)
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((src, dst))
        assert json.loads(open(src).read())["job_id"] == "job-2", "the new journal is complete before it replaces the old one"
        assert json.loads(open(dst).read())["job_id"] == "job-1"
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_journal(dest, "job-2", "JIRA", SRC, DST)
    assert [dst for _src, dst in replaced] == [journal_path(dest)]
    assert sorted(os.listdir(str(tmp_path))) == [".r.idmapping.json"]
    assert read_journal(dest, None)["job_id"] == "job-2"


def test_failed_write_keeps_the_old_journal_and_removes_the_temp(tmp_path, monkeypatch):
    dest = str(tmp_path / "r")
    write_journal(dest, "job-1", "JIRA", SRC, DST)

    def broken(src, dst):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(LocalFileError, match="Permission denied"):
        write_journal(dest, "job-2", "JIRA", SRC, DST)
    monkeypatch.undo()
    assert sorted(os.listdir(str(tmp_path))) == [".r.idmapping.json"]
    assert read_journal(dest, None)["job_id"] == "job-1"


def test_remove_is_quiet_when_absent(tmp_path):
    dest = str(tmp_path / "r")
    remove_journal(dest)
    write_journal(dest, "job-1", "JIRA", SRC, DST)
    remove_journal(dest)
    assert not os.path.exists(journal_path(dest))


def test_matching_compares_given_inputs_only():
    journal = {"job_id": "j", "product": "JIRA", "source_url": SRC, "destination_url": DST}
    assert journal_matches(journal, "JIRA", SRC, DST)
    assert journal_matches(journal, None, None, None)
    assert not journal_matches(journal, "CONFLUENCE", SRC, DST)
    assert not journal_matches(journal, "JIRA", SRC, "https://other.atlassian.net")
