# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rulebook using the source migrationops.atlassian.migration_status, run by the real
ansible-rulebook (Drools on the machine's Java) against the simulator: the source is found in the
installed collection, its events match the rules, and the rulebook ends with the source."""

import ast
import os
import subprocess
import sys

import yaml

from ansible_collections.migrationops.atlassian.tests.awx.awx_helpers import collections_path

JOB = "5e1d0c3a-1111-4222-8333-444455556666"
TASK = "00000132-0000-4000-8000-0000000a0002"
SCENARIO = {
    "clock": "polls",
    "jobs": [
        {"job_id": JOB, "tasks": [{"task_id": TASK, "type": "migrate", "tree": {"finish": 4, "children": {"migrate": {"start": 2, "finish": 4}}}}]}
    ],
}


def test_rulebook_reacts_to_migration_events(simulator, tmp_path):
    sim = simulator(SCENARIO)
    rulebook = [
        {
            "name": "Watch the migration",
            "hosts": "all",
            "sources": [{"migrationops.atlassian.migration_status": {"job_id": JOB, "task_type": "migrate", "level": "migrate", "interval": 0.1}}],
            "rules": [
                {
                    "name": "Migration started",
                    "condition": 'event.migration.kind == "status_change" and event.migration.status == "IN_PROGRESS"',
                    "action": {"print_event": {"pretty": False}},
                },
                {"name": "Migration finished", "condition": 'event.migration.kind == "finished"', "action": {"print_event": {"pretty": False}}},
            ],
        }
    ]
    (tmp_path / "rulebook.yml").write_text(yaml.safe_dump(rulebook, sort_keys=False))
    (tmp_path / "hosts").write_text("localhost ansible_connection=local\n")
    env = dict(os.environ)
    env.update(sim.env)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
    )
    rulebook_bin = os.path.join(os.path.dirname(sys.executable), "ansible-rulebook")
    proc = subprocess.run(
        [rulebook_bin, "-i", "hosts", "--rulebook", "rulebook.yml"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    events = [ast.literal_eval(line)["migration"] for line in proc.stdout.splitlines() if line.startswith("{'meta'")]
    assert [(event["kind"], event["status"]) for event in events] == [("status_change", "IN_PROGRESS"), ("finished", "FINISHED")], output[-4000:]
    assert events[-1]["task_id"] == TASK and events[-1]["outcome"] == "SUCCESS"
    assert sim.credentials["api_token"] not in output
