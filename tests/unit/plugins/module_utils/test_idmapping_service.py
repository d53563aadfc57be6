# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import signal

import pytest

from ansible_collections.migrationops.atlassian.plugins.module_utils._backoff import BackoffPolicy
from ansible_collections.migrationops.atlassian.plugins.module_utils._fresh_link import DownloadFailed
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    AtlassianError,
    AuthenticationError,
    InvalidParameterError,
    NotFoundError,
    OutcomeFailure,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_api import IdMappingApi, normalize_trigger_inputs
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_job import IdMappingRun
from ansible_collections.migrationops.atlassian.plugins.module_utils._journal import journal_path, write_journal
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import DestBusy, DestLock, LocalFileError
from ansible_collections.migrationops.atlassian.plugins.module_utils._transport import ApiClient
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import ScriptedSession, make_response

SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"
LINK = "https://s3.example.test/bucket/report.csv?X-Amz-Signature=topsecretsignature"
REPORT = b"entityType,sourceId,targetId\nissue,10001,20001\n"
JOB_GONE = "Job not found with ID: %s. The job ID may be incorrect or expired."
from ansible_collections.migrationops.atlassian.tests.unit.plugins.module_utils.http_fakes import FakeClock


class FakeResponse:
    def __init__(self, data, length=None):
        self.data = data
        self.headers = {"Content-Length": str(len(data) if length is None else length)}

    def iter_content(self, chunk_size=1):
        yield self.data

    def close(self):
        pass


class FakeApi:
    """Scripts per call kind; an Exception in a script is raised. The last answer of a script repeats."""

    def __init__(self, statuses=("SUCCESS",), links=(LINK,), downloads=None):
        self.statuses = list(statuses)
        self.links = list(links)
        self.downloads = list(downloads or [FakeResponse(REPORT)])
        self.calls = []
        self.jobs = 0

    @staticmethod
    def _next(script):
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def trigger(self, product, source_url, destination_url):
        self.jobs += 1
        self.calls.append(("trigger", product, source_url, destination_url))
        return "job-%d" % self.jobs, "PENDING"

    def job_status(self, job_id):
        self.calls.append(("status", job_id))
        return self._next(self.statuses)

    def download_link(self, job_id):
        self.calls.append(("link", job_id))
        return self._next(self.links), 3600

    def open_download(self, url):
        self.calls.append(("open", url))
        return self._next(self.downloads), "GET /bucket/report.csv"

    def kinds(self):
        return [call[0] for call in self.calls]


class FakeFiles:
    def __init__(self, attributes_change=False, bad_attribute=None):
        self.installed = []
        self.attributes_change = attributes_change
        self.bad_attribute = bad_attribute
        self.checked = 0

    def check_attributes(self):
        self.checked += 1
        if self.bad_attribute:
            raise InvalidParameterError(self.bad_attribute)

    def install(self, temp, dest):
        self.installed.append(dest)
        os.replace(temp, dest)

    def apply_attributes(self, dest, changed):
        return changed or self.attributes_change


def params(**overrides):
    base = dict(
        product="jira",
        source_url=SRC + "/",
        destination_url=DST,
        job_id=None,
        dest=None,
        force=False,
        wait=True,
        wait_timeout=600,
        wait_sleep=10,
        retrigger=True,
        fail_on_timeout=True,
    )
    base.update(overrides)
    return base


def make(api, tmp_path, check_mode=False, files=None, warnings=None, **overrides):
    overrides.setdefault("dest", str(tmp_path / "report.csv"))
    clock = FakeClock()
    warn = warnings.append if warnings is not None else (lambda msg: None)
    job = IdMappingRun(api, params(**overrides), warn, files or FakeFiles(), check_mode=check_mode, clock=clock.clock, sleep=clock.sleep)
    return job, clock


def read_journal_file(tmp_path):
    return json.loads((tmp_path / ".report.csv.idmapping.json").read_text())


