"""The timeouts of ISO 15118-2 and DIN SPEC 70121, declared once.

Each row names the standard's timer, who runs it (the SECC waiting for the car, or the EVCC
waiting for the charger), its value in the standard (the ``strict`` profile) and a value for the
``lenient`` field profile, which tolerates slow peers as field chargers and cars do. Engines
read their timers from a :class:`Timeouts` object built from a profile, a scale factor (a slow
peer such as a Java codec) and per-row overrides; docs/iso15118.md prints this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Timer:
    side: str  # "secc" or "evcc": which engine runs it
    standard_name: str
    strict_s: float
    lenient_s: float
    what: str


TIMERS: dict[str, Timer] = {
    "sequence": Timer(
        "secc", "V2G_SECC_Sequence_Timeout", 60.0, 120.0,
        "the SECC waits this long for the next request, after which it ends the session"),
    "communication_setup": Timer(
        "secc", "V2G_SECC_CommunicationSetup_Timeout", 20.0, 40.0,
        "from the link being up until SessionSetupReq has been answered"),
    "ev_cable_check": Timer(
        "evcc", "V2G_EVCC_CableCheck_Timeout", 40.0, 60.0,
        "the whole cable check, from the first CableCheckReq until EVSEProcessing=Finished"),
    "ev_pre_charge": Timer(
        "evcc", "V2G_EVCC_PreCharge_Timeout", 7.0, 15.0,
        "the whole pre-charge, until the charger's voltage is within tolerance of the battery"),
    "ev_ongoing": Timer(
        "evcc", "V2G_EVCC_Ongoing_Timeout", 60.0, 120.0,
        "Authorization and ChargeParameterDiscovery answered with EVSEProcessing=Ongoing"),
    "ev_communication_setup": Timer(
        "evcc", "V2G_EVCC_CommunicationSetup_Timeout", 20.0, 40.0,
        "from the link being up until SessionSetupRes"),
    "msg": Timer(
        "evcc", "V2G_EVCC_Msg_Timeout (default)", 2.0, 6.0,
        "the response to a request not listed below"),
    "msg_long": Timer(
        "evcc", "V2G_EVCC_Msg_Timeout (long)", 5.0, 10.0,
        "ServiceDetail, PaymentDetails, CertificateInstallation/Update and PowerDelivery"),
    "msg_loop": Timer(
        "evcc", "V2G_EVCC_Msg_Timeout (loop)", 0.25, 1.0,
        "CurrentDemand and ChargingStatus in the charging loop"),
    "sdp_retry": Timer(
        "evcc", "TP_EVCC_SDP_Retry (SDP request interval)", 0.25, 0.5,
        "the EVCC repeats its SDP request after this long without a response"),
}

SDP_MAX_REQUESTS = 50  # the EVCC gives up SDP after this many requests
PROFILES = ("strict", "lenient")

# Requests whose response the EVCC waits for with a timer other than "msg".
RESPONSE_TIMER: dict[str, str] = {
    "ServiceDetailReq": "msg_long",
    "PaymentDetailsReq": "msg_long",
    "CertificateInstallationReq": "msg_long",
    "CertificateUpdateReq": "msg_long",
    "PowerDeliveryReq": "msg_long",
    "CurrentDemandReq": "msg_loop",
    "ChargingStatusReq": "msg_loop",
}


class TimeoutConfigError(ValueError):
    pass


class Timeouts:
    """The timer values in force: a profile, scaled, with overrides (seconds)."""

    def __init__(self, profile: str = "strict", scale: float = 1.0,
                 overrides: Mapping[str, float] | None = None):
        if profile not in PROFILES:
            raise TimeoutConfigError(f"timeout profile {profile!r}: expected one of "
                                     f"{', '.join(PROFILES)}")
        if not scale > 0:
            raise TimeoutConfigError(f"timeout scale {scale!r} must be positive")
        unknown = sorted(set(overrides or {}) - set(TIMERS))
        if unknown:
            raise TimeoutConfigError(f"unknown timer(s) {', '.join(unknown)}: expected "
                                     f"{', '.join(TIMERS)}")
        self.profile = profile
        self.scale = scale
        self._values = {
            name: (timer.strict_s if profile == "strict" else timer.lenient_s) * scale
            for name, timer in TIMERS.items()}
        for name, value in (overrides or {}).items():
            if not value > 0:
                raise TimeoutConfigError(f"timer {name}: {value!r} must be positive")
            self._values[name] = float(value)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def response(self, request: str) -> float:
        """How long the EVCC waits for the response to ``request``."""
        return self._values[RESPONSE_TIMER.get(request, "msg")]

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)
