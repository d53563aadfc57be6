# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load: many parallel status waits against one rate-limited simulator; the clients back off."""

import collections
import datetime
import json
import math
import os
import subprocess
import sys
import time

import yaml

from ansible_collections.migrationops.atlassian.plugins.module_utils._module import client_from_params
from ansible_collections.migrationops.atlassian.plugins.modules import migration_task_status

from ansible_collections.migrationops.atlassian.tests.integration.conftest import _ansible_env, connection_env
from ansible_collections.migrationops.atlassian.tests.reliability.helpers import CREDENTIALS, FULL, TRACEBACK, FakeModule

JOB = "0bacecde-372e-4d84-8d79-d66433b8fa45"
HOSTS = 50 if FULL else 10
FORKS = 25 if FULL else 10
FINISH = 8 if FULL else 9  # status reads until each task is finished (clock: polls)
# 600 requests/minute as a 6 s window so that it bites in a short run; CI-sized: 300/minute for 10 hosts
WINDOW, LIMIT = 6, 60 if FULL else 30
# wait_sleep 1 and retries 10: with a smaller wait_sleep a wait whose retry budget is spent on 429s polls again at
# once (see test_wait_honours_retry_after_once_the_retry_budget_is_spent), which this test is not about.
WAIT_SLEEP, RETRIES = 1, 10


def seconds_of(stamp):
    """The request log's ISO timestamp (milliseconds, Z) as epoch seconds."""
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def scenario():
    tasks = [
        {
            "task_id": "task-h%02d" % index,
            "type": "migrate",
            "created_at": "2026-11-01T10:00:00Z",
            "tree": {"finish": FINISH, "children": {"scope": {"outcome": "SUCCESS"}, "apps": {"outcome": "WARNING"}}},
        }
        for index in range(HOSTS)
    ]
    return {
        "name": "load",
        "clock": "polls",
        "credentials": CREDENTIALS,
        "rate_limits": {"window": WINDOW, "read_per_window": LIMIT, "retry_after_header": "seconds"},
        "jobs": [{"job_id": JOB, "tasks": tasks}],
    }


def test_parallel_waits_back_off_under_the_rate_limit(simulator, tmp_path, reliability):
    sim = simulator(scenario())
    inventory = {
        "all": {
            "hosts": dict(("h%02d" % index, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}) for index in range(HOSTS))
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    results = tmp_path / "results.json"
    play = {
        "name": "load",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {
                "name": "wait",
                "migrationops.atlassian.migration_task_status": {
                    "job_id": JOB,
                    "task_id": "task-{{ inventory_hostname }}",
                    "wait": True,
                    "wait_sleep": WAIT_SLEEP,
                    "retries": RETRIES,
                    "wait_timeout": 600,
                },
                "register": "r",
                "ignore_errors": True,
            },
            {
                "name": "collect",
                "run_once": True,
                "ansible.builtin.copy": {
                    "dest": str(results),
                    "mode": "0600",
                    "content": "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'r'))) | to_json }}",
                },
            },
        ],
    }
    (tmp_path / "load.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    command = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        str(tmp_path / "inventory.yml"),
        "-f",
        str(FORKS),
        str(tmp_path / "load.yml"),
    ]
    started = time.monotonic()
    proc = subprocess.run(command, env=_ansible_env(tmp_path, connection_env(sim)), capture_output=True, text=True, timeout=900, check=False)
    seconds = time.monotonic() - started
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    by_host = json.loads(results.read_text())
    assert len(by_host) == HOSTS
    for host, result in by_host.items():
        assert not result.get("failed"), "%s: %s" % (host, result.get("msg"))
        assert result["task_id"] == "task-" + host and result["finished"] and result["outcome"] == "WARNING"
    assert TRACEBACK not in proc.stdout + proc.stderr

    log = [dict(r, ts=seconds_of(r["ts"])) for r in sim.requests if r["path"].endswith("/status")]
    limited = [r for r in log if r["status"] == 429]
    assert limited, "the rate limit never bit: the test proves nothing"
    served = sorted(e["ts"] for e in log if e["status"] != 429)
    by_path = collections.defaultdict(list)
    for entry in log:
        by_path[entry["path"]].append(entry)
    gaps, owed = [], []
    for entries in by_path.values():
        entries.sort(key=lambda e: e["ts"])
        for before, after in zip(entries, entries[1:]):
            if before["status"] == 429:
                # the Retry-After the limiter computed: until the oldest request of the window leaves it, >= 1 s
                oldest = [ts for ts in served if before["ts"] - WINDOW < ts <= before["ts"]]
                retry_after = max(1, math.ceil(oldest[0] + WINDOW - before["ts"])) if oldest else WINDOW
                gaps.append(after["ts"] - before["ts"])
                owed.append(retry_after)
    # log timestamps are when answers start (ms): allow 1 s of rounding on each, none on the total
    hammering = [(round(gap, 3), due) for gap, due in zip(gaps, owed) if gap < due - 1.05]
    peak = max(sum(1 for e in log if 0 <= e["ts"] - start["ts"] < WINDOW and e["status"] != 429) for start in log)
    reliability(
        kind="load",
        name="load: %d parallel waits, %d forks" % (HOSTS, FORKS),
        load_requests=len(log),
        load_429=len(limited),
        detail="all %d finished in %.0f s; %d status requests, %d answered 429, shortest gap after a 429 %.2f s, "
        "waited %.0f s where Retry-After asked %d s, most served in a %d s window %d (limit %d)"
        % (HOSTS, seconds, len(log), len(limited), min(gaps), sum(gaps), sum(owed), WINDOW, peak, LIMIT),
    )
    assert hammering == [], "requests sent before Retry-After had passed (gap, Retry-After): %s" % sorted(hammering)[:10]
    assert sum(gaps) >= 0.9 * sum(owed), "clients waited %.1f s in all where Retry-After asked for %d s" % (sum(gaps), sum(owed))
    # The limiter counts arrivals; the log stamps answers in milliseconds, so a window drawn from the
    # log can catch one request more at its edge.
    assert peak <= LIMIT + 1


def test_wait_honours_retry_after_once_the_retry_budget_is_spent(simulator):
    sim = simulator(scenario())
    sim.add_fault({"match": {"method": "GET", "path": "/status$"}, "kind": "status", "status": 429, "retry_after": 1, "times": 3})
    params = {
        "api_url": sim.url,
        "email": CREDENTIALS[0]["email"],
        "api_token": CREDENTIALS[0]["api_token"],
        "validate_certs": True,
        "ca_path": None,
        "request_timeout": 5,
        "retries": 1,
        "job_id": JOB,
        "task_id": "task-h00",
        "task_type": None,
        "level": [],
        "expand_children": True,
        "wait": True,
        "wait_timeout": 60,
        "wait_sleep": 0,
        "wait_for_children": False,
        "fail_on_outcomes": [],
        "fail_on_timeout": True,
        "summary_only": False,
        "heartbeat": 0,
    }
    module = FakeModule(params)
    result = migration_task_status.run(module, client_from_params(params, module.warn))
    assert result["finished"]
    log = [dict(r, ts=seconds_of(r["ts"])) for r in sim.requests if r["path"].endswith("/status")]
    gaps = [after["ts"] - before["ts"] for before, after in zip(log, log[1:]) if before["status"] == 429]
    assert len(gaps) == 3 and min(gaps) >= 0.9, "gaps after a 429 with Retry-After 1: %s" % [round(gap, 3) for gap in gaps]