# --- validation: nothing is requested ------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, option",
    [
        (dict(product="bamboo"), "product"),
        (dict(source_url="jira.example.com"), "source_url"),
        (dict(destination_url="https:///nohost"), "destination_url"),
        (dict(wait_timeout=-1), "wait_timeout"),
        (dict(wait_sleep=-5), "wait_sleep"),
        (dict(job_id="  "), "job_id"),
    ],
)
def test_bad_input_names_the_option(tmp_path, overrides, option):
    api = FakeApi()
    with pytest.raises(InvalidParameterError, match=option):
        make(api, tmp_path, **overrides).run()
    assert api.calls == []


def test_dest_is_required_to_wait_and_its_directory_must_exist(tmp_path):
    with pytest.raises(InvalidParameterError, match="dest is required"):
        make(FakeApi(), tmp_path, dest=None)
    with pytest.raises(InvalidParameterError, match="directory of dest"):
        make(FakeApi(), tmp_path, dest=str(tmp_path / "missing" / "r.csv"))
    with pytest.raises(InvalidParameterError, match="is a directory"):
        make(FakeApi(), tmp_path, dest=str(tmp_path))


def test_missing_trigger_inputs_are_named(tmp_path):
    api = FakeApi()
    job, _clock = make(api, tmp_path, product=None, destination_url=None)
    with pytest.raises(InvalidParameterError) as info:
        job.run()
    assert "missing: product, destination_url" in str(info.value) and "job_id" in str(info.value)
    assert api.calls == []


# --- idempotency ---------------------------------------------------------------------------------


def test_happy_path_triggers_waits_downloads_and_normalises_inputs(tmp_path):
    api = FakeApi(statuses=["PENDING", "IN_PROGRESS", "SUCCESS"])
    job, clock = make(api, tmp_path)
    result = job.run()
    assert api.calls[0] == ("trigger", "JIRA", SRC, DST)
    assert api.kinds() == ["trigger", "status", "status", "status", "link", "open"]
    assert (tmp_path / "report.csv").read_bytes() == REPORT
    assert result["sha256"] == hashlib.sha256(REPORT).hexdigest() and result["size"] == len(REPORT)
    assert result["job_id"] == "job-1" and result["status"] == "SUCCESS"
    assert result["triggered"] and result["changed"] and not result["timed_out"]
    assert result["polls"] == 3 and result["elapsed"] == clock.now == 20
    assert not (tmp_path / ".report.csv.idmapping.json").exists()
    assert sorted(result) == sorted(["job_id", "status", "triggered", "dest", "size", "sha256", "timed_out", "elapsed", "polls", "changed"])


def test_existing_dest_makes_no_call_and_reports_the_file(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"old report")
    api = FakeApi()
    result = make(api, tmp_path)[0].run()
    assert api.calls == []
    assert result["changed"] is False and result["job_id"] is None and result["triggered"] is False
    assert result["sha256"] == hashlib.sha256(b"old report").hexdigest() and result["size"] == 10


def test_existing_dest_reports_an_attribute_change(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"old")
    assert make(FakeApi(), tmp_path, files=FakeFiles(attributes_change=True))[0].run()["changed"] is True


def test_journal_is_written_right_after_the_trigger(tmp_path):
    seen = []

    class Spy(FakeApi):
        def job_status(self, job_id):
            seen.append(read_journal_file(tmp_path))
            return "SUCCESS"

    make(Spy(), tmp_path)[0].run()
    assert seen[0]["job_id"] == "job-1" and seen[0]["product"] == "JIRA" and seen[0]["source_url"] == SRC


def test_matching_journal_is_resumed_without_trigger(tmp_path):
    write_journal(str(tmp_path / "report.csv"), "job-old", "JIRA", SRC, DST)
    api = FakeApi()
    result = make(api, tmp_path)[0].run()
    assert "trigger" not in api.kinds() and api.calls[0] == ("status", "job-old")
    assert result["job_id"] == "job-old" and result["triggered"] is False and result["changed"] is True
    assert not (tmp_path / ".report.csv.idmapping.json").exists()


def test_journal_alone_is_enough_to_resume(tmp_path):
    write_journal(str(tmp_path / "report.csv"), "job-old", "JIRA", SRC, DST)
    api = FakeApi(statuses=["ERROR", "SUCCESS"])
    result = make(api, tmp_path, product=None, source_url=None, destination_url=None)[0].run()
    assert api.calls[1] == ("trigger", "JIRA", SRC, DST), "the journal's inputs allow a retrigger"
    assert result["job_id"] == "job-1"


