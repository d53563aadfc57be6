# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cma_cloud_site through ansible-playbook against the simulator: both sides, each error shape, secrets."""

from ansible_collections.migrationops.atlassian.tests.integration.cma_support import CLOUD_URL, assert_no_secret, posts, server_env

MODULE = "migrationops.atlassian.cma_cloud_site"


def test_connect_attach_check_mode_pat_and_errors_at_high_verbosity(simulator, run_tasks):
    sim = simulator("flow")
    pat = sim.scenario["server"]["tokens"][0]
    # with server_password in the environment, a server_token on the task is refused: exactly one of them
    run = run_tasks(
        server_env(sim),
        [
            {"name": "check", "check_mode": True, MODULE: {"cloud_url": CLOUD_URL + "/"}},
            {"name": "attach_unconnected", MODULE: {"cloud_url": CLOUD_URL, "connect": False}},
            {"name": "connect", MODULE: {"cloud_url": CLOUD_URL + "/"}},
            {"name": "bad_password", MODULE: {"cloud_url": CLOUD_URL, "server_password": "wrong-password-0123456789"}},
            {"name": "both", MODULE: {"cloud_url": CLOUD_URL, "server_token": pat}},
        ],
        extra_args=["-vvvv"],
    )
    check = run["check"]
    assert check["changed"] and not check["attached"] and check["steps"] == ["mint token", "save token", "attach"]
    unconnected = run["attach_unconnected"]
    assert unconnected["failed"]
    assert "cannot attach %s on the instance" % CLOUD_URL in unconnected["msg"]
    assert "is not authorised with server" in unconnected["msg"] and "connect=true" in unconnected["msg"]
    assert unconnected["error"]["status_code"] == 400
    connect = run["connect"]
    assert not connect.get("failed"), connect
    assert (connect["cloud_url"], connect["connected"], connect["attached"], connect["changed"]) == (CLOUD_URL, True, True, True)
    assert connect["expiry_time"].endswith("Z")
    bad = run["bad_password"]
    assert bad["failed"] and "cannot mint" not in bad["msg"] and "save the connection token" in bad["msg"]
    assert "server_username and server_password" in bad["msg"]
    assert run["both"]["failed"] and "give exactly one of server_password" in run["both"]["msg"]
    # check mode sent nothing; only "connect" and "bad_password" minted (the second failed at saving)
    assert len(posts(sim, "/migrations/public/v1/token")) == 2
    assert [entry["path"] for entry in posts(sim, "/attach")] == ["/jira/rest/migration/latest/public/v1/attach"] * 2
    assert len(sim.app.instance.minted_tokens()) == 2
    assert_no_secret(run, sim)


def test_plain_text_and_message_errors_of_the_instance_name_the_step_with_a_personal_access_token(simulator, run_tasks):
    sim = simulator("flow", overrides={"server": {"token_ttl": 0, "attach_error": "server_error"}})
    run = run_tasks(
        server_env(sim, context="", token=True),
        [
            {"name": "expired_token", MODULE: {"cloud_url": CLOUD_URL}},
            {"name": "server_error", MODULE: {"cloud_url": CLOUD_URL, "connect": False}},
        ],
    )
    expired = run["expired_token"]
    assert expired["failed"] and expired["error"]["status_code"] == 500
    assert "cannot save the connection token on the instance" in expired["msg"]
    assert "Exception in saving token." in expired["msg"] and "Run the task again" in expired["msg"]
    failed = run["server_error"]
    assert failed["failed"] and "cannot attach" in failed["msg"] and "Please check Jira Logs" in failed["msg"]
    assert "atlassian-jira.log" in failed["msg"]
    # a POST the instance may have acted on is never retried
    assert len(posts(sim, "/cloud/save/token")) == 1 and len(posts(sim, "/attach")) == 1
    assert [entry["auth"] for entry in posts(sim, "/rest/migration/latest/cloud/save/token") + posts(sim, "/attach")] == ["bearer"] * 2
    assert_no_secret(run, sim)
