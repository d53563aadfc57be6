# -*- coding: utf-8 -*-
# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hidden files beside ``dest``: the lock of a run, temporary downloads, and safe opening.

Every run that may write ``dest`` holds ``.{basename}.lock`` (``flock``, exclusive, never waited
for): a second run on the same ``dest`` fails at once instead of deleting the first one's
temporary file. While it holds the lock, a run owns every ``.{basename}.<hex>.part`` there, so it
removes those a killed run left behind, and the temporary files of what it writes atomically
there (``.{basename}.idmapping.json.<hex>.tmp``). Files are opened without following a symbolic link and
without blocking, so a FIFO or a device planted at one of these paths is refused, never waited on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import fcntl
import json
import os
import re
import stat

from ansible_collections.migrationops.atlassian.plugins.module_utils._errors import AtlassianError

PART_SUFFIX = ".part"
LOCK_SUFFIX = ".lock"
JSON_TEMP_SUFFIX = ".tmp"
TOKEN_BYTES = 4  # the random part of a temporary file's name: 8 hex digits
SAMPLE_TOKEN = "0" * 2 * TOKEN_BYTES  # for the length of such a name
DEFAULT_NAME_MAX = 255
FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


class LocalFileError(AtlassianError):
    """The report could not be written, synced or moved on this host (disk full, permissions, a FIFO...)."""


class DestBusy(LocalFileError):
    """Another run that is still alive holds the lock of ``dest``."""


def remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def write_json_atomically(path, data):
    """Write ``data`` as JSON to ``path`` (mode 0600) through a temporary file, fsync and rename.

    A reader sees the old file or the new one, never half of one. The directory is synced too: the
    record of a create or trigger must outlive a crash of the host, or a re-run makes a second one.
    Raises the OSError, after removing the temporary file.
    """
    temp = json_temp_path(path, _token())
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError:
        remove_quietly(temp)
        raise
    sync_directory(os.path.dirname(path) or ".")


def sync_directory(path):
    """fsync a directory so that a rename in it is durable; a file system that cannot is left as it is."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def json_temp_path(path, token):
    """The temporary file through which write_json_atomically writes ``path``."""
    return "%s.%s%s" % (path, token, JSON_TEMP_SUFFIX)


def part_path(dest, token):
    """A temporary download for ``dest``: ``.{basename}.{token}.part`` beside it."""
    return hidden_path(dest, ".%s%s" % (token, PART_SUFFIX))


def lock_path(dest):
    return hidden_path(dest, LOCK_SUFFIX)


def _token():
    return binascii.hexlify(os.urandom(TOKEN_BYTES)).decode("ascii")


def name_max(directory):
    """The longest file name, in bytes, the file system of ``directory`` allows (255 when it does not say)."""
    try:
        limit = os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return DEFAULT_NAME_MAX
    return limit if limit > 0 else DEFAULT_NAME_MAX


def describe_type(mode):
    """'a FIFO (named pipe)', 'a directory'... for a non-regular ``st_mode``."""
    for test, name in FILE_TYPES:
        if test(mode):
            return name
    return "not a regular file"


def hidden_path(dest, suffix):
    directory, basename = os.path.split(os.path.abspath(dest))
    return os.path.join(directory, ".%s%s" % (basename, suffix))


def open_regular(path, flags, what, mode=0o600, option="dest"):
    """A descriptor of the regular file at ``path``, opened without following a link or blocking.

    Raises LocalFileError naming ``what`` (and the ``option`` to change) when ``path`` is a symbolic
    link, a FIFO, a device, a directory or a socket; any other failure (absent, permission denied)
    is the OSError itself.
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise LocalFileError("%s %s is a symbolic link; the module never creates one there: remove it" % (what, path))
        if exc.errno in (errno.EISDIR, errno.ENXIO, errno.ENODEV):
            refuse_non_regular(path, what, option=option)
        raise
    mode_found = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode_found):
        os.close(fd)
        raise LocalFileError(_not_regular(what, path, mode_found, option))
    return fd


def refuse_non_regular(path, what, follow=False, option="dest"):
    """Raise LocalFileError when something other than a regular file is at ``path`` (absent is fine)."""
    try:
        found = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return
    if not stat.S_ISREG(found.st_mode):
        raise LocalFileError(_not_regular(what, path, found.st_mode, option))