def test_mismatching_journal_is_ignored_with_a_warning(tmp_path):
    write_journal(str(tmp_path / "report.csv"), "job-old", "CONFLUENCE", SRC, DST)
    api = FakeApi()
    warnings = []
    result = make(api, tmp_path, warnings=warnings)[0].run()
    assert api.kinds()[0] == "trigger" and result["job_id"] == "job-1"
    assert any("job-old" in w and "CONFLUENCE" in w for w in warnings)


def test_explicit_job_id_wins_over_the_journal(tmp_path):
    write_journal(str(tmp_path / "report.csv"), "job-journal", "JIRA", SRC, DST)
    api = FakeApi()
    result = make(api, tmp_path, job_id="job-given")[0].run()
    assert api.calls[0] == ("status", "job-given") and result["job_id"] == "job-given"


def test_force_replaces_an_existing_report(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"old")
    result = make(FakeApi(), tmp_path, force=True)[0].run()
    assert (tmp_path / "report.csv").read_bytes() == REPORT and result["changed"]


# --- wait false ----------------------------------------------------------------------------------


def test_wait_false_triggers_and_returns_at_once_without_dest(tmp_path):
    api = FakeApi()
    result = make(api, tmp_path, wait=False, dest=None)[0].run()
    assert api.kinds() == ["trigger"]
    assert result["status"] == "PENDING" and result["job_id"] == "job-1" and result["changed"] and result["polls"] == 0


def test_wait_false_with_a_known_job_reads_its_status_once(tmp_path):
    api = FakeApi(statuses=["IN_PROGRESS"])
    result = make(api, tmp_path, wait=False, job_id="job-x")[0].run()
    assert api.kinds() == ["status"]
    assert result["status"] == "IN_PROGRESS" and result["polls"] == 1 and result["changed"] is False


def test_wait_false_writes_the_journal_for_the_next_run(tmp_path):
    make(FakeApi(), tmp_path, wait=False)[0].run()
    assert read_journal_file(tmp_path)["job_id"] == "job-1"
    api = FakeApi()
    make(api, tmp_path)[0].run()
    assert api.kinds()[0] == "status" and api.calls[0][1] == "job-1"


# --- retrigger -----------------------------------------------------------------------------------


def test_error_retriggers_once_and_keeps_waiting(tmp_path):
    api = FakeApi(statuses=["IN_PROGRESS", "ERROR", "PENDING", "SUCCESS"])
    warnings = []
    job, clock = make(api, tmp_path, warnings=warnings)
    result = job.run()
    assert api.kinds().count("trigger") == 2 and result["job_id"] == "job-2"
    assert result["polls"] == 4 and clock.now == 20
    assert any("job-1" in w and "ERROR" in w for w in warnings)


def test_retrigger_updates_the_journal(tmp_path):
    seen = []

    class Spy(FakeApi):
        def job_status(self, job_id):
            seen.append(read_journal_file(tmp_path)["job_id"])
            return "ERROR" if job_id == "job-1" else "SUCCESS"

    make(Spy(), tmp_path)[0].run()
    assert seen == ["job-1", "job-2"]


def test_second_error_fails_naming_the_job_and_forgets_it(tmp_path):
    api = FakeApi(statuses=["ERROR"])
    with pytest.raises(OutcomeFailure) as info:
        make(api, tmp_path)[0].run()
    assert "job-2 ended in ERROR" in str(info.value) and "already triggered" in str(info.value)
    assert info.value.result["job_id"] == "job-2" and info.value.result["changed"] is True
    assert api.kinds().count("trigger") == 2
    assert not (tmp_path / ".report.csv.idmapping.json").exists()


def test_retrigger_false_fails_on_error(tmp_path):
    api = FakeApi(statuses=["ERROR"])
    with pytest.raises(OutcomeFailure) as info:
        make(api, tmp_path, retrigger=False, job_id="job-x")[0].run()
    assert "job-x ended in ERROR" in str(info.value) and "retrigger is false" in str(info.value)
    assert "trigger" not in api.kinds() and info.value.result["job_id"] == "job-x"


