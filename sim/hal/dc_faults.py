"""The faults the simulated DC hardware can be given, in one table.

Each fault names the error it raises (the implementation and the error its interface declares)
and what it does to the circuit. ``dc_simulator.set_fault`` takes these names (a test holds the
interface's enum and this table together), and docs/dc-hardware.md lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.hal.dc_physics import DcPowerPath


def _supply_off(path: DcPowerPath, active: bool) -> None:
    path.supply.faulted = active


def _runaway(path: DcPowerPath, active: bool) -> None:
    path.supply.runaway = active


def _welded(path: DcPowerPath, active: bool) -> None:
    path.contactors.welded = active


def _stuck_open(path: DcPowerPath, active: bool) -> None:
    path.contactors.stuck_open = active


def _car_welded(path: DcPowerPath, active: bool) -> None:
    path.battery.contactors_welded = active


def _nothing(path: DcPowerPath, active: bool) -> None:
    """The device's own state (IMD, OVP) is the module's; the circuit does not change."""


@dataclass(frozen=True)
class DcFault:
    name: str
    impl: str  # the implementation that raises the error, or is affected
    error: str | None  # the error raised while the fault is active; None: found by its effects
    effect: Callable[[DcPowerPath, bool], None]
    description: str


DC_FAULTS: dict[str, DcFault] = {fault.name: fault for fault in (
    DcFault("supply_communication", "power_supply", "CommunicationFault", _supply_off,
            "the supply stops answering: output off, no readings"),
    DcFault("supply_hardware", "power_supply", "HardwareFault", _supply_off,
            "an internal fault: output off"),
    DcFault("supply_over_temperature", "power_supply", "OverTemperature", _supply_off,
            "overheated: output off"),
    DcFault("supply_over_voltage", "power_supply", "OverVoltageDC", _supply_off,
            "its own output over-voltage protection tripped: output off"),
    DcFault("supply_over_current", "power_supply", "OverCurrentDC", _supply_off,
            "its own output over-current protection tripped: output off"),
    DcFault("supply_ac_input", "power_supply", "UnderVoltageAC", _supply_off,
            "its AC input is lost: output off"),
    DcFault("supply_runaway", "power_supply", None, _runaway,
            "its regulation is lost: the output climbs past the target (until the over-voltage "
            "monitor switches it off)"),
    DcFault("contactor_welded", "contactors", None, _welded,
            "the output contactors weld: once closed they do not open (Welded on the next "
            "opening)"),
    DcFault("contactor_stuck_open", "contactors", None, _stuck_open,
            "the output contactors do not close (DidNotClose on the next closing)"),
    DcFault("car_contactor_welded", "ev_dc", None, _car_welded,
            "the car's own contactors weld: once closed they do not open, and the battery's "
            "voltage stays on the cable (what the car's welding detection asks the charger)"),
    DcFault("imd_device", "imd", "DeviceFault", _nothing,
            "the isolation monitor fails: no readings, its self test fails"),
    DcFault("imd_communication", "imd", "CommunicationFault", _nothing,
            "the isolation monitor stops answering: no readings"),
    DcFault("ovp_device", "ovp", "DeviceFault", _nothing,
            "the over-voltage monitor fails: it no longer protects"),
    DcFault("ovp_communication", "ovp", "CommunicationFault", _nothing,
            "the over-voltage monitor stops answering (it keeps protecting in hardware)"),
)}
