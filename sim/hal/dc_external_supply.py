"""The simulated DC power path fed by an external ``power_supply_DC`` (a bench's power modules).

``SimDcPowerPath`` models one connector's whole DC circuit. On a bench whose power stage is real
(DC power modules on CAN) and whose car is simulated, its ``supply`` requirement names the
bench's supply, and this hook makes that supply the circuit's source:

- **Commands pass through.** The EVSE manager still commands ``power_supply`` of the power path;
  it takes them within its own limits (its configuration, the scenario's ``module_config``) and
  hands them to the external supply, waiting for its answer: a refusal fails the command, and
  ``set_mode Off`` returns when the external supply's current has fallen. ``Export`` goes out
  only while the simulated path lets the output on (no injected supply fault, no over-voltage
  trip); such a fault or trip later switches the external supply off.
- **The readback is the source.** Each ``voltage_current`` of the external supply is the
  supply's terminal voltage and current: the cable carries it while the output contactors are
  closed, so the car's battery charges, the meter counts and the car measures what the modules
  report (held between two readings), never a simulated supply's output. Once the charger has
  switched the supply off, its current is taken as ended at once, as the simulated supply's
  is (``set_mode Off`` returns only when the modules' current has fallen): a reading held
  from before must not go on charging the car, or counting, after the transaction.
- **Capabilities, mode and errors** are the external supply's: the capabilities are the least
  of both (published once the external supply has published its own), its ``Fault`` mode is the
  path's, and its errors are raised and cleared on ``power_supply`` under the same names.
- **The load, told.** With a ``load`` requirement (``dc_load``: an emulated bench), every change
  of the circuit (contactors, the car's battery, insulation) is told to the modules' emulator, so
  that the emulated modules regulate into the simulated car's battery and their readback is what
  that battery would draw. On a real bench the modules feed the bench's own load instead; the
  car's battery then still charges from the readback.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.hal.dc_physics import DcPowerPath, SupplyLimits

if TYPE_CHECKING:
    from charger.framework.bus import ErrorReport
    from charger.framework.module import Requirement
    from sim.hal.dc_power_path import SimDcPowerPath

OFF_PHASE = "Other"


@dataclass
class ReadbackPowerPath(DcPowerPath):
    """A :class:`DcPowerPath` whose supply is measured, not modelled: the terminal voltage and
    current are the last readback, held until the next (no ramps of its own)."""

    readback_v: float = 0.0
    readback_a: float = 0.0

    def take_readback(self, voltage_v: float, current_a: float) -> None:
        """A new reading; the owner advances to now before and refreshes after."""
        self.readback_v = max(float(voltage_v), 0.0)
        self.readback_a = max(float(current_a), 0.0)

    def changing(self) -> bool:
        return False  # the readings come as they come; nothing to step through

    def voltage_ramping(self) -> bool:
        return False

    def settle_time(self) -> float:
        return 0.0

    def advance(self, dt: float) -> None:
        supply, battery = self.supply, self.battery
        delivered_before = self.cable_voltage_v * self._cable_current()
        supply.reference_v = self.output_voltage_v = self.readback_v
        supply.current_a = self.readback_a if self.output_on else 0.0
        if self.contactors.closed:
            self.cable_voltage_v = self.readback_v
        else:
            self.cable_voltage_v = battery.open_circuit_voltage_v \
                if battery.contactors_closed else 0.0
        ovp = self.ovp
        if ovp.monitoring and not ovp.tripped and self.cable_voltage_v > ovp.limit_v:
            ovp.tripped = True  # the owner switches the external supply off
            self.contactors.commanded_closed = False
        self.energy_wh += (delivered_before + self.cable_voltage_v * self._cable_current()) \
            / 2.0 * dt / 3600.0

    def _cable_current(self) -> float:
        return self.supply.current_a if self.contactors.closed else 0.0


class ExternalSupply:
    """The hook between a ``SimDcPowerPath`` and the external supply it is given."""

    def __init__(self, owner: SimDcPowerPath, supply: Requirement, load: Requirement | None):
        self.owner = owner
        self.supply = supply
        self.load = load
        self.mode: str | None = None
        self.own_limits: SupplyLimits | None = None  # the path's configured ones
        self.raised: set[str] = set()
        self._told_export = False
        self._told_load: dict[str, Any] | None = None
        supply.subscribe("voltage_current", self._on_reading)
        supply.subscribe("capabilities", self._on_capabilities)
        supply.subscribe("mode", self._on_mode)
        supply.on_error(self._on_error)

    @property
    def capabilities_known(self) -> bool:
        """Readings are published only after the capabilities (the interface's order)."""
        return self.own_limits is not None

    @property
    def faulted(self) -> bool:
        return self.mode == "Fault"

    # --- the charger's commands, passed on ------------------------------------------------------
    def set_mode(self, phase: str) -> Generator:
        export = self.owner.path.output_on
        self._told_export = export
        yield self.supply.call("set_mode", mode="Export" if export else "Off", phase=phase)

    def set_export_voltage_current(self, voltage_v: float, current_a: float) -> Generator:
        yield self.supply.call("set_export_voltage_current", voltage_v=voltage_v,
                               current_a=current_a)

    # --- the circuit changed --------------------------------------------------------------------
    def follow(self) -> None:
        """After every change of the simulated circuit: an output the path no longer lets on
        (an injected supply fault, an over-voltage trip) switches the external supply off, and
        the load is told when it changed."""
        path = self.owner.path
        if self._told_export and path.supply.exporting and not path.output_on:
            self._told_export = False
            self.supply.send("set_mode", mode="Off", phase=OFF_PHASE)
        if self.load is None:
            return
        load = {"contactors_closed": path.contactors.closed,
                "battery_connected": path.battery.contactors_closed,
                "open_circuit_voltage_v": round(path.battery.open_circuit_voltage_v, 3),
                "internal_resistance_ohm": path.battery.internal_resistance_ohm,
                "insulation_ohm": path.insulation_ohm,
                "cable_resistance_ohm": path.cable_resistance_ohm}
        if load != self._told_load:
            self._told_load = load
            self.load.send("set_load", **load)

    # --- what the external supply says ----------------------------------------------------------
    def _on_reading(self, reading: dict) -> None:
        owner = self.owner
        owner._advance()  # the last reading held until now
        owner.path.take_readback(reading["voltage_v"], reading["current_a"])
        owner._changed()
        owner._publish_telemetry()

    def _on_capabilities(self, external: dict) -> None:
        supply = self.owner.path.supply
        own = self.own_limits = self.own_limits or supply.limits
        combined = dict(external)
        combined["max_export_voltage_v"] = min(external["max_export_voltage_v"],
                                               own.max_voltage_v)
        combined["min_export_voltage_v"] = max(external["min_export_voltage_v"],
                                               own.min_voltage_v)
        combined["max_export_current_a"] = min(external["max_export_current_a"],
                                               own.max_current_a)
        combined["min_export_current_a"] = max(external["min_export_current_a"],
                                               own.min_current_a)
        combined["max_export_power_w"] = min(external["max_export_power_w"], own.max_power_w)
        combined["bidirectional"] = False
        # Targets are taken within both, so the warning names what the charger will get.
        supply.limits = SupplyLimits(
            combined["max_export_voltage_v"], combined["min_export_voltage_v"],
            combined["max_export_current_a"], combined["min_export_current_a"],
            combined["max_export_power_w"])
        self.owner.publish("power_supply", "capabilities", combined)

    def _on_mode(self, mode: str) -> None:
        self.mode = mode
        self.owner._publish_mode()

    def _on_error(self, report: ErrorReport) -> None:
        name = report.type.rpartition("/")[2]
        if report.active:
            self.raised.add(name)
        else:
            self.raised.discard(name)
        self.owner._set_error("power_supply", name, report.active,
                              f"{self.supply.module_id}: {report.message}")


def external_supply(owner: SimDcPowerPath) -> ExternalSupply | None:
    """The hook when the power path's ``supply`` requirement is connected, else None."""
    supply = owner.optional("supply")
    if supply is None:
        return None
    return ExternalSupply(owner, supply, owner.optional("load"))