def _not_regular(what, path, mode, option):
    return "%s %s is %s, not a regular file: remove it or choose another %s" % (what, path, describe_type(mode), option)


def part_pattern(dest):
    """Names of the temporary files this module creates for ``dest``: ``.{basename}.{8 hex}.part``."""
    return re.compile(r"^\.%s\.[0-9a-f]{%d}%s$" % (re.escape(os.path.basename(dest)), 2 * TOKEN_BYTES, re.escape(PART_SUFFIX)))


def json_temp_pattern(path):
    """Names of the temporary files of write_json_atomically for ``path``: ``{basename}.{8 hex}.tmp``."""
    return re.compile(r"^%s\.[0-9a-f]{%d}%s$" % (re.escape(os.path.basename(path)), 2 * TOKEN_BYTES, re.escape(JSON_TEMP_SUFFIX)))


def create_part(dest):
    """(fd, path) of a new, empty, private (0600) temporary file in ``dest``'s directory."""
    directory = os.path.dirname(os.path.abspath(dest))
    while True:
        path = part_path(dest, _token())
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600), path
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise LocalFileError("cannot create a temporary file in %s: %s" % (directory, exc.strerror or exc))


def remove_stale_parts(dest, json_paths=()):
    """Remove the temporary files of ``dest`` (call it holding the lock: then no live run owns one).

    ``json_paths``: files beside ``dest`` written with write_json_atomically, whose temporary files
    a killed run may have left too.
    """
    directory = os.path.dirname(os.path.abspath(dest))
    patterns = [part_pattern(dest)] + [json_temp_pattern(path) for path in json_paths]
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in sorted(names):
        path = os.path.join(directory, name)
        if any(pattern.match(name) for pattern in patterns) and os.path.isfile(path) and not os.path.islink(path):
            remove_quietly(path)
            removed.append(path)
    return removed


class DestLock:
    """The exclusive lock of one ``dest``: ``.{basename}.lock`` beside it, holding the owner's pid.

    The lock file exists only while a run holds it: the owner removes it before it unlocks, and a
    run that locked a file which was removed meanwhile tries again on the new one.
    """

    def __init__(self, dest):
        self.path = lock_path(dest)
        self.dest = dest
        self.fd = None

    def acquire(self):
        """Hold the lock, or raise DestBusy at once naming the process that holds it."""
        if not self.try_acquire():
            owner = self._owner()
            raise DestBusy(
                "another run%s is working on dest %s right now (it holds %s); nothing was requested. "
                "Let it finish, or give each run its own dest" % (" (process %s)" % owner if owner else "", self.dest, self.path)
            )
        return self

    def try_acquire(self):
        """True once the lock is held; False when a live run holds it."""
        while self.fd is None:
            try:
                fd = open_regular(self.path, os.O_RDWR | os.O_CREAT, "the lock file")
            except OSError as exc:
                raise LocalFileError("cannot create the lock file %s: %s" % (self.path, exc.strerror or exc))
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except (IOError, OSError) as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    return False
                raise LocalFileError("cannot lock %s: %s" % (self.path, exc.strerror or exc))
            if self._still_linked(fd):
                self.fd = fd
                self._write_owner()
            else:
                os.close(fd)
        return True

    def _write_owner(self):
        try:
            os.ftruncate(self.fd, 0)
            os.write(self.fd, ("%d\n" % os.getpid()).encode("ascii"))
        except OSError as exc:
            self.release()
            raise LocalFileError("cannot write the lock file %s: %s" % (self.path, exc.strerror or exc))

    def _still_linked(self, fd):
        try:
            linked, held = os.stat(self.path), os.fstat(fd)
        except OSError:
            return False
        return (linked.st_dev, linked.st_ino) == (held.st_dev, held.st_ino)

    def _owner(self):
        try:
            fd = open_regular(self.path, os.O_RDONLY, "the lock file")
        except (OSError, LocalFileError):
            return None
        try:
            text = os.read(fd, 32).decode("ascii", "replace").strip()
        finally:
            os.close(fd)
        return text if text.isdigit() else None

    def release(self):
        if self.fd is not None:
            remove_quietly(self.path)
            os.close(self.fd)
            self.fd = None
