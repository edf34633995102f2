"""The CAN power-module protocols evbench knows, declared once: the backend modules, the rig
backends, the emulators and the docs read this table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vendor:
    name: str
    mapping: str | None  # the shipped mapping (hil/can/dbc/NAME.yaml); None: the user's own
    module: str  # the module providing power_supply_DC
    backend: str  # the rig file's backend name
    keepalive_off_s: float | None  # its modules switch their output off after this silence
    description: str


VENDORS: dict[str, Vendor] = {v.name: v for v in (
    Vendor("infypower", "infypower", "InfyPowerSupply", "infypower_modules", 10.0,
           "InfyPower: a command per message, 29-bit ids"),
    Vendor("winline", "winline", "WinlinePowerSupply", "winline_modules", None,
           "Winline: registers, 29-bit ids"),
    Vendor("dbc", None, "DbcPowerSupply", "can_dbc_modules", None,
           "yours: a DBC and a mapping file"),
)}

SHIPPED_PROTOCOLS = tuple(v.name for v in VENDORS.values() if v.mapping is not None)
MODULES = frozenset(v.module for v in VENDORS.values())


def by_backend(backend: str) -> Vendor:
    return next(v for v in VENDORS.values() if v.backend == backend)
