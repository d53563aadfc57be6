"""The API simulator in a process of its own, so that its CPU stays out of the client's numbers.

``SimulatorProcess(scenario, directory)`` writes the scenario (a dict in the format of
tests/simulator/README.md) to YAML, starts ``python -m tests.simulator`` on a free port, and
offers what the benchmarks need: the ATLASSIAN_* environment, its request log without the
``/_sim/`` admin calls, and the CPU it has used so far (to show when it is the bottleneck).
"""

import os
import subprocess
import sys
import time

import requests
import yaml

from .measure import process_cpu

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMAIL = "bench@example.com"
API_TOKEN = "sim-token-benchmark-5f0c9a7e31d84b26"
START_TIMEOUT = 30


class SimulatorError(RuntimeError):
    pass


def bench_scenario(scenario, rate_limited=False):
    """``scenario`` with the benchmark credentials and, unless ``rate_limited``, without rate limits
    (they would throttle the loops measured); ``rate_limited`` keeps the scenario's own or the defaults."""
    full = dict(scenario)
    full["credentials"] = [{"email": EMAIL, "api_token": API_TOKEN}]
    if not rate_limited:
        full["rate_limits"] = dict(full.get("rate_limits") or {}, read_per_window=None, create_per_window=None, idmapping_per_window=None)
    return full


class SimulatorProcess:
    def __init__(self, scenario, directory, rate_limited=False):
        self.scenario = bench_scenario(scenario, rate_limited)
        self.directory = directory
        self.url = None
        self._proc = None
        self._session = requests.Session()
        self._session.auth = (EMAIL, API_TOKEN)

    def __enter__(self):
        os.makedirs(self.directory, exist_ok=True)
        scenario_path = os.path.join(self.directory, "scenario.yml")
        ready = os.path.join(self.directory, "ready")
        with open(scenario_path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(self.scenario, handle, sort_keys=False)
        if os.path.exists(ready):
            os.remove(ready)
        command = [sys.executable, "-m", "tests.simulator", "--scenario", scenario_path, "--port", "0", "--ready-file", ready]
        with open(os.path.join(self.directory, "simulator.log"), "w", encoding="utf-8") as log:
            self._proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(ready):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise SimulatorError("the simulator did not start; see %s/simulator.log" % self.directory)
            time.sleep(0.05)
        with open(ready, encoding="utf-8") as handle:
            self.url = handle.read().strip()
        return self

    def __exit__(self, *exc_info):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
        self._session.close()

    @property
    def env(self):
        return {"ATLASSIAN_API_URL": self.url, "ATLASSIAN_EMAIL": EMAIL, "ATLASSIAN_API_TOKEN": API_TOKEN}

    def cpu(self):
        return process_cpu(self._proc.pid)

    def get_json(self, path):
        response = self._session.get(self.url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def requests(self):
        """The request log since the last ``clear_log()``, without the admin calls."""
        return [entry for entry in self.get_json("/_sim/log") if not entry["path"].startswith("/_sim/")]

    def clear_log(self):
        self._session.delete(self.url + "/_sim/log", timeout=30).raise_for_status()
