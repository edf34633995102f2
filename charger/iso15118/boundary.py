"""What the SECC needs from the rest of the charger, and what it tells it.

The SECC reads :class:`EvseStatus`, which the charger keeps current through the SECC's
commands (they follow the ``iso15118_charger`` interface: ``authorization_response``,
``cable_check_finished``, ``update_dc_present_values`` ...), and tells the charger what
happens through events named in :data:`SECC_EVENTS` (the interface's variables). The power
electronics, the EVSE manager and the auth module stay on the other side of this boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Event name -> what it means; the payload is given in brackets. Declared once: the SECC
# refuses to publish anything else, and iso15118_charger.yaml has one variable per row.
SECC_EVENTS: dict[str, str] = {
    "session_started": "a V2G session began [{protocol, session_id, joined}]",
    "evcc_id": "the car's EVCCID (its MAC address for ISO 15118-2), the autocharge token [str]",
    "selected_payment_option": "the payment option the car chose [str]",
    "require_auth_eim": "External Identification Means: the charger must authorize [None]",
    "requested_energy_transfer_mode": "the energy transfer mode the car asked for [str]",
    "ev_charge_parameters": "the car's charge parameters [dict]",
    "start_cable_check": "the charger should run the cable check now [{voltage_v}]",
    "start_pre_charge": "the charger should now pre-charge [None]",
    "dc_ev_target_voltage_current": "the car's target [{voltage_v, current_a}]",
    "dc_ev_status": "the car's DC status [{ready, error, soc}]",
    "v2g_setup_finished": "PowerDeliveryReq Start arrived: the setup is over [None]",
    "ac_close_contactor": "the contactors should close (AC) [None]",
    "ac_open_contactor": "the contactors should open (AC) [None]",
    "dc_open_contactor": "the contactors should open (DC) [None]",
    "current_demand_started": "the DC charging loop began [None]",
    "current_demand_finished": "the DC charging loop ended [None]",
    "renegotiation_requested": "the car asked to renegotiate the charge parameters [None]",
    "session_paused": "the car paused the session (ISO 15118-2 SessionStop Pause) [str]",
    "session_finished": "the session is over [reason]",
}

ISOLATION = ("Invalid", "Valid", "Warning", "Fault", "No_IMD")
EVSE_ERRORS = ("Shutdown", "EmergencyShutdown", "Malfunction", "UtilityInterruptEvent")


@dataclass
class EvseStatus:
    """The charger's side as the SECC sees it; commands of the SECC update it."""

    ac_nominal_voltage_v: float = 230.0
    ac_max_current_a: float = 32.0
    dc_max_voltage_v: float = 920.0
    dc_max_current_a: float = 200.0
    dc_max_power_w: float = 150000.0
    dc_min_voltage_v: float = 150.0
    dc_min_current_a: float = 0.0
    dc_peak_current_ripple_a: float = 2.0
    present_voltage_v: float = 0.0
    present_current_a: float = 0.0
    isolation: str = "Invalid"
    authorization: str | None = None  # None: pending; "Accepted" or a refusal
    cable_check: bool | None = None  # None: running (or not started); then the outcome
    stop_requested: bool = False  # the charger wants the car to stop
    renegotiation_requested: bool = False
    error: str | None = None  # one of EVSE_ERRORS: the charger cannot go on
    receipt_required: bool = False
    rcd: bool = False  # AC: the residual current device tripped
    extra: dict = field(default_factory=dict)
