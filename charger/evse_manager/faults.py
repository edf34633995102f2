"""The fault table: every error the EVSE manager can learn of, and its reaction to it.

One row per error: the errors declared by the interfaces the manager requires (board, RCD, lock,
meter) and by the DC hardware (power supply, isolation and over-voltage monitors, DC
contactors), and the faults the manager detects
itself (pilot, over-current, welding, a safety command that failed). Each row says which error
the manager raises on its own ``evse_manager`` interface, which safe state it takes, and what
clears the fault. The manager's error handling, the tests (every declared error has a row) and
docs/evse-manager.md read this table; nothing else lists faults.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The manager's own detections are rows with this source interface.
OWN = "evse_manager"

# Interfaces whose errors the manager must react to. Those of its manifest's requirements are
# covered anyway (tests read the manifest); these are the ones DC charging will add.
WATCHED_INTERFACES = ("evse_board_support", "ac_rcd", "connector_lock", "powermeter",
                      "power_supply_DC", "isolation_monitor", "over_voltage_monitor",
                      "dc_contactors", "slac", "iso15118_charger")


class SafeState(StrEnum):
    """What the connector does while the fault is active (every fault also refuses new
    authorizations and reservations: the connector is in state Error)."""

    STOP_CHARGING = (
        "PWM off (a constant +12 V, so the car's unplugging stays visible), contactors "
        "opened at once")
    BOARD_RESET = (
        "nothing to command: the unpowered board dropped its contactors and its PWM; it "
        "restarts from its reset state (no PWM, contactors open)")


class Clearing(StrEnum):
    """What ends the fault."""

    SOURCE = "the source clears the error"
    UNPLUG = "the car is unplugged"
    PILOT_OK = "the pilot leaves state E/F"
    UNPLUG_AND_OPEN = "the car is unplugged and the contactors report open"


@dataclass(frozen=True)
class FaultRow:
    interface: str  # the interface declaring the error (OWN: the manager detects it)
    error: str  # its name there
    raises: str  # the error raised on the manager's evse_manager interface
    safe_state: SafeState
    clears: Clearing
    why: str  # docs: why this reaction

    @property
    def source_type(self) -> str:
        """The error type as the bus reports it (``interface/Name``)."""
        return f"{self.interface}/{self.error}"


STOP, RESET = SafeState.STOP_CHARGING, SafeState.BOARD_RESET

FAULTS: tuple[FaultRow, ...] = (
    FaultRow("evse_board_support", "DiodeFault", "DiodeFault", STOP, Clearing.UNPLUG,
             "seen only while the PWM runs; stopping the PWM hides it, so it stays latched"),
    FaultRow("evse_board_support", "ContactorFault", "ContactorFault", STOP,
             Clearing.UNPLUG_AND_OPEN,
             "the board's own feedback check: a welded contactor keeps the plug live"),
    FaultRow("evse_board_support", "VentilationNotAvailable", "VentilationNotAvailable", STOP,
             Clearing.UNPLUG, "the car needs ventilation (state D) the site cannot give"),
    FaultRow("evse_board_support", "PowerLoss", "PowerLoss", RESET, Clearing.SOURCE,
             "the grid is gone; the session goes on when the board is powered again"),
    FaultRow("ac_rcd", "DC", "RCDTrip", STOP, Clearing.SOURCE,
             "DC residual current; re-armed (reset) once the car is unplugged"),
    FaultRow("ac_rcd", "AC", "RCDTrip", STOP, Clearing.SOURCE,
             "AC residual current; re-armed (reset) once the car is unplugged"),
    FaultRow("connector_lock", "ConnectorLockFailedLock", "ConnectorLockFault", STOP,
             Clearing.UNPLUG, "a plug that is not held must not carry power"),
    FaultRow("connector_lock", "ConnectorLockFailedUnlock", "ConnectorLockFault", STOP,
             Clearing.SOURCE, "the next car could not plug in; cleared when the lock opens"),
    FaultRow("evse_board_support", "CommunicationFault", "BoardCommunicationFault", STOP,
             Clearing.SOURCE,
             "the board does not answer; without its host it keeps its own safe state"),
    FaultRow("powermeter", "CommunicationFault", "MeterCommunicationFault", STOP,
             Clearing.SOURCE,
             "without readings neither the energy nor an over-current can be measured"),
    # DC (the DC hardware's errors: docs/dc-hardware.md)
    FaultRow("power_supply_DC", "CommunicationFault", "PowerSupplyFault", STOP, Clearing.SOURCE,
             "the DC output cannot be controlled; the supply has switched it off"),
    FaultRow("power_supply_DC", "HardwareFault", "PowerSupplyFault", STOP, Clearing.SOURCE,
             "the supply has switched its output off"),
    FaultRow("power_supply_DC", "OverTemperature", "PowerSupplyFault", STOP, Clearing.SOURCE,
             "the supply has switched its output off until it has cooled"),
    FaultRow("power_supply_DC", "UnderVoltageAC", "PowerSupplyFault", STOP, Clearing.SOURCE,
             "the supply's AC input is gone; it goes on when the input returns"),
    FaultRow("power_supply_DC", "OverVoltageDC", "PowerSupplyFault", STOP, Clearing.UNPLUG,
             "the output was above the supply's own limit: this session ends"),
    FaultRow("power_supply_DC", "OverCurrentDC", "PowerSupplyFault", STOP, Clearing.UNPLUG,
             "the output was above the supply's own current limit: this session ends"),
    FaultRow("isolation_monitor", "IsolationFault", "IsolationFault", STOP, Clearing.UNPLUG,
             "the DC circuit's insulation is below the fault level: no power on it"),
    FaultRow("isolation_monitor", "DeviceFault", "IsolationMonitorFault", STOP,
             Clearing.SOURCE, "no DC charging without a working insulation monitor"),
    FaultRow("isolation_monitor", "CommunicationFault", "IsolationMonitorFault", STOP,
             Clearing.SOURCE, "no DC charging without insulation readings"),
    FaultRow("over_voltage_monitor", "OverVoltage", "OverVoltage", STOP, Clearing.UNPLUG,
             "the hardware has already switched the output off; the monitor is reset for the "
             "next session"),
    FaultRow("over_voltage_monitor", "DeviceFault", "OverVoltageMonitorFault", STOP,
             Clearing.SOURCE, "no DC charging without over-voltage protection"),
    FaultRow("over_voltage_monitor", "CommunicationFault", "OverVoltageMonitorFault", STOP,
             Clearing.SOURCE, "the protection cannot be set for the car's voltage class"),
    FaultRow("dc_contactors", "Welded", "ContactorFault", STOP, Clearing.UNPLUG_AND_OPEN,
             "the DC output contactors did not open: the cable may stay live"),
    FaultRow("dc_contactors", "DidNotClose", "ContactorFault", STOP, Clearing.UNPLUG,
             "the DC output contactors did not close: no cable check or power possible"),
    FaultRow(OWN, "PilotFault", "PilotFault", STOP, Clearing.PILOT_OK,
             "pilot in E (short) or F (-12 V) that the charger did not drive"),
    FaultRow(OWN, "VentilationNotAvailable", "VentilationNotAvailable", STOP, Clearing.UNPLUG,
             "the car asks for state D and ventilation_available is false"),
    FaultRow(OWN, "OverCurrent", "OverCurrent", STOP, Clearing.UNPLUG,
             "the car drew above the offer plus tolerance for overcurrent_trip_delay_s"),
    FaultRow(OWN, "ContactorFault", "ContactorFault", STOP, Clearing.UNPLUG_AND_OPEN,
             "welding detection: the feedback still reports closed contactor_open_timeout_s "
             "after the opening command"),
    FaultRow(OWN, "SafetyCommandFailed", "SafetyCommandFailed", STOP, Clearing.UNPLUG,
             "the board refused or did not answer (within safety_command_timeout_s) a command "
             "that opens the contactors or stops the PWM"),
)

ROW_BY_SOURCE: dict[str, FaultRow] = {row.source_type: row for row in FAULTS}


def row_for(error_type: str) -> FaultRow | None:
    """The row of a reported error type (``interface/Name``), None if the table has none."""
    return ROW_BY_SOURCE.get(error_type)


def own(name: str) -> FaultRow:
    """The row of a fault the manager detects itself."""
    return ROW_BY_SOURCE[f"{OWN}/{name}"]


class ActiveFaults:
    """Which sources hold each of the manager's errors: an error is raised with its first
    source and cleared with its last (the RCD's AC and DC both hold RCDTrip)."""

    def __init__(self) -> None:
        self._sources: dict[str, dict[str, FaultRow]] = {}

    def __bool__(self) -> bool:
        return bool(self._sources)

    def __contains__(self, raised: str) -> bool:
        return raised in self._sources

    @property
    def raised(self) -> list[str]:
        return list(self._sources)

    def add(self, row: FaultRow) -> bool:
        """Hold ``row``; true when its manager error is newly raised."""
        holders = self._sources.setdefault(row.raises, {})
        new = not holders
        holders[row.source_type] = row
        return new

    def remove(self, row: FaultRow) -> bool:
        """Release ``row``; true when its manager error is no longer held by anything."""
        holders = self._sources.get(row.raises)
        if not holders or row.source_type not in holders:
            return False
        del holders[row.source_type]
        if holders:
            return False
        del self._sources[row.raises]
        return True

    def held_by(self, clearing: Clearing) -> list[FaultRow]:
        return [row for holders in self._sources.values() for row in holders.values()
                if row.clears is clearing]