def test_expired_job_is_retriggered(tmp_path):
    gone = NotFoundError(JOB_GONE % "job-old", status=404, request_id="req-9")
    write_journal(str(tmp_path / "report.csv"), "job-old", "JIRA", SRC, DST)
    api = FakeApi(statuses=[gone, "SUCCESS"])
    result = make(api, tmp_path)[0].run()
    assert api.kinds()[:2] == ["status", "trigger"] and result["job_id"] == "job-1" and result["triggered"]


def test_expired_job_without_retrigger_fails_with_atlassian_message_and_request_id(tmp_path):
    gone = NotFoundError(JOB_GONE % "job-old", endpoint="GET /x", status=404, request_id="req-9")
    api = FakeApi(statuses=[gone])
    with pytest.raises(OutcomeFailure) as info:
        make(api, tmp_path, job_id="job-old", retrigger=False)[0].run()
    message = str(info.value)
    assert "job-old has expired" in message and "Job not found" in message and "req-9" in message


def test_expired_job_without_inputs_cannot_be_retriggered(tmp_path):
    api = FakeApi(statuses=[NotFoundError("gone", status=404)])
    with pytest.raises(OutcomeFailure, match="set product, source_url, destination_url"):
        make(api, tmp_path, job_id="job-old", product=None, source_url=None, destination_url=None)[0].run()


def test_expired_report_retriggers_and_waits_again(tmp_path):
    gone = NotFoundError("Report file not available. The report may have been deleted or expired.", status=404)
    api = FakeApi(statuses=["SUCCESS"], links=[gone, LINK])
    result = make(api, tmp_path)[0].run()
    assert api.kinds() == ["trigger", "status", "link", "trigger", "status", "link", "open"]
    assert result["job_id"] == "job-2" and (tmp_path / "report.csv").read_bytes() == REPORT


def test_expired_report_without_retrigger_fails(tmp_path):
    api = FakeApi(links=[NotFoundError("Report file not available.", status=404)])
    with pytest.raises(OutcomeFailure, match="Report file not available"):
        make(api, tmp_path, retrigger=False)[0].run()


def test_transient_errors_during_the_wait_do_not_end_it(tmp_path):
    api = FakeApi(statuses=[ServerError("Internal Server Error", status=500), "SUCCESS"])
    assert make(api, tmp_path)[0].run()["polls"] == 2


def test_authentication_errors_end_the_run_carrying_the_job_id(tmp_path):
    api = FakeApi(statuses=[AuthenticationError("Unauthorized", status=401)])
    with pytest.raises(AuthenticationError) as info:
        make(api, tmp_path)[0].run()
    assert info.value.result["job_id"] == "job-1" and info.value.result["triggered"] is True


# --- timeout -------------------------------------------------------------------------------------


def test_timeout_fails_naming_job_status_and_polls_and_keeps_the_journal(tmp_path):
    api = FakeApi(statuses=["IN_PROGRESS"])
    with pytest.raises(OutcomeFailure) as info:
        make(api, tmp_path, wait_timeout=30)[0].run()
    message = str(info.value)
    assert "timed out after 30s" in message and "job-1" in message and "IN_PROGRESS" in message and "status reads 4" in message
    assert info.value.result["timed_out"] is True and info.value.result["job_id"] == "job-1"
    assert read_journal_file(tmp_path)["job_id"] == "job-1"


def test_timeout_without_failing_returns_and_the_next_run_resumes(tmp_path):
    api = FakeApi(statuses=["IN_PROGRESS"])
    result = make(api, tmp_path, wait_timeout=20, fail_on_timeout=False)[0].run()
    assert result["timed_out"] is True and result["changed"] is True and result["sha256"] is None
    again = FakeApi(statuses=["SUCCESS"])
    result = make(again, tmp_path)[0].run()
    assert "trigger" not in again.kinds() and result["job_id"] == "job-1" and result["triggered"] is False


def test_timeout_counts_over_a_retrigger(tmp_path):
    api = FakeApi(statuses=["IN_PROGRESS", "ERROR", "IN_PROGRESS"])
    job, clock = make(api, tmp_path, wait_timeout=40, fail_on_timeout=False)
    result = job.run()
    assert result["timed_out"] and clock.now == 40 and result["job_id"] == "job-2"


