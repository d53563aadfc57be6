# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reliability figures: a pytest plugin that collects records from the tests and prints them.

A test calls the ``reliability`` fixture, ``reliability(kind="fault", operation=..., fault=...,
outcome=..., retries=..., seconds=..., injected=N)`` or ``reliability(kind="leak", checked=N,
leaked=0)`` and so on. Records travel in ``user_properties`` (so they survive pytest-xdist) and
are summed up in ``pytest_terminal_summary``, which also writes them to ``build/reliability.md``
(or ``$RELIABILITY_REPORT``).
"""

import json
import os

import pytest

from ansible_collections.migrationops.atlassian.tests.integration.conftest import run_tasks  # noqa: F401  pylint: disable=unused-import

RECORDS = []
COLLECTION_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTCOMES_OK = ("recovered", "failed cleanly")


@pytest.fixture
def reliability(request):
    """reliability(**fields): add one record to the figures of this run."""

    def add(**fields):
        request.node.user_properties.append(("reliability", json.dumps(fields, sort_keys=True)))

    return add


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "reliability":
            RECORDS.append(json.loads(value))


def summarize(records):
    """The figures a reader can quote, from all records."""
    faults = [r for r in records if r.get("kind") == "fault"]
    return {
        "fault cases": len(faults),
        "faults injected (faulted requests)": sum(r.get("injected", 0) for r in records),
        "recovered": sum(1 for r in faults if r["outcome"] == "recovered"),
        "failed cleanly": sum(1 for r in faults if r["outcome"] == "failed cleanly"),
        "processes killed": sum(r.get("killed", 0) for r in records),
        "data lost": sum(r.get("data_lost", 0) for r in records),
        "duplicate triggers": sum(r.get("duplicate_triggers", 0) for r in records),
        "secret checks (secret x place)": sum(r.get("checked", 0) for r in records),
        "secrets leaked": sum(r.get("leaked", 0) for r in records),
        "bad inputs tried": sum(r.get("inputs", 0) for r in records),
        "requests under load": sum(r.get("load_requests", 0) for r in records),
        "429 answers under load": sum(r.get("load_429", 0) for r in records),
        "time-bounded cases (deadline, drip, endless pages, server waits)": sum(1 for r in records if "bound" in r),
        "hangs (past wait_timeout + request_timeout + 10 s or the case's bound)": sum(r.get("hung", 0) for r in records),
        "wrong results": sum(1 for r in faults if r["outcome"] not in OUTCOMES_OK + ("traceback",)),
        "tracebacks": sum(r.get("tracebacks", 0) for r in records) + sum(1 for r in faults if r["outcome"] == "traceback"),
    }


def render(records):
    faults = sorted((r for r in records if r.get("kind") == "fault"), key=lambda r: (r["order"], r["fault_order"]))
    lines = ["## Fault matrix", "", "| operation | fault | outcome | retries | seconds | via |", "|---|---|---|---|---|---|"]
    for r in faults:
        lines.append(
            "| %s | %s | %s | %s | %.2f | %s |" % (r["operation"], r["fault"], r["outcome"], r["retries"], r["seconds"], r.get("via", "in-process"))
        )
    others = [r for r in records if r.get("kind") != "fault"]
    if others:
        lines += ["", "## Other checks", "", "| check | result |", "|---|---|"]
        for r in sorted(others, key=lambda r: r.get("name", "")):
            lines.append("| %s | %s |" % (r.get("name", r.get("kind")), r.get("detail", "")))
    lines += ["", "## Summary", "", "| figure | value |", "|---|---|"]
    for name, value in summarize(records).items():
        lines.append("| %s | %s |" % (name, value))
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter):
    if not RECORDS:
        return
    text = render(RECORDS)
    terminalreporter.section("reliability figures")
    terminalreporter.write(text)
    path = os.environ.get("RELIABILITY_REPORT") or os.path.join(COLLECTION_DIR, "build", "reliability.md")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("# Reliability figures\n\n" + text)
        terminalreporter.write_line("reliability figures written to %s" % path)
    except OSError as exc:
        terminalreporter.write_line("could not write %s: %s" % (path, exc))
