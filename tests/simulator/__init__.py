"""HTTP simulator of the Atlassian Migration API and ID Mapping API, for tests and demos.

See README.md in this directory for the scenario format, the admin endpoints and the CLI.
"""

from .scenario import available_scenarios, deep_merge, load_scenario
from .server import Simulator
from .validate import ScenarioError

__all__ = ["ScenarioError", "Simulator", "available_scenarios", "deep_merge", "load_scenario"]
