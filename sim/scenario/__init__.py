"""Scenario files: load and check them, run them on the simulated world, judge expectations."""

from sim.scenario.loader import load_scenario
from sim.scenario.runner import run_scenario

__all__ = ["load_scenario", "run_scenario"]