# --- download ------------------------------------------------------------------------------------


def test_rejected_link_is_replaced_by_a_fresh_one(tmp_path):
    expired = PermissionDeniedError("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", status=403)
    api = FakeApi(links=[LINK + "1", LINK + "2"], downloads=[expired, FakeResponse(REPORT)])
    warnings = []
    result = make(api, tmp_path, warnings=warnings)[0].run()
    assert api.kinds() == ["trigger", "status", "link", "open", "link", "open"]
    assert result["sha256"] == hashlib.sha256(REPORT).hexdigest()
    assert warnings and not any("topsecretsignature" in w for w in warnings)


def test_three_failed_downloads_fail_keeping_old_report_and_journal(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"old report")
    api = FakeApi(downloads=[FakeResponse(REPORT[:5], length=len(REPORT))])
    with pytest.raises(DownloadFailed) as info:
        make(api, tmp_path, force=True)[0].run()
    assert api.kinds().count("open") == 3 and api.kinds().count("link") == 3
    assert "3 attempts" in str(info.value) and "topsecretsignature" not in str(info.value)
    assert (tmp_path / "report.csv").read_bytes() == b"old report"
    assert info.value.result["job_id"] == "job-1"
    assert info.value.result["sha256"] == hashlib.sha256(b"old report").hexdigest()
    assert read_journal_file(tmp_path)["job_id"] == "job-1"
    assert sorted(os.listdir(str(tmp_path))) == [".report.csv.idmapping.json", "report.csv"]


def test_install_failure_leaves_no_temp(tmp_path):
    class Broken(FakeFiles):
        def install(self, temp, dest):
            raise OSError("read-only file system")

    with pytest.raises(OSError):
        make(FakeApi(), tmp_path, files=Broken())[0].run()
    assert [n for n in os.listdir(str(tmp_path)) if n.endswith(".part")] == []


# --- check mode ----------------------------------------------------------------------------------


def test_check_mode_triggers_nothing_and_writes_nothing(tmp_path):
    api = FakeApi()
    result = make(api, tmp_path, check_mode=True)[0].run()
    assert api.calls == [] and os.listdir(str(tmp_path)) == []
    assert result["changed"] is True and result["triggered"] is True and result["job_id"] is None


def test_check_mode_reads_a_known_job_once(tmp_path):
    write_journal(str(tmp_path / "report.csv"), "job-old", "JIRA", SRC, DST)
    api = FakeApi(statuses=["IN_PROGRESS"])
    result = make(api, tmp_path, check_mode=True)[0].run()
    assert api.kinds() == ["status"]
    assert result["status"] == "IN_PROGRESS" and result["triggered"] is False and result["changed"] is True
    assert sorted(os.listdir(str(tmp_path))) == [".report.csv.idmapping.json"]


def test_check_mode_predicts_a_retrigger_for_an_expired_job(tmp_path):
    api = FakeApi(statuses=[NotFoundError("gone", status=404)])
    warnings = []
    result = make(api, tmp_path, check_mode=True, job_id="job-old", warnings=warnings)[0].run()
    assert result["triggered"] is True and "trigger" not in api.kinds() and warnings


def test_check_mode_with_existing_dest_is_unchanged(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"old")
    api = FakeApi()
    assert make(api, tmp_path, check_mode=True)[0].run()["changed"] is False and api.calls == []


def test_journal_path_helper_matches_the_files_written(tmp_path):
    make(FakeApi(), tmp_path, wait=False)[0].run()
    assert os.path.exists(journal_path(str(tmp_path / "report.csv")))


# --- the API helpers over a scripted HTTP session --------------------------------------------------


def api_with(answers):
    session = ScriptedSession(answers)
    client = ApiClient("https://api.example.test", "tok", email="me@example.com", policy=BackoffPolicy(retries=0), session=session)
    return IdMappingApi(client), session


def test_trigger_posts_the_documented_body():
    api, session = api_with([make_response(202, body={"jobId": "j-1", "status": "PENDING"})])
    assert api.trigger("JIRA", SRC, DST) == ("j-1", "PENDING")
    call = session.calls[0]
    assert call["method"] == "POST" and call["url"] == "https://api.example.test/migrations/reports/v1/id-mappings/trigger"
    assert call["json"] == {"product": "JIRA", "sourceURL": SRC, "destinationURL": DST}


