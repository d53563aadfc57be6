# Copyright: MigrationOps contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the reliability suite: sizing, in-process module runs, secrets."""

import base64
import os
import time

FULL = os.environ.get("RELIABILITY_FULL", "") not in ("", "0", "false", "no")
TOKEN = "RELSECRET-7f3c9a1e5b2d4c6e8a0f1b3d5e7c9a2b"
EMAIL = "reliability@example.com"
CREDENTIALS = [{"email": EMAIL, "api_token": TOKEN}]
TRACEBACK = "Traceback (most recent call last)"


def basic_form(email=EMAIL, token=TOKEN):
    return base64.b64encode(("%s:%s" % (email, token)).encode()).decode()


class FakeModule:
    """What the modules' run(module, client) uses of AnsibleModule, for honest in-process runs."""

    def __init__(self, params, check_mode=False):
        self.params = dict(params)
        self.params.setdefault("unsafe_writes", False)
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def atomic_move(self, src, dest, unsafe_writes=False):
        os.replace(src, dest)

    def load_file_common_arguments(self, params, path=None):
        return {"path": path}

    def set_fs_attributes_if_different(self, file_args, changed):
        return changed


class SleepRecorder:
    """A sleep for ApiClient that records the delays it is asked for and sleeps a tiny bit instead."""

    def __init__(self, cap=0.02):
        self.delays = []
        self.cap = cap

    def __call__(self, seconds):
        self.delays.append(seconds)
        time.sleep(min(seconds, self.cap))


def presigned_secrets(sim, s3_entries):
    """The simulator's presigner secrets: the access key id and the signature of every link fetched."""
    presigner = sim.app.presigner
    secrets = {"SIMAKIA" + presigner._secret.hex()[:13].upper()}  # pylint: disable=protected-access
    for entry in s3_entries:
        query = entry["query"]
        if "X-Amz-Date" in query and "X-Amz-Expires" in query:
            secrets.add(presigner._sign(entry["path"], query["X-Amz-Date"], query["X-Amz-Expires"]))  # pylint: disable=protected-access
    return secrets
