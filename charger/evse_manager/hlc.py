"""The high-level-communication sub-machine: from 5 % PWM to power, as the charger sees it.

ISO 15118-3 (SLAC) and ISO 15118-2 / DIN SPEC 70121 (V2G) seen from the EVSE manager: which phase
the session is in, how long each may last, and what the manager must do on entering it. The SLAC
and SECC modules report what happened as abstract events (``slac_matched``,
``session_setup``, ...); the glue feeds them here with the time and carries out the actions:

| action | the glue |
|---|---|
| ``pwm_5pct`` | pilot PWM at 5 % (digital communication required) |
| ``pwm_off`` | stop the PWM (x1) |
| ``request_authorization`` | ask the auth module for the token the car or card gave |
| ``start_power`` | hand over: AC charges under 5 % PWM, DC starts the DC sub-machine |
| ``stop_power`` | stop the energy transfer (AC: open; DC: the DC sub-machine stops) |
| ``report_failure`` | raise the HLC failure and end the session |

Timeouts (seconds): TT_EVSE_SLAC_init 20-50 s (the upper end), CommunicationSetup 20 s from the
match to SessionSetup, V2G_SECC_Sequence_Timeout 60 s between any two messages.
"""

from __future__ import annotations

from charger.evse_manager.submachine import TIMEOUT, Machine, Phase, Rule
from charger.iso15118.timeouts import TIMERS
from charger.slac.timing import SLAC

# The standards' values, from the protocol packages' own tables (one place each).
TT_EVSE_SLAC_INIT_S = SLAC["TT_EVSE_SLAC_init"].value
COMMUNICATION_SETUP_S = TIMERS["communication_setup"].strict_s
SEQUENCE_TIMEOUT_S = TIMERS["sequence"].strict_s

FAILURE = ("pwm_off", "stop_power", "report_failure")

PHASES = (
    Phase("Off", None, summary="no high-level communication (basic charging or no car)"),
    Phase("WaitingForSlac", TT_EVSE_SLAC_INIT_S, ("pwm_5pct",),
          summary="5 % PWM; the car must match by SLAC"),
    Phase("WaitingForSessionSetup", COMMUNICATION_SETUP_S,
          summary="matched: SDP, SupportedAppProtocol and SessionSetup must follow"),
    Phase("Negotiating", SEQUENCE_TIMEOUT_S,
          summary="service discovery and payment selection"),
    Phase("Authorizing", SEQUENCE_TIMEOUT_S, ("request_authorization",),
          summary="Authorization / ContractAuthentication answered Ongoing until decided"),
    Phase("DiscoveringParameters", SEQUENCE_TIMEOUT_S,
          summary="ChargeParameterDiscovery: limits exchanged"),
    Phase("Powering", SEQUENCE_TIMEOUT_S, ("start_power",),
          summary="energy transfer (AC charging loop, or the DC sub-machine)"),
    Phase("Stopping", SEQUENCE_TIMEOUT_S, ("stop_power",),
          summary="PowerDelivery(stop) seen: SessionStop must follow"),
    Phase("Finished", None, ("pwm_off",), final=True, summary="SessionStop answered"),
    Phase("Failed", None, FAILURE, final=True,
          summary="a timeout, a refusal or a lost link ended the session"),
)

ACTIVE = ("WaitingForSlac", "WaitingForSessionSetup", "Negotiating", "Authorizing",
          "DiscoveringParameters", "Powering", "Stopping")
AFTER_SETUP = ("Negotiating", "Authorizing", "DiscoveringParameters", "Powering", "Stopping")

RULES = (
    Rule("Off", "car_plugged", "WaitingForSlac"),
    Rule("WaitingForSlac", "slac_matched", "WaitingForSessionSetup"),
    Rule("WaitingForSlac", "slac_failed", "Failed"),
    Rule("WaitingForSessionSetup", "session_setup", "Negotiating"),
    Rule("Negotiating", "message", "Negotiating"),
    Rule("Negotiating", "payment_selected", "Authorizing"),
    Rule("Authorizing", "message", "Authorizing"),
    Rule("Authorizing", "authorized", "DiscoveringParameters"),
    Rule("Authorizing", "authorization_rejected", "Failed"),
    Rule("DiscoveringParameters", "message", "DiscoveringParameters"),
    Rule("DiscoveringParameters", "power_delivery_start", "Powering"),
    Rule("Powering", "message", "Powering"),
    Rule("Powering", "power_delivery_stop", "Stopping"),
    Rule("Powering", "charger_stop", "Stopping"),
    Rule("Stopping", "message", "Stopping"),
    Rule("Stopping", "session_stop", "Finished"),
    # A renegotiation or pause returns from Stopping to the parameter exchange (ISO 15118-2).
    Rule("Stopping", "power_delivery_start", "Powering"),
    *(Rule(state, "session_stop", "Finished") for state in AFTER_SETUP if state != "Stopping"),
    *(Rule(state, "link_lost", "Failed") for state in ACTIVE),
    *(Rule(state, TIMEOUT, "Failed") for state in ACTIVE),
    *(Rule(state, "car_unplugged", "Off", actions=("pwm_off", "stop_power"))
      for state in (*ACTIVE, "Finished", "Failed")),
)

HLC = Machine("hlc", PHASES, RULES, "Off")
