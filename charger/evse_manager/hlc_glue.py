"""The bus glue of the HLC and DC sub-machines (``hlc.py``, ``dc.py``) inside the EVSE manager.

In ``charge_mode`` AC_HLC or DC the manager owns one :class:`HlcGlue`. It turns what the SLAC
module, the SECC (``Iso15118Charger``) and the DC hardware report into the sub-machines'
events, feeds them with the time, keeps one timer per machine for the current state's
deadline, and carries out the actions each step returns, through the tables below (one entry
per action the machines declare; a test holds them together). Everything that concerns the
pilot, the transaction and the faults stays the manager's: the glue asks it through a few
methods (``hlc_pwm_changed``, ``hlc_power_changed``, ``hlc_failed``, ``dc_power_flowing``).

Everything one report causes (a SessionStop ends the V2G session, which stops the PWM, which
ends the transaction) is applied inside the manager's ``settling()``: the session state moves
once, on the whole outcome.

The charger's own pause (``charger_pause``, the manager's ``pause_charging``) goes through the
standards' means: on DC the output current is held at 0 A and the maximum current and power
limits the SECC reports drop to 0 (DIN SPEC 70121 and ISO 15118-2: CurrentDemandRes; the car
sees EVSECurrentLimitAchieved); on AC_HLC the offer (EVSEMaxCurrent) drops to 0 A. On ISO
15118-2 the SECC also asks for a ReNegotiation (EVSENotification), so the car fetches the new
limits and schedule (PMax 0) by ChargeParameterDiscovery; the resume restores them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from charger.dc_rules import (
    CABLE_CHECK_CURRENT_LIMIT_A,
    IsolationLevel,
    isolation_level,
    over_voltage_limit,
)
from charger.evse_manager.dc import DC, SAFE_VOLTAGE_V
from charger.evse_manager.hlc import HLC
from charger.evse_manager.submachine import Input, Run, Step
from charger.framework import CommandError, ErrorReport

if TYPE_CHECKING:
    from charger.evse_manager.module import EvseManager

WELDING_POLL_S = 0.5  # how often the cable voltage is read during welding detection

# How the SECC's session_finished reason begins after a SessionStop (either side's stop).
NORMAL_END = "stopped by"


class HlcGlue:
    def __init__(self, manager: EvseManager):
        self.m = manager
        self.env = manager.env
        self.dc_mode = manager.config["charge_mode"] == "DC"
        self.slac = manager.require("slac")
        self.secc = manager.require("hlc")
        self.hlc = Run(HLC)
        self.dc = Run(DC)
        self._timers = {"hlc": 0, "dc": 0}
        self.auth_requested = False
        self.ac_contactor_requested = False
        self.ev_target: tuple[float, float] = (0.0, 0.0)
        self.ev_max_voltage_v = 0.0
        self.cable_check_v = 0.0
        self.present: tuple[float, float] = (0.0, 0.0)
        self.capabilities: dict | None = None
        self.failure = ""
        self.basic_fallback = False  # AC_HLC: the car did not match; basic charging instead
        self.paused = False  # a session paused by the car (ISO 15118-2), to be joined again
        self.car_paused = False  # ... and not joined yet (the manager's ChargingPausedEV)
        self.charger_paused = False  # the charger pauses (no current, limits 0)
        self.demand_seen = False  # a CurrentDemandReq since PowerDelivery Start: car closed
        self._ac_offer: float | None = None
        self._supply_mode: tuple[str, str] = ("Off", "")
        self._supply_setpoint: tuple[float, float] | None = None
        self.slac.subscribe("dlink_ready", self._on_dlink)
        self.slac.subscribe("request_error_routine", lambda _v: self.feed("slac_failed"))
        for event in ("session_started", "selected_payment_option", "require_auth_eim",
                      "ev_charge_parameters", "start_cable_check", "start_pre_charge",
                      "dc_ev_target_voltage_current", "v2g_setup_finished",
                      "ac_close_contactor", "ac_open_contactor", "dc_open_contactor",
                      "session_paused", "session_finished", "v2g_message"):
            self.secc.subscribe(event, self._secc_handler(event))
        self.supply = self.contactors = self.imd = self.ovp = None
        if self.dc_mode:
            self.supply = manager.require("power_supply")
            self.contactors = manager.require("dc_contactors")
            self.imd = manager.require("imd")
            self.ovp = manager.optional("ovp")
            self.supply.subscribe("voltage_current", self._on_supply_reading)
            self.supply.subscribe("capabilities", self._on_capabilities)
            self.imd.subscribe("isolation_measurement", self._on_isolation)
            self.contactors.subscribe("state", self._on_contactors)
            for requirement in (self.supply, self.contactors, self.imd, self.ovp):
                if requirement is not None:
                    requirement.on_error(self._on_dc_error)

    # --- what the manager reports ----------------------------------------------------------
    def plugged(self) -> None:
        self.basic_fallback = False
        self.failure = ""
        self.paused = self.car_paused = self.demand_seen = False
        self.auth_requested = self.ac_contactor_requested = False
        self.hlc = Run(HLC)
        self.dc = Run(DC)
        self.slac.send("enter_bcd")
        self.feed("car_plugged")

    def unplugged(self) -> None:
        self.car_paused = self.charger_paused = False
        self.slac.send("leave_bcd")
        self.feed("car_unplugged")
        if self.dc.state not in ("Idle", "Finished", "Failed"):
            self.feed_dc("session_stopped")
        self._publish_phase()

    def authorized(self) -> None:
        """The manager's authorize() accepted a token: answer a waiting EIM request."""
        if self.auth_requested:
            self.secc.send("authorization_response", authorization_status="Accepted")
            self.feed("authorized")

    def charger_stop(self) -> None:
        """The transaction was stopped from the charger's side (OCPP, API, a fault)."""
        if self.hlc.state in ("Off", "Finished", "Failed"):
            return
        self.secc.send("stop_charging", stop=True)
        self.feed("charger_stop")

    def fault(self) -> None:
        """A fault of the manager's table is held: no DC energy, the car is told."""
        if self.dc_mode and self.dc.state not in ("Idle", "Finished", "Failed"):
            self.feed_dc("supply_fault")
        if self.hlc.state not in ("Off", "Finished", "Failed"):
            self.secc.send("send_error", error="Malfunction")

    def charger_pause(self, paused: bool) -> None:
        """The charger pauses or resumes (module docstring): the car is told by the limits,
        and on ISO 15118-2 by a ReNegotiation; DC energy stops or flows again at once."""
        if paused == self.charger_paused:
            return
        self.charger_paused = paused
        if self.dc_mode:
            self._send_dc_limits()
            if self.dc.state == "CurrentDemand":
                self._follow_demand()
        if self.hlc.state not in ("Off", "Finished", "Failed"):
            self.secc.send("request_renegotiation")

    @property
    def car_ending(self) -> bool:
        """The car's PowerDelivery Stop was seen and its SessionStop was not yet."""
        return self.hlc.state == "Stopping"

    def offer_ac_current(self, amps: float) -> None:
        """AC_HLC: the current the car may draw goes to the SECC (EVSEMaxCurrent)."""
        if amps != self._ac_offer:
            self._ac_offer = amps
            self.secc.send("update_ac_max_current", max_current=float(amps))

    @property
    def wants_pwm(self) -> bool:
        return self.hlc.state not in ("Off", "Finished", "Failed")

    @property
    def ac_power_wanted(self) -> bool:
        return self.hlc.state == "Powering" and self.ac_contactor_requested

    # --- feeding the machines --------------------------------------------------------------
    def feed(self, event: str, value: Any = None) -> Step:
        return self._feed("hlc", self.hlc, event, value)

    def feed_dc(self, event: str, value: Any = None) -> Step:
        return self._feed("dc", self.dc, event, value)

    def _feed(self, name: str, run: Run, event: str, value: Any) -> Step:
        with self.m.settling():
            return self._feed_settling(name, run, event, value)

    def _feed_settling(self, name: str, run: Run, event: str, value: Any) -> Step:
        before = run.state
        step = run.feed(Input(event, value), self.env.now)
        if step.accepted:
            self._arm(name, run)
            if step.state != before:
                self._publish_phase()
            actions = HLC_ACTIONS if name == "hlc" else DC_ACTIONS
            for action in step.actions:
                actions[action](self)
        return step

    def _arm(self, name: str, run: Run) -> None:
        self._timers[name] += 1
        generation = self._timers[name]
        deadline = run.deadline()
        if deadline is None:
            return

        def expire(_event: Any) -> None:
            if generation != self._timers[name]:
                return
            with self.m.settling():
                expired(run.state)

        def expired(state: str) -> None:
            step = run.expire(self.env.now)
            if step is not None and step.accepted:
                self.failure = self.failure or f"{name}: timeout in {state}"
                self.m.log("warning", f"{self.m.id}: {name} sub-machine timed out in {state}")
                self._publish_phase()
                actions = HLC_ACTIONS if name == "hlc" else DC_ACTIONS
                for action in step.actions:
                    actions[action](self)

        self.env.timeout(max(0.0, deadline - self.env.now)).callbacks.append(expire)

    def _publish_phase(self) -> None:
        self.m.publish("evse", "hlc_phase", {"hlc": self.hlc.state, "dc": self.dc.state,
                                             "reason": self.failure})

    # --- SLAC and the SECC -----------------------------------------------------------------
    def _on_dlink(self, ready: bool) -> None:
        if ready:
            self.feed("slac_matched")
        elif self.hlc.state not in ("Off", "WaitingForSlac", "Finished", "Failed"):
            self.failure = self.failure or "the data link went down"
            self.feed("link_lost")

    def _secc_handler(self, event: str) -> Callable[[Any], None]:
        def handle(value: Any) -> None:
            with self.m.settling():
                SECC_HANDLERS[event](self, value)
        return handle

    def _message(self, value: dict) -> None:
        if value["direction"] == "rx":
            self.feed("message")  # every request restarts the phase's sequence timer
            if value["name"] == "CurrentDemandReq" and self.dc.state == "CurrentDemand":
                # The car sends CurrentDemandReq with its contactors closed (ISO 15118-2,
                # DIN SPEC 70121: closed after PowerDeliveryRes Start); energy can flow from
                # the first one that asks for current.
                if _target_current(value.get("message")) > 0:
                    self.demand_seen = True
                self.feed_dc("current_demand")  # (its target is published only on change)

    def _require_auth(self, _value: Any) -> None:
        self.auth_requested = True
        if self.m.token is not None:  # a card was shown before the car asked
            self.authorized()

    def _charge_parameters(self, value: dict) -> None:
        self.ev_max_voltage_v = float(value.get("EVMaximumVoltageLimit")
                                      or value.get("EVMaxVoltage") or 0.0)

    def _start_cable_check(self, value: dict) -> None:
        self.cable_check_v = float(value["voltage_v"])
        self.ev_target = (0.0, 0.0)
        self.feed_dc("cable_check_requested")

    def _ev_target(self, value: dict) -> None:
        self.ev_target = (float(value["voltage_v"]), float(value["current_a"]))
        if self.dc.state == "PreCharge":
            self._precharge_voltage()
        elif self.dc.state == "CurrentDemand":
            self._follow_demand()

    def _power_delivery_start(self, _value: Any) -> None:
        self.feed("power_delivery_start")
        if self.dc_mode and self.dc.state == "WaitingForPowerDelivery":
            self.demand_seen = False  # until the car's first CurrentDemandReq with current
            self.feed_dc("power_delivery_start")

    def _dc_open(self, _value: Any) -> None:
        self.feed("power_delivery_stop")
        self.feed_dc("power_delivery_stop")

    def _ac_contactor(self, closed: bool) -> None:
        self.ac_contactor_requested = closed
        if not closed:
            self.feed("power_delivery_stop")
        self.m.hlc_power_changed()

    def _session_started(self, _value: Any) -> None:
        if self.dc.state in ("Finished", "Failed"):
            self.dc = Run(DC)  # a paused session joined again: a new cable check follows
        self.car_paused = False
        self.feed("session_setup")

    def _session_paused(self, _value: Any) -> None:
        """ISO 15118-2 SessionStop Pause: the session waits (5 % PWM, no timer) for the car to
        join it again with a new SessionSetup."""
        if self.dc.state not in ("Idle", "Finished", "Failed", "WeldingDetection"):
            self.feed_dc("session_stopped")
        self.paused = self.car_paused = True
        self.hlc = Run(HLC, state="WaitingForSessionSetup")
        self._timers["hlc"] += 1
        self._publish_phase()
        self.m.hlc_paused_by_ev()

    def _session_over(self, event: str, reason: Any) -> None:
        """The SECC's session ended: normally (SessionStop after a stop from either side), or
        by a timeout, a lost connection or a FAILED response, which fails the HLC session."""
        if self.paused:  # the SECC ends the paused connection's session: the pause holds
            self.paused = False
            return
        if self.hlc.state in ("Off", "Finished", "Failed"):
            return
        if str(reason).startswith(NORMAL_END):
            self.feed("session_stop")
        if self.hlc.state != "Finished":
            self.failure = self.failure or f"V2G: {reason}"
            self.feed("link_lost")
        if self.dc.state not in ("Idle", "Finished", "Failed", "WeldingDetection"):
            self.feed_dc("session_stopped")
        self.m.hlc_session_over(self.hlc.state == "Finished", str(reason))

    # --- the DC hardware -------------------------------------------------------------------
    def _on_capabilities(self, value: dict) -> None:
        self.capabilities = value
        self._send_dc_limits()

    def _send_dc_limits(self) -> None:
        """The supply's limits to the SECC; while the charger pauses no current, no power."""
        if self.capabilities is None:
            return
        value, paused = self.capabilities, self.charger_paused
        self.secc.send("update_dc_maximum_limits", maximum_limits={
            "voltage_v": value["max_export_voltage_v"],
            "current_a": 0.0 if paused else value["max_export_current_a"],
            "power_w": 0.0 if paused else value["max_export_power_w"]})

    def _on_supply_reading(self, value: dict) -> None:
        present = (float(value["voltage_v"]), float(value["current_a"]))
        if present != self.present:  # the SECC keeps the last values it was given
            self.present = present
            self.secc.send("update_dc_present_values",
                           present_voltage_current={"voltage_v": present[0],
                                                    "current_a": present[1]})
        target = {"CableCheck": self.cable_check_v, "PreCharge": self.ev_target[0]}.get(
            self.dc.state)
        if target is not None:
            self.feed_dc("output_voltage", {"present_v": self.present[0], "target_v": target})

    def _on_isolation(self, value: dict) -> None:
        if self.dc.state != "IsolationCheck":
            return
        level = isolation_level(value.get("resistance_ohm"))
        if level is IsolationLevel.VALID:
            self.secc.send("update_isolation_status", isolation_status="Valid")
            if self.feed_dc("isolation_ok").accepted:
                self.secc.send("cable_check_finished", status=True)
        elif level is IsolationLevel.FAULT:
            self.secc.send("update_isolation_status", isolation_status="Fault")
            self.failure = self.failure or "isolation fault in the cable check"
            self.feed_dc("isolation_fault")

    def _on_contactors(self, value: dict) -> None:
        with self.m.settling():
            self.m.dc_power_flowing(bool(value["closed"]) and self._energy_can_flow())

    def _on_dc_error(self, report: ErrorReport) -> None:
        self.m._on_error(report)  # the fault table decides; the manager calls fault()

    # --- DC actions ------------------------------------------------------------------------
    def _supply(self, voltage_v: float, current_a: float, phase: str) -> None:
        """Export at this voltage and current; only what changed is commanded (the
        current-demand loop repeats the same target ten times a second)."""
        assert self.supply is not None
        if self._supply_mode != ("Export", phase):
            self._supply_mode = ("Export", phase)
            self._supply_setpoint = None
            self.supply.send("set_mode", mode="Export", phase=phase)
        setpoint = (round(voltage_v, 1), round(max(0.0, current_a), 1))
        if setpoint != self._supply_setpoint:
            self._supply_setpoint = setpoint
            self.supply.send("set_export_voltage_current", voltage_v=setpoint[0],
                             current_a=setpoint[1])

    def _cable_check_voltage(self) -> None:
        if self.ovp is not None:
            limit = over_voltage_limit(self.ev_max_voltage_v or self.cable_check_v)
            self.ovp.send("start", over_voltage_limit_v=limit)
        self._supply(self.cable_check_v, CABLE_CHECK_CURRENT_LIMIT_A, "CableCheck")

    def _precharge_voltage(self) -> None:
        if self.ev_target[0] <= 0:
            return  # the PreChargeReq's target follows the start_pre_charge event
        self._supply(self.ev_target[0], CABLE_CHECK_CURRENT_LIMIT_A, "PreCharge")

    def _follow_demand(self) -> None:
        voltage, current = self.ev_target
        if self.capabilities is not None:
            current = min(current, self.capabilities["max_export_current_a"])
        if self.charger_paused:
            current = 0.0
        self._supply(voltage, current, "Charging")
        self.m.dc_power_flowing(self._energy_can_flow())

    def _energy_can_flow(self) -> bool:
        """DC energy can flow: the current-demand loop with both sides' contactors closed
        (the charger's feedback; the car's, known from its first CurrentDemandReq that asked
        for current) and the charger not pausing. A car that later asks for 0 A (at its
        target, before its PowerDelivery Stop) pauses nothing: the loop goes on."""
        return (self.dc.state == "CurrentDemand" and self.contactors_closed and self.demand_seen
                and not self.charger_paused)

    @property
    def contactors_closed(self) -> bool:
        return self.m.dc_contactors_closed

    def _set_contactors(self, closed: bool) -> None:
        assert self.contactors is not None
        answer = self.contactors.call("set_closed", value=closed)

        def judged(event: Any) -> None:
            if not event.ok:
                event.defused = True
                self.m.log("error", f"DC contactors set_closed {closed}: {event.value}")
                return
            self.m.dc_contactors_closed = bool(event.value["closed"])
            if not closed:
                self.m.dc_power_flowing(False)

        answer.callbacks.append(judged)

    def _supply_off(self) -> None:
        assert self.supply is not None
        self._supply_mode, self._supply_setpoint = ("Off", ""), None
        self.supply.send("set_mode", mode="Off")

    def _start_isolation_check(self) -> None:
        assert self.imd is not None
        self.imd.send("start")

    def _welding_watch(self) -> None:
        """Read the cable voltage until it is safe (or the state's timeout fires)."""
        meter = self.m.meter

        def poll() -> Any:
            while self.dc.state == "WeldingDetection":
                if meter is not None:
                    try:
                        reading = yield meter.call("read")
                        voltage = float(reading["voltage_v"]["total"])
                    except (CommandError, KeyError):
                        voltage = self.present[0]
                else:
                    voltage = self.present[0]
                self.secc.send("update_dc_present_values",
                               present_voltage_current={"voltage_v": voltage, "current_a": 0.0})
                self.feed_dc("output_voltage", {"present_v": voltage, "target_v": 0.0})
                yield self.env.timeout(WELDING_POLL_S)

        self.m.start(poll())

    def _dc_failed(self) -> None:
        if self.imd is not None:
            self.imd.send("stop")
        before = self.dc.history[-2][2] if len(self.dc.history) > 1 else "Idle"
        self.failure = self.failure or f"DC: failed in {before}"
        if before == "WeldingDetection":
            # The cable stayed live after the output was switched off and opened: a contactor
            # (the charger's or the car's) is welded. Held until the car is unplugged.
            self.m.hlc_welding_failed(f"the cable stayed above {SAFE_VOLTAGE_V:g} V after "
                                      "the DC contactors were opened (welded?)")
        if before in ("CableCheck", "IsolationCheck"):
            self.secc.send("cable_check_finished", status=False)
        else:
            self.secc.send("stop_charging", stop=True)
        self.m.log("warning", f"{self.m.id}: DC session failed ({self.failure})")

    # --- HLC actions -----------------------------------------------------------------------
    def _request_authorization(self) -> None:
        if self.auth_requested and self.m.token is not None:
            self.env.timeout(0).callbacks.append(lambda _e: self.authorized())

    def _start_power(self) -> None:
        self.m.hlc_power_changed()

    def _stop_power(self) -> None:
        self.ac_contactor_requested = False
        self.m.hlc_power_changed()
        if self.dc_mode and self.dc.state not in ("Idle", "Finished", "Failed",
                                                  "WeldingDetection"):
            self.feed_dc("session_stopped")

    def _report_failure(self) -> None:
        before = self.hlc.history[-2][2] if len(self.hlc.history) > 1 else "Off"
        if before == "WaitingForSlac" and not self.dc_mode:
            # IEC 61851-1 / ISO 15118-3: a car that does not match within TT_EVSE_SLAC_init
            # speaks no HLC; an AC charger may offer basic charging (a nominal duty) instead.
            self.basic_fallback = True
            self.failure = "no SLAC within TT_EVSE_SLAC_init: basic charging"
            self._publish_phase()
            self.m.log("info", f"{self.m.id}: {self.failure}")
            self.m.hlc_power_changed()
            return
        self.failure = reason = self.failure or f"HLC failed in {before}"
        self._publish_phase()
        self.m.hlc_failed(reason)


