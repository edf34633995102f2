"""EvseManager: runs one connector's session on the IEC 61851-1 control pilot.

The board reports pilot states (A-F) and contactor feedback; this module decides the PWM duty
(from the current limit), when the contactors close (car in C with PWM offered, authorized) and
open (at once on C->B, unplug, RCD trip or pilot fault; after ``pwm_stop_timeout_s`` when the car
stays in C without PWM), and reports the session as events.

The module is the bus glue around three tables: the pilot rules (``charger.iec61851``), the
session states and their transitions (``states.TRANSITIONS``: the published ``state`` is the
state held) and the fault table (``faults.FAULTS``: every error of the board, RCD, lock and meter,
and the faults this module detects, with the reaction to each). Faults stop the PWM rather than
driving the pilot to F: with a constant +12 V the car's unplugging stays visible, which is what
re-arms the RCD and ends the session.

The commands that make the connector safe (stop the PWM, open the contactors) are calls whose
answer is awaited: a refusal or no answer within ``safety_command_timeout_s`` is the fault
``SafetyCommandFailed``. After the opening command the contactors' feedback must report open
within ``contactor_open_timeout_s``, or the contactor is welded (``ContactorFault``).

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

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import simpy

from charger.evse_manager.faults import ActiveFaults, Clearing, FaultRow, SafeState, own, row_for
from charger.evse_manager.hlc_glue import HlcGlue
from charger.evse_manager.overcurrent import OfferHistory
from charger.evse_manager.states import EvseState, Facts, StateMachine
from charger.framework import CommandError, ErrorReport, Module, command
from charger.framework.errors import Problem
from charger.iec61851 import (
    CHARGING_PILOT_STATES,
    MIN_CURRENT_A,
    PILOT_ERROR_STATES,
    current_from_duty,
    duty_from_current,
    overcurrent_threshold_a,
    plug_seen,
    unplug_seen,
)

# What each charge mode needs connected besides the board.
MODE_NEEDS: dict[str, tuple[str, ...]] = {
    "AC": (),
    "AC_HLC": ("slac", "hlc"),
    "DC": ("slac", "hlc", "power_supply", "dc_contactors", "imd"),
}


class EvseManager(Module):
    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """A charge mode without the modules it needs is refused when the station loads."""
        mode = instance.config.get("charge_mode", "AC")
        missing = [name for name in MODE_NEEDS.get(mode, ()) if not instance.connections.get(name)]
        if not missing:
            return []
        return [Problem(instance.path, instance.line("config", "charge_mode") or instance.line(),
                        f"{instance.id}: charge_mode {mode} needs {', '.join(missing)} "
                        "connected")]

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
        self.limit_paused = False  # HLC: paused because the offer fell below 6 A (energy limit)
        self.stopped = False  # transaction stopped, waiting for unplug
        self.faults = ActiveFaults()
        self.machine = StateMachine()
        self._published_state: EvseState | None = None
        self._settling = 0  # > 0: one event's consequences are being applied; publish after
        self.limit_a = 0.0 if self.config["energy_managed"] else self.config["max_current_a"]
        self.pwm: float | str | None = None  # duty %, "F", or None for a constant +12 V
        self.contactor_wanted = False
        self.contactor_closed = False
        self.energy_at_start_wh: float | None = None
        self.last_energy_wh: float | None = None
        self._contactor_decisions = 0
        self._watchdog = None  # the pending PWM-stop watchdog process
        self.external_cap_a: float | None = None  # a limit from outside (OCPP profiles)
        self.reservation: dict | None = None  # {id, id_token}
        self.locked = False  # what the connector lock last reported
        self._finishing: dict | None = None  # TransactionFinished, waiting for power off
        self._offers = OfferHistory()
        self._contactor_checks = 0  # supersedes a pending welding check
        self._phase_currents = (0.0, 0.0, 0.0)
        self._overcurrent_checks = 0  # supersedes a pending over-current timer
        self._overcurrent_since: float | None = None
        # HLC (AC_HLC, DC): the SLAC/SECC/DC-hardware glue around the sub-machines.
        self.charge_mode: str = self.config["charge_mode"]
        self.dc_contactors_closed = False  # the DC output contactors' last feedback
        self.hlc = HlcGlue(self) if self.charge_mode != "AC" else None

        self.board.subscribe("event", self._on_board_event)
        # Every error of every requirement goes through the fault table.
        for requirement in (self.board, self.rcd, self.lock, self.meter):
            if requirement:
                requirement.on_error(self._on_error)
        if self.meter:
            self.meter.subscribe("powermeter", self._on_meter)
        if self.external:
            self.external.subscribe("limits", self._on_external_limits)
        if self.lock:
            self.lock.subscribe("locked", self._on_locked)

    @property
    def state(self) -> str:
        """The state held (and published)."""
        return str(self.machine.state)

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
        if self.hlc is not None:
            self.hlc._publish_phase()

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
        if self.hlc is not None:
            self.hlc.authorized()
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
        """The charger pauses: basic charging withdraws the PWM; under HLC the car is told
        (hlc_glue: no current, and on ISO 15118-2 a ReNegotiation to the new limits)."""
        if not self.transaction or self.paused_by_evse:
            return False
        with self.settling():
            self.paused_by_evse = True
            self._event("ChargingPausedEVSE", reason="Requested")
            self._update()
            if self.hlc is not None:
                self.hlc.charger_pause(self._hlc_pausing())
        return True

    @command("evse", "resume_charging")
    def resume_charging(self) -> bool:
        if not self.transaction or not self.paused_by_evse:
            return False
        with self.settling():
            self.paused_by_evse = False
            self._update()
            if self.hlc is not None:
                self.hlc.charger_pause(self._hlc_pausing())
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
            elif self.transaction and self._plugged() and not self.stopped \
                    and not self._hlc_decides():
                if self.paused_by_evse or self.pwm is None:
                    pass  # the pause was announced when the PWM stopped
                elif self.cp == "B":
                    self._event("ChargingPausedEV")
            if not self._plugged():
                self._release_all(Clearing.UNPLUG_AND_OPEN)
            self._publish_state()
        else:
            self._on_pilot(event)

    def _on_pilot(self, state: str) -> None:
        previous, self.cp = self.cp, state
        if state == "A":
            if unplug_seen(previous, state):
                self._unplugged()
            self._release_all(Clearing.UNPLUG)
            if not self.contactor_closed:
                self._release_all(Clearing.UNPLUG_AND_OPEN)
            self._release_all(Clearing.PILOT_OK)
        elif state in PILOT_ERROR_STATES:
            if not (state == "F" and self.pwm == "F"):  # F we drive ourselves is no fault
                self._hold(own("PilotFault"), f"pilot in state {state}")
        else:
            self._release_all(Clearing.PILOT_OK)
            if plug_seen(previous, state, self._plugged()):
                self._plugged_in()
            if state == "D" and not self.config["ventilation_available"]:
                self._hold(own("VentilationNotAvailable"), "car requests ventilation (state D)")
        self._update()

    def _on_error(self, report: ErrorReport) -> None:
        """An error of the board, RCD, lock or meter: its row of the fault table decides."""
        row = row_for(report.type)
        if row is None:  # an interface grew an error the table lacks (a test guards this)
            self.log("error", f"no reaction declared for {report.type}; stopping charging")
            row = own("SafetyCommandFailed")
        if report.active:
            self._hold(row, f"{report.type}: {report.message}".rstrip(": "))
            if row.safe_state is SafeState.BOARD_RESET:
                # The board restarts from its reset state when the supply returns: our pilot
                # and contactor decisions are then made again from scratch.
                self.pwm = None
                self._note_offer()
        elif row.clears is Clearing.SOURCE:
            self._release(row)
        self._update()

    def _on_meter(self, value: dict) -> None:
        self.last_energy_wh = value["energy_wh_import"]["total"]
        if self.charge_mode == "DC":
            return  # a DC meter: no phases, and the supply limits its own current
        current = value["current_a"]
        self._phase_currents = (current["L1"], current["L2"], current["L3"])
        self._check_current()

    def _on_locked(self, locked: bool) -> None:
        # A "locked" that answers a lock command sent before the car left does not count.
        self.locked = locked and self._plugged()
        self._update()

    # --- over-current ------------------------------------------------------------------------
    def _note_offer(self) -> None:
        amps = current_from_duty(self.pwm) if isinstance(self.pwm, float) else 0.0
        if self.hlc is not None and self.pwm == 5.0 and self._plugged():
            amps = self._hlc_offer_a()  # 5 % PWM: the offer travels in ISO 15118-2 messages
        self._offers.note(self.env.now, amps)
        self._check_current()

    def _check_current(self) -> None:
        allowed, drops_at = self._offers.allowed(self.env.now)
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
            self._hold(own("OverCurrent"),
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
        if self.hlc is not None:
            self.hlc.plugged()

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
        if self.hlc is not None:
            self.hlc.unplugged()
        self._event("SessionFinished")
        self.session_id = None
        self.token = None
        self.transaction = self.charged = self.paused_by_evse = self.stopped = False
        self.limit_paused = False
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
        if self.hlc is not None and self._plugged():
            self.hlc.charger_stop()  # the car is asked to stop (EVSENotification StopCharging)
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

    # --- faults: the table's rows held and released ---------------------------------------------
    def _hold(self, row: FaultRow, message: str) -> None:
        if self.faults.add(row):
            self.raise_error("evse", row.raises, message)
            self._event("Error", reason=row.raises)
            if self.hlc is not None:
                self.hlc.fault()

    def _release(self, row: FaultRow) -> None:
        if self.faults.remove(row):
            self.clear_error("evse", row.raises)
            if not self.faults:
                self._event("AllErrorsCleared")

    def _release_all(self, clearing: Clearing) -> None:
        for row in self.faults.held_by(clearing):
            self._release(row)

    # --- the one place that decides pilot and contactors ---------------------------------------
    def _charging_wanted(self) -> bool:
        return (self.enabled and self.transaction and not self.stopped
                and not self.paused_by_evse and not self.faults)

    def _update(self) -> None:
        if self.hlc is not None and not self.hlc.basic_fallback:
            self._update_hlc()
            return
        offering = (self._charging_wanted() and self._offer_a() >= MIN_CURRENT_A
                    and self.cp not in PILOT_ERROR_STATES)
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
        power = offering and self.cp in CHARGING_PILOT_STATES and locked
        if (self.contactor_closed and self.contactor_wanted and not offering and locked
                and not self.faults and self.cp in CHARGING_PILOT_STATES):
            # The charger withdrew the PWM while the car is in C with power on: the car has
            # pwm_stop_timeout_s to stop and go to B. Faults, C->B and unlocking open at once,
            # and a closing still under way is called off.
            self._watch_pwm_stop()
        else:
            self._set_contactor(power)
        self._publish_state()

    def _update_hlc(self) -> None:
        """The pilot and AC contactors under high-level communication: 5 % PWM while the HLC
        session runs; AC_HLC contactors close when the car asked by PowerDelivery and is in
        C/D behind a locked plug; a DC connector's board contactors stay open."""
        assert self.hlc is not None
        limited = self.transaction and not self.stopped and self._offer_a() < MIN_CURRENT_A
        if limited != self.limit_paused:
            # The energy manager's limit (or an external cap) fell below 6 A, or came back:
            # the charger pauses or resumes as on a request.
            self.limit_paused = limited
            if limited and not self.paused_by_evse:
                self._event("ChargingPausedEVSE", reason="EnergyLimit")
            self.hlc.charger_pause(self._hlc_pausing())
        if not self.enabled:
            self._set_pwm("F")
        elif self.hlc.wants_pwm and not self.faults and self.cp not in PILOT_ERROR_STATES \
                and self._plugged():
            self._set_pwm(5.0)
        else:
            self._set_pwm(None)
        if self.charge_mode == "AC_HLC":
            self._note_offer()  # the offer under 5 % PWM follows the energy manager's limit
            self.hlc.offer_ac_current(self._hlc_offer_a())
        locked = self.lock is None or self.locked
        power = (self.charge_mode == "AC_HLC" and self.hlc.ac_power_wanted
                 and self._charging_wanted() and not self.limit_paused
                 and self.cp in CHARGING_PILOT_STATES and locked)
        if (self.contactor_closed and self.contactor_wanted and self._hlc_pausing() and locked
                and self.hlc.ac_power_wanted and not self.faults and not self.stopped
                and self.cp in CHARGING_PILOT_STATES):
            # AC_HLC, paused by the charger: the car was offered 0 A (and, on ISO 15118-2,
            # asked to renegotiate); as after a withdrawn PWM it has pwm_stop_timeout_s to stop
            # drawing before the contactors open.
            self._watch_pwm_stop()
        else:
            self._set_contactor(power)
        self._publish_state()

    def _hlc_offer_a(self) -> float:
        """The current offered in ISO 15118-2 messages (AC_HLC): none while the charger pauses."""
        return 0.0 if self._hlc_pausing() else self._offer_a()

    def _hlc_pausing(self) -> bool:
        """HLC: the charger pauses, on request or because its offer is below 6 A."""
        return self.paused_by_evse or self.limit_paused

    def _hlc_decides(self) -> bool:
        """High-level communication (not the pilot) decides the session's pauses and end."""
        return self.hlc is not None and not self.hlc.basic_fallback

    # --- what the HLC glue reports -------------------------------------------------------------
    def hlc_pwm_changed(self) -> None:
        self._update()

    def hlc_power_changed(self) -> None:
        self._update()

    def hlc_failed(self, reason: str) -> None:
        self.log("warning", f"high-level communication failed: {reason}")
        if self.transaction:
            self._finish_transaction("Other")
        self._update()

    def hlc_session_over(self, normal: bool, reason: str) -> None:
        """The V2G session ended (SessionStop, or an error): the transaction with it."""
        if self.transaction:
            self._finish_transaction("Local" if normal else "Other")
        self._update()

    def hlc_paused_by_ev(self) -> None:
        """ISO 15118-2 SessionStop Pause: the car paused; the transaction goes on."""
        if self.transaction and self.charged:
            self._event("ChargingPausedEV")
        self._update()

    def hlc_welding_failed(self, message: str) -> None:
        """DC welding detection failed: the fault table's welding row (ContactorFault)."""
        self._hold(own("ContactorFault"), message)
        self._update()

    def dc_power_flowing(self, flowing: bool) -> None:
        """DC: energy can flow (the current-demand loop with the output contactors closed)."""
        if flowing != self.contactor_closed:
            self._on_board_event({"event": "PowerOn" if flowing else "PowerOff"})

    def _watch_pwm_stop(self) -> None:
        if self._watchdog is not None:
            return
        generation = self._contactor_decisions

        def watchdog() -> Generator:
            yield self.env.timeout(self.config["pwm_stop_timeout_s"])
            if generation == self._contactor_decisions and self.contactor_wanted:
                self._watchdog = None
                self.log("warning", "car stayed in C after the PWM stopped (or, HLC, the "
                         "charger paused); opening contactors")
                self._set_contactor(False)

        self._watchdog = self.start(watchdog())

    def _set_contactor(self, closed: bool) -> None:
        if closed and self._watchdog is not None:
            # Charging is wanted again before the car had to stop (a pause resumed in time):
            # the pending opening is called off.
            self._contactor_decisions += 1
            self._watchdog = None
        if closed != self.contactor_wanted:
            self._contactor_decisions += 1  # supersedes a pending watchdog
            self._watchdog = None
            self.contactor_wanted = closed
            phases = self.config["phases"]
            if closed:
                self.board.send("allow_power_on", value=True, phase_count=phases)
            else:
                self._safety_call("allow_power_on", value=False, phase_count=phases)
                self._check_opened()

    def _set_pwm(self, pwm: float | str | None) -> None:
        if pwm == self.pwm:
            return
        self.pwm = pwm
        self._note_offer()
        if pwm is None:
            self._safety_call("pwm_off")
        elif pwm == "F":
            self._safety_call("pwm_f")
        else:
            self.board.send("pwm_on", duty_cycle_pct=pwm)

    # --- safety commands: calls whose answer is awaited ----------------------------------------
    def _safety_call(self, cmd: str, **args: Any) -> None:
        """Send a command that makes the connector safe; a refusal or no answer in time is the
        fault SafetyCommandFailed (whose reaction, stopping the PWM and opening, is retried
        only by commands not yet sent)."""
        answer = self.board.call(cmd, **args)
        answer.callbacks.append(_defuse)  # a late failure is judged below, not by simpy
        timeout_s = self.config["safety_command_timeout_s"]

        def await_answer() -> Generator:
            try:
                done = yield answer | self.env.timeout(timeout_s)
            except CommandError as error:
                self._safety_failed(f"board {cmd} failed: {error}")
                return
            if answer not in done:
                self._safety_failed(f"board {cmd} not answered within {timeout_s:g} s")

        self.start(await_answer())

    def _safety_failed(self, message: str) -> None:
        self.log("error", message)
        self._hold(own("SafetyCommandFailed"), message)
        self._update()

    def _check_opened(self) -> None:
        """Welding detection: the feedback must report open in time after the opening command
        (unless a closing superseded it, or nothing was closed)."""
        self._contactor_checks += 1
        check = self._contactor_checks
        timeout_s = self.config["contactor_open_timeout_s"]

        def check_feedback() -> Generator:
            yield self.env.timeout(timeout_s)
            if check == self._contactor_checks and not self.contactor_wanted \
                    and self.contactor_closed:
                self._hold(own("ContactorFault"),
                           f"contactors still closed {timeout_s:g} s after opening (welded?)")
                self._update()

        self.start(check_feedback())

    # --- publishing ----------------------------------------------------------------------------
    def _event(self, name: str, **extra: Any) -> None:
        value = {"event": name, "connector": self.connector, **extra}
        if self.session_id:
            value.setdefault("session_id", self.session_id)
        self.publish("evse", "session_event", value)
        self._remember()

    def facts(self) -> Facts:
        """What the session knows now, for the state machine."""
        hlc = self._hlc_decides()
        return Facts(
            enabled=self.enabled, faulted=bool(self.faults), plugged=self._plugged(),
            reserved=self.reservation is not None, transaction=self.transaction,
            stopped=self.stopped, contactors_closed=self.contactor_closed, charged=self.charged,
            paused_by_evse=self.paused_by_evse or self.limit_paused,
            pwm_offered=isinstance(self.pwm, float),
            car_in_b=self.cp == "B", hlc=hlc,
            hlc_ending=hlc and self.hlc is not None and self.hlc.car_ending,
            hlc_paused_by_ev=hlc and self.hlc is not None and self.hlc.car_paused)

    @contextmanager
    def settling(self) -> Iterator[None]:
        """Apply all consequences of one event before the state moves: a stop the HLC glue
        reports in several steps (SessionStop ends the V2G session, which stops the PWM, which
        ends the transaction) is one transition, not a walk through the states each
        half-applied step would suggest."""
        self._settling += 1
        try:
            yield
        finally:
            self._settling -= 1
            if not self._settling:
                self._publish_state()

    def _publish_state(self) -> None:
        """Move the held state along the transition table, and publish it when it changed."""
        if self._settling:
            return  # settling() publishes once the event is applied
        self.machine.update(self.facts())
        if self.machine.state != self._published_state:
            self._published_state = self.machine.state
            self.publish("evse", "state", str(self.machine.state))

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


def _defuse(event: simpy.Event) -> None:
    if not event.ok:
        event.defused = True
