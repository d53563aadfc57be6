# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of ``idmapping_job``: validate, skip, resume or trigger, wait, download, install.

``IdMappingRun`` uses an IdMappingApi-like object, and a ``files`` object that checks the file
attribute options before any request (``check_attributes()``), moves the download into place
(``install(temp, dest)``) and applies file attributes (``apply_attributes(dest, changed)``). A run
that may write ``dest`` holds its lock (``_local_files.DestLock``) from the journal read to the install.
Clock and sleep are injectable: the algorithm is testable without HTTP or AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.migrationops.atlassian.plugins.module_utils._download import file_digest
from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import (
    TRANSIENT_ERRORS,
    AtlassianError,
    InvalidParameterError,
    NotFoundError,
    OutcomeFailure,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._fresh_link import FreshLinkDownloader
from ansible_collections.migrationops.atlassian.plugins.module_utils._idmapping_options import TRIGGER_INPUTS, describe, validate_params
from ansible_collections.migrationops.atlassian.plugins.module_utils._journal import (
    journal_matches,
    journal_path,
    read_journal,
    remove_journal,
    write_journal,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import (
    DestLock,
    LocalFileError,
    remove_quietly,
    remove_stale_parts,
    sync_directory,
)
from ansible_collections.migrationops.atlassian.plugins.module_utils._waiter import honour_retry_after, wait_for

MAX_DOWNLOAD_ATTEMPTS = 3
EXPIRED = "<expired>"  # internal marker for a job status 404, never returned


class IdMappingRun:
    def __init__(self, api, params, warn, files, check_mode=False, clock=time.monotonic, sleep=time.sleep):
        self.opts = validate_params(params)
        self.api = api
        self.warn = warn
        self.files = files
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.start = clock()
        self.inputs = dict((name, self.opts.get(name)) for name in TRIGGER_INPUTS)
        self.retriggered = False
        self.dest = self.opts["dest_path"]
        self.result = dict(job_id=None, status=None, triggered=False, dest=self.opts.get("dest"), size=None, sha256=None)
        self.result.update(timed_out=False, elapsed=0.0, polls=0, changed=False)

    def run(self):
        """The module result; raises an AtlassianError whose ``result`` carries the job ID when there is one."""
        try:
            return self._run()
        except AtlassianError as exc:
            if not exc.result:
                exc.result = self._finish(quiet=True)
            raise

    def _run(self):
        dest = self.dest
        if dest is not None:
            self.files.check_attributes()
        if self._report_in_place():
            self._clean_stale_parts()
            return self._keep_report()
        if dest is not None and not self._directory_writable():
            raise InvalidParameterError("the directory of dest (%s) is not writable" % os.path.dirname(dest))
        if dest is None or self.check_mode:
            return self._run_unlocked()
        lock = DestLock(dest).acquire()
        try:
            self._remove_leftovers()
            # Another run may have installed the report between the check above and the lock.
            if self._report_in_place():
                return self._keep_report()
            return self._run_unlocked()
        finally:
            lock.release()

    def _report_in_place(self):
        return self.dest is not None and os.path.exists(self.dest) and not self.opts["force"]

    def _keep_report(self):
        self.result["changed"] = self.files.apply_attributes(self.dest, False)
        return self._finish()

    def _directory_writable(self):
        return os.access(os.path.dirname(self.dest), os.W_OK | os.X_OK)

    def _remove_leftovers(self):
        remove_stale_parts(self.dest, [journal_path(self.dest)])

    def _clean_stale_parts(self):
        """Remove what a killed run left for dest, unless a live run holds the lock, in check mode, or where nothing can be removed."""
        if self.check_mode or not self._directory_writable():
            return
        lock = DestLock(self.dest)
        try:
            if lock.try_acquire():
                self._remove_leftovers()
        except LocalFileError as exc:
            self.warn("%s; temporary files of a killed run were not looked for" % exc)
        finally:
            lock.release()

    def _run_unlocked(self):
        self.result["job_id"] = self._known_job()
        if self.result["job_id"] is None and self._missing_inputs():
            raise InvalidParameterError(
                "to trigger an ID mapping report job set %s (missing: %s), or set job_id to use an existing job"
                % (", ".join(TRIGGER_INPUTS), ", ".join(self._missing_inputs()))
            )
        if self.check_mode:
            return self._predict()
        if self.result["job_id"] is None:
            self._trigger()
        elif not self.opts["wait"]:
            self._read_once()
        if self.opts["wait"]:
            self._wait_and_download()
        return self._finish()

    def _missing_inputs(self):
        return [name for name in TRIGGER_INPUTS if self.inputs[name] is None]

    def _known_job(self):
        """An explicit job_id, else the job of a matching journal beside dest (whose inputs then allow a retrigger)."""
        if self.opts.get("job_id"):
            return self.opts["job_id"]
        if self.dest is None:
            return None
        journal = read_journal(self.dest, self.warn)
        if journal is None:
            return None
        if journal_matches(journal, *[self.inputs[name] for name in TRIGGER_INPUTS]):
            for name in TRIGGER_INPUTS:
                self.inputs[name] = self.inputs[name] or journal[name]
            return journal["job_id"]
        path = journal_path(self.dest)
        self.warn("ignoring %s: its report job %s is for %s, not %s" % (path, journal["job_id"], describe(journal), describe(self.inputs)))
        return None

    def _predict(self):
        """Check mode: what a run would do, reading a known job's status but changing nothing."""
        self.result.update(changed=True, triggered=self.result["job_id"] is None)
        if self.result["job_id"] is not None:
            status, problem = self._poll()
            self.result["polls"] = 1
            if status in (EXPIRED, "ERROR"):
                self.warn("report job %s %s" % (self.result["job_id"], "ended in ERROR" if problem is None else "was not found: %s" % problem))
                self.result["triggered"] = self.opts["retrigger"] and not self._missing_inputs()
        return self._finish()

    def _trigger(self):
        job_id, status = self.api.trigger(*[self.inputs[name] for name in TRIGGER_INPUTS])
        self.result.update(job_id=job_id, status=status, triggered=True, changed=True)
        if self.dest is not None:
            try:
                write_journal(self.dest, job_id, *[self.inputs[name] for name in TRIGGER_INPUTS])
            except LocalFileError as exc:
                self.warn("%s; an interrupted run will not resume report job %s" % (exc, job_id))

    def _poll(self):
        """One status read: (status, None), (EXPIRED, NotFoundError) or (None, transient error)."""
        try:
            status = self.api.job_status(self.result["job_id"])
        except NotFoundError as exc:
            return EXPIRED, exc
        except TRANSIENT_ERRORS as exc:
            honour_retry_after(exc, self.opts["wait_sleep"], self.sleep, self._remaining() if self.opts["wait"] else 0)
            return None, exc
        self.result["status"] = status
        return status, None

    def _read_once(self):
        status, problem = self._poll()
        self.result["polls"] += 1
        if status is None:
            raise problem
        if status in ("ERROR", EXPIRED):
            self._replace_dead_job(status, problem)

    def _replace_dead_job(self, status, problem=None):
        """Trigger one fresh job for a job that ended in ERROR or expired, or fail naming it."""
        job_id = self.result["job_id"]
        what = "ended in ERROR" if status == "ERROR" else "has expired (%s)" % problem
        if not self.opts["retrigger"]:
            why = "retrigger is false"
        elif self.retriggered:
            why = "a fresh job was already triggered in this run"
        elif self._missing_inputs():
            why = "set %s to let the module trigger a fresh one" % ", ".join(self._missing_inputs())
        else:
            self.warn("ID mapping report job %s %s; triggering a fresh job" % (job_id, what))
            self.retriggered = True
            self._trigger()
            return
        if self.dest is not None:
            remove_journal(self.dest)
        raise OutcomeFailure("ID mapping report job %s %s; %s" % (job_id, what, why), self._finish(quiet=True))

    def _remaining(self):
        """Seconds left of the wait."""
        return max(0.0, self.opts["wait_timeout"] - (self.clock() - self.start))

    def _wait_until_success(self):
        """True once the job is SUCCESS; False on a tolerated timeout. Retriggers or fails on a dead job."""
        while True:
            outcome = wait_for(
                self._poll,
                lambda value: value[0] in ("SUCCESS", "ERROR", EXPIRED),
                self._remaining(),
                self.opts["wait_sleep"],
                self.clock,
                self.sleep,
            )
            self.result["polls"] += outcome.polls
            status, problem = outcome.value
            if outcome.timed_out:
                return self._timed_out(problem)
            if status == "SUCCESS":
                return True
            self._replace_dead_job(status, problem)

    def _timed_out(self, problem):
        self.result["timed_out"] = True
        if not self.opts["fail_on_timeout"]:
            return False
        result = self._finish(quiet=True)
        message = "timed out after %ss waiting for ID mapping report job %s: last status %s, status reads %d, elapsed %.0fs" % (
            self.opts["wait_timeout"],
            result["job_id"],
            result["status"] or "unknown",
            result["polls"],
            result["elapsed"],
        )
        if problem is not None:
            message += "; last problem: %s" % problem
        raise OutcomeFailure(message + ". The job is kept in %s and the next run resumes it" % journal_path(self.dest), result)

    def _wait_and_download(self):
        downloader = FreshLinkDownloader(self.dest, self.warn, MAX_DOWNLOAD_ATTEMPTS, getattr(self.api, "deadline", None))
        while self._wait_until_success():
            what = "ID mapping report job %s" % self.result["job_id"]
            try:
                fetched = downloader.fetch(lambda: self.api.download_link(self.result["job_id"])[0], self.api.open_download, what)
            except NotFoundError as exc:
                self._replace_dead_job(EXPIRED, exc)
                continue
            return self._install(*fetched)

    def _install(self, temp, size, sha256):
        try:
            self.files.install(temp, self.dest)
        finally:
            remove_quietly(temp)
        # The rename outlives a crash only once its directory is synced; until then the journal must stay.
        sync_directory(os.path.dirname(os.path.realpath(self.dest)))
        # The job is done: a failure applying attributes must not leave it for a force run to resume.
        remove_journal(self.dest)
        self.result.update(size=size, sha256=sha256, status="SUCCESS", changed=True)
        self.result["changed"] = self.files.apply_attributes(self.dest, True)

    def _finish(self, quiet=False):
        """The result so far; ``size``/``sha256`` describe the file at dest when the run did not download one."""
        self.result["elapsed"] = round(self.clock() - self.start, 3)
        if self.result["sha256"] is None and self.dest is not None and os.path.isfile(self.dest):
            try:
                self.result["size"], self.result["sha256"] = file_digest(self.dest)
            except LocalFileError:
                if not quiet:
                    raise
        return dict(self.result)
