"""The processes the engine receives where a test runs a graph itself: every predefined one, no user's."""

from openeo_gip.engine.definitions import Processes
from openeo_gip.processes.registry import predefined

PREDEFINED = Processes(predefined)
