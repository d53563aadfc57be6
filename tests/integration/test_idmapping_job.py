# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""idmapping_job through ansible-playbook against the simulator, over real HTTP."""

import hashlib
import json
import os
import shutil
import stat

import pytest

from ansible_collections.migrationops.atlassian.tests.integration.conftest import MODULE_PYTHON, connection_env

MODULE = "migrationops.atlassian.idmapping_job"
SRC = "https://jira.example.com"
DST = "https://example.atlassian.net"
IDM = "/migrations/reports/v1/id-mappings"
PREEXISTING = "7d1f3a52-0c55-4d0e-9a55-2f6f1c0e9b11"


def job(result="SUCCESS", pending=0, in_progress=1, rows=400, **report):
    return {"pending_polls": pending, "in_progress_polls": in_progress, "result": result, "report": report or {"rows": rows}}


def idmapping(*jobs, **settings):
    section = {"jobs": list(jobs) or [job()]}
    section.update(settings)
    return {"idmapping": section}


def task(path, **args):
    params = {"product": "JIRA", "source_url": SRC, "destination_url": DST, "dest": str(path), "wait_sleep": 0}
    params.update(args)
    return {MODULE: {k: v for k, v in params.items() if v is not None}}


@pytest.fixture
def reports(tmp_path):
    directory = tmp_path / "reports"
    directory.mkdir()
    return directory


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def calls(sim, kind):
    """Logged requests of one kind: trigger, status, link, s3 or all (everything but /_sim)."""
    entries = [r for r in sim.requests if not r["path"].startswith("/_sim")]
    if kind == "trigger":
        return [r for r in entries if r["path"] == IDM + "/trigger"]
    if kind == "link":
        return [r for r in entries if r["path"].startswith(IDM) and r["path"].endswith("/download")]
    if kind == "status":
        return [r for r in entries if r["path"].startswith(IDM + "/") and r["path"].count("/") == 5 and not r["path"].endswith("/trigger")]
    if kind == "s3":
        return [r for r in entries if r["path"].startswith("/s3/")]
    return entries


def polled_jobs(sim):
    seen = []
    for entry in calls(sim, "status"):
        job_id = entry["path"].rsplit("/", 1)[1]
        if job_id not in seen:
            seen.append(job_id)
    return seen


def assert_downloaded(sim, result, dest):
    assert not result.get("failed"), result.get("msg")
    assert result["status"] == "SUCCESS"
    assert result["sha256"] == sim.report_sha256(result["job_id"]) == sha256_of(dest)
    assert result["size"] == sim.report_size(result["job_id"]) == dest.stat().st_size
    assert sorted(os.listdir(str(dest.parent))) == [dest.name], "no journal and no temporary file left"
    assert calls(sim, "s3") and all(r["auth"] is None for r in calls(sim, "s3")), "S3 must never see credentials"


def test_happy_path_then_no_request_on_the_second_run(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping(job(pending=1, in_progress=1, rows=500)))
    dest = reports / "jira.csv"
    run = run_tasks(connection_env(sim), [task(dest, product="jira", source_url=SRC + "/", mode="0640")])
    result = run["task0"]
    assert_downloaded(sim, result, dest)
    assert result["changed"] is True and result["triggered"] is True and result["timed_out"] is False
    assert result["polls"] == 3 and result["dest"] == str(dest)
    assert dest.read_bytes().startswith(b"entityType,serverId,cloudId\n")
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert len(calls(sim, "trigger")) == 1 and sim.idmapping_trigger_count == 1
    assert all(r["auth"] == "basic" for r in calls(sim, "all") if not r["path"].startswith("/s3/"))

    before = len(calls(sim, "all"))
    again = run_tasks(connection_env(sim), [task(dest, mode="0640")])["task0"]
    assert len(calls(sim, "all")) == before, "an existing report must not cause any request"
    assert again["changed"] is False and again["job_id"] is None and again["sha256"] == result["sha256"]


