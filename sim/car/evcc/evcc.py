"""The EVCC: the car's side of an ISO 15118-2 or DIN SPEC 70121 session.

:class:`Evcc` belongs to one car and outlives connections (a paused ISO 15118-2 session is
resumed over a new one); :meth:`Evcc.connect` runs one connection as an
:class:`EvccSession`. Its handlers are routed by response type, one each, and return the next
request, so the sequence of the standard reads as the chain of handlers. A response of another
type than the request's, a FAILED response code, a wrong session id or a missing response
(the timers of :mod:`charger.iso15118.timeouts`) ends the session with the reason.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import simpy

from charger.iso15118.engine import Engine, Listener, MessageHook, on
from charger.iso15118.link import Link
from charger.iso15118.protocols import AC_MODES, PROTOCOLS, response_name, value_of
from charger.iso15118.timeouts import Timeouts
from charger.v2g import app_protocol
from sim.car.evcc.boundary import EV_FAULTS, EVCC_EVENTS, EvccConfig, EvStatus

# Optional requests our car does not send: it needs no value-added service details and signs
# no meter receipts.
NOT_SENT_BY_THE_CAR = frozenset({"ServiceDetailReq", "MeteringReceiptReq"})


class Evcc:
    """The EVCC of one car."""

    def __init__(self, env: simpy.Environment, config: EvccConfig | None = None, *,
                 status: EvStatus | None = None, timeouts: Timeouts | None = None,
                 hook: MessageHook | None = None, listener: Listener | None = None,
                 rng: random.Random | None = None):
        self.env = env
        self.config = config or EvccConfig()
        if self.config.fault is not None and self.config.fault not in EV_FAULTS:
            raise ValueError(f"unknown EV fault {self.config.fault!r}: expected one of "
                             f"{', '.join(EV_FAULTS)}")
        self.status = status or EvStatus()
        self.timeouts = timeouts or Timeouts()
        self.hook = hook
        self.listener = listener
        self.rng = rng or random.Random(0)
        self.session: EvccSession | None = None
        self.paused_session: tuple[bytes, str] | None = None  # (id, protocol) to resume
        self.wants: str | None = None  # "stop", "pause" or "renegotiate", asked by the car

    def connect(self, link: Link) -> EvccSession:
        """Start a session over a new connection (resuming a paused one if there is one)."""
        self.wants = None
        self.session = EvccSession(self, link)
        return self.session

    # --- the car's commands -----------------------------------------------------------------
    def stop_charging(self) -> None:
        """End the session: PowerDelivery Stop (welding detection for DC), SessionStop."""
        self.wants = "stop"

    def pause_charging(self) -> None:
        """ISO 15118-2: PowerDelivery Stop, then SessionStop Pause (DIN cannot pause: stop)."""
        self.wants = "pause"

    def renegotiate(self) -> None:
        """ISO 15118-2: PowerDelivery Renegotiate, then a new ChargeParameterDiscovery."""
        self.wants = "renegotiate"


class EvccSession(Engine):
    """One connection of the EVCC."""

    EVENTS = EVCC_EVENTS

    def __init__(self, evcc: Evcc, link: Link):
        super().__init__(evcc.env, link, timeouts=evcc.timeouts, hook=evcc.hook,
                         listener=evcc.listener)
        self.evcc = evcc
        self.config = evcc.config
        self.ev = evcc.status
        self.ac = self.config.energy_mode in AC_MODES
        self.waiting: str | None = None  # the request whose response we wait for
        self._sent = 0  # counts requests: a response timer belongs to one of them
        self._phase_started: dict[str, float] = {}
        self._welding_requests = 0
        self._cable_checked = False  # a renegotiation goes straight back to PowerDelivery
        self._set_up = False
        self.schedule_id = 1
        self.stopping: str | None = None  # "stop" or "pause" once PowerDelivery Stop is sent
        self.delivery = ""  # the ChargeProgress of the last PowerDeliveryReq
        self.env.process(self._begin())

    # --- sending and timers -----------------------------------------------------------------
    def _begin(self) -> Generator:
        yield self.env.timeout(0)
        self.env.process(self._communication_setup_timer())
        protocols = [PROTOCOLS[key] for key in self.config.protocols]
        offer = [app_protocol.AppProtocolType(
            ProtocolNamespace=p.namespace, VersionNumberMajor=p.major,
            VersionNumberMinor=p.minor, SchemaID=index + 1, Priority=index + 1)
            for index, p in enumerate(protocols)]
        self._schema_ids = {index + 1: p for index, p in enumerate(protocols)}
        self.waiting = "supportedAppProtocolReq"
        self.send_app(app_protocol.supportedAppProtocolReq(AppProtocol=offer))
        self._start_response_timer(self.timeouts["msg"])

    def _communication_setup_timer(self) -> Generator:
        yield self.env.any_of([self.env.timeout(self.timeouts["ev_communication_setup"]),
                               self.finished])
        if not self._set_up and not self.finished.triggered:
            self.finish("timeout: no SessionSetupRes within V2G_EVCC_CommunicationSetup_Timeout")

    def request(self, body: Any) -> None:
        assert self.protocol is not None
        name = self.protocol.body_name(body)
        fault = self.config.fault
        if fault and self.config.fault_message == name:
            if fault == "silent_before":
                self.waiting = None
                return
            if fault == "garbage_before":
                self.send_garbage(self.evcc.rng.randbytes(24), f"garbage instead of {name}")
                self.waiting = name
                self._start_response_timer(self.timeouts.response(name))
                return
        self.waiting = name
        self.send_body(body)
        self._start_response_timer(self.timeouts.response(name))

    def _start_response_timer(self, seconds: float) -> None:
        self._sent += 1
        mine = self._sent
        waiting = self.waiting

        def expire(_event: Any) -> None:
            if self._sent == mine and self.waiting == waiting and not self.finished.triggered:
                self.finish(f"timeout: no response to {waiting} within {seconds:g} s")

        self.env.timeout(seconds).callbacks.append(expire)

    def _phase(self, name: str, timer: str) -> bool:
        """Whether the phase ``name`` (repeated requests answered Ongoing) is still within its
        timer; ends the session when it is not."""
        started = self._phase_started.setdefault(name, self.env.now)
        if self.env.now - started > self.timeouts[timer]:
            self.finish(f"timeout: {name} not finished within {self.timeouts[timer]:g} s")
            return False
        return True

    # --- routing ----------------------------------------------------------------------------
    def route(self, name: str, message: Any) -> None:
        expected = response_name(self.waiting or "")
        if name != expected:
            self.finish(f"sequence error: expected {expected or 'nothing'}, got {name}")
            return
        self._sent += 1  # the response came: its timer is void
        self.waiting = None
        if self.namespace == "app":
            self.run_handler(name, self.supported_app_protocol, message)
            return
        session = bytes(message.Header.SessionID)
        if name != "SessionSetupRes" and session != self.session_id:
            self.finish(f"{name} for unknown session {session.hex().upper()}")
            return
        body = message.Body.BodyElement
        code = str(getattr(body, "ResponseCode", "OK"))
        if code.startswith("FAILED"):
            self.finish(f"{name} {code}")
            return
        if name == "SessionSetupRes":
            self.session_id = session
        super().route(name, body)

    def handled(self, name: str, result: Any) -> None:
        if result is not None and not self.finished.triggered:
            self.request(result)

    def ended(self, reason: str) -> None:
        self.notify("session_finished", reason)

    # --- helpers ----------------------------------------------------------------------------
    def _pv(self, value: float, unit: str) -> Any:
        assert self.protocol is not None
        return self.protocol.physical(value, unit)

    def _body(self, name: str, **fields: Any) -> Any:
        assert self.protocol is not None
        return self.protocol.body(name, **fields)

    def _dc_status(self, in_loop: bool = False) -> Any:
        assert self.protocol is not None
        error = self.ev.error
        if in_loop and self.config.fault == "ev_error_in_loop":
            error = "FAILED_EVRESSMalfunction"
        soc = round(self.ev.soc_pct) if self.config.fills_optional else 0
        return self.protocol.data("DC_EVStatusType", EVReady=self.ev.ready,
                                  EVErrorCode=error, EVRESSSOC=max(0, min(100, soc)))

    def _wait(self, seconds: float) -> Generator:
        if seconds > 0:
            yield self.env.timeout(seconds)

    # --- handlers ---------------------------------------------------------------------------
    def supported_app_protocol(self, response: Any) -> Any:
        if str(response.ResponseCode) == "Failed_NoNegotiation" or response.SchemaID is None:
            self.finish("no common protocol")
            return None
        protocol = self._schema_ids.get(response.SchemaID)
        if protocol is None:
            self.finish(f"the charger chose SchemaID {response.SchemaID}, which was not offered")
            return None
        self.choose(protocol.namespace)
        paused = self.evcc.paused_session
        if paused is not None and paused[1] == protocol.key:
            self.session_id = paused[0]
        return self._body("SessionSetupReq", EVCCID=self.config.evcc_id)

    @on("SessionSetupRes")
    def session_setup(self, response: Any) -> Any:
        assert self.protocol is not None
        self._set_up = True
        joined = str(response.ResponseCode) == "OK_OldSessionJoined"
        self.evcc.paused_session = None
        self.notify("session_started", {"protocol": self.protocol.key, "joined": joined,
                                        "session_id": self.session_id.hex().upper()})
        return self._body("ServiceDiscoveryReq")

    @on("ServiceDiscoveryRes")
    def service_discovery(self, response: Any) -> Any:
        assert self.protocol is not None
        p = self.protocol
        options = (response.PaymentOptionList if p.key == "iso2"
                   else response.PaymentOptions).PaymentOption
        if self.config.payment_option not in [str(o) for o in options]:
            self.finish(f"the charger does not offer {self.config.payment_option}")
            return None
        service = response.ChargeService
        if p.key == "iso2":
            modes = [str(m) for m in service.SupportedEnergyTransferMode.EnergyTransferMode]
            service_id = service.ServiceID
        else:
            modes = [str(service.EnergyTransferType)]
            service_id = service.ServiceTag.ServiceID
        if self.config.energy_mode not in modes and p.key == "iso2":
            self.finish(f"the charger does not offer {self.config.energy_mode}")
            return None
        selected = p.data("SelectedServiceType", ServiceID=service_id)
        return self._body(p.payment_selection, SelectedPaymentOption=self.config.payment_option,
                          SelectedServiceList=p.data("SelectedServiceListType",
                                                     SelectedService=[selected]))

    @on("PaymentServiceSelectionRes", "ServicePaymentSelectionRes")
    def payment_selection(self, response: Any) -> Any:
        assert self.protocol is not None
        return self._body(self.protocol.authorization)

    @on("AuthorizationRes", "ContractAuthenticationRes")
    def authorization(self, response: Any) -> Generator:
        assert self.protocol is not None
        if str(response.EVSEProcessing) != "Finished":
            if not self._phase("authorization", "ev_ongoing"):
                return None
            yield from self._wait(self.config.ongoing_interval_s)
            return self._body(self.protocol.authorization)
        self.notify("authorized")
        return self._charge_parameter_discovery()

    def _charge_parameter_discovery(self) -> Any:
        assert self.protocol is not None
        p, ev, full = self.protocol, self.ev, self.config.fills_optional
        if self.ac:
            parameter = p.data(
                "AC_EVChargeParameterType",
                DepartureTime=(ev.departure_s or 0) if p.key == "din" else ev.departure_s,
                EAmount=self._pv(ev.energy_request_wh, "Wh"),
                EVMaxVoltage=self._pv(ev.ac_max_voltage_v, "V"),
                EVMaxCurrent=self._pv(ev.max_current_a, "A"),
                EVMinCurrent=self._pv(ev.min_current_a, "A"))
        else:
            parameter = p.data(
                "DC_EVChargeParameterType", DepartureTime=ev.departure_s,
                DC_EVStatus=self._dc_status(),
                EVMaximumCurrentLimit=self._pv(ev.max_current_a, "A"),
                EVMaximumPowerLimit=self._pv(ev.max_power_w, "W"),
                EVMaximumVoltageLimit=self._pv(ev.max_voltage_v, "V"),
                EVEnergyCapacity=self._pv(ev.capacity_wh, "Wh") if full else None,
                EVEnergyRequest=self._pv(ev.energy_request_wh, "Wh") if full else None,
                FullSOC=100 if full else None, BulkSOC=80 if full else None)
        return self._body("ChargeParameterDiscoveryReq",
                          RequestedEnergyTransferMode=self.config.energy_mode,
                          EVRequestedEnergyTransferType=self.config.energy_mode,
                          MaxEntriesSAScheduleTuple=None, EVChargeParameter=parameter)

    @on("ChargeParameterDiscoveryRes")
    def charge_parameter_discovery(self, response: Any) -> Generator:
        if str(response.EVSEProcessing) != "Finished":
            if not self._phase("charge_parameter_discovery", "ev_ongoing"):
                return None
            yield from self._wait(self.config.ongoing_interval_s)
            return self._charge_parameter_discovery()
        self._phase_started.pop("charge_parameter_discovery", None)
        schedules = response.SASchedules
        if schedules is not None and schedules.SAScheduleTuple:
            self.schedule_id = schedules.SAScheduleTuple[0].SAScheduleTupleID
        limits = {name: value_of(value) for name, value in
                  vars(response.EVSEChargeParameter).items() if hasattr(value, "Multiplier")}
        self.notify("charge_parameters", limits)
        if self.ac or self._cable_checked:
            return self._power_delivery("Start")
        return self._body("CableCheckReq", DC_EVStatus=self._dc_status())

    def _power_delivery(self, progress: str) -> Any:
        assert self.protocol is not None
        self.delivery = progress
        parameter = None
        if not self.ac:
            parameter = self.protocol.data(
                "DC_EVPowerDeliveryParameterType", DC_EVStatus=self._dc_status(),
                ChargingComplete=progress == "Stop" and self.ev.charging_complete,
                BulkChargingComplete=None)
        return self.protocol.power_delivery_request(progress, self.schedule_id,
                                                    EVPowerDeliveryParameter=parameter)

    @on("CableCheckRes")
    def cable_check(self, response: Any) -> Generator:
        if str(response.EVSEProcessing) != "Finished":
            if not self._phase("cable_check", "ev_cable_check"):
                return None
            yield from self._wait(self.config.ongoing_interval_s)
            return self._body("CableCheckReq", DC_EVStatus=self._dc_status())
        self._cable_checked = True
        self.notify("cable_check_finished")
        return self._pre_charge()

    def _pre_charge(self) -> Any:
        return self._body("PreChargeReq", DC_EVStatus=self._dc_status(),
                          EVTargetVoltage=self._pv(self.ev.battery_voltage_v, "V"),
                          EVTargetCurrent=self._pv(2.0, "A"))

    @on("PreChargeRes")
    def pre_charge(self, response: Any) -> Generator:
        present = value_of(response.EVSEPresentVoltage)
        if abs(present - self.ev.battery_voltage_v) > self.config.pre_charge_tolerance_v:
            if not self._phase("pre_charge", "ev_pre_charge"):
                return None
            yield from self._wait(self.config.loop_interval_s)
            return self._pre_charge()
        self.notify("pre_charge_finished", present)
        return self._power_delivery("Start")

    @on("PowerDeliveryRes")
    def power_delivery(self, response: Any) -> Generator:
        assert self.protocol is not None
        if self.delivery == "Start":
            self.notify("power_delivery_started")
            yield from self._wait(self.config.loop_interval_s)
            return self._loop_request()
        if self.delivery == "Renegotiate":
            return self._charge_parameter_discovery()
        self.notify("power_delivery_stopped")
        if not self.ac:
            return self._body("WeldingDetectionReq", DC_EVStatus=self._dc_status())
        return self._session_stop()

    def _session_stop(self) -> Any:
        pause = self.stopping == "pause" and self.protocol is not None \
            and self.protocol.key == "iso2"
        return self._body("SessionStopReq", ChargingSession="Pause" if pause else "Terminate")

    def _loop_request(self) -> Any:
        if self.ac:
            return self._body("ChargingStatusReq")
        ev, full = self.ev, self.config.fills_optional
        return self._body(
            "CurrentDemandReq", DC_EVStatus=self._dc_status(in_loop=True),
            EVTargetCurrent=self._pv(ev.target_current_a, "A"),
            EVMaximumVoltageLimit=self._pv(ev.max_voltage_v, "V"),
            EVMaximumCurrentLimit=self._pv(ev.max_current_a, "A"),
            EVMaximumPowerLimit=self._pv(ev.max_power_w, "W"),
            BulkChargingComplete=False if full else None,
            ChargingComplete=ev.charging_complete,
            RemainingTimeToFullSoC=self._pv(3600, "s") if full else None,
            EVTargetVoltage=self._pv(ev.target_voltage_v, "V"))

    @on("ChargingStatusRes", "CurrentDemandRes")
    def charging_loop(self, response: Any) -> Generator:
        assert self.protocol is not None
        if not self.ac:
            self.notify("present_values", {
                "voltage_v": value_of(response.EVSEPresentVoltage),
                "current_a": value_of(response.EVSEPresentCurrent)})
        status = response.AC_EVSEStatus if self.ac else response.DC_EVSEStatus
        notification = str(status.EVSENotification)
        if notification != "None":
            self.notify("evse_notification", notification)
        wants = self.evcc.wants
        if notification == "StopCharging" or wants == "stop" or self.ev.charging_complete:
            self.stopping = "stop"
            return self._power_delivery("Stop")
        if wants == "pause":
            self.stopping = "pause"
            return self._power_delivery("Stop")
        if (wants == "renegotiate" or notification == "ReNegotiation") \
                and self.protocol.key == "iso2":
            self.evcc.wants = None
            return self._power_delivery("Renegotiate")
        yield from self._wait(self.config.loop_interval_s)
        return self._loop_request()

    @on("WeldingDetectionRes")
    def welding_detection(self, response: Any) -> Generator:
        self._welding_requests += 1
        if value_of(response.EVSEPresentVoltage) > self.config.welding_voltage_v \
                and self._welding_requests < self.config.welding_max_requests:
            yield from self._wait(self.config.ongoing_interval_s)
            return self._body("WeldingDetectionReq", DC_EVStatus=self._dc_status())
        return self._session_stop()

    @on("SessionStopRes")
    def session_stop(self, response: Any) -> None:
        if self.stopping == "pause" and self.protocol is not None and self.protocol.key == "iso2":
            self.evcc.paused_session = (self.session_id, self.protocol.key)
            self.notify("session_paused", self.session_id.hex().upper())
            self.finish("paused by the car")
        else:
            self.finish("stopped by the car" if self.evcc.wants in ("stop", "pause")
                        or self.ev.charging_complete else "stopped by the charger")
        return None
