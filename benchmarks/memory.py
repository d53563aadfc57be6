"""Free page reporting, paused while the benchmarks run where the machine lets us.

On a virtual machine whose balloon device reports free pages to the host (Linux
``page_reporting``, virtio-balloon's REPORTING feature), memory freed by one process is handed
back to the host soon after, and whichever process takes it next pays the host's page faults
again. Here (min_free_ms 0) a 1 GB write to tmpfs took 0.4 s or 2.3 s (``dd``, same file) by
how long ago the previous gigabyte had been freed: curl, run right after a report was removed,
got warm pages, and the module, whose writes begin after Ansible's start-up, cold ones. That is
the machine, not the code, so it is paused: ``page_reporting_order`` set beyond the largest free
block (no block is then large enough to be reported), restored at the end. Reported pages wait
at the tail of the free lists, so freed memory is then reused warm. Where the parameter is
missing, refused or not ours to write (not root), nothing changes and the results say so.
``BENCH_KEEP_PAGE_REPORTING=1`` leaves it alone.
"""

import contextlib
import os
import subprocess
import sys

RANDOM_FAULTS = "writes of fresh memory pay the host's page faults at random"
ORDER_PARAMETER = "/sys/module/page_reporting/parameters/page_reporting_order"
# The buddy allocator's largest order is 10 (4 MiB blocks): order 11 matches no free block.
PAUSED_ORDER = "11"


def _read(path):
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def _write(path, value):
    with open(path, "w", encoding="ascii") as handle:
        handle.write(value)


@contextlib.contextmanager
def page_reporting_paused(parameter=ORDER_PARAMETER):
    """Yield one line for the results saying whether free page reporting was paused."""
    if not os.path.exists(parameter):
        yield "free page reporting: not on this machine"
        return
    if os.environ.get("BENCH_KEEP_PAGE_REPORTING") == "1":
        yield "free page reporting: left on (BENCH_KEEP_PAGE_REPORTING=1): %s" % RANDOM_FAULTS
        return
    try:
        original = _read(parameter)
        _write(parameter, PAUSED_ORDER)
    except OSError as exc:
        yield "free page reporting: on, could not be paused (%s): %s" % (exc.strerror or exc, RANDOM_FAULTS)
        return
    try:
        if _read(parameter) == PAUSED_ORDER:
            yield "free page reporting: paused for the run (page_reporting_order %s -> %s, restored after; see benchmarks/memory.py)" % (
                original,
                PAUSED_ORDER,
            )
        else:
            yield "free page reporting: on, the kernel kept page_reporting_order %s: %s" % (original, RANDOM_FAULTS)
    finally:
        with contextlib.suppress(OSError):
            _write(parameter, original)


def warm_memory(megabytes):
    """Touch and free ``megabytes`` of memory, so that the next large writes find host-backed pages.

    In a child process: a process's peak RSS passes to the children it forks, which would then
    report it as theirs.
    """
    subprocess.run([sys.executable, "-c", "bytearray(%d)" % (megabytes * 1024 * 1024)], check=True)