def test_mode_of_an_existing_report_is_applied_without_request(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping())
    dest = reports / "jira.csv"
    dest.write_bytes(b"old report\n")
    os.chmod(str(dest), 0o600)
    result = run_tasks(connection_env(sim), [task(dest, mode="0640")])["task0"]
    assert result["changed"] is True and stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert calls(sim, "all") == [] and dest.read_bytes() == b"old report\n"


def test_force_regenerates_an_existing_report(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping())
    dest = reports / "jira.csv"
    dest.write_bytes(b"old report\n")
    result = run_tasks(connection_env(sim), [task(dest, force=True)])["task0"]
    assert_downloaded(sim, result, dest)
    assert result["changed"] is True and sim.idmapping_trigger_count == 1


def test_failed_download_keeps_the_previous_report_byte_for_byte(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping(link_valid_seconds=0))
    dest = reports / "jira.csv"
    dest.write_bytes(b"old report\n")
    result = run_tasks(connection_env(sim), [task(dest, force=True)])["task0"]
    assert result["failed"] and "3 attempts" in result["msg"] and "Request has expired" in result["msg"]
    assert result["job_id"] and result["job_id"] in result["msg"]
    assert dest.read_bytes() == b"old report\n"
    assert len(calls(sim, "s3")) == 3 and len(calls(sim, "link")) == 3
    assert sorted(os.listdir(str(reports))) == [".jira.csv.idmapping.json", "jira.csv"], "journal kept, no temp file"


@pytest.mark.parametrize("fail_on_timeout", [True, False])
def test_interrupted_run_is_resumed_without_a_second_trigger(simulator, run_tasks, reports, fail_on_timeout):
    sim = simulator("basic", overrides=idmapping(job(pending=2, in_progress=2)))
    dest = reports / "jira.csv"
    first = run_tasks(connection_env(sim), [task(dest, wait_timeout=0, fail_on_timeout=fail_on_timeout)])["task0"]
    assert first["timed_out"] is True and first["job_id"] and first["changed"] is True
    if fail_on_timeout:
        assert first["failed"] and "timed out" in first["msg"] and first["job_id"] in first["msg"]
    else:
        assert not first.get("failed")
    assert (reports / ".jira.csv.idmapping.json").exists()
    (reports / ".jira.csv.0123abcd.part").write_bytes(b"left by a killed run")

    second = run_tasks(connection_env(sim), [task(dest)])["task0"]
    assert_downloaded(sim, second, dest)
    assert second["job_id"] == first["job_id"] and second["triggered"] is False
    assert sim.idmapping_trigger_count == 1


def test_error_triggers_one_fresh_job(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping(job("ERROR"), job()))
    dest = reports / "jira.csv"
    run = run_tasks(connection_env(sim), [task(dest)])
    result = run["task0"]
    assert_downloaded(sim, result, dest)
    first, second = polled_jobs(sim)
    assert result["job_id"] == second and sim.idmapping_trigger_count == 2
    assert any(first in w and "ERROR" in w for w in result.get("warnings", []))


def test_second_error_in_a_run_fails(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping(job("ERROR")))
    result = run_tasks(connection_env(sim), [task(reports / "jira.csv")])["task0"]
    assert result["failed"] and sim.idmapping_trigger_count == 2
    assert result["job_id"] == polled_jobs(sim)[1] and "already triggered" in result["msg"]


def test_retrigger_false_fails_naming_the_job(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping(job("ERROR")))
    result = run_tasks(connection_env(sim), [task(reports / "jira.csv", retrigger=False)])["task0"]
    assert result["failed"] and sim.idmapping_trigger_count == 1
    assert result["job_id"] and "%s ended in ERROR" % result["job_id"] in result["msg"] and "retrigger is false" in result["msg"]
    assert os.listdir(str(reports)) == [], "a failed job is forgotten: the next run triggers anew"


