"""The simulated grid: the supply a station is connected to, which a scenario can change."""

from sim.grid.grid import SimGrid

__all__ = ["SimGrid"]
