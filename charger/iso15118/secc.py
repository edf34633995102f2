"""The SECC: the charger's side of an ISO 15118-2 or DIN SPEC 70121 session.

:class:`Secc` belongs to one connector and outlives connections (a paused ISO 15118-2 session
is joined again over a new one); :meth:`Secc.serve` runs one connection as a
:class:`SeccSession`, whose handlers answer one request type each. The order of requests is
checked once, against the protocol's declared sequence (:mod:`charger.iso15118.protocols`):
a request out of order is answered with FAILED_SequenceError, a wrong session id with
FAILED_UnknownSession, and after any FAILED response the SECC ends the session, as the
standards require. The SECC's own timers (the sequence and communication-setup timeouts) come
from the :class:`~charger.iso15118.timeouts.Timeouts` table.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from charger.iso15118.boundary import SECC_EVENTS, EvseStatus
from charger.iso15118.engine import Engine, Listener, MessageHook, on
from charger.iso15118.filler import failure_body
from charger.iso15118.link import Link
from charger.iso15118.protocols import (
    AC_MODES,
    AC_ONLY,
    DC_ONLY,
    PROTOCOLS,
    START,
    response_name,
    value_of,
)
from charger.iso15118.timeouts import Timeouts
from charger.v2g import app_protocol

CHARGE_SERVICE_ID = 1
SCHEDULE_ID = 1


@dataclass
class SeccConfig:
    evse_id: str = "DE*EVB*E0001*1"
    energy_modes: list[str] = field(default_factory=lambda: ["AC_three_phase_core"])
    protocols: list[str] = field(default_factory=lambda: ["iso2", "din"])  # by preference
    payment_options: list[str] = field(default_factory=lambda: ["ExternalPayment"])
    free_service: bool = False
    notification_max_delay_s: int = 0


class Secc:
    """The SECC of one connector."""

    def __init__(self, env: simpy.Environment, config: SeccConfig | None = None, *,
                 status: EvseStatus | None = None, timeouts: Timeouts | None = None,
                 hook: MessageHook | None = None, listener: Listener | None = None,
                 rng: random.Random | None = None):
        self.env = env
        self.config = config or SeccConfig()
        self.status = status or EvseStatus()
        self.timeouts = timeouts or Timeouts()
        self.hook = hook
        self.listener = listener
        self.rng = rng or random.Random(0)
        self.session: SeccSession | None = None
        self.paused: tuple[bytes, str] | None = None  # (session id, protocol key) to join

    def serve(self, link: Link) -> SeccSession:
        """Run a session over a new connection; one still open on an old connection ends
        (the car has reconnected)."""
        if self.session is not None and not self.session.finished.triggered:
            self.session.finish("replaced by a new connection")
        self.session = SeccSession(self, link)
        return self.session

    # --- the charger's commands (interface iso15118_charger) --------------------------------
    def authorization_response(self, status: str) -> None:
        self.status.authorization = status

    def cable_check_finished(self, ok: bool) -> None:
        self.status.cable_check = ok
        if ok and self.status.isolation in ("Invalid", "Fault"):
            self.status.isolation = "Valid"
        elif not ok:
            self.status.isolation = "Fault"

    def update_dc_present_values(self, voltage_v: float, current_a: float) -> None:
        self.status.present_voltage_v = voltage_v
        self.status.present_current_a = current_a

    def update_isolation_status(self, isolation: str) -> None:
        self.status.isolation = isolation

    def update_ac_max_current(self, max_current_a: float) -> None:
        self.status.ac_max_current_a = max_current_a

    def update_dc_maximum_limits(self, voltage_v: float, current_a: float,
                                 power_w: float) -> None:
        self.status.dc_max_voltage_v = voltage_v
        self.status.dc_max_current_a = current_a
        self.status.dc_max_power_w = power_w

    def stop_charging(self, stop: bool = True) -> None:
        """Ask the car to stop (it answers with PowerDelivery Stop and SessionStop)."""
        self.status.stop_requested = stop

    def request_renegotiation(self) -> None:
        self.status.renegotiation_requested = True

    def send_error(self, error: str) -> None:
        self.status.error = error

    def reset_error(self) -> None:
        self.status.error = None


class SeccSession(Engine):
    """One connection of the SECC."""

    EVENTS = SECC_EVENTS

    def __init__(self, secc: Secc, link: Link):
        super().__init__(secc.env, link, timeouts=secc.timeouts, hook=secc.hook,
                         listener=secc.listener)
        self.secc = secc
        self.config = secc.config
        self.status = secc.status
        self.state = START
        self.previous_state = START
        self.request_session_id = bytes(8)
        self.end_after_response: str | None = None  # the session ends once this is answered
        self.transfer = "DC"  # AC or DC, known from the offered modes, then the request
        if all(m in AC_MODES for m in self.config.energy_modes):
            self.transfer = "AC"
        self.mode: str | None = None
        self.ev_max_voltage_v = 0.0
        self._last_request_at = self.env.now  # the sequence timer runs from here
        self._set_up = False
        env = self.env
        env.process(self._communication_setup_timer())
        env.process(self._sequence_timer())

    # --- timers -----------------------------------------------------------------------------
    def _communication_setup_timer(self) -> Generator:
        yield self.env.any_of([self.env.timeout(self.timeouts["communication_setup"]),
                               self.finished])
        if not self._set_up and not self.finished.triggered:
            self.finish("timeout: no session set up within V2G_SECC_CommunicationSetup_Timeout")

    def _sequence_timer(self) -> Generator:
        limit = self.timeouts["sequence"]
        while not self.finished.triggered:
            remaining = self._last_request_at + limit - self.env.now
            if remaining <= 0:
                self.finish(f"timeout: no request after {self.state} within "
                            f"V2G_SECC_Sequence_Timeout")
                return
            yield self.env.any_of([self.env.timeout(remaining), self.finished])

    # --- routing ----------------------------------------------------------------------------
    def route(self, name: str, message: Any) -> None:
        self._last_request_at = self.env.now
        if self.namespace == "app":
            if name != "supportedAppProtocolReq":
                self.finish(f"expected supportedAppProtocolReq, got {name}")
                return
            self.run_handler(name, self.supported_app_protocol, message)
            return
        assert self.protocol is not None
        if not name.endswith("Req") or not self.protocol.has_body(name):
            self.finish(f"not a request: {name}")
            return
        if name != "SessionSetupReq" and message.Header.SessionID != self.session_id:
            self.fail(name, "FAILED_UnknownSession")
            return
        expected = self.protocol.sequence.get(self.state, frozenset())
        wrong_transfer = (name in DC_ONLY and self.transfer != "DC") or \
            (name in AC_ONLY and self.transfer != "AC")
        if name not in expected or wrong_transfer:
            self.fail(name, "FAILED_SequenceError")
            return
        handler = self.routes.get(name)
        if handler is None:
            self.fail(name, "FAILED")
            return
        self.previous_state, self.state = self.state, name
        self.request_session_id = bytes(message.Header.SessionID)
        self.run_handler(name, getattr(self, handler), message.Body.BodyElement)

    def handled(self, name: str, body: Any) -> None:
        if body is None:
            return
        if name == "supportedAppProtocolReq":
            self.send_app(body)
        else:
            self.send_body(body)
            code = str(getattr(body, "ResponseCode", "OK"))
            if code.startswith("FAILED"):
                self.finish(f"{response_name(name)} {code}")
        if self.end_after_response is not None:
            self.finish(self.end_after_response)

    def fail(self, request: str, code: str) -> None:
        assert self.protocol is not None
        body = failure_body(self.protocol, response_name(request), code, self.transfer)
        self.send_body(body)
        self.finish(f"{request}: {code}")

    def undecodable(self, payload: bytes, reason: str) -> None:
        self.finish(f"undecodable request: {reason}")

    def ended(self, reason: str) -> None:
        self.notify("session_finished", reason)

    # --- helpers ----------------------------------------------------------------------------
    def _pv(self, value: float, unit: str) -> Any:
        assert self.protocol is not None
        return self.protocol.physical(value, unit)

    def _notification(self) -> str:
        if self.status.stop_requested or self.status.error:
            return "StopCharging"
        if self.status.renegotiation_requested and self.protocol is not None \
                and self.protocol.key == "iso2":
            return "ReNegotiation"
        return "None"

    def _dc_status(self) -> Any:
        assert self.protocol is not None
        status = self.status
        code = "EVSE_Ready"
        if status.error:
            code = f"EVSE_{status.error}"
        elif status.stop_requested:
            code = "EVSE_Shutdown"
        elif self.state == "CableCheckReq" and status.cable_check is None:
            code = "EVSE_IsolationMonitoringActive"
        isolation = status.isolation
        if self.protocol.key == "din" and isolation == "No_IMD":
            isolation = "Invalid"
        return self.protocol.data(
            "DC_EVSEStatusType", EVSEIsolationStatus=isolation, EVSEStatusCode=code,
            NotificationMaxDelay=self.config.notification_max_delay_s,
            EVSENotification=self._notification())

    def _ac_status(self) -> Any:
        assert self.protocol is not None
        return self.protocol.data(
            "AC_EVSEStatusType", RCD=self.status.rcd, PowerSwitchClosed=False,
            NotificationMaxDelay=self.config.notification_max_delay_s,
            EVSENotification=self._notification())

    def _evse_status(self) -> Any:
        return self._ac_status() if self.transfer == "AC" else self._dc_status()

    def _body(self, name: str, **fields: Any) -> Any:
        assert self.protocol is not None
        return self.protocol.body(name, **fields)

    # --- handlers ---------------------------------------------------------------------------
    def supported_app_protocol(self, request: Any) -> Any:
        offered = sorted(request.AppProtocol, key=lambda p: p.Priority)
        for key in self.config.protocols:
            protocol = PROTOCOLS[key]
            if self.transfer == "AC" and not (protocol.energy_modes & AC_MODES):
                continue
            for app in offered:
                if app.ProtocolNamespace == protocol.namespace \
                        and app.VersionNumberMajor == protocol.major:
                    break
            else:
                continue
            minor = app.VersionNumberMinor == protocol.minor
            self.choose(protocol.namespace)
            return app_protocol.supportedAppProtocolRes(
                ResponseCode="OK_SuccessfulNegotiation" if minor
                else "OK_SuccessfulNegotiationWithMinorDeviation",
                SchemaID=app.SchemaID)
        self.end_after_response = "no common protocol"
        return app_protocol.supportedAppProtocolRes(ResponseCode="Failed_NoNegotiation")

    @on("SessionSetupReq")
    def session_setup(self, request: Any) -> Any:
        assert self.protocol is not None
        asked = self.request_session_id
        paused = self.secc.paused
        joined = paused is not None and asked == paused[0] and paused[1] == self.protocol.key
        if joined:
            self.session_id = asked
            code = "OK_OldSessionJoined"
        else:
            self.session_id = bytes(self.secc.rng.getrandbits(8) for _ in range(8))
            code = "OK_NewSessionEstablished"
        self.secc.paused = None
        self._set_up = True
        self.status.stop_requested = False
        evcc_id = bytes(request.EVCCID)
        self.notify("session_started", {"protocol": self.protocol.key, "joined": joined,
                                        "session_id": self.session_id.hex().upper()})
        self.notify("evcc_id", ":".join(f"{b:02X}" for b in evcc_id))
        return self._body("SessionSetupRes", ResponseCode=code,
                          EVSEID=self.protocol.evse_id(self.config.evse_id),
                          EVSETimeStamp=int(self.env.now), DateTimeNow=int(self.env.now))

    @on("ServiceDiscoveryReq")
    def service_discovery(self, request: Any) -> Any:
        assert self.protocol is not None
        p = self.protocol
        modes = [m for m in self.config.energy_modes if m in p.energy_modes]
        options = list(self.config.payment_options)
        tag = dict(ServiceID=CHARGE_SERVICE_ID, ServiceName="AC_DC_Charging",
                   ServiceCategory="EVCharging")
        if p.key == "iso2":
            service = p.data("ChargeServiceType", **tag, FreeService=self.config.free_service,
                             SupportedEnergyTransferMode=p.data(
                                 "SupportedEnergyTransferModeType", EnergyTransferMode=modes))
            return self._body("ServiceDiscoveryRes", ResponseCode="OK", ChargeService=service,
                              PaymentOptionList=p.data("PaymentOptionListType",
                                                       PaymentOption=options))
        service = p.data("ServiceChargeType", ServiceTag=p.data("ServiceTagType", **tag),
                         FreeService=self.config.free_service,
                         EnergyTransferType=modes[0] if modes else "DC_extended")
        return self._body("ServiceDiscoveryRes", ResponseCode="OK", ChargeService=service,
                          PaymentOptions=p.data("PaymentOptionsType", PaymentOption=options))

    @on("ServiceDetailReq")
    def service_detail(self, request: Any) -> Any:
        code = "OK" if request.ServiceID == CHARGE_SERVICE_ID else "FAILED_ServiceIDInvalid"
        return self._body("ServiceDetailRes", ResponseCode=code, ServiceID=request.ServiceID)

    @on("PaymentServiceSelectionReq", "ServicePaymentSelectionReq")
    def payment_selection(self, request: Any) -> Any:
        assert self.protocol is not None
        name = response_name(self.protocol.payment_selection)
        option = str(request.SelectedPaymentOption)
        if option not in self.config.payment_options:
            return self._body(name, ResponseCode="FAILED_PaymentSelectionInvalid")
        services = [s.ServiceID for s in request.SelectedServiceList.SelectedService]
        if CHARGE_SERVICE_ID not in services:
            code = "FAILED_NoChargeServiceSelected" if self.protocol.key == "iso2" \
                else "FAILED_ServiceSelectionInvalid"
            return self._body(name, ResponseCode=code)
        self.notify("selected_payment_option", option)
        if self.status.authorization is None:
            self.notify("require_auth_eim")
        return self._body(name, ResponseCode="OK")

    @on("AuthorizationReq", "ContractAuthenticationReq")
    def authorization(self, request: Any) -> Any:
        assert self.protocol is not None
        name = response_name(self.protocol.authorization)
        if getattr(request, "GenChallenge", None):
            return self._body(name, ResponseCode="FAILED_ChallengeInvalid",
                              EVSEProcessing="Finished")
        decision = self.status.authorization
        if decision is None:
            return self._body(name, ResponseCode="OK", EVSEProcessing="Ongoing")
        return self._body(name, ResponseCode="OK" if decision == "Accepted" else "FAILED",
                          EVSEProcessing="Finished")

    @on("ChargeParameterDiscoveryReq")
    def charge_parameter_discovery(self, request: Any) -> Any:
        assert self.protocol is not None
        p = self.protocol
        mode = p.requested_mode(request)
        ac = mode in AC_MODES
        failed = None
        if mode not in self.config.energy_modes or mode not in p.energy_modes:
            failed = "FAILED_WrongEnergyTransferMode" if p.key == "iso2" \
                else "FAILED_WrongEnergyTransferType"
        parameter = request.EVChargeParameter
        if failed is None and ac != type(parameter).__name__.startswith("AC_"):
            failed = "FAILED_WrongChargeParameter"
        if failed is not None:
            return failure_body(p, "ChargeParameterDiscoveryRes", failed,
                                "AC" if ac else "DC")
        self.mode = mode
        self.transfer = "AC" if ac else "DC"
        self.notify("requested_energy_transfer_mode", mode)
        self.notify("ev_charge_parameters", self._ev_parameters(parameter))
        status = self.status
        if ac:
            self.ev_max_voltage_v = value_of(parameter.EVMaxVoltage)
            max_power = status.ac_max_current_a * status.ac_nominal_voltage_v * 3
            evse_parameter = p.data(
                "AC_EVSEChargeParameterType", AC_EVSEStatus=self._ac_status(),
                EVSENominalVoltage=self._pv(status.ac_nominal_voltage_v, "V"),
                EVSEMaxVoltage=self._pv(status.ac_nominal_voltage_v, "V"),
                EVSEMaxCurrent=self._pv(status.ac_max_current_a, "A"),
                EVSEMinCurrent=self._pv(6, "A"))
        else:
            self.ev_max_voltage_v = value_of(parameter.EVMaximumVoltageLimit)
            max_power = status.dc_max_power_w
            evse_parameter = p.data(
                "DC_EVSEChargeParameterType", DC_EVSEStatus=self._dc_status(),
                EVSEMaximumCurrentLimit=self._pv(status.dc_max_current_a, "A"),
                EVSEMaximumPowerLimit=self._pv(status.dc_max_power_w, "W"),
                EVSEMaximumVoltageLimit=self._pv(status.dc_max_voltage_v, "V"),
                EVSEMinimumCurrentLimit=self._pv(status.dc_min_current_a, "A"),
                EVSEMinimumVoltageLimit=self._pv(status.dc_min_voltage_v, "V"),
                EVSEPeakCurrentRipple=self._pv(status.dc_peak_current_ripple_a, "A"))
        self.status.renegotiation_requested = False
        return self._body("ChargeParameterDiscoveryRes", ResponseCode="OK",
                          EVSEProcessing="Finished", SASchedules=self._schedules(max_power),
                          EVSEChargeParameter=evse_parameter)

    def _schedules(self, max_power_w: float) -> Any:
        p = self.protocol
        assert p is not None
        interval = p.data("RelativeTimeIntervalType", start=0, duration=86400)
        pmax = p.physical(max_power_w, "W") if p.key == "iso2" \
            else min(32767, int(max_power_w / 1000))  # DIN: an integer (kW here)
        entry = p.data("PMaxScheduleEntryType", TimeInterval=interval, PMax=pmax)
        schedule = p.data("PMaxScheduleType", PMaxScheduleID=SCHEDULE_ID,
                          PMaxScheduleEntry=[entry])
        tuple_ = p.data("SAScheduleTupleType", SAScheduleTupleID=SCHEDULE_ID,
                        PMaxSchedule=schedule)
        return p.data("SAScheduleListType", SAScheduleTuple=[tuple_])

    def _ev_parameters(self, parameter: Any) -> dict:
        values: dict[str, Any] = {}
        for name, value in vars(parameter).items():
            if value is None:
                continue
            if hasattr(value, "Multiplier"):
                values[name] = value_of(value)
            elif hasattr(value, "EVRESSSOC"):
                values["soc"] = value.EVRESSSOC
            else:
                values[name] = value
        return values

    def _ev_status(self, ev_status: Any) -> None:
        self.notify("dc_ev_status", {"ready": bool(ev_status.EVReady),
                                     "error": str(ev_status.EVErrorCode),
                                     "soc": ev_status.EVRESSSOC})

    @on("CableCheckReq")
    def cable_check(self, request: Any) -> Any:
        self._ev_status(request.DC_EVStatus)
        if self.previous_state != "CableCheckReq":
            self.status.cable_check = None
            self.notify("start_cable_check", {"voltage_v": self._cable_check_voltage()})
        outcome = self.status.cable_check
        processing = "Ongoing" if outcome is None else "Finished"
        code = "FAILED" if outcome is False else "OK"
        return self._body("CableCheckRes", ResponseCode=code, DC_EVSEStatus=self._dc_status(),
                          EVSEProcessing=processing)

    def _cable_check_voltage(self) -> float:
        """The test voltage (IEC 61851-23 as cited in the facts): for a car of at most
        500 V the lowest of 500 V and its maximum + 50 V, else 1.1 times its maximum; never
        above the charger's maximum."""
        ev_max = self.ev_max_voltage_v
        wanted = min(500.0, ev_max + 50.0) if ev_max <= 500 else 1.1 * ev_max
        return min(wanted, self.status.dc_max_voltage_v)

    @on("PreChargeReq")
    def pre_charge(self, request: Any) -> Any:
        self._ev_status(request.DC_EVStatus)
        if self.previous_state != "PreChargeReq":
            self.notify("start_pre_charge")
        self.notify("dc_ev_target_voltage_current",
                    {"voltage_v": value_of(request.EVTargetVoltage),
                     "current_a": value_of(request.EVTargetCurrent)})
        return self._body("PreChargeRes", ResponseCode="OK", DC_EVSEStatus=self._dc_status(),
                          EVSEPresentVoltage=self._pv(self.status.present_voltage_v, "V"))

    @on("PowerDeliveryReq")
    def power_delivery(self, request: Any) -> Any:
        assert self.protocol is not None
        progress = self.protocol.power_delivery_progress(request)
        self.state = f"PowerDeliveryReq:{progress}"
        schedule = getattr(request, "SAScheduleTupleID", SCHEDULE_ID)
        code = "OK"
        if schedule != SCHEDULE_ID:
            code = "FAILED_TariffSelectionInvalid"
        elif progress == "Start" and (self.status.error or self.status.stop_requested):
            code = "FAILED_PowerDeliveryNotApplied"
        if code == "OK":
            if progress == "Start":
                self.notify("v2g_setup_finished")
                if self.transfer == "AC":
                    self.notify("ac_close_contactor")
            elif progress == "Stop":
                if self.transfer == "AC":
                    self.notify("ac_open_contactor")
                else:
                    self.notify("current_demand_finished")
                    self.notify("dc_open_contactor")
            else:
                self.notify("renegotiation_requested")
        return self._body("PowerDeliveryRes", ResponseCode=code,
                          EVSEStatus=self._evse_status())

    @on("ChargingStatusReq")
    def charging_status(self, request: Any) -> Any:
        assert self.protocol is not None
        return self._body(
            "ChargingStatusRes", ResponseCode="OK",
            EVSEID=self.protocol.evse_id(self.config.evse_id), SAScheduleTupleID=SCHEDULE_ID,
            EVSEMaxCurrent=self._pv(self.status.ac_max_current_a, "A"),
            ReceiptRequired=self.status.receipt_required, AC_EVSEStatus=self._ac_status())

    @on("CurrentDemandReq")
    def current_demand(self, request: Any) -> Any:
        assert self.protocol is not None
        if self.previous_state == "PowerDeliveryReq:Start":
            self.notify("current_demand_started")
        self._ev_status(request.DC_EVStatus)
        target_v = value_of(request.EVTargetVoltage)
        target_a = value_of(request.EVTargetCurrent)
        self.notify("dc_ev_target_voltage_current", {"voltage_v": target_v,
                                                     "current_a": target_a})
        status = self.status
        return self._body(
            "CurrentDemandRes", ResponseCode="OK", DC_EVSEStatus=self._dc_status(),
            EVSEPresentVoltage=self._pv(status.present_voltage_v, "V"),
            EVSEPresentCurrent=self._pv(status.present_current_a, "A"),
            EVSECurrentLimitAchieved=target_a >= status.dc_max_current_a,
            EVSEVoltageLimitAchieved=target_v >= status.dc_max_voltage_v,
            EVSEPowerLimitAchieved=target_v * target_a >= status.dc_max_power_w,
            EVSEMaximumVoltageLimit=self._pv(status.dc_max_voltage_v, "V"),
            EVSEMaximumCurrentLimit=self._pv(status.dc_max_current_a, "A"),
            EVSEMaximumPowerLimit=self._pv(status.dc_max_power_w, "W"),
            EVSEID=self.protocol.evse_id(self.config.evse_id), SAScheduleTupleID=SCHEDULE_ID,
            ReceiptRequired=status.receipt_required)

    @on("MeteringReceiptReq")
    def metering_receipt(self, request: Any) -> Any:
        return self._body("MeteringReceiptRes", ResponseCode="OK",
                          EVSEStatus=self._evse_status(), AC_EVSEStatus=self._ac_status())

    @on("WeldingDetectionReq")
    def welding_detection(self, request: Any) -> Any:
        self._ev_status(request.DC_EVStatus)
        return self._body("WeldingDetectionRes", ResponseCode="OK",
                          DC_EVSEStatus=self._dc_status(),
                          EVSEPresentVoltage=self._pv(self.status.present_voltage_v, "V"))

    @on("SessionStopReq")
    def session_stop(self, request: Any) -> Any:
        assert self.protocol is not None
        pause = str(getattr(request, "ChargingSession", "Terminate")) == "Pause"
        self.end_after_response = "paused by the car" if pause else "stopped by the car"
        if pause:
            self.secc.paused = (self.session_id, self.protocol.key)
            self.notify("session_paused", self.session_id.hex().upper())
        return self._body("SessionStopRes", ResponseCode="OK")
