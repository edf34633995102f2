"""Random-scenario exploration: ``evbench fuzz STATION --runs N``.

Generates random but valid scenarios for a station (``generate``), runs them and judges the
safety invariants (``explore``), and shrinks each violating scenario to a small file that
``evbench run`` reproduces (``shrink``). The actions it draws from are one table
(``actions.ACTIONS``).
"""

from evbench.fuzz.explore import FuzzReport, fuzz
from evbench.fuzz.generate import StationFacts, generate_scenario, station_facts

__all__ = ["FuzzReport", "StationFacts", "fuzz", "generate_scenario", "station_facts"]
