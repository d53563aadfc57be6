"""What every benchmark gets: its work directory, the playbook runner and Ansible's fixed costs
(calibration)."""

import os
import sys
from dataclasses import dataclass

from .playbook import Playbooks


@dataclass
class Context:
    directory: str
    playbooks: Playbooks
    skip_1gb: bool
    calibration: object = None

    def path(self, *names):
        path = os.path.join(self.directory, *names)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    @staticmethod
    def progress(message):
        print("  .. %s" % message, file=sys.stderr, flush=True)