@pytest.mark.parametrize("retrigger", [True, False])
def test_expired_job(simulator, run_tasks, reports, retrigger):
    sim = simulator("basic", overrides=idmapping(job_ttl=5))
    dest = reports / "jira.csv"
    first = run_tasks(connection_env(sim), [task(dest, wait=False)])["task0"]
    assert first["status"] == "PENDING" and first["changed"] and (reports / ".jira.csv.idmapping.json").exists()
    sim.advance(10)
    result = run_tasks(connection_env(sim), [task(dest, retrigger=retrigger)])["task0"]
    if retrigger:
        assert_downloaded(sim, result, dest)
        assert result["job_id"] != first["job_id"] and result["triggered"] and sim.idmapping_trigger_count == 2
        assert any(first["job_id"] in w and "Job not found" in w for w in result["warnings"])
    else:
        assert result["failed"] and result["job_id"] == first["job_id"]
        assert "Job not found with ID: %s" % first["job_id"] in result["msg"] and "Atlassian request id" in result["msg"]
        assert sim.idmapping_trigger_count == 1


def test_expired_report_triggers_a_fresh_job(simulator, run_tasks, reports):
    preexisting = [{"job_id": PREEXISTING, "status": "SUCCESS"}]
    sim = simulator("basic", overrides=idmapping(report_ttl=5, preexisting=preexisting))
    sim.advance(10)
    dest = reports / "jira.csv"
    result = run_tasks(connection_env(sim), [task(dest, job_id=PREEXISTING)])["task0"]
    assert_downloaded(sim, result, dest)
    assert result["job_id"] != PREEXISTING and sim.idmapping_trigger_count == 1
    assert any("Report file not available" in w for w in result["warnings"])


def test_expired_report_without_retrigger_fails(simulator, run_tasks, reports):
    preexisting = [{"job_id": PREEXISTING, "status": "SUCCESS"}]
    sim = simulator("basic", overrides=idmapping(report_ttl=5, preexisting=preexisting))
    sim.advance(10)
    result = run_tasks(connection_env(sim), [task(reports / "jira.csv", job_id=PREEXISTING, retrigger=False)])["task0"]
    assert result["failed"] and PREEXISTING in result["msg"] and "Report file not available" in result["msg"]
    assert result["job_id"] == PREEXISTING and sim.idmapping_trigger_count == 0


def test_expired_link_is_replaced_by_a_fresh_one(simulator, run_tasks, reports):
    # X-Amz-Date has whole seconds, so a link of N seconds may have only N - 1 left when handed out:
    # 3 seconds leave the fresh link at least 2 on a loaded machine, and the delay outlasts the first.
    sim = simulator("basic", overrides=idmapping(link_valid_seconds=3))
    sim.add_fault({"match": {"method": "GET", "path": "^/s3/"}, "kind": "slow", "delay": 3.5, "times": 1})
    dest = reports / "jira.csv"
    result = run_tasks(connection_env(sim), [task(dest)])["task0"]
    assert_downloaded(sim, result, dest)
    assert [r["status"] for r in calls(sim, "s3")] == [403, 200] and len(calls(sim, "link")) == 2
    assert any("Request has expired" in w and "fresh link" in w for w in result["warnings"])


@pytest.mark.parametrize("kind", ["truncate", "reset"])
def test_broken_download_is_retried_with_a_fresh_link(simulator, run_tasks, reports, kind):
    sim = simulator("basic", overrides=idmapping(job(rows=4000)))
    sim.add_fault({"match": {"method": "GET", "path": "^/s3/"}, "kind": kind, "times": 1})
    dest = reports / "jira.csv"
    result = run_tasks(connection_env(sim), [task(dest)])["task0"]
    assert_downloaded(sim, result, dest)
    assert len(calls(sim, "s3")) == 2 and len(calls(sim, "link")) == 2
    assert calls(sim, "s3")[0]["fault"] == kind


