"""Which clock a station can run on.

A module whose manifest says ``clock: wall`` talks to something outside the simulation (a real
OCPP backend, a bench device): in virtual time its peer would see hours pass in milliseconds, or
nothing at all. A run in virtual time refuses such a station before it starts, naming the module
and where it was configured.
"""

from __future__ import annotations

from charger.framework.config import StationConfig
from charger.framework.errors import Problem
from charger.framework.registry import ModuleRegistry


def wall_clock_problems(station: StationConfig, registry: ModuleRegistry) -> list[Problem]:
    """Problems for every module of a loaded station that needs the wall clock; call it where a
    station is about to run in virtual time (none means it may)."""
    problems = []
    for inst in station.modules.values():
        if inst.module not in registry or registry.get(inst.module).manifest.clock != "wall":
            continue
        problems.append(Problem(
            inst.path, inst.line("module") or inst.line(),
            f"{inst.id}: module {inst.module} needs the wall clock (it talks to something "
            f"outside the simulation), but this run is in virtual time; run it on the wall clock "
            f"('evbench run --bus mqtt', or 'evbench station'), or use a simulated "
            f"counterpart (SimCsms instead of OcppWebSocketLink)"))
    return problems
