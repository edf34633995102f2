"""The DC sub-machine: cable check, pre-charge, current demand and welding detection.

Entered when the HLC sub-machine hands over power on a DC connector. The power supply, the
isolation monitor and the V2G messages report abstract events (``cable_check_requested``,
``isolation_ok``, ``output_voltage``, ``current_demand``, ...) with their values; the glue feeds
them here with the time and carries out the actions:

| action | the glue |
|---|---|
| ``close_dc_contactors`` / ``open_dc_contactors`` | the charger's output contactors |
| ``cable_check_voltage`` | supply at ``cable_check_voltage_v()``, 2 A limit |
| ``start_isolation_check`` | the isolation monitor measures |
| ``precharge_voltage`` | supply at the car's target voltage, 2 A limit |
| ``follow_demand`` | supply at the car's target voltage and current (within limits) |
| ``supply_off`` | supply output off (ramp down) |
| ``report_failure`` | raise the DC failure; the HLC session stops |

Guards read the event's value: ``output_voltage`` carries ``{"present_v", "target_v"}``.
"""

from __future__ import annotations

from charger.dc_rules import cable_check_voltage, precharge_done, voltage_reached
from charger.evse_manager.submachine import TIMEOUT, Machine, Phase, Rule
from charger.iso15118.timeouts import TIMERS

# The standards' values, from the ISO 15118 timer table (one place); the whole cable check
# should still aim for under 30 s, because some cars give up there.
CABLE_CHECK_TIMEOUT_S = TIMERS["ev_cable_check"].strict_s
PRECHARGE_TIMEOUT_S = TIMERS["ev_pre_charge"].strict_s
SEQUENCE_TIMEOUT_S = TIMERS["sequence"].strict_s
WELDING_DETECTION_TIMEOUT_S = 10.0
SAFE_VOLTAGE_V = 60.0  # below this the output counts as discharged (no welded contactor)

# The session rules (cable-check voltage, 10 V and 20 V tolerances, 2 A) are charger.dc_rules'.
cable_check_voltage_v = cable_check_voltage


def _cable_check_reached(value: dict, context: dict) -> bool:
    return voltage_reached(value["target_v"], value["present_v"])


def _precharged(value: dict, context: dict) -> bool:
    return precharge_done(value["present_v"], value["target_v"])


def _discharged(value: dict, context: dict) -> bool:
    return value["present_v"] < SAFE_VOLTAGE_V


FAILURE = ("supply_off", "open_dc_contactors", "report_failure")

PHASES = (
    Phase("Idle", None, summary="no DC energy transfer"),
    Phase("CableCheck", CABLE_CHECK_TIMEOUT_S,
          ("close_dc_contactors", "cable_check_voltage"),
          summary="output at the cable-check voltage, 2 A, until reached within 10 V"),
    Phase("IsolationCheck", CABLE_CHECK_TIMEOUT_S, ("start_isolation_check",),
          summary="the isolation monitor measures at the cable-check voltage"),
    Phase("WaitingForPreCharge", SEQUENCE_TIMEOUT_S, ("supply_off",),
          summary="cable check passed; the car's PreChargeReq must follow"),
    Phase("PreCharge", PRECHARGE_TIMEOUT_S, ("precharge_voltage",),
          summary="output to the battery voltage (within 20 V), 2 A"),
    Phase("WaitingForPowerDelivery", SEQUENCE_TIMEOUT_S,
          summary="pre-charged; the car closes its contactors and sends PowerDelivery(start)"),
    Phase("CurrentDemand", SEQUENCE_TIMEOUT_S, ("follow_demand",),
          summary="the current-demand loop: output follows the car's target"),
    Phase("WeldingDetection", WELDING_DETECTION_TIMEOUT_S, ("supply_off", "open_dc_contactors"),
          summary="output off and contactors opened: the voltage must fall below 60 V"),
    Phase("Finished", None, final=True, summary="the output is safe"),
    Phase("Failed", None, FAILURE, final=True,
          summary="isolation, supply, pre-charge, welding or a timeout"),
)

ENERGIZED = ("CableCheck", "IsolationCheck", "WaitingForPreCharge", "PreCharge",
             "WaitingForPowerDelivery", "CurrentDemand")

RULES = (
    Rule("Idle", "cable_check_requested", "CableCheck"),
    Rule("CableCheck", "output_voltage", "IsolationCheck", _cable_check_reached,
         "within 10 V of the cable-check voltage"),
    Rule("IsolationCheck", "isolation_ok", "WaitingForPreCharge"),
    Rule("WaitingForPreCharge", "precharge_requested", "PreCharge"),
    Rule("PreCharge", "output_voltage", "WaitingForPowerDelivery", _precharged,
         "within 20 V of the battery"),
    # A voltage short of the target has no rule: it is refused and the phase's timeout runs
    # on. A PreChargeReq repeated after the target was reached is a message of the sequence.
    Rule("WaitingForPowerDelivery", "precharge_requested", "WaitingForPowerDelivery"),
    Rule("WaitingForPowerDelivery", "power_delivery_start", "CurrentDemand"),
    Rule("CurrentDemand", "current_demand", "CurrentDemand", actions=("follow_demand",)),
    Rule("CurrentDemand", "power_delivery_stop", "WeldingDetection"),
    Rule("CurrentDemand", "charger_stop", "WeldingDetection"),
    Rule("WeldingDetection", "output_voltage", "Finished", _discharged, "below 60 V"),
    *(Rule(state, "isolation_fault", "Failed") for state in ENERGIZED),
    *(Rule(state, "supply_fault", "Failed") for state in ENERGIZED),
    *(Rule(state, "session_stopped", "WeldingDetection") for state in ENERGIZED),
    *(Rule(state, TIMEOUT, "Failed") for state in (*ENERGIZED, "WeldingDetection")),
)

DC = Machine("dc", PHASES, RULES, "Idle")