def test_check_mode_triggers_nothing_and_creates_nothing(simulator, run_tasks, reports):
    sim = simulator("basic", overrides=idmapping())
    dest = reports / "jira.csv"
    result = run_tasks(connection_env(sim), [task(dest)], extra_args=["--check"])["task0"]
    assert not result.get("failed") and result["changed"] is True and result["triggered"] is True
    assert calls(sim, "all") == [] and os.listdir(str(reports)) == []

    run_tasks(connection_env(sim), [task(dest, wait=False)])
    result = run_tasks(connection_env(sim), [task(dest)], extra_args=["--check"])["task0"]
    assert result["job_id"] and result["triggered"] is False and result["polls"] == 1
    assert sim.idmapping_trigger_count == 1 and calls(sim, "link") == [] and calls(sim, "s3") == []
    assert os.listdir(str(reports)) == [".jira.csv.idmapping.json"]


@pytest.mark.parametrize(
    "args, needle",
    [
        ({"product": "bamboo"}, "product must be JIRA or CONFLUENCE"),
        ({"source_url": "jira.example.com"}, "source_url"),
        ({"destination_url": "https://"}, "destination_url"),
        ({"product": None, "destination_url": None}, "missing: product, destination_url"),
        ({"dest": "{missing}/jira.csv"}, "directory of dest"),
        ({"dest": "{missing}/../jira.csv"}, "directory of dest"),
        ({"dest": "{reports}/jira.csv/"}, "does not end with a file name"),
        ({"dest": "{reports}/" + "r" * 240}, "too long"),
        ({"dest": None}, "dest is required"),
        ({"wait_timeout": -1}, "wait_timeout"),
    ],
    ids=["product", "source-scheme", "destination-host", "missing", "dest-dir", "dest-dotdot", "dest-slash", "dest-long", "dest-required", "timeout"],
)
def test_bad_input_fails_naming_the_option_before_any_request(simulator, run_tasks, reports, args, needle):
    sim = simulator("basic", overrides=idmapping())
    if args.get("dest"):
        args = dict(args, dest=args["dest"].format(missing=reports / "missing", reports=reports))
    result = run_tasks(connection_env(sim), [task(reports / "jira.csv", **args)])["task0"]
    assert result["failed"] and needle in result["msg"]
    assert calls(sim, "all") == [] and os.listdir(str(reports)) == []


