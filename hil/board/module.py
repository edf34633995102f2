"""SerialBoard: the charger's HAL interfaces served by an open charger board over serial.

The charger's commands become board messages (PWM duty in 0.01 %, contactors, phases, lock, RCD
re-arm); what the board reports becomes the interfaces' variables and errors (pilot states,
contactor feedback as PowerOn/PowerOff, diode fault, RCD trip, lock, meter readings). The host
sends a keep-alive every second; when the board is silent for ``silence_timeout_s``, or its port
fails, ``CommunicationFault`` is raised on the board and on its meter, and cleared when it answers
again. The board keeps its own safe state without a host (PWM off, contactors open); on
reconnection and after a board reset the host sends again what the charger last commanded.

``meter.read`` asks the board for a reading now (``read_power_meter``) and waits
``command_timeout_s`` for the ``power_meter`` that answers it by its request id. Without an
answer the read fails (a timeout, never the last pushed reading, which may be seconds old) and
the meter's ``CommunicationFault`` is raised; the host asks again with every keep-alive and
clears it at the first answer.
"""

from __future__ import annotations

from collections.abc import Generator

from charger.framework import CommandError, CommandErrorType, Module, command
from hil.board import messages
from hil.board.device import BoardDevice
from hil.board.messages import BoardToHost, HostToBoard, pb
from hil.device import DeviceError

LOST = "CommunicationFault"


