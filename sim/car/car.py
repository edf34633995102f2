"""SimCar: a car that plugs in, follows the pilot's PWM and charges its battery.

It decides its pilot state and how much current its on-board charger draws from what it sees on
the plug (the board's ``measurement``): it closes S2 (state C) when it wants power and the PWM
offers at least 6 A, follows duty changes after ``reaction_time_s``, and draws
``min(PWM allowance, on-board charger limit, battery limit)`` once the contactors are closed.
The battery limit tapers linearly from ``cv_start_soc_pct`` to zero at 100 %.

Physics on events (``physics: events``, the default): the on-board charger sets its current in
steps of 0.1 A, so between events (a measurement, a duty or limit change, a command) an AC car
draws a constant current and its state of charge rises linearly. The car integrates energy and
state of charge exactly from one event to the next and schedules the next point where the
battery changes what it draws: the taper step where the acceptance limit drops below the
current draw (less half a step), or the target state of charge. Its ``ev_state`` then carries
``soc_rate_pct_s``, the slope of the state of charge until its next report, from which the
report draws state of charge between events. ``physics: ticks`` wakes the battery management
every ``bms_interval_s`` instead (the former model, kept to compare against); a car on a DC
inlet always ticks (its pack voltage and the DC current follow the state of charge).

A car whose profile has an ``hlc`` block and whose station connects its SLAC (``slac``) and
EVCC (``hlc``) modules talks ISO 15118-2 / DIN SPEC 70121 (docs/hlc.md): on 5 % PWM it matches
by SLAC, runs a V2G session, goes to C when the session wants power (DC: before the cable
check; AC: after PowerDelivery Start), closes its DC contactors once the charger accepted
PowerDelivery Start on a pre-charged inlet, and keeps the EVCC's view of the battery current.
Its script's ``iso_*`` commands drive the same steps; without a script, plugging in runs
``iso_wait_slac_matched;iso_start_v2g_session MODE;iso_wait_v2g_session_stopped``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from charger.dc_rules import precharge_done
from charger.framework import Module, command
from charger.iec61851 import MIN_CURRENT_A, current_from_duty
from sim.car.dc_charging import DcCarLimits
from sim.car.profiles import PROFILE_KEYS, car_profiles, hlc_behaviour
from sim.car.script import ScriptCommand, parse_script

PWM_5PCT = (3.0, 7.0)  # duties that mean "digital communication required" (5 %, with slack)

TAPER_FLOOR_A = 1.0  # the battery accepts at least this much until it is full
DRAW_STEP_A = 0.1  # the on-board charger's current resolution (draws are rounded to it)
# Events: the earliest a scheduled battery event follows the previous one. A wake-up aimed at a
# threshold can land a rounding error short of it; the next one then comes this much later
# rather than at the same instant again.
MIN_EVENT_STEP_S = 1e-6


class SimCar(Module):
    def init(self) -> None:
        profile = car_profiles()[self.config["profile"]]
        for key in PROFILE_KEYS:
            value = self.config[key]
            setattr(self, key, profile[key] if value is None else value)
        self.board = self.require("ev_board")
        self.soc = float(self.config["soc_pct"])
        self.energy_wh = 0.0  # taken in by the battery since plug-in
        self.plugged = False
        self.wants_power = False
        self.limit_a = float(self.max_current_a)
        self.draw_phases = int(self.phases)
        self.fixed_a: float | None = None
        self.error_e = False
        self.ventilation = False
        self.allowed_a = 0.0  # what the PWM allows, as the car has taken notice of it
        self.measurement: dict | None = None
        self._duty: float | None = None
        self._duty_changes = 0
        self._since = 0.0
        self._cp = ""
        self._draw = (-1.0, 0)
        self._published: dict | None = None
        self._watchers: list = []  # events waiting for the next measurement
        self._kick: Any = None  # physics on events: wakes the battery management now
        self.board.subscribe("measurement", self._on_measurement)
        # DC: the profile's pack and curve, and the DC inlet when the station connects one.
        self.dc = DcCarLimits.from_profile({**profile, "battery_kwh": self.battery_kwh}) \
            if "dc" in profile else None
        self.hlc = hlc_behaviour(profile)
        self.ev_dc = self.optional("ev_dc") if self.dc is not None else None
        self.dc_measurement: dict | None = None
        self._reported_battery: tuple[float, float] | None = None
        if self.ev_dc is not None:
            self.ev_dc.subscribe("measurement", self._on_dc_measurement)
        # High-level communication: the car's SLAC and EVCC modules, when the station has them.
        self.slac = self.optional("slac")
        self.v2g = self.optional("hlc")
        self.hlc_car = self.hlc is not None and self.slac is not None and self.v2g is not None
        self.matched = False
        self.v2g_state = "idle"  # idle, starting, running, paused, finished
        self.v2g_mode = ""
        self.v2g_reason = ""
        self.power_ready = False  # PowerDelivery(Start) accepted
        self.hlc_c = False  # the session wants state C
        self.hlc_allowed_a = 0.0  # AC: the charger's EVSEMaxCurrent
        self.charger_stop = False  # the charger asked to stop (EVSENotification)
        self._scripted = bool(self.config["script"])
        self._conditions: list[tuple[Callable[[], bool], Any]] = []
        self._reported_status: dict | None = None
        if self.hlc_car:
            assert self.slac is not None and self.v2g is not None
            self.slac.subscribe("dlink_ready", self._on_dlink)
            for event, handler in HLC_EVENTS.items():
                self.v2g.subscribe(event, lambda value, h=handler: h(self, value))

    @property
    def on_events(self) -> bool:
        """Whether the battery management works on events (otherwise: every bms_interval_s)."""
        return self.config["physics"] == "events" and self.ev_dc is None

    def ready(self) -> Generator:
        self._apply()
        self._report_battery()
        self._publish_state()
        if self.config["script"]:
            self.start(self._run_script(parse_script(self.config["script"])))
        if self.on_events:
            yield from self._run_on_events()
        while True:
            yield self.env.timeout(self.config["bms_interval_s"])
            self._bms_update()

    def _bms_update(self) -> None:
        self._integrate()
        self._apply()
        self._report_battery()
        self._report_ev_status()
        self._publish_state()

    def _run_on_events(self) -> Generator:
        """The battery management wakes on every event that concerns the car (``_changed``)
        and when the battery next changes what the car draws (``next_battery_event_s``)."""
        while True:
            self._kick = self.env.event()
            due = self.next_battery_event_s()
            if due is None:
                yield self._kick
            else:
                yield self._kick | self.env.timeout(due)
            self._bms_update()

    def _changed(self) -> None:
        """Something the battery management depends on changed: it looks again now."""
        kick = self._kick
        if kick is not None and not kick.triggered:
            kick.succeed()

    def next_battery_event_s(self) -> float | None:
        """Seconds until the battery changes what the car draws at the present (constant) AC
        current: the taper step where the acceptance limit falls below the draw less half a
        step (the draw is rounded to DRAW_STEP_A), or the target state of charge; None while
        no AC current flows."""
        rate = self._ac_soc_rate()
        draw = self._draw[0]
        if rate <= 0.0 or draw <= 0.0:
            return None
        full_soc = min(float(self.config["target_soc_pct"]), 100.0)
        if self.soc >= full_soc:
            return MIN_EVENT_STEP_S  # full: the draw stops at the next look
        soc = full_soc
        basic = not (self.hlc_car and not self._basic_pwm())
        if not (basic and self.fixed_a is not None):  # a fixed draw ignores the taper
            below = draw - DRAW_STEP_A / 2 - 1e-9  # the acceptance that rounds to a lower step
            if below >= TAPER_FLOOR_A:
                cv_start = float(self.cv_start_soc_pct)
                max_a = float(self.max_current_a)
                soc = min(soc, 100.0 - below * max(100.0 - cv_start, 1e-9) / max_a)
        return max((soc - self.soc) / rate, MIN_EVENT_STEP_S)

    # --- scenario commands ---------------------------------------------------------------------
    @command("car", "plug_in")
    def plug_in(self) -> None:
        self._plug(wants_power=True)

    @command("car", "unplug")
    def unplug(self) -> None:
        self.plugged = self.wants_power = False
        if self.hlc_car and self.slac is not None:
            self.slac.send("reset")
            self._hlc_reset("idle")
            self.matched = False
            self._hlc_changed()
        self._apply()

    @command("car", "pause")
    def pause(self) -> None:
        self.wants_power = False
        self._apply()

    @command("car", "resume")
    def resume(self) -> None:
        self.wants_power = True
        self._apply()

    @command("car", "set_fault")
    def set_fault(self, fault: str, active: bool) -> None:
        if fault == "diode_fail":
            self.board.send("diode_fail", value=active)
        elif fault == "error_e":
            self.error_e = active
        else:
            self.ventilation = active
        self._apply()

    @command("car", "set_rcd_current")
    def set_rcd_current(self, current_ma: float, dc: bool) -> None:
        self.board.send("set_rcd_current", current_ma=current_ma, dc=dc)

    @command("car", "set_soc")
    def set_soc(self, soc_pct: float) -> None:
        self._integrate()
        self.soc = float(soc_pct)
        self._apply()
        self._publish_state()
        self._changed()

    @command("car", "execute_script")
    def execute_script(self, script: str) -> None:
        commands = parse_script(script)
        self._scripted = True  # the script, not the car's own session, drives HLC now
        self.start(self._run_script(commands))  # a ScriptError fails the command

    # --- behaviour -----------------------------------------------------------------------------
    def _plug(self, wants_power: bool) -> None:
        if not self.plugged:
            self.energy_wh = 0.0
            if self.hlc_car and not self._scripted:
                mode = self._default_mode()
                if mode:  # no script: the car runs a whole session by itself
                    self._scripted = True
                    self.start(self._run_script(parse_script(
                        f"iso_wait_slac_matched;iso_start_v2g_session {mode};"
                        "iso_wait_v2g_session_stopped"), auto=True))
        self.plugged = True
        self.wants_power = wants_power
        self._apply()

    def _on_measurement(self, measurement: dict) -> None:
        self._integrate()
        self.measurement = measurement
        duty = measurement["pwm_duty_pct"]
        if duty != self._duty:
            self._duty = duty
            self._duty_changes += 1
            self.start(self._follow_duty(self._duty_changes, current_from_duty(duty)))
        self._apply()
        watchers, self._watchers = self._watchers, []
        for event in watchers:
            event.succeed()
        self._hlc_changed()
        self._changed()

    def _follow_duty(self, change: int, allowed_a: float) -> Generator:
        yield self.env.timeout(self.config["reaction_time_s"])
        if change == self._duty_changes:
            self.allowed_a = allowed_a
            self._apply()

    def battery_limit_a(self) -> float:
        if self.soc >= self.config["target_soc_pct"] or self.soc >= 100.0:
            return 0.0
        cv_start = float(self.cv_start_soc_pct)
        if self.soc <= cv_start:
            return float(self.max_current_a)
        share = (100.0 - self.soc) / max(100.0 - cv_start, 1e-9)
        return max(float(self.max_current_a) * share, TAPER_FLOOR_A)

    def full(self) -> bool:
        return self.battery_limit_a() == 0.0

    def _apply(self) -> None:
        """Set the pilot state and the on-board charger's draw from what the car wants."""
        relays = bool(self.measurement and self.measurement["relays_closed"])
        draw = 0.0
        if not self.plugged:
            cp = "A"
        elif self.error_e:
            cp = "E"
        elif self.hlc_car and not self._basic_pwm():
            # Under 5 % PWM the session decides: C while it wants power (DC cable check on).
            charge = self.wants_power and self.hlc_c
            cp = ("D" if self.ventilation else "C") if charge else "B"
            if charge and relays and self.dc_measurement is None:
                draw = round(min(self.hlc_allowed_a, self.limit_a, self.battery_limit_a()), 1)
        else:
            offered = self.fixed_a is not None or self.allowed_a >= MIN_CURRENT_A
            charge = self.wants_power and not self.full() and offered
            cp = ("D" if self.ventilation else "C") if charge else "B"
            if charge and relays:
                if self.fixed_a is not None:
                    draw = self.fixed_a
                else:
                    draw = min(self.allowed_a, self.limit_a, self.battery_limit_a())
                draw = round(draw, 1)
        if cp != self._cp:
            self._cp = cp
            self.board.send("set_cp_state", cp_state=cp)
            self._changed()
        if (draw, self.draw_phases) != self._draw:
            self._draw = (draw, self.draw_phases)
            self.board.send("set_ac_draw", current_a=draw, phases=self.draw_phases)
            self._changed()

    # --- DC ------------------------------------------------------------------------------------
    def _on_dc_measurement(self, measurement: dict) -> None:
        self._integrate()
        self.dc_measurement = measurement

    def _report_battery(self) -> None:
        """Tell the DC inlet the battery's voltage as it follows the SoC."""
        if self.ev_dc is None or self.dc is None:
            return
        battery = (round(self.dc.pack.open_circuit_voltage(self.soc), 1),
                   self.dc.pack.internal_resistance_ohm)
        if battery != self._reported_battery:
            self._reported_battery = battery
            self.ev_dc.send("set_battery", open_circuit_voltage_v=battery[0],
                            internal_resistance_ohm=battery[1])

    def dc_request(self) -> tuple[float, float]:
        """(target voltage, target current) the car asks of a DC charger now."""
        assert self.dc is not None
        return (self.dc.target_voltage_v(),
                self.dc.target_current_a(self.soc, float(self.config["target_soc_pct"])))

    def set_dc_contactors(self, closed: bool) -> bool:
        """Close (only on a pre-charged inlet) or open the car's DC contactors; whether they
        are in the asked position."""
        if self.ev_dc is None or self.dc is None:
            return False
        if closed:
            inlet = self.dc_measurement["voltage_v"] if self.dc_measurement else 0.0
            if not precharge_done(inlet, self.dc.pack.open_circuit_voltage(self.soc)):
                return False
        self.ev_dc.send("set_contactors", value=closed)
        return True

    def _integrate(self) -> None:
        now = self.env.now
        if self.dc is not None and self.dc_measurement and now > self._since:
            current = self.dc_measurement["current_a"]
            if current > 0:
                self.soc, stored = self.dc.pack.soc_after(self.soc, current, now - self._since)
                self.energy_wh += stored
        if self.measurement and now > self._since:
            power_w = sum(v * i for v, i in zip(self.measurement["voltage_v"],
                                                self.measurement["current_a"]))
            if power_w:
                stored = power_w * float(self.efficiency) * (now - self._since) / 3600.0
                self.energy_wh += stored
                self.soc = min(100.0, self.soc + stored / (float(self.battery_kwh) * 10.0))
        self._since = now

    def _ac_soc_rate(self) -> float:
        """% of state of charge per second at the present AC measurement (0 when full)."""
        if not self.measurement or self.soc >= 100.0:
            return 0.0
        power_w = sum(v * i for v, i in zip(self.measurement["voltage_v"],
                                            self.measurement["current_a"]))
        return power_w * float(self.efficiency) / 3600.0 / (float(self.battery_kwh) * 10.0)

    def _publish_state(self) -> None:
        current = self.measurement["current_a"][0] if self.measurement else 0.0
        if not current and self.dc_measurement:
            current = self.dc_measurement["current_a"]  # charging DC
        if not self.plugged:
            state = "unplugged"
        elif self.error_e:
            state = "fault"
        elif current > 0:
            state = "charging"
        elif self.full():
            state = "full"
        elif self.wants_power:
            state = "plugged"
        else:
            state = "paused"
        value = {"state": state, "soc_pct": round(self.soc, 3),
                 "energy_wh": round(self.energy_wh, 3), "current_a": current}
        rate = self._ac_soc_rate() if self.on_events else 0.0
        if rate > 0.0:
            value["soc_rate_pct_s"] = float(f"{rate:.9g}")
        if self.hlc_car and self.dc is not None and self.v2g_mode.startswith("DC") \
                and self.power_ready:
            target_v, target_a = self.dc_request()  # what the car asks of the charger
            value.update(dc_target_voltage_v=round(target_v, 1),
                         dc_target_current_a=round(target_a, 1))
        if value != self._published:
            self._published = value
            self.publish("car", "ev_state", value)

    # --- high-level communication --------------------------------------------------------------
    def _basic_pwm(self) -> bool:
        """The charger offers current by a nominal duty (basic charging, a fallback)."""
        duty = self.measurement["pwm_duty_pct"] if self.measurement else None
        return bool(duty) and duty > PWM_5PCT[1]

    def _default_mode(self) -> str:
        assert self.hlc is not None
        for mode in self.hlc.energy_transfer_modes:
            if mode.startswith("DC") == (self.ev_dc is not None):
                return mode
        return ""

    def _on_dlink(self, ready: bool) -> None:
        self.matched = ready
        if not ready:
            self._hlc_reset(self.v2g_state if self.v2g_state != "running" else "finished")
        self._hlc_changed()

    def _hlc_reset(self, v2g_state: str) -> None:
        self.v2g_state = v2g_state
        self.power_ready = self.hlc_c = False
        self.hlc_allowed_a = 0.0
        if self.ev_dc is not None:
            self.set_dc_contactors(False)
        self._apply()

    def _on_session_started(self, _value: Any) -> None:
        self.v2g_state = "running"
        self.charger_stop = False
        self._report_ev_status()
        self._hlc_changed()

    def _on_charge_parameters(self, limits: dict) -> None:
        if self.dc_measurement is not None or self.v2g_mode.startswith("DC"):
            self.hlc_c = True  # DC: state C before the cable check
        else:
            self.hlc_allowed_a = float(limits.get("EVSEMaxCurrent", 0.0))
        self._apply()

    def _on_power_delivery_started(self, _value: Any) -> None:
        self.power_ready = True
        self.hlc_c = True
        if self.v2g_mode.startswith("DC") and not self._fault("no_contactor_close"):
            self.set_dc_contactors(True)
        self._apply()
        self._hlc_changed()

    def _on_power_delivery_stopped(self, _value: Any) -> None:
        self.power_ready = self.hlc_c = False
        if self.ev_dc is not None:
            self.set_dc_contactors(False)
        self._apply()
        self._hlc_changed()

    def _on_notification(self, notification: str) -> None:
        if notification == "StopCharging":
            self.charger_stop = True
            self._hlc_changed()

    def _on_session_over(self, state: str, reason: Any) -> None:
        if state == "finished" and self.v2g_state == "paused":
            return  # the paused session's connection ended; the session waits to be joined
        self.v2g_reason = str(reason)
        self._hlc_reset(state)
        self._hlc_changed()

    def _fault(self, name: str) -> bool:
        extra = (f["fault"] for f in self.config["hlc_faults"])
        return self.hlc is not None and (any(f == name for f, _ in self.hlc.faults)
                                         or name in extra)

    def _report_ev_status(self) -> None:
        """Keep the EVCC's view of the battery current (SoC, voltage, targets, limits)."""
        if not self.hlc_car or self.v2g is None:
            return
        assert self.hlc is not None
        target_soc = float(self.config["target_soc_pct"])
        complete = self.soc >= min(target_soc, 100.0)
        status: dict[str, Any] = {
            "soc_pct": round(self.soc, 1) if "soc" in self.hlc.fills else 0.0,
            "capacity_wh": float(self.battery_kwh) * 1000.0,
            "energy_request_wh": round(max(0.0, target_soc - self.soc)
                                       * float(self.battery_kwh) * 10.0, 1),
            "charging_complete": complete}
        if self.dc is not None and (self.ev_dc is not None or self.v2g_mode.startswith("DC")):
            target_v, target_a = self.dc_request()
            status.update(
                battery_voltage_v=round(self.dc.pack.open_circuit_voltage(self.soc), 1),
                target_voltage_v=round(target_v, 1), target_current_a=round(target_a, 1),
                max_voltage_v=float(self.dc.max_voltage_v),
                max_current_a=float(self.dc.max_current_a),
                max_power_w=round(self.dc.max_power_w, 1))
        else:
            status.update(max_current_a=float(self.max_current_a))
        if status != self._reported_status:
            self._reported_status = status
            self.v2g.send("update_status", status=status)

    def _hlc_changed(self) -> None:
        pending, self._conditions = self._conditions, []
        for condition, event in pending:
            if condition():
                event.succeed()
            else:
                self._conditions.append((condition, event))

    def _wait_until(self, condition: Callable[[], bool],
                    within_s: float | None = None) -> Generator:
        """Wait until ``condition`` holds (re-checked on every HLC event); whether it did."""
        if condition():
            return True
        event = self.env.event()
        self._conditions.append((condition, event))
        if within_s is None:
            yield event
            return True
        outcome = yield event | self.env.timeout(within_s)
        return event in outcome

    def _needs_hlc(self, name: str) -> bool:
        if self.hlc_car:
            return True
        self.log("warning", f"script: {name} needs a car with high-level communication (an "
                 "hlc profile and the SLAC and EVCC modules); skipped")
        return False

    def _step_iso_wait_slac_matched(self) -> Generator:
        if not self._needs_hlc("iso_wait_slac_matched"):
            return
        self._plug(wants_power=True)
        yield from self._wait_until(lambda: self.measurement is not None and PWM_5PCT[0]
                                    <= (self.measurement["pwm_duty_pct"] or 0) <= PWM_5PCT[1])
        if not self._fault("slac_no_match") and not self.matched:
            assert self.slac is not None
            self.slac.send("trigger_matching")
        yield from self._wait_until(lambda: self.matched)

    def _step_iso_start_v2g_session(self, mode: str, payment: str, departure: int,
                                    energy: float) -> Generator:
        if not self._needs_hlc("iso_start_v2g_session"):
            return
        assert self.v2g is not None
        self.v2g_mode = mode
        self.v2g_state = "starting"
        self._report_ev_status()
        answer = yield self.v2g.call("start_session", energy_transfer_mode=mode,
                                     payment_option=payment, departure_time_s=departure,
                                     energy_amount_wh=energy)
        if not answer["started"]:
            self.log("warning", f"script: no V2G session: {answer.get('reason', '')}")
            self.v2g_state = "finished"
            self._hlc_changed()

    def _step_iso_wait_pwr_ready(self) -> Generator:
        if self._needs_hlc("iso_wait_pwr_ready"):
            yield from self._wait_until(lambda: self.power_ready)

    def _step_iso_draw(self, amperes: float, phases: int) -> Generator:
        self.draw_phases = int(phases)
        self.limit_a = min(float(amperes), float(self.max_current_a))
        self.wants_power = True
        self._apply()
        yield from ()

    def _step_iso_stop(self) -> Generator:
        if self._needs_hlc("iso_stop_charging"):
            assert self.v2g is not None
            self.v2g.send("stop_charging")
        yield from ()

    def _session_over(self) -> bool:
        return self.v2g_state in ("finished", "paused", "idle")

    def _step_iso_wait_for_stop(self, seconds: float) -> Generator:
        if not self._needs_hlc("iso_wait_for_stop"):
            return
        yield from self._wait_until(lambda: self.charger_stop or self._session_over(), seconds)
        if not self._session_over() and not self.charger_stop:
            assert self.v2g is not None
            self.v2g.send("stop_charging")

    def _step_iso_wait_session_stopped(self) -> Generator:
        if self._needs_hlc("iso_wait_v2g_session_stopped"):
            yield from self._wait_until(self._session_over)

    def _step_iso_pause(self) -> Generator:
        if self._needs_hlc("iso_pause_charging"):
            assert self.v2g is not None
            self.v2g.send("pause_charging")
        yield from ()

    def _step_iso_wait_for_resume(self) -> Generator:
        if not self._needs_hlc("iso_wait_for_resume"):
            return
        yield from self._wait_until(lambda: self.v2g_state == "paused" and self.matched)
        yield from self._step_iso_start_v2g_session(self.v2g_mode or self._default_mode(),
                                                    "ExternalPayment", 0, 0.0)
        yield from self._wait_until(lambda: self.v2g_state in ("running", "finished"))

    # --- command strings -----------------------------------------------------------------------
    def _run_script(self, commands: list[ScriptCommand], auto: bool = False) -> Generator:
        for cmd in commands:
            self.log("info", f"{'session' if auto else 'script'}: {cmd.text}")
            yield from self._script_step(cmd)
        if auto:
            self._scripted = False

    def _script_step(self, cmd: ScriptCommand) -> Generator:
        # Every command of sim/car/script.py's SCRIPT_COMMANDS has one step here (a test
        # holds the two tables together).
        yield from SCRIPT_STEPS[cmd.name](self, *cmd.args)

    def _step_sleep(self, seconds: float) -> Generator:
        yield self.env.timeout(seconds)

    def _step_wait_pwr_ready(self) -> Generator:
        self._plug(wants_power=self.wants_power)
        while not (self.measurement and
                   current_from_duty(self.measurement["pwm_duty_pct"]) >= MIN_CURRENT_A):
            waiter = self.env.event()
            self._watchers.append(waiter)
            yield waiter

    def _step_draw(self, amperes: float, phases: int, fixed: bool) -> Generator:
        self._plug(wants_power=True)
        self.draw_phases = int(phases)
        if fixed:
            self.fixed_a = float(amperes)
        else:
            self.fixed_a = None
            self.limit_a = min(float(amperes), float(self.max_current_a))
        self._apply()
        yield from ()

    def _step(self, action: Callable[..., None], *args: Any) -> Generator:
        """A command that acts at once."""
        action(*args)
        yield from ()


