"""Fixtures for the simulator tests: a fake clock, a GainsightState and an app built without sockets."""

from __future__ import annotations

import random

import pytest

from gainsight_simulator import GainsightState, SimulatorApp, SimulatorOptions
from support.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def options() -> SimulatorOptions:
    return SimulatorOptions()


@pytest.fixture
def state(options: SimulatorOptions, clock: FakeClock) -> GainsightState:
    return GainsightState(options, clock=clock, rng=random.Random(7))


@pytest.fixture
def app(state: GainsightState) -> SimulatorApp:
    return SimulatorApp(state)
