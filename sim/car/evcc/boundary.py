"""What the EVCC needs from the rest of the car, and what it tells it.

:class:`EvStatus` is the car as the EVCC sees it (battery voltage, SoC, targets, limits,
departure, energy request); the car's physics keeps it current. :class:`EvccConfig` is how the
car behaves on the wire: which protocols it offers, EIM, whether it fills optional fields
(many real cars leave SoC and energy fields empty), its timing and injected faults. The EVCC
tells the car what happens through the events of :data:`EVCC_EVENTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EVCC_EVENTS: dict[str, str] = {
    "session_started": "SessionSetupRes arrived [{protocol, session_id, joined}]",
    "authorized": "the charger finished the EIM authorization [None]",
    "charge_parameters": "the charger's limits [dict]",
    "cable_check_finished": "the charger finished its cable check [None]",
    "pre_charge_finished": "the charger's voltage matches the battery [voltage_v]",
    "power_delivery_started": "PowerDeliveryRes to Start: close S2 / the contactors [None]",
    "present_values": "the charger's present voltage and current [{voltage_v, current_a}]",
    "evse_notification": "the charger asked for something [StopCharging|ReNegotiation]",
    "power_delivery_stopped": "PowerDeliveryRes to Stop: open S2 [None]",
    "session_paused": "the session is paused; the next connect() joins it again [session_id]",
    "session_finished": "the session is over [reason]",
}

# Faults the car can play, by name -> what it does. Declared once; EvccConfig.fault names one.
EV_FAULTS: dict[str, str] = {
    "silent_before": "stop talking before sending this request (e.g. CableCheckReq)",
    "garbage_before": "send random bytes instead of this request",
    "ev_error_in_loop": "report EVErrorCode FAILED_EVRESSMalfunction in the charging loop",
}


@dataclass
class EvStatus:
    """The car, as the EVCC sees it; the car's physics keeps it current."""

    battery_voltage_v: float = 400.0
    soc_pct: float = 50.0
    target_voltage_v: float = 410.0
    target_current_a: float = 100.0
    max_voltage_v: float = 450.0
    max_current_a: float = 200.0  # DC: the battery; AC: per phase
    max_power_w: float = 100000.0
    min_current_a: float = 6.0  # AC
    ac_max_voltage_v: float = 400.0
    capacity_wh: float = 60000.0
    energy_request_wh: float = 30000.0
    departure_s: int | None = None
    ready: bool = True
    error: str = "NO_ERROR"
    charging_complete: bool = False


@dataclass
class EvccConfig:
    protocols: list[str] = field(default_factory=lambda: ["iso2", "din"])  # by priority
    energy_mode: str = "DC_extended"
    payment_option: str = "ExternalPayment"
    fills_optional: bool = True  # SoC limits, energy capacity and request, remaining times
    evcc_id: bytes = bytes.fromhex("02000000CAFE")
    loop_interval_s: float = 0.1  # between two CurrentDemand/ChargingStatus requests
    ongoing_interval_s: float = 0.5  # before repeating a request answered Ongoing
    pre_charge_tolerance_v: float = 20.0
    welding_voltage_v: float = 60.0  # welding detection ends below this
    welding_max_requests: int = 10
    fault: str | None = None  # a key of EV_FAULTS
    fault_message: str = ""  # the request the fault applies to