def _target_current(message: Any) -> float:
    """EVTargetCurrent of a decoded CurrentDemandReq (0 when it has none)."""
    try:
        body = message["V2G_Message"]["Body"]["CurrentDemandReq"]
        target = body["EVTargetCurrent"]
        return float(target["Value"]) * 10.0 ** int(target["Multiplier"])
    except (KeyError, TypeError, ValueError):
        return 0.0


HLC_ACTIONS: dict[str, Callable[[HlcGlue], None]] = {
    "pwm_5pct": lambda g: g.m.hlc_pwm_changed(),
    "pwm_off": lambda g: g.m.hlc_pwm_changed(),
    "request_authorization": HlcGlue._request_authorization,
    "start_power": HlcGlue._start_power,
    "stop_power": HlcGlue._stop_power,
    "report_failure": HlcGlue._report_failure,
}

DC_ACTIONS: dict[str, Callable[[HlcGlue], None]] = {
    "close_dc_contactors": lambda g: g._set_contactors(True),
    "open_dc_contactors": lambda g: (g._set_contactors(False), g._welding_watch()
                                     if g.dc.state == "WeldingDetection" else None),
    "cable_check_voltage": HlcGlue._cable_check_voltage,
    "start_isolation_check": HlcGlue._start_isolation_check,
    "precharge_voltage": HlcGlue._precharge_voltage,
    "follow_demand": HlcGlue._follow_demand,
    "supply_off": HlcGlue._supply_off,
    "report_failure": HlcGlue._dc_failed,
}

SECC_HANDLERS: dict[str, Callable[[HlcGlue, Any], None]] = {
    "session_started": HlcGlue._session_started,
    "selected_payment_option": lambda g, v: g.feed("payment_selected"),
    "require_auth_eim": HlcGlue._require_auth,
    "ev_charge_parameters": HlcGlue._charge_parameters,
    "start_cable_check": HlcGlue._start_cable_check,
    "start_pre_charge": lambda g, v: g.feed_dc("precharge_requested"),
    "dc_ev_target_voltage_current": HlcGlue._ev_target,
    "v2g_setup_finished": HlcGlue._power_delivery_start,
    "ac_close_contactor": lambda g, v: g._ac_contactor(True),
    "ac_open_contactor": lambda g, v: g._ac_contactor(False),
    "dc_open_contactor": HlcGlue._dc_open,
    "session_paused": HlcGlue._session_paused,
    "session_finished": lambda g, v: g._session_over("session_finished", v),
    "v2g_message": HlcGlue._message,
}