def test_large_report_is_streamed_with_flat_memory(simulator, run_tasks, reports, tmp_path):
    size = 120 * 1024 * 1024
    sim = simulator("basic", overrides=idmapping(job(size_bytes=size)))
    peaks = tmp_path / "peak-rss.txt"
    wrapper = tmp_path / "python-peak-rss"
    wrapper.write_text(
        "#!%s\nimport os, resource, subprocess, sys\n"
        "rc = subprocess.call([sys.executable] + sys.argv[1:])\n"
        "with open(%r, 'a') as out:\n"
        "    out.write('%%d\\n' %% resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(rc)\n" % (MODULE_PYTHON, str(peaks))
    )
    wrapper.chmod(0o755)
    dest = reports / "big.csv"
    run = run_tasks(connection_env(sim), [task(dest)], play_vars={"ansible_python_interpreter": str(wrapper)})
    result = run["task0"]
    assert_downloaded(sim, result, dest)
    assert result["size"] > 100 * 1024 * 1024
    peak_kib = max(int(line) for line in peaks.read_text().split())
    assert peak_kib * 1024 < 100 * 1024 * 1024, "the module held %d MiB: the report must be streamed" % (peak_kib // 1024)


def test_no_token_or_signature_in_output_results_or_log(simulator, run_tasks, reports):
    # Links on another host name than the API, as with real S3: messages name them as scheme://host/path.
    sim = simulator("basic", overrides=dict(idmapping(), s3_base_url="{scheme}://localhost:{port}"))
    env = connection_env(sim)
    sim.add_fault({"match": {"method": "GET", "path": "^/s3/"}, "kind": "status", "status": 403, "body": "text", "times": 1})
    first = run_tasks(env, [task(reports / "a.csv")], extra_args=["-vvv"])
    assert not first["task0"].get("failed") and first["task0"]["warnings"]
    sim.add_fault({"match": {"method": "GET", "path": "^/s3/"}, "kind": "status", "status": 403, "body": "text", "times": 3})
    second = run_tasks(env, [task(reports / "b.csv")], extra_args=["-vvv"])
    assert second["task0"]["failed"] and "3 attempts" in second["task0"]["msg"]
    assert "GET http://localhost:%d/s3/" % sim.port in second["task0"]["msg"]

    presigner = sim.app.presigner
    secrets = {sim.credentials["api_token"], "SIMAKIA" + presigner._secret.hex()[:13].upper()}
    for entry in calls(sim, "s3"):
        query = entry["query"]
        secrets.add(presigner._sign(entry["path"], query["X-Amz-Date"], query["X-Amz-Expires"]))
    assert len(calls(sim, "s3")) == 5
    for run in (first, second):
        texts = {"stdout": run.stdout, "stderr": run.stderr, "results": json.dumps(run.results), "log": run.log}
        assert "ESTABLISH LOCAL CONNECTION" in run.stdout and run.log, "-vvv output and the log must have been written"
        for where, text in texts.items():
            for secret in secrets:
                assert secret not in text, "a secret leaked into %s" % where
            assert "X-Amz-" not in text, "a presigned query string leaked into %s" % where


def test_report_formats_and_framings_are_saved_byte_for_byte(simulator, run_tasks, reports):
    # Before 0.2 the JSON lines report served as application/json was refused as "malformed JSON".
    served = [
        {"rows": 300, "format": "jsonl"},
        {"rows": 300, "format": "jsonl", "content_type": "application/json"},
        {"rows": 300, "format": "zip"},
        {"rows": 300, "content_type": "application/octet-stream", "framing": "chunked"},
        {"rows": 3000, "content_encoding": "gzip", "framing": "close"},
        {"rows": 300, "framing": "close"},
    ]
    sim = simulator("basic", overrides=idmapping(*[dict(job(), report=report) for report in served]))
    dests = [reports / str(index) / "report" for index in range(len(served))]
    for dest in dests:
        dest.parent.mkdir()
    run = run_tasks(connection_env(sim), [task(dest) for dest in dests])
    for index, dest in enumerate(dests):
        result = run["task%d" % index]
        assert_downloaded(sim, result, dest)
    assert dests[0].read_bytes().startswith(b'{"columns": ') and dests[2].read_bytes().startswith(b"PK\x03\x04")
    assert not run["task4"].get("warnings"), "a gzip body proves its own end"
    assert any("closed the connection cleanly" in warning for warning in run["task5"]["warnings"])


def test_truncated_reports_are_refused_and_bad_attributes_send_nothing(simulator, run_tasks, reports):
    # Before 0.2 a gzip report cut short (framed consistently) became dest with ok, and an unknown
    # owner failed only after the download, without the job ID.
    cut = [{"rows": 3000, "content_encoding": "gzip", "framing": "close", "cut_at": 0.5}, {"rows": 300, "framing": "chunked", "cut_at": 0.5}]
    sim = simulator("basic", overrides=idmapping(*[dict(job(), report=report) for report in cut]))
    env = connection_env(sim)
    run = run_tasks(env, [task(reports / "gzip.csv"), task(reports / "chunked.csv")])
    for name, needle in (("task0", "ended before the end of its gzip stream"), ("task1", "before its final chunk")):
        result = run[name]
        assert result["failed"] and "3 attempts" in result["msg"] and needle in result["msg"], result["msg"]
        assert result["job_id"] and result["status"] == "SUCCESS"
    assert sorted(os.listdir(str(reports))) == [".chunked.csv.idmapping.json", ".gzip.csv.idmapping.json"], "only the journals stay"
    sim.clear_log()
    attributes = run_tasks(env, [task(reports / "a.csv", owner="no-such-user-xyz"), task(reports / "b.csv", mode="rw-r--r--")])
    assert "owner 'no-such-user-xyz' is not a user" in attributes["task0"]["msg"]
    assert "mode 'rw-r--r--' is neither octal" in attributes["task1"]["msg"]
    assert calls(sim, "all") == [], "nothing may be requested"


def test_a_link_at_dest_gets_mode_owner_and_group_on_its_target(simulator, run_tasks, reports):
    # Before 0.2.1 mode was ignored for a link, and owner and group changed the link, not the report.
    sim = simulator("basic", overrides=idmapping())
    target = reports / "shared.csv"
    target.write_bytes(b"old report\n")
    os.chmod(str(target), 0o644)
    dest = reports / "jira.csv"
    os.symlink("shared.csv", str(dest))
    link_owner = os.lstat(str(dest)).st_uid, os.lstat(str(dest)).st_gid
    attributes = {"mode": "0600"}
    if os.geteuid() == 0:
        attributes.update(owner="65534", group="65534")
    first, second = [run_tasks(connection_env(sim), [task(dest, **attributes)])["task0"] for dummy in range(2)]
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True and second["changed"] is False and calls(sim, "all") == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"old report\n"
    if os.geteuid() == 0:
        assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)
        assert (os.lstat(str(dest)).st_uid, os.lstat(str(dest)).st_gid) == link_owner