class SerialBoard(Module):
    def init(self) -> None:
        self.device = BoardDevice(self.env, self.id, self.config["port"], self.config["baudrate"])
        self.device.silence_timeout_s = self.config["silence_timeout_s"]
        self.device.add_listener(self._on_message)
        self.device.on_link(self._on_link)
        self.device.on_garbage(self._on_garbage)
        # What the charger last commanded, sent again after a reconnection or a board reset.
        self.duty = messages.DUTY_OFF
        self.power_on = False
        self.three_phases = True
        self.cp: str | None = None
        self.relays_closed: bool | None = None
        self.flags = pb.ErrorFlags()
        self.capabilities: dict | None = None
        self.lock_wanted: bool | None = None
        self.pp_state = "none"
        self.telemetry: dict = {}
        self.lost = False  # CommunicationFault raised
        self.request_id = 0  # of the last read_power_meter
        self.meter_unanswered: str | None = None  # why the last meter read failed
        self.meter_fault = False  # the meter's CommunicationFault raised
        self._meter_probing = False

    def ready(self) -> Generator:
        self.device.start()
        while True:
            self.device.send(HostToBoard(keep_alive=pb.KeepAlive(
                time_stamp=int(self.env.now), sw_version_string="evbench")))
            if self.meter_unanswered is not None and not self.lost and not self._meter_probing:
                self.env.process(self._probe_meter())
            yield self.env.timeout(self.config["keep_alive_interval_s"])

    def shutdown(self) -> None:
        self.device.stop()

    # --- the charger's commands -----------------------------------------------------------------
    @command("board", "enable")
    def enable(self, value: bool) -> None:
        self._set_duty(messages.DUTY_OFF if value else messages.DUTY_F)

    @command("board", "pwm_on")
    def pwm_on(self, duty_cycle_pct: float) -> None:
        self._set_duty(messages.duty_units(duty_cycle_pct))

    @command("board", "pwm_off")
    def pwm_off(self) -> None:
        self._set_duty(messages.DUTY_OFF)

    @command("board", "pwm_f")
    def pwm_f(self) -> None:
        self._set_duty(messages.DUTY_F)

    @command("board", "allow_power_on")
    def allow_power_on(self, value: bool, phase_count: int) -> None:
        self._check_link()
        three = phase_count == 3
        if three != self.three_phases:
            self.three_phases = three
            self.device.send(HostToBoard(set_number_of_phases=three))
        self.power_on = value
        self.device.send(HostToBoard(allow_power_on=value))

    @command("rcd", "reset")
    def rcd_reset(self) -> Generator:
        flags = yield from self._ask(HostToBoard(rcd_reset=True))
        return not flags.error_flags.rcd_triggered

    @command("lock", "lock")
    def lock(self) -> Generator:
        self.lock_wanted = True
        yield from self._ask(HostToBoard(connector_lock=True))

    @command("lock", "unlock")
    def unlock(self) -> Generator:
        self.lock_wanted = False
        yield from self._ask(HostToBoard(connector_lock=False))

    @command("meter", "read")
    def read_meter(self) -> Generator:
        # A reading taken now, by request: the last pushed one may be a second old. Its answer
        # is published on meter.powermeter like any reading the board sends.
        self._check_link()
        answer = yield from self._read_power_meter()
        return messages.meter_reading(answer.power_meter, self.config["meter_id"])

    def _set_duty(self, duty: int) -> None:
        self._check_link()
        self.duty = duty
        self.device.send(HostToBoard(pwm_duty_cycle=duty))

    def _check_link(self) -> None:
        if self.device.lost_reason is not None:
            raise CommandError(CommandErrorType.TIMEOUT,
                               f"{self.id}: board not answering ({self.device.lost_reason})")

    def _read_power_meter(self) -> Generator:
        """Ask the board for a reading; the answer, or CommandError (and the meter's
        CommunicationFault) when none comes within ``command_timeout_s``."""
        self.request_id = messages.next_request_id(self.request_id)
        request = HostToBoard(read_power_meter=pb.ReadPowerMeter(request_id=self.request_id))
        try:
            answer = yield self.device.request(request, self.config["command_timeout_s"])
        except DeviceError as exc:
            self.meter_unanswered = f"meter not answering: {exc}"
            self._sync_meter_fault(self.meter_unanswered)
            raise CommandError(CommandErrorType.TIMEOUT, self.meter_unanswered) from None
        if self.meter_unanswered is not None:
            self.meter_unanswered = None
            self.log("info", f"board at {self.config['port']}: meter answering again")
            self._sync_meter_fault("")
        return answer

    def _probe_meter(self) -> Generator:
        """After a read went unanswered: ask once more (the keep-alive loop starts this)."""
        self._meter_probing = True
        try:
            yield from self._read_power_meter()
        except CommandError:
            pass  # still unanswered: the fault stays, the next keep-alive asks again
        finally:
            self._meter_probing = False

    def _sync_meter_fault(self, message: str) -> None:
        """The meter's CommunicationFault: raised while the board is lost or its meter does
        not answer reads, cleared when neither holds."""
        active = self.lost or self.meter_unanswered is not None
        if active and not self.meter_fault:
            self.raise_error("meter", LOST, message)
        elif self.meter_fault and not active:
            self.clear_error("meter", LOST)
        self.meter_fault = active

    def _ask(self, request: HostToBoard) -> Generator:
        self._check_link()
        try:
            return (yield self.device.request(request, self.config["command_timeout_s"]))
        except DeviceError as exc:
            raise CommandError(CommandErrorType.TIMEOUT, str(exc)) from None

    # --- what the board reports -----------------------------------------------------------------
    def _on_message(self, message: BoardToHost) -> None:
        kind = messages.kind_of(message)
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(getattr(message, kind))

    def _on_keep_alive(self, alive: pb.BoardKeepAlive) -> None:
        capabilities = {"max_current_a": round(float(alive.hwcap_max_current), 3),
                        "min_current_a": round(float(alive.hwcap_min_current), 3),
                        "max_phase_count": 3 if alive.hwcap_max_phase_count >= 3 else 1,
                        "min_phase_count": 3 if alive.hwcap_min_phase_count >= 3 else 1}
        if capabilities != self.capabilities:
            self.capabilities = capabilities
            self.publish("board", "capabilities", capabilities)

    def _on_cp_state(self, state: int) -> None:
        cp = messages.CP_STATES[state] if state < len(messages.CP_STATES) else None
        if cp is None:
            self.log("warning", f"board reported unknown pilot state {state}")
        elif cp != self.cp:
            self.cp = cp
            self.publish("board", "event", {"event": cp})

    def _on_relay_state(self, closed: bool) -> None:
        if self.relays_closed is None and not closed:
            self.relays_closed = False  # the first report, of contactors open: nothing changed
        elif closed != self.relays_closed:
            self.relays_closed = closed
            self.publish("board", "event", {"event": "PowerOn" if closed else "PowerOff"})

    def _on_reset(self, reason: int) -> None:
        self.log("warning", f"board reset ({pb.ResetReason.Name(reason)}); sending the "
                 "charger's last commands again")
        self.cp = self.relays_closed = None
        self._resend()

    def _on_error_flags(self, flags: pb.ErrorFlags) -> None:
        old, self.flags = self.flags, flags
        self._follow(old.diode_fault, flags.diode_fault, "board", "DiodeFault",
                     "the board saw a faulty pilot diode")
        self._follow(old.ventilation_not_available, flags.ventilation_not_available, "board",
                     "VentilationNotAvailable", "the car asks for ventilation")
        if flags.rcd_triggered != old.rcd_triggered or flags.rcd_dc != old.rcd_dc:
            if old.rcd_triggered:
                self.clear_error("rcd", "DC" if old.rcd_dc else "AC")
            if flags.rcd_triggered:
                self.raise_error("rcd", "DC" if flags.rcd_dc else "AC",
                                 "the board's RCD tripped")
        failure = "ConnectorLockFailedLock" if self.lock_wanted is not False \
            else "ConnectorLockFailedUnlock"
        self._follow(old.connector_lock_failed, flags.connector_lock_failed, "lock", failure,
                     "the board's lock did not move")
        for name in ("rcd_selftest_failed", "cp_signal_fault", "over_current"):
            if getattr(flags, name) and not getattr(old, name):
                self.log("warning", f"board reports {name}")

    def _follow(self, was: bool, now: bool, impl: str, error: str, message: str) -> None:
        if now and not was:
            self.raise_error(impl, error, message)
        elif was and not now:
            self.clear_error(impl, error)

    def _on_telemetry(self, telemetry: pb.Telemetry) -> None:
        self.telemetry = {"cp_hi_v": telemetry.cp_voltage_hi_mv / 1000,
                          "cp_lo_v": telemetry.cp_voltage_lo_mv / 1000}

    def _on_pp_state(self, state: int) -> None:
        self.pp_state = messages.PP_STATES[state] if state < len(messages.PP_STATES) else "?"

    def _on_lock_state(self, state: int) -> None:
        if state != pb.LOCK_UNDEFINED:
            self.publish("lock", "locked", state == pb.LOCKED)

    def _on_power_meter(self, meter: pb.PowerMeter) -> None:
        self.publish("meter", "powermeter", messages.meter_reading(meter, self.config["meter_id"]))

    # --- the link -------------------------------------------------------------------------------
    def _on_link(self, answering: bool, reason: str) -> None:
        if answering:
            if self.lost:
                self.lost = False
                self.clear_error("board", LOST)
                self._sync_meter_fault("")
            self._resend()
        elif not self.lost:
            self.lost = True
            message = f"board at {self.config['port']}: {reason}"
            self.log("error", message)
            self.raise_error("board", LOST, message)
            self._sync_meter_fault(message)

    def _resend(self) -> None:
        self.device.send(HostToBoard(set_number_of_phases=self.three_phases))
        self.device.send(HostToBoard(pwm_duty_cycle=self.duty))
        self.device.send(HostToBoard(allow_power_on=self.power_on))

    def _on_garbage(self, reason: str) -> None:
        self.log("warning", f"board at {self.config['port']}: frame refused: {reason} "
                 f"({self.device.rejected} so far)")
