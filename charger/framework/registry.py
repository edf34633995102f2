"""Which module names exist and where their classes and manifests are.

Like python-can's interface table: a name maps to ``"package.module:Class"`` and is imported only
when a station uses it. Third-party packages add modules through the ``evbench.modules`` entry
point group. A module's manifest is ``<ModuleName>.yaml`` beside the file that defines its class.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points
from pathlib import Path

from charger.framework.errors import EvbenchError
from charger.framework.manifest import load_manifest
from charger.framework.module import Module
from charger.framework.schema import SchemaRegistry

BUILTIN_MODULES: dict[str, str] = {
    # charger stack
    "EvseManager": "charger.evse_manager:EvseManager",
    "Auth": "charger.auth:Auth",
    "LocalAllowList": "charger.auth.local_allow_list:LocalAllowList",
    "EnergyNode": "charger.energy:EnergyNode",
    "EnergyManager": "charger.energy:EnergyManager",
    "Ocpp16": "charger.ocpp.v16:Ocpp16",
    "Ocpp201": "charger.ocpp.v201:Ocpp201",
    "OcppWebSocketLink": "charger.ocpp.websocket_link:OcppWebSocketLink",
    "Api": "charger.api:Api",
    "EvseSlac": "charger.slac.evse:EvseSlac",
    "RawEthernetPlc": "charger.slac.raw_ethernet:RawEthernetPlc",
    "Iso15118Charger": "charger.iso15118.module:Iso15118Charger",
    # simulated hardware and world
    "SimBoard": "sim.hal.board:SimBoard",
    "SimDcPowerPath": "sim.hal.dc_power_path:SimDcPowerPath",
    "SimRfidReader": "sim.hal.rfid:SimRfidReader",
    "PlcLink": "sim.hal.plc_link:PlcLink",
    "PlcBridge": "sim.hal.plc_bridge:PlcBridge",
    "SimGrid": "sim.grid:SimGrid",
    "SimCar": "sim.car:SimCar",
    "SimEvSlac": "sim.car.ev_slac:SimEvSlac",
    "Iso15118Ev": "sim.car.evcc.module:Iso15118Ev",
    "SimCsms": "sim.csms:SimCsms",
    # bench hardware (hil/)
    "SerialBoard": "hil.board.module:SerialBoard",
    "EmulatedBoard": "hil.board.car_link:EmulatedBoard",
    "ModbusMeter": "hil.modbus.meter:ModbusMeter",
    "EthernetPlc": "hil.ethernet:EthernetPlc",
    "EmulatedEthernetPlc": "hil.ethernet:EmulatedEthernetPlc",
    "InfyPowerSupply": "hil.can.module:InfyPowerSupply",
    "WinlinePowerSupply": "hil.can.module:WinlinePowerSupply",
    "DbcPowerSupply": "hil.can.module:DbcPowerSupply",
    "EmulatedDcLoad": "hil.can.load:EmulatedDcLoad",
}


class ModuleRegistry:
    """Resolves module names to checked module classes, each with its manifest attached."""

    def __init__(self, schemas: SchemaRegistry):
        self.schemas = schemas
        self._paths = dict(BUILTIN_MODULES)
        for entry in entry_points(group="evbench.modules"):
            self._paths.setdefault(entry.name, entry.value)
        self._classes: dict[str, type[Module]] = {}

    def names(self) -> list[str]:
        return sorted(self._paths)

    def __contains__(self, name: str) -> bool:
        return name in self._paths

    def get(self, name: str) -> type[Module]:
        if name not in self._classes:
            if name not in self._paths:
                raise EvbenchError(f"unknown module {name!r}")
            module_path, _, class_name = self._paths[name].partition(":")
            cls = getattr(importlib.import_module(module_path), class_name)
            if not (isinstance(cls, type) and issubclass(cls, Module)):
                raise EvbenchError(f"{self._paths[name]} is not a Module subclass")
            manifest_path = Path(inspect.getfile(cls)).with_name(f"{name}.yaml")
            # A subclass per registry keeps the manifest off the shared class object.
            bound = type(cls.__name__, (cls,), {
                "manifest": load_manifest(name, manifest_path, self.schemas),
                "__module__": cls.__module__, "__doc__": cls.__doc__})
            bound.check_definition(self.schemas)
            self._classes[name] = bound
        return self._classes[name]
