"""pytest fixture ``simulator``: a factory that starts simulators and stops them at teardown.

def test_x(simulator):
    sim = simulator("basic", overrides={"pagination": {"task_page_size": 2}}, tls=False)
    requests.get(sim.url + "/_sim/health")
"""

import pytest

from .server import Simulator


@pytest.fixture
def simulator():
    started = []

    def factory(scenario="basic", overrides=None, tls=False, **kwargs):
        sim = Simulator(scenario, overrides=overrides, tls=tls, **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in reversed(started):
        sim.stop()
