"""Stateful fake of Gainsight's People, Company and Events APIs for tests (asyncio + h11 server)."""

from gainsight_simulator.app import SimulatorApp
from gainsight_simulator.http_types import Outcome, Request, Response
from gainsight_simulator.options import SimulatorOptions
from gainsight_simulator.state import GainsightState

__all__ = ["GainsightState", "Outcome", "Request", "Response", "SimulatorApp", "SimulatorOptions"]