SCRIPT_STEPS: dict[str, Callable[..., Generator]] = {
    "sleep": SimCar._step_sleep,
    "iec_wait_pwr_ready": SimCar._step_wait_pwr_ready,
    "draw_power_regulated": lambda car, a, p: car._step_draw(a, p, fixed=False),
    "draw_power_fixed": lambda car, a, p: car._step_draw(a, p, fixed=True),
    "pause": lambda car: car._step(car.pause),
    "unplug": lambda car: car._step(car.unplug),
    "error_e": lambda car: car._step(car.set_fault, "error_e", True),
    "diode_fail": lambda car: car._step(car.set_fault, "diode_fail", True),
    "rcd_current": lambda car, ma: car._step(car.set_rcd_current, ma, False),
    "set_soc": lambda car, pct: car._step(car.set_soc, pct),
    "iso_wait_slac_matched": SimCar._step_iso_wait_slac_matched,
    "iso_start_v2g_session": SimCar._step_iso_start_v2g_session,
    "iso_wait_pwr_ready": SimCar._step_iso_wait_pwr_ready,
    "iso_dc_power_on": lambda car: car._step(car.set_dc_contactors, True),
    "iso_draw_power_regulated": SimCar._step_iso_draw,
    "iso_stop_charging": SimCar._step_iso_stop,
    "iso_wait_for_stop": SimCar._step_iso_wait_for_stop,
    "iso_wait_v2g_session_stopped": SimCar._step_iso_wait_session_stopped,
    "iso_pause_charging": SimCar._step_iso_pause,
    "iso_wait_for_resume": SimCar._step_iso_wait_for_resume,
}

# The EVCC's events the car reacts to (iso15118_ev variables).
HLC_EVENTS: dict[str, Callable[[SimCar, Any], None]] = {
    "session_started": SimCar._on_session_started,
    "charge_parameters": SimCar._on_charge_parameters,
    "power_delivery_started": SimCar._on_power_delivery_started,
    "power_delivery_stopped": SimCar._on_power_delivery_stopped,
    "evse_notification": SimCar._on_notification,
    "session_paused": lambda car, v: car._on_session_over("paused", v),
    "session_finished": lambda car, v: car._on_session_over("finished", v),
}
