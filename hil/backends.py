"""Bench backends by name: what a rig file's ``backend:`` may say.

As python-can's interface table: a name maps to ``"package.module:OBJECT"``, imported only when a
rig uses it; third-party packages add backends through the ``evbench.hil_backends`` entry-point
group. Each object is a :class:`Backend`: which module a part becomes, how ``rig check`` probes
it, and how ``rig emulate`` emulates it. docs/hardware-backends.md says how to add one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from charger.framework.errors import EvbenchError

if TYPE_CHECKING:
    from charger.framework.config import StationConfig
    from charger.framework.errors import Problem
    from charger.framework.registry import ModuleRegistry
    from hil.device import Device
    from hil.emulators.host import EmulatorHost
    from hil.rig import Part, Rig

BACKENDS: dict[str, str] = {
    "serial_board": "hil.board.backend:BACKEND",
    "modbus_meter": "hil.modbus.backend:BACKEND",
    "ethernet": "hil.ethernet:BACKEND",
}
ENTRY_POINT_GROUP = "evbench.hil_backends"


@dataclass(frozen=True)
class Backend:
    name: str
    description: str  # docs and error messages
    module: Callable[[dict], str]  # the module a part becomes, from its configuration
    devices: Callable[[Part], list[Device]]  # what rig check probes (built without a clock)
    emulate: Callable[[EmulatorHost, Part, Rig], str] | None = None  # starts it; says where
    # Before a run, after the parts are in the station: checks the device can be used (its
    # problems carry the rig file's lines) and adapts the modules the part serves.
    overlay: Callable[[Part, Rig, StationConfig, ModuleRegistry], list[Problem]] | None = None


def backend_names() -> list[str]:
    names = set(BACKENDS)
    names.update(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def get_backend(name: str) -> Backend:
    target = BACKENDS.get(name)
    if target is None:
        found = [e.value for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == name]
        if not found:
            raise EvbenchError(f"unknown backend {name!r} (known: {', '.join(backend_names())})")
        target = found[0]
    module_path, _, attr = target.partition(":")
    backend: Any = getattr(importlib.import_module(module_path), attr)
    if not isinstance(backend, Backend):
        raise EvbenchError(f"backend {name!r}: {target} is not a hil.backends.Backend")
    return backend