def test_a_failure_applying_attributes_after_the_install_forgets_the_job(simulator, run_tasks, reports, tmp_path):
    # Before 0.2.1 the journal stayed beside the installed report, and a later force run downloaded
    # that old job's report again instead of generating a fresh one. This chattr fails as the real
    # one does where the file system lacks the attribute (+C on ext4, +c on tmpfs).
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    chattr = fake_bin / "chattr"
    chattr.write_text('#!/bin/sh\necho "chattr: Operation not supported while setting flags on $2" >&2\nexit 1\n')
    chattr.chmod(0o755)
    sim = simulator("basic", overrides=idmapping(job(), job()))
    dest = reports / "jira.csv"
    env = connection_env(sim, PATH=str(fake_bin) + os.pathsep + os.environ["PATH"])
    first = run_tasks(env, [task(dest, attributes="+C")])["task0"]
    assert first["failed"] and "chattr failed" in first["msg"]
    assert os.listdir(str(reports)) == ["jira.csv"], "the report is in place: its job is forgotten"

    second = run_tasks(connection_env(sim), [task(dest, force=True)])["task0"]
    assert_downloaded(sim, second, dest)
    assert second["triggered"] is True and sim.idmapping_trigger_count == 2 and len(set(polled_jobs(sim))) == 2


def test_a_report_in_a_read_only_directory_is_kept_without_a_warning(simulator, run_tasks, reports, tmp_path):
    # Such a run used to warn every time that it could not create the lock file to look for
    # temporary files of a killed run, which it could not have removed anyway.
    python = MODULE_PYTHON
    if os.geteuid() == 0:
        # root writes anywhere: run the module without its capabilities, as a plain user.
        if not shutil.which("setpriv"):
            pytest.skip("setpriv is needed to run the module without root's capabilities")
        python = str(tmp_path / "python-without-capabilities")
        with open(python, "w") as wrapper:
            wrapper.write('#!/bin/sh\nexec setpriv --bounding-set=-all --inh-caps=-all -- %s "$@"\n' % MODULE_PYTHON)
        os.chmod(python, 0o755)
    sim = simulator("basic", overrides=idmapping())
    dest = reports / "jira.csv"
    dest.write_bytes(b"old report\n")
    os.chmod(str(reports), 0o555)
    try:
        result = run_tasks(connection_env(sim), [task(dest)], play_vars={"ansible_python_interpreter": python})["task0"]
    finally:
        os.chmod(str(reports), 0o755)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and not result.get("warnings") and calls(sim, "all") == []
    assert os.listdir(str(reports)) == ["jira.csv"]
