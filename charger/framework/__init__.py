"""The module framework: manifests, station configuration, the bus, the clock and the lifecycle.

Everything a module may touch is here: its :class:`Module` base class, the :class:`Bus`
interface it talks through (never an implementation), and the simpy environment it waits on.
"""

from charger.framework.bus import Bus, CommandError, CommandErrorType, ErrorReport
from charger.framework.errors import ConfigError, EvbenchError
from charger.framework.module import Module, Requirement, command

__all__ = [
    "Bus",
    "CommandError",
    "CommandErrorType",
    "ConfigError",
    "ErrorReport",
    "EvbenchError",
    "Module",
    "Requirement",
    "command",
]
