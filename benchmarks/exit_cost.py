"""What ``AnsibleModule.exit_json`` costs on a whole-tree result, apart from the rest of the module.

The result is built in this process by the collection's module_utils (the copy the playbooks
use) from the same simulator, as the module builds it under its action plugin (``nodes`` left
out, see ``_task_status.NODES_ON_CONTROLLER``), then put through what exit_json does to every
result before it prints it: ``remove_values`` (it walks and copies every value, whatever the
no_log values) and the module encoder of the ``legacy`` serialization profile, which modules
without metadata get. ``list`` is what the action plugin then spends on the controller listing
``nodes`` from the tree. Medians of REPS, in CPU seconds. It shows how much of the module's own
cost is ansible-core's.
"""

import importlib
import json
import statistics
import sys
import time

from ansible.module_utils.common import json as module_json
from ansible.module_utils.common.parameters import remove_values

from .simulator import API_TOKEN, EMAIL

REPS = 5
PACKAGE = "ansible_collections.migrationops.atlassian.plugins.module_utils."


def _collection_modules(collections_path):
    if collections_path not in sys.path:
        sys.path.insert(0, collections_path)
    return [importlib.import_module(PACKAGE + name) for name in ("_transport", "_migration_api", "_task_status")]


def measure(collections_path, sim, job_id, task_id):
    """{"build": s, "redact": s, "remove_values": s, "encode": s, "values": n}: medians of REPS."""
    transport, migration_api, task_status = _collection_modules(collections_path)
    client = transport.ApiClient(sim.env["ATLASSIAN_API_URL"], API_TOKEN, email=EMAIL, timeout=30, retries=0)
    encoder = module_json.get_module_encoder("legacy", module_json.Direction.MODULE_TO_CONTROLLER)
    samples = {"build": [], "redact": [], "remove_values": [], "encode": [], "list": []}
    result = None
    for dummy in range(REPS):
        started = time.process_time()
        watcher = task_status.TaskStatusWatcher(migration_api.MigrationApi(client), job_id, [], True, task_id)
        result, dummy_problem = watcher.watch(False, False, 60, 0, nodes=False)
        built = time.process_time()
        redacted = client.redact(result)
        redacted_at = time.process_time()
        cleaned = remove_values(redacted, {API_TOKEN})
        cleaned_at = time.process_time()
        json.dumps(cleaned, cls=encoder)
        encoded_at = time.process_time()
        cleaned["nodes"] = task_status.nodes_of(cleaned)
        listed_at = time.process_time()
        for key, value in (
            ("build", built - started),
            ("redact", redacted_at - built),
            ("remove_values", cleaned_at - redacted_at),
            ("encode", encoded_at - cleaned_at),
            ("list", listed_at - encoded_at),
        ):
            samples[key].append(value)
    figures = dict((key, statistics.median(values)) for key, values in samples.items())
    figures["values"] = _count_values(result)
    return figures


def _count_values(value):
    if isinstance(value, dict):
        return sum(_count_values(item) for item in value.values()) + 1
    if isinstance(value, list):
        return sum(_count_values(item) for item in value) + 1
    return 1
