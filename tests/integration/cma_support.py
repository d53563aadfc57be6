# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the integration tests of cma_cloud_site, migration_job, migration_task and the flow."""

import base64

from ansible_collections.migrationops.atlassian.tests.integration.conftest import connection_env

CLOUD_URL = "https://acme.atlassian.net"
SERVER_ID = "SRV-0123-4567-89AB"
SCOPE = {"projects": {"includedKeys": ["ABC", "OPS"], "includedData": "all"}}


def server_env(sim, context="/jira", token=False, **extra):
    """The cloud connection plus ATLASSIAN_SERVER_* for the simulated instance (under ``context``)."""
    server = sim.scenario["server"]
    env = connection_env(sim, ATLASSIAN_SERVER_URL=sim.url + context)
    if token:
        env["ATLASSIAN_SERVER_TOKEN"] = server["tokens"][0]
    else:
        env["ATLASSIAN_SERVER_USERNAME"] = server["credentials"][0]["username"]
        env["ATLASSIAN_SERVER_PASSWORD"] = server["credentials"][0]["password"]
    env.update(extra)
    return env


def job_args(**changes):
    args = dict(name="ACME Jira wave 1", product="jira", server_id=SERVER_ID, destination_url=CLOUD_URL + "/", scope=SCOPE)
    args.update(changes)
    return args


def secrets_of(sim):
    """Every secret the simulator knows: cloud token and its Basic value, server password, PAT, minted tokens."""
    creds = sim.credentials
    server = sim.scenario["server"]
    account = server["credentials"][0]
    values = [
        creds["api_token"],
        base64.b64encode(("%s:%s" % (creds["email"], creds["api_token"])).encode()).decode(),
        account["password"],
        base64.b64encode(("%s:%s" % (account["username"], account["password"])).encode()).decode(),
    ]
    values.extend(server["tokens"])
    values.extend(sim.app.instance.minted_tokens())
    return values


def assert_no_secret(run, sim):
    texts = (run.stdout, run.stderr, run.log, repr(run.results))
    for secret in secrets_of(sim):
        for text in texts:
            assert secret not in text


def fault_task(sim, name, fault):
    """A task that registers a simulator fault (through its admin endpoint) at this point of the play."""
    return {
        "name": name,
        "ansible.builtin.uri": {"url": sim.url + "/_sim/faults", "method": "POST", "body_format": "json", "body": fault},
    }


def posts(sim, suffix):
    return [entry for entry in sim.requests if entry["method"] == "POST" and entry["path"].endswith(suffix)]
