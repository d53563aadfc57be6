# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``state_path`` file of ``migration_job``: which job was created for which declaration.

The API cannot list jobs, so this file is what makes a re-run reuse its job. It holds
``{"job_id", "definition", "created_at"}``. Before ``POST /jobs`` it holds ``{"job_id": null,
"definition", "pending_since"}``: a run killed or cut off before it had the answer leaves that
record, and a re-run refuses to create the job again (it may exist). The file is written
atomically (temporary file, fsync, rename, mode 0600) and read with a size cap. An exclusive lock on ``{state_path}.lock`` is held from the
read to the write, so two runs at once create one job, not two; a run waits for it at most
``LOCK_WAIT`` seconds (a run holding it does one read and at most one create, each bounded). Both
files are opened without following a symbolic link or blocking on a FIFO. Unlike the ID mapping
journal an unreadable file is an error: ignoring it could create a second job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import json
import os
import time

from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import (
    LocalFileError,
    open_regular,
    refuse_non_regular,
    write_json_atomically,
)

MAX_BYTES = 512 * 1024
# Beyond the retry budget (300 s) and a few request timeouts of the run that holds the lock.
LOCK_WAIT = 600
LOCK_POLL = 0.2


def _reason(exc):
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class JobState:
    def __init__(self, path, clock=time.monotonic, sleep=time.sleep):
        self.path = os.path.abspath(path)
        self.clock = clock
        self.sleep = sleep

    @contextlib.contextmanager
    def locked(self, wait=LOCK_WAIT):
        """Hold the lock file beside the state file; fails before any request when it cannot be had."""
        lock_path = self.path + ".lock"
        # A state_path that cannot be used is refused before its lock file is created.
        refuse_non_regular(self.path, "state_path", option="state_path")
        try:
            fd = open_regular(lock_path, os.O_WRONLY | os.O_CREAT, "the lock file of state_path", option="state_path")
        except OSError as exc:
            raise LocalFileError("cannot use state_path %s: cannot create its lock file (%s)" % (self.path, _reason(exc)))
        try:
            self._lock(fd, lock_path, wait)
            yield self
        finally:
            os.close(fd)

    def _lock(self, fd, lock_path, wait):
        give_up_at = self.clock() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise LocalFileError("cannot lock %s: %s" % (lock_path, _reason(exc)))
            if self.clock() >= give_up_at:
                raise LocalFileError(
                    "another run has held %s for %d s (a stopped or hung process?); nothing was requested. "
                    "Let it finish, or end it" % (lock_path, wait)
                )
            self.sleep(LOCK_POLL)

    def read(self):
        """The record, or None when there is no file yet; LocalFileError when it exists but is unusable."""
        try:
            fd = open_regular(self.path, os.O_RDONLY, "state_path", option="state_path")
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise LocalFileError("cannot read state_path %s (%s): fix or remove it; removing it creates a new job" % (self.path, _reason(exc)))
        try:
            with os.fdopen(fd, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                raise ValueError("larger than %d bytes" % MAX_BYTES)
            record = json.loads(raw.decode("utf-8"))
        except (IOError, OSError, ValueError) as exc:
            raise LocalFileError("cannot read state_path %s (%s): fix or remove it; removing it creates a new job" % (self.path, _reason(exc)))
        if not isinstance(record, dict) or not isinstance(record.get("definition"), dict) or not _names_job(record):
            raise LocalFileError("state_path %s is not a migration_job state file (no job_id and definition): fix or remove it" % self.path)
        return record

    def write(self, job_id, definition):
        record = {"job_id": job_id, "definition": definition, "created_at": _now()}
        try:
            write_json_atomically(self.path, record)
        except OSError as exc:
            raise LocalFileError(
                "job %s was created but cannot be recorded in state_path %s: %s" % (job_id, self.path, _reason(exc)),
                hint="Set job_id to %s to use it (with state_path set, that run records it)" % job_id,
            )
        return record

    def write_pending(self, definition):
        """Record, before ``POST /jobs``, that a job for ``definition`` is being created."""
        record = {"job_id": None, "definition": definition, "pending_since": _now()}
        try:
            write_json_atomically(self.path, record)
        except OSError as exc:
            raise LocalFileError("cannot write state_path %s before creating the job, so nothing was requested: %s" % (self.path, _reason(exc)))
        return record

    def clear_pending(self):
        """Remove the pending record of a create the service cannot have carried out; the reason when that fails."""
        try:
            os.unlink(self.path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                return _reason(exc)
        return None


def _names_job(record):
    if record.get("job_id") is None:
        return isinstance(record.get("pending_since"), str)
    return isinstance(record.get("job_id"), str) and bool(record["job_id"])


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