def test_trigger_without_job_id_is_unexpected():
    api, _session = api_with([make_response(202, body={"status": "PENDING"})])
    with pytest.raises(UnexpectedResponseError, match="jobId"):
        api.trigger("JIRA", SRC, DST)


def test_job_status_quotes_the_id_as_one_segment():
    api, session = api_with([make_response(body={"jobId": "a/../b", "status": "IN_PROGRESS"})])
    assert api.job_status("a/../b") == "IN_PROGRESS"
    assert session.calls[0]["url"].endswith("/id-mappings/a%2F..%2Fb")


def test_job_status_without_status_is_unexpected():
    api, _session = api_with([make_response(body={"jobId": "j"})])
    with pytest.raises(UnexpectedResponseError, match="status"):
        api.job_status("j")


def test_job_status_404_is_not_found_with_request_id():
    api, _session = api_with([make_response(404, body={"status": 404, "errorMessage": JOB_GONE % "j", "id": "req-1"})])
    with pytest.raises(NotFoundError) as info:
        api.job_status("j")
    assert "Job not found" in str(info.value) and "req-1" in str(info.value)


def test_download_link_and_its_checks():
    api, _session = api_with([make_response(body={"jobId": "j", "downloadUrl": LINK, "expiresIn": 3600})])
    assert api.download_link("j") == (LINK, 3600)
    for body in ({"jobId": "j"}, {"downloadUrl": "/relative/path"}, {"downloadUrl": "http://s3.example.test/r?X-Amz-Signature=topsecretsignature"}):
        api, _session = api_with([make_response(body=body)])
        with pytest.raises(UnexpectedResponseError) as info:
            api.download_link("j")
        assert "topsecretsignature" not in str(info.value)
    api, _session = api_with([make_response(body={"downloadUrl": "http://127.0.0.1:8080/s3/r?sig=x"})])
    assert api.download_link("j") == ("http://127.0.0.1:8080/s3/r?sig=x", None)


def test_open_download_sends_no_credentials_and_names_the_link_without_query():
    api, session = api_with([make_response(200, text="a,b\n")])
    response, endpoint = api.open_download(LINK)
    assert response.status_code == 200 and "Authorization" not in session.calls[0]["headers"]
    assert endpoint == "GET https://s3.example.test/bucket/report.csv"


def test_normalize_trigger_inputs():
    assert normalize_trigger_inputs("Confluence", SRC + "/", DST + "//") == {"product": "CONFLUENCE", "source_url": SRC, "destination_url": DST}
    assert normalize_trigger_inputs(None, None, None) == {"product": None, "source_url": None, "destination_url": None}


# -- two runs, killed runs, hostile paths, attributes (0.2) ----------------------------------
class LockingFiles(FakeFiles):
    """Looks at dest's directory while the report is being installed (the run holds its lock then)."""

    def install(self, temp, dest):
        self.seen = sorted(os.listdir(os.path.dirname(dest)))
        FakeFiles.install(self, temp, dest)


def test_a_second_run_on_the_same_dest_fails_at_once_and_leaves_the_first_ones_download(tmp_path):
    # Before 0.2 the second run removed the first one's temporary file, and the first failed after a full download.
    first = DestLock(str(tmp_path / "report.csv")).acquire()
    in_progress = tmp_path / ".report.csv.0123abcd.part"
    in_progress.write_bytes(b"the first run's download")
    api = FakeApi()
    try:
        with pytest.raises(DestBusy) as info:
            make(api, tmp_path)[0].run()
    finally:
        first.release()
    assert api.calls == [], "nothing may be requested"
    assert "another run (process %d)" % os.getpid() in str(info.value) and "report.csv" in str(info.value)
    assert in_progress.read_bytes() == b"the first run's download"
    assert not (tmp_path / ".report.csv.lock").exists()


def test_a_run_holds_the_lock_until_the_report_is_installed_and_then_removes_it(tmp_path):
    files = LockingFiles()
    make(FakeApi(), tmp_path, files=files)[0].run()
    assert ".report.csv.lock" in files.seen
    assert sorted(os.listdir(str(tmp_path))) == ["report.csv"]


