# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The small hidden journal beside ``dest`` that remembers a report job in flight.

``.{basename}.idmapping.json`` holds ``job_id``, ``product``, ``source_url``, ``destination_url``
and ``triggered_at``. It is written right after a trigger, so a run that is interrupted (timeout,
killed controller) resumes that job instead of triggering a second one, and removed once the
report is in place. A journal whose content cannot be used is ignored with a warning; something
other than a regular file at its path (a FIFO, a device, a directory, a symbolic link: the module
never creates one) is refused at once, without blocking on it.

``dest_path`` says where the report goes, and refuses a name too long for these hidden files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import time

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import InvalidParameterError
from ansible_collections.migrationops.atlassian.plugins.module_utils._local_files import (
    SAMPLE_TOKEN,
    LocalFileError,
    hidden_path,
    json_temp_path,
    lock_path,
    name_max,
    open_regular,
    part_path,
    remove_quietly,
    write_json_atomically,
)

FIELDS = ("job_id", "product", "source_url", "destination_url")
MAX_BYTES = 64 * 1024


def journal_path(dest):
    return hidden_path(dest, ".idmapping.json")


def _hidden_companions(dest):
    """Every hidden file a run may create beside ``dest``, a temporary one with a sample name: all must fit NAME_MAX."""
    journal = journal_path(dest)
    return [lock_path(dest), part_path(dest, SAMPLE_TOKEN), journal, json_temp_path(journal, SAMPLE_TOKEN)]


def dest_path(dest):
    """Where the report for ``dest`` goes; InvalidParameterError when none can go there.

    The directory is resolved once, as the kernel resolves it (links, ``..``), so the report and
    every hidden file beside it share one directory, whatever a lexical reading of ``dest`` says.
    """
    directory, name = os.path.split(dest)
    directory = directory or os.curdir
    if name in ("", os.curdir, os.pardir):
        raise InvalidParameterError("dest %s does not end with a file name: give the path of the report file" % dest)
    # Asking the kernel: os.path would take "missing/.." for the current directory.
    if not os.path.isdir(directory):
        raise InvalidParameterError("the directory of dest (%s) does not exist" % directory)
    path = os.path.join(os.path.realpath(directory), name)
    if os.path.isdir(path):
        raise InvalidParameterError("dest %s is a directory: give the path of the report file" % dest)
    _refuse_long_name(path)
    return path


def _refuse_long_name(path):
    """Refuse a name whose hidden companions would not fit the file system: each run would trigger a job, then fail."""
    directory, name = os.path.split(path)
    size = len(os.fsencode(name))
    longer = max(len(os.fsencode(os.path.basename(companion))) for companion in _hidden_companions(path)) - size
    limit = name_max(directory)
    if size + longer > limit:
        raise InvalidParameterError(
            "the file name of dest is too long: %d bytes, at most %d fit in %s (the hidden files the module keeps beside "
            "dest are named after it, up to %d bytes longer, and this file system allows %d)" % (size, limit - longer, directory, longer, limit)
        )


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_journal(dest, warn):
    """The journal beside ``dest`` as a dict, or None when there is none or it is unusable (with a warning)."""
    path = journal_path(dest)
    try:
        fd = open_regular(path, os.O_RDONLY, "the ID mapping journal")
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        warn("ignoring the unreadable ID mapping journal %s (%s); a new report job may be triggered" % (path, _reason(exc)))
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ValueError("larger than %d bytes" % MAX_BYTES)
        data = json.loads(raw.decode("utf-8"))
    except (IOError, OSError, ValueError) as exc:
        warn("ignoring the unreadable ID mapping journal %s (%s); a new report job may be triggered" % (path, _reason(exc)))
        return None
    if not isinstance(data, dict) or not isinstance(data.get("job_id"), str) or not data["job_id"].strip():
        warn("ignoring the ID mapping journal %s: it holds no job_id; a new report job may be triggered" % path)
        return None
    journal = {"job_id": data["job_id"].strip()}
    for field in FIELDS[1:] + ("triggered_at",):
        value = data.get(field)
        journal[field] = value if isinstance(value, str) and value else None
    return journal


def write_journal(dest, job_id, product, source_url, destination_url, triggered_at=None):
    """Write the journal atomically (temporary file, fsync, rename); returns what was written."""
    path = journal_path(dest)
    journal = {
        "job_id": job_id,
        "product": product,
        "source_url": source_url,
        "destination_url": destination_url,
        "triggered_at": triggered_at or utc_now(),
    }
    try:
        write_json_atomically(path, journal)
    except OSError as exc:
        raise LocalFileError("cannot write the ID mapping journal %s: %s" % (path, _reason(exc)))
    return journal


def remove_journal(dest):
    remove_quietly(journal_path(dest))


def journal_matches(journal, product, source_url, destination_url):
    """Whether the journal's job was triggered for these inputs; an input not given matches anything."""
    wanted = {"product": product, "source_url": source_url, "destination_url": destination_url}
    return all(value is None or journal.get(field) == value for field, value in wanted.items())


def _reason(exc):
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
