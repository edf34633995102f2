"""Energy management: tree nodes (grid connection, fuses) and the manager that sets EVSE limits."""

from charger.energy.manager import EnergyManager
from charger.energy.node import EnergyNode

__all__ = ["EnergyManager", "EnergyNode"]