@pytest.mark.parametrize("force", [True, False])
def test_a_later_run_of_any_kind_removes_what_a_killed_run_left(tmp_path, force):
    # Before 0.2 a run finding dest in place (force false) never looked; a killed force run's file stayed forever.
    (tmp_path / "report.csv").write_bytes(b"old report")
    (tmp_path / ".report.csv.0123abcd.part").write_bytes(b"left by a killed force run")
    (tmp_path / ".report.csv.lock").write_text("999999\n")  # its lock file; the kernel released the lock
    make(FakeApi(), tmp_path, force=force)[0].run()
    assert sorted(os.listdir(str(tmp_path))) == ["report.csv"]


def test_a_run_finding_dest_in_place_leaves_a_live_runs_download_alone(tmp_path):
    (tmp_path / "report.csv").write_bytes(b"old report")
    part = tmp_path / ".report.csv.0123abcd.part"
    part.write_bytes(b"a live force run's download")
    live = DestLock(str(tmp_path / "report.csv")).acquire()
    try:
        result = make(FakeApi(), tmp_path)[0].run()
    finally:
        live.release()
    assert result["changed"] is False and part.exists()


def test_check_mode_removes_and_locks_nothing(tmp_path):
    (tmp_path / ".report.csv.0123abcd.part").write_bytes(b"x")
    make(FakeApi(), tmp_path, check_mode=True)[0].run()
    assert sorted(os.listdir(str(tmp_path))) == [".report.csv.0123abcd.part"]


@pytest.mark.parametrize("where", ["dest", "journal"])
def test_a_fifo_at_dest_or_at_the_journal_is_refused_before_any_request(tmp_path, where):
    # Before 0.2 a FIFO at dest blocked the module in its checksum, one at the journal in open().
    os.mkfifo(str(tmp_path / ("report.csv" if where == "dest" else ".report.csv.idmapping.json")))
    api = FakeApi()
    previous = signal.signal(signal.SIGALRM, _blocked)
    signal.alarm(5)
    try:
        with pytest.raises(LocalFileError, match="FIFO"):
            make(api, tmp_path)[0].run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert api.calls == []


def _blocked(signum, frame):
    raise AssertionError("the run blocked on a FIFO")


def test_a_link_at_dest_to_a_regular_file_is_followed(tmp_path):
    target = tmp_path / "shared-report.csv"
    target.write_bytes(b"old report")
    os.symlink(str(target), str(tmp_path / "report.csv"))
    api = FakeApi()
    result = make(api, tmp_path)[0].run()
    assert api.calls == [] and result["sha256"] == hashlib.sha256(b"old report").hexdigest()


def test_file_attributes_are_checked_before_any_request(tmp_path):
    api = FakeApi()
    files = FakeFiles(bad_attribute="owner 'nobody-here' is not a user on this host")
    with pytest.raises(InvalidParameterError, match="nobody-here"):
        make(api, tmp_path, files=files)[0].run()
    assert api.calls == [] and files.checked == 1


def test_a_download_that_fails_locally_carries_the_job_id(tmp_path):
    class FullDisk(FakeFiles):
        def install(self, temp, dest):
            raise LocalFileError("cannot move the downloaded report into place: No space left on device")

    with pytest.raises(LocalFileError) as info:
        make(FakeApi(), tmp_path, files=FullDisk())[0].run()
    assert info.value.result["job_id"] == "job-1"


@pytest.mark.parametrize("wait, bound", [(True, 30), (False, 0)])
def test_a_day_long_retry_after_on_a_poll_sleeps_no_longer_than_the_wait_has_left(tmp_path, wait, bound):
    limited = RateLimitedError("slow down", status=429)
    limited.retry_after = 86400.0
    job, clock = make(FakeApi(statuses=[limited, "SUCCESS"]), tmp_path, job_id="job-1", wait=wait, wait_timeout=30, wait_sleep=10)
    try:
        job.run()
    except AtlassianError:
        pass  # without a wait, the rate-limited read is the answer
    assert sum(clock.sleeps) <= bound, clock.sleeps
