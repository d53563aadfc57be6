# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``state_path`` file of ``migration_job``: which job was created for which declaration.

The API cannot list jobs, so this file is what makes a re-run reuse its job. It holds
``{"job_id", "definition", "created_at"}``, is written atomically (temporary file, fsync, rename,
mode 0600) and read with a size cap. An exclusive lock on ``{state_path}.lock`` is held from the
read to the write, so two runs at once create one job, not two. Unlike the ID mapping journal an
unreadable file is an error: ignoring it could create a second job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import fcntl
import json
import os
import stat
import time

from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import LocalFileError, write_json_atomically

MAX_BYTES = 512 * 1024


def _reason(exc):
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class JobState:
    def __init__(self, path):
        self.path = os.path.abspath(path)

    @contextlib.contextmanager
    def locked(self):
        """Hold the lock file beside the state file; fails before any request when the directory is not writable."""
        lock_path = self.path + ".lock"
        try:
            fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LocalFileError("cannot use state_path %s: cannot create its lock file (%s)" % (self.path, _reason(exc)))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self
        finally:
            os.close(fd)

    def read(self):
        """The record, or None when there is no file yet; LocalFileError when it exists but is unusable."""
        try:
            mode = os.lstat(self.path).st_mode
        except OSError:
            return None
        if not stat.S_ISREG(mode):
            raise LocalFileError("state_path %s is not a regular file (a directory, link or device?)" % self.path)
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                raise ValueError("larger than %d bytes" % MAX_BYTES)
            record = json.loads(raw.decode("utf-8"))
        except (IOError, OSError, ValueError) as exc:
            raise LocalFileError("cannot read state_path %s (%s): fix or remove it; removing it creates a new job" % (self.path, _reason(exc)))
        if not isinstance(record, dict) or not isinstance(record.get("job_id"), str) or not isinstance(record.get("definition"), dict):
            raise LocalFileError("state_path %s is not a migration_job state file (no job_id and definition): fix or remove it" % self.path)
        return record

    def write(self, job_id, definition):
        record = {"job_id": job_id, "definition": definition, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            write_json_atomically(self.path, record)
        except OSError as exc:
            raise LocalFileError("job %s was created but cannot be recorded in state_path %s: %s" % (job_id, self.path, _reason(exc)))
        return record
