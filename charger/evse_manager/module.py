"""EvseManager: runs one connector's session on the IEC 61851-1 control pilot.

The board reports pilot states (A-F) and contactor feedback; this module decides the PWM duty
(from the current limit), when the contactors close (car in C with PWM offered, authorized) and
open (at once on C->B, unplug, RCD trip or pilot fault; after ``pwm_stop_timeout_s`` when the car
stays in C without PWM), and reports the session as events.

Faults (RCD trip, diode fault, pilot E/F, ventilation refused, over-current, loss of the board's
supply) stop the PWM rather than driving the pilot to F: with a constant +12 V the car's
unplugging stays visible, which is what re-arms the RCD and ends the session.

Safety rules this module keeps (the run invariants judge them, docs/invariants.md):
- the contactors close only with the car in C/D, PWM offered, a transaction running and, when a
  lock is connected, the lock reporting locked;
- a transaction ends when no more energy can flow: TransactionFinished (with the meter's exact
  register) waits for the contactors to report open;
- over-current: when a phase carries more than ``overcurrent_threshold_a`` of the highest offer
  of the last 5 s (the car's time to follow a lower duty) for ``overcurrent_trip_delay_s``, the
  contactors open and ``OverCurrent`` is raised until the car is unplugged.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from charger.framework import ErrorReport, Module, command
from charger.iec61851 import (
    CAR_SETTLE_S,
    MIN_CURRENT_A,
    current_from_duty,
    duty_from_current,
    overcurrent_threshold_a,
)

ERROR_STATES = ("E", "F")
# Faults whose cause can no longer be observed once charging stops: cleared by unplugging.
LATCHED_UNTIL_UNPLUG = ("DiodeFault", "VentilationNotAvailable", "OverCurrent")


class EvseManager(Module):
    def init(self) -> None:
        self.connector = self.config["connector_id"]
        self.board = self.require("board")
        self.rcd = self.optional("rcd")
        self.lock = self.optional("lock")
        self.meter = self.optional("powermeter")
        self.external = self.optional("external_limits")

        self.cp = "A"
        self.enabled = True
        self.session_id: str | None = None
        # A restarted process continues the count (session ids stay unique) and learns which
        # session the old one was running, to end it in ready().
        remembered = self.recall() or {}
        self.sessions = int(remembered.get("sessions", 0))
        self._interrupted: dict | None = remembered.get("session")
        self.token: str | None = None  # authorized token of the running transaction
        self.transaction = False
        self.charged = False  # contactors were closed in this transaction
        self.paused_by_evse = False
        self.stopped = False  # transaction stopped, waiting for unplug
        self.faults: set[str] = set()
        self.limit_a = 0.0 if self.config["energy_managed"] else self.config["max_current_a"]
        self.pwm: float | str | None = None  # duty %, "F", or None for a constant +12 V
        self.contactor_wanted = False
        self.contactor_closed = False
        self.state = ""
        self.energy_at_start_wh: float | None = None
        self.last_energy_wh: float | None = None
        self._contactor_decisions = 0
        self._watchdog = None  # the pending PWM-stop watchdog process
        self.external_cap_a: float | None = None  # a limit from outside (OCPP profiles)
        self.reservation: dict | None = None  # {id, id_token}
        self.locked = False  # what the connector lock last reported
        self._finishing: dict | None = None  # TransactionFinished, waiting for power off
        self._offers: list[tuple[float, float]] = [(0.0, 0.0)]  # (since, amps offered)
        self._phase_currents = (0.0, 0.0, 0.0)
        self._overcurrent_checks = 0  # supersedes a pending over-current timer
        self._overcurrent_since: float | None = None

        self.board.subscribe("event", self._on_board_event)
        self.board.on_error(self._on_board_error)
        if self.rcd:
            self.rcd.on_error(self._on_rcd_error)
        if self.meter:
            self.meter.subscribe("powermeter", self._on_meter)
        if self.external:
            self.external.subscribe("limits", self._on_external_limits)
        if self.lock:
            self.lock.subscribe("locked", self._on_locked)

    def ready(self) -> None:
        # Whatever the board was doing (this module may have been restarted mid-session),
        # start from a known, safe state: pilot at +12 V without PWM, contactors open.
        self.board.send("enable", value=True)
        self.board.send("pwm_off")
        self.board.send("allow_power_on", value=False, phase_count=self.config["phases"])
        self._end_interrupted_session()
        self._publish_state()
        self._publish_limits()
        self._publish_energy_request()

    # --- commands ----------------------------------------------------------------------------
    @command("evse", "authorize")
    def authorize(self, token: dict) -> bool:
        if not self._plugged() or self.token or self.stopped or not self.enabled or self.faults:
            return False
        connectors = token.get("connectors")
        if connectors and self.connector not in connectors:
            return False
        reservation = self.reservation
        if reservation and token["id_token"].upper() != reservation["id_token"].upper():
            return False
        self.token = token["id_token"]
        self._event("Authorized", id_token=self.token)
        self.transaction = True
        self.energy_at_start_wh = self.last_energy_wh
        if reservation:
            self.reservation = None
            self._event("TransactionStarted", id_token=self.token,
                        reservation_id=reservation["id"])
            self._event("ReservationEnded", reservation_id=reservation["id"], reason="Used")
        else:
            self._event("TransactionStarted", id_token=self.token)
        self._update()
        return True

    @command("evse", "withdraw_authorization")
    def withdraw_authorization(self) -> bool:
        if not self.token or self.charged:
            return False
        self.token = None
        self.transaction = False
        self._event("Deauthorized")
        self._update()
        return True

    @command("evse", "pause_charging")
    def pause_charging(self) -> bool:
        if not self.transaction or self.paused_by_evse:
            return False
        self.paused_by_evse = True
        self._event("ChargingPausedEVSE", reason="Requested")
        self._update()
        return True

    @command("evse", "resume_charging")
    def resume_charging(self) -> bool:
        if not self.transaction or not self.paused_by_evse:
            return False
        self.paused_by_evse = False
        self._update()
        return True

    @command("evse", "stop_transaction")
    def stop_transaction(self, reason: str) -> bool:
        if not self.transaction:
            return False
        self._finish_transaction(reason)
        self._update()
        return True

    @command("evse", "enable_disable")
    def enable_disable(self, enable: bool) -> bool:
        if enable == self.enabled:
            return True
        self.enabled = enable
        if not enable and self.transaction:
            self._finish_transaction("Local")
        self._event("Enabled" if enable else "Disabled")
        self._update()
        return True

    @command("evse", "reserve")
    def reserve(self, reservation_id: int, id_token: str) -> bool:
        if self._plugged() or not self.enabled or self.faults or (
                self.reservation and self.reservation["id"] != reservation_id):
            return False
        self.reservation = {"id": reservation_id, "id_token": id_token}
        self._event("ReservationStarted", reservation_id=reservation_id)
        self._publish_state()
        return True

    @command("evse", "cancel_reservation")
    def cancel_reservation(self, reservation_id: int) -> bool:
        if not self.reservation or self.reservation["id"] != reservation_id:
            return False
        self.reservation = None
        self._event("ReservationEnded", reservation_id=reservation_id, reason="Cancelled")
        self._publish_state()
        return True

    @command("energy", "enforce_limits")
    def enforce_limits(self, limits: dict) -> None:
        if self.id not in limits:
            return
        limit = min(limits[self.id], self.config["max_current_a"])
        if limit != self.limit_a:
            self.limit_a = limit
            self._publish_limits()
            self._update()

    # --- what the hardware reports -----------------------------------------------------------
    def _on_board_event(self, value: dict) -> None:
        event = value["event"]
        if event == "PowerOn":
            self.contactor_closed = True
            if self.transaction and not self.stopped:
                self._event("ChargingResumed" if self.charged else "ChargingStarted")
                self.charged = True
            self._publish_state()
        elif event == "PowerOff":
            self.contactor_closed = False
            if self._finishing is not None:
                self._complete_finish()
            elif self.transaction and self._plugged() and not self.stopped:
                if self.paused_by_evse or self.pwm is None:
                    pass  # the pause was announced when the PWM stopped
                elif self.cp == "B":
                    self._event("ChargingPausedEV")
            self._publish_state()
        else:
            self._on_pilot(event)

    def _on_pilot(self, state: str) -> None:
        previous, self.cp = self.cp, state
        if state == "A":
            if previous != "A":
                self._unplugged()
            for fault in LATCHED_UNTIL_UNPLUG:
                self._clear_fault(fault)
            self._clear_fault("PilotFault")
        elif state in ERROR_STATES:
            if not (state == "F" and self.pwm == "F"):  # F we drive ourselves is no fault
                self._set_fault("PilotFault", f"pilot in state {state}")
        else:
            self._clear_fault("PilotFault")
            if previous == "A" or previous in ERROR_STATES and self.session_id is None:
                self._plugged_in()
            if state == "D" and not self.config["ventilation_available"]:
                self._set_fault("VentilationNotAvailable", "car requests ventilation (state D)")
        self._update()

    def _on_board_error(self, report: ErrorReport) -> None:
        # The board sees a shorted diode only while the PWM runs, and stopping the PWM is the
        # reaction: the fault therefore stays latched until the car is unplugged.
        if report.type.endswith("/DiodeFault") and report.active:
            self._set_fault("DiodeFault", report.message or "pilot diode fault")
            self._update()
        elif report.type.endswith("/PowerLoss"):
            # The board restarts from its reset state when the supply returns: our pilot and
            # contactor decisions are then made again from scratch.
            if report.active:
                self._set_fault("PowerLoss", report.message or "the board lost its supply")
                self.pwm = None
                self._note_offer()
            else:
                self._clear_fault("PowerLoss")
            self._update()

    def _on_rcd_error(self, report: ErrorReport) -> None:
        if report.active:
            self._set_fault("RCDTrip", f"{report.type}: {report.message}".rstrip(": "))
        else:
            self._clear_fault("RCDTrip")
        self._update()

    def _on_meter(self, value: dict) -> None:
        self.last_energy_wh = value["energy_wh_import"]["total"]
        current = value["current_a"]
        self._phase_currents = (current["L1"], current["L2"], current["L3"])
        self._check_current()

    def _on_locked(self, locked: bool) -> None:
        # A "locked" that answers a lock command sent before the car left does not count.
        self.locked = locked and self._plugged()
        self._update()

    # --- over-current ------------------------------------------------------------------------
    def _allowed_a(self) -> tuple[float, float | None]:
        """The highest offer of the last CAR_SETTLE_S (what the car may still be drawing), and
        when that allowance next drops (None: it is the offer now)."""
        now = self.env.now
        # An offer stops counting CAR_SETTLE_S after the next one replaced it (computed the
        # same way as ``drops_at`` below, so a recheck at that time always finds it gone).
        while len(self._offers) > 1 and self._offers[1][0] + CAR_SETTLE_S <= now:
            self._offers.pop(0)
        allowed = max(amps for _, amps in self._offers)
        current = self._offers[-1][1]
        if allowed == current:
            return allowed, None
        # The allowance drops when the highest offer ends plus the car's settle time.
        index = max(range(len(self._offers)), key=lambda i: (self._offers[i][1], i))
        return allowed, self._offers[index + 1][0] + CAR_SETTLE_S

    def _note_offer(self) -> None:
        amps = current_from_duty(self.pwm) if isinstance(self.pwm, float) else 0.0
        if amps != self._offers[-1][1]:
            self._offers.append((self.env.now, amps))
        self._check_current()

    def _check_current(self) -> None:
        allowed, drops_at = self._allowed_a()
        over = max(self._phase_currents) > overcurrent_threshold_a(allowed)
        if not over:
            self._overcurrent_since = None
            self._overcurrent_checks += 1
            if drops_at is not None and max(self._phase_currents) > 0:
                self._recheck_current_at(drops_at)
            return
        if self._overcurrent_since is None:
            self._overcurrent_since = self.env.now
            self._recheck_current_at(self.env.now + self.config["overcurrent_trip_delay_s"])
        elif self.env.now - self._overcurrent_since >= self.config["overcurrent_trip_delay_s"]:
            self._set_fault("OverCurrent",
                            f"{max(self._phase_currents):g} A drawn, {allowed:g} A offered")
            self._update()

    def _recheck_current_at(self, when: float) -> None:
        self._overcurrent_checks += 1
        check = self._overcurrent_checks

        def recheck() -> Generator:
            yield self.env.timeout(max(0.0, when - self.env.now))
            if check == self._overcurrent_checks:
                self._check_current()

        self.start(recheck())

    def _on_external_limits(self, value: dict) -> None:
        cap = next((c["max_current_a"] for c in value["connectors"]
                    if c["connector"] == self.connector), None)
        if cap != self.external_cap_a:
            self.external_cap_a = cap
            self._publish_limits()
            self._publish_energy_request()
            self._update()

    def _offer_a(self) -> float:
        """The current to offer: the energy manager's limit within this connector's own and
        any external cap."""
        offer = min(self.limit_a, self.config["max_current_a"])
        return offer if self.external_cap_a is None else min(offer, self.external_cap_a)

    # --- session -------------------------------------------------------------------------------
    def _plugged(self) -> bool:
        return self.session_id is not None

    def _plugged_in(self) -> None:
        self.sessions += 1
        self.session_id = f"{self.id}-{self.sessions}"
        self._event("SessionStarted")
        if self.lock:
            self.lock.send("lock")
        self._event("AuthRequired")
        self._publish_energy_request()

    def _end_interrupted_session(self) -> None:
        """The session a previous process of this module was running ended with it (the
        contactors are open now): finish it explicitly, under its own id, and say why."""
        old, self._interrupted = self._interrupted, None
        if not old:
            return
        ended = {"connector": self.connector, "session_id": str(old["id"])}
        if old.get("transaction"):
            self.publish("evse", "session_event", {
                "event": "TransactionFinished", **ended, "reason": "PowerLoss",
                "id_token": str(old.get("id_token") or "")})
        self.publish("evse", "session_event", {
            "event": "SessionFinished", **ended,
            "reason": f"{self.id} restarted: the interrupted session was ended, not resumed"})
        self._remember()

    def _remember(self) -> None:
        session = {"id": self.session_id, "transaction": self.transaction,
                   "id_token": self.token} if self.session_id else None
        self.remember({"sessions": self.sessions, "session": session})

    def _unplugged(self) -> None:
        if self.transaction:
            self._finish_transaction("EVDisconnected")
        if self._finishing is not None:
            self._complete_finish()  # the car is gone: nothing flows any more
        self._event("SessionFinished")
        self.session_id = None
        self.token = None
        self.transaction = self.charged = self.paused_by_evse = self.stopped = False
        if self.lock:
            # From the unlock command on, the plug is not held, whatever the last report said:
            # only a report after the next lock command counts (a quick re-plug must wait).
            self.locked = False
            self.lock.send("unlock")
        if self.rcd and "RCDTrip" in self.faults:
            self.rcd.send("reset")  # a trip is re-armed once the car is gone
        self._remember()
        self._publish_energy_request()

    def _finish_transaction(self, reason: str) -> None:
        """Stop the transaction; it is finished (and its energy read) once the contactors are
        open: until then the car may still draw, and that energy belongs to it."""
        if self.charged:
            self._event("StoppingCharging", reason=reason)
        self.stopped = self._plugged()
        self.transaction = False
        self._remember()
        self._finishing = {"reason": reason, "id_token": self.token or "",
                           "charged": self.charged}
        if not self.contactor_closed:
            self._complete_finish()

    def _complete_finish(self) -> None:
        finishing, self._finishing = self._finishing, None
        assert finishing is not None
        extra: dict[str, Any] = {"reason": finishing["reason"], "id_token": finishing["id_token"]}
        if self.energy_at_start_wh is not None and self.last_energy_wh is not None:
            extra["energy_wh"] = round(self.last_energy_wh - self.energy_at_start_wh, 3)
        if finishing["charged"]:
            self._event("ChargingFinished")
        self._event("TransactionFinished", **extra)

    def _set_fault(self, name: str, message: str) -> None:
        if name not in self.faults:
            self.faults.add(name)
            self.raise_error("evse", name, message)
            self._event("Error", reason=name)

    def _clear_fault(self, name: str) -> None:
        if name in self.faults:
            self.faults.discard(name)
            self.clear_error("evse", name)
            if not self.faults:
                self._event("AllErrorsCleared")

    # --- the one place that decides pilot and contactors ---------------------------------------
    def _charging_wanted(self) -> bool:
        return (self.enabled and self.transaction and not self.stopped
                and not self.paused_by_evse and not self.faults)

    def _update(self) -> None:
        offering = (self._charging_wanted() and self._offer_a() >= MIN_CURRENT_A
                    and self.cp not in ERROR_STATES)
        if not self.enabled:
            self._set_pwm("F")
        elif offering:
            if self.pwm is None and not self.charged:
                self._event("PrepareCharging")
            duty = duty_from_current(self._offer_a())
            self._set_pwm(round(duty, 3))
        else:
            if isinstance(self.pwm, float) and self._charging_wanted():
                self._event("ChargingPausedEVSE", reason="EnergyLimit")
            self._set_pwm(None)

        # Power only behind a locked plug (when there is a lock to ask).
        locked = self.lock is None or self.locked
        power = offering and self.cp in ("C", "D") and locked
        if (self.contactor_closed and self.contactor_wanted and not offering and locked
                and not self.faults and self.cp in ("C", "D")):
            # The charger withdrew the PWM while the car is in C with power on: the car has
            # pwm_stop_timeout_s to stop and go to B. Faults, C->B and unlocking open at once,
            # and a closing still under way is called off.
            self._watch_pwm_stop()
        else:
            self._set_contactor(power)
        self._publish_state()

    def _watch_pwm_stop(self) -> None:
        if self._watchdog is not None:
            return
        generation = self._contactor_decisions

        def watchdog() -> Generator:
            yield self.env.timeout(self.config["pwm_stop_timeout_s"])
            if generation == self._contactor_decisions and self.contactor_wanted:
                self._watchdog = None
                self.log("warning", "car stayed in C after the PWM stopped; opening contactors")
                self._set_contactor(False)

        self._watchdog = self.start(watchdog())

    def _set_contactor(self, closed: bool) -> None:
        if closed != self.contactor_wanted:
            self._contactor_decisions += 1  # supersedes a pending watchdog
            self._watchdog = None
            self.contactor_wanted = closed
            self.board.send("allow_power_on", value=closed, phase_count=self.config["phases"])

    def _set_pwm(self, pwm: float | str | None) -> None:
        if pwm == self.pwm:
            return
        self.pwm = pwm
        self._note_offer()
        if pwm is None:
            self.board.send("pwm_off")
        elif pwm == "F":
            self.board.send("pwm_f")
        else:
            self.board.send("pwm_on", duty_cycle_pct=pwm)

    # --- publishing ----------------------------------------------------------------------------
    def _event(self, name: str, **extra: Any) -> None:
        value = {"event": name, "connector": self.connector, **extra}
        if self.session_id:
            value.setdefault("session_id", self.session_id)
        self.publish("evse", "session_event", value)
        self._remember()

    def _publish_state(self) -> None:
        if not self.enabled:
            state = "Disabled"
        elif self.faults:
            state = "Error"
        elif not self._plugged():
            state = "Reserved" if self.reservation else "Idle"
        elif self.stopped:
            state = "Finished"
        elif not self.transaction:
            state = "WaitingForAuthentication"
        elif self.contactor_closed:
            state = "Charging"
        elif self.paused_by_evse or (self.charged and self.pwm is None):
            state = "ChargingPausedEVSE"
        elif self.charged and self.cp == "B":
            state = "ChargingPausedEV"
        else:
            state = "PrepareCharging"
        if state != self.state:
            self.state = state
            self.publish("evse", "state", state)

    def _publish_limits(self) -> None:
        limit = self.limit_a if self.external_cap_a is None \
            else min(self.limit_a, self.external_cap_a)
        self.publish("evse", "limits", {"max_current_a": float(limit),
                                        "phases": self.config["phases"]})

    def _publish_energy_request(self) -> None:
        demand = self.config["max_current_a"] if self._plugged() else 0.0
        maximum = self.config["max_current_a"] if self.external_cap_a is None \
            else min(self.config["max_current_a"], self.external_cap_a)
        self.publish("energy", "energy_flow_request", {
            "uuid": self.id, "node_type": "Evse",
            "max_current_a": float(maximum),
            "min_current_a": MIN_CURRENT_A, "phases": self.config["phases"],
            "demand_a": float(demand), "children": []})
