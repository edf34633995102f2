"""An open charger board, emulated: the board's wire protocol on a serial port (a pty), driven by
the same plug physics as the simulated world (``sim.hal.plug.Plug``).

It behaves as a board does: keep-alives at 1 Hz with its capabilities, the pilot state on every
change, contactor feedback after the relays' switching time, error flags, lock state and a power
meter reading every second and on every change of current (before the feedback that explains
it), and a fresh one whenever the host asks (``read_power_meter``, answered with its request
id). It keeps its own safe state: when the host's keep-alives stop for ``host_timeout_s`` it
stops the PWM and opens the contactors.

The car's side of the plug is served on a TCP port (JSON lines, see ``hil/board/car_link.py``):
a simulated car on the host plugs in through ``EmulatedBoard``. The supply is a fixed healthy
230 V / 50 Hz.

Everything runs on the emulator's own wall-clock simpy environment (``factor`` as the station's,
so both count the same simulated seconds); the serial and TCP readers are threads that ``post``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import serial

from charger.framework.wallclock import WallClockEnvironment
from hil.board import messages
from hil.board.car_link import encode_line, serve_lines
from hil.board.framing import Deframer, FrameError
from hil.board.messages import BoardToHost, HostToBoard, pb
from hil.device import BadFrame
from sim.hal.plug import Plug

CAR_COMMANDS = ("set_cp_state", "diode_fail", "set_ac_draw", "set_rcd_current")


@dataclass
class BoardSettings:
    phases: int = 3
    max_current_a: float = 32.0
    relay_close_delay_s: float = 0.03
    relay_open_delay_s: float = 0.02
    lock_delay_s: float = 0.3
    meter_interval_s: float = 1.0
    keep_alive_interval_s: float = 1.0
    host_timeout_s: float = 5.0
    hw_type: int = 1
    hw_revision: int = 2
    sw_version: str = "evbench-emulator 1"


class BoardEmulator:
    """One emulated board on ``port`` (the device's end of a pty pair), with the car's side on
    ``car_port`` (a TCP port on 127.0.0.1; None: no car side)."""

    def __init__(self, env: WallClockEnvironment, port: str, car_port: int | None = None,
                 settings: BoardSettings | None = None,
                 log: Callable[[str], None] = lambda _line: None):
        self.env = env
        self.port = port
        self.car_port = car_port
        self.settings = settings or BoardSettings()
        self.log = log
        self.plug = Plug(self.settings.phases)
        self.plug.supply = {"voltage_v": 230.0, "frequency_hz": 50.0, "available": True}
        self.refused = 0  # frames from the host refused
        self.host_heard: float | None = None
        self.hung = False  # a test makes the board fall silent
        self.ignore_meter_reads = False  # a test makes the board leave read requests unanswered
        self.meter_reads = 0  # read_power_meter requests received
        self.lock_position = False
        self._relay_target = False
        self._relay_moves = 0
        self._flags = pb.ErrorFlags()
        self._serial: serial.SerialBase | None = None
        self._deframer = Deframer()
        self._car: socket.socket | None = None
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- running --------------------------------------------------------------------------------
    def start(self) -> None:
        self._serial = serial.serial_for_url(self.port, baudrate=115200, timeout=0.05)
        self._threads.append(threading.Thread(target=self._read_serial, daemon=True,
                                              name=f"emulator-{self.port}"))
        if self.car_port is not None:
            self._server = socket.create_server(("127.0.0.1", self.car_port))
            self._server.settimeout(0.2)
            self._threads.append(threading.Thread(target=self._serve_car, daemon=True,
                                                  name=f"emulator-car-{self.car_port}"))
        for thread in self._threads:
            thread.start()
        self.env.process(self._keep_alive())
        self.env.process(self._meter())
        self.env.process(self._watch_host())
        self._send(BoardToHost(reset=pb.POWER_ON))
        self._settle()

    def stop(self) -> None:
        self._stop.set()
        for closable in (self._server, self._car, self._serial):
            if closable is not None:
                with contextlib.suppress(OSError):
                    closable.close()
        for thread in self._threads:
            thread.join(timeout=2.0)

    def _read_serial(self) -> None:
        link = self._serial
        assert link is not None
        while not self._stop.is_set():
            try:
                data = link.read(max(1, link.in_waiting))
            except (serial.SerialException, OSError, TypeError):
                if not self._stop.is_set():
                    self.env.post(lambda: self.log(f"{self.port}: serial port failed"))
                return
            if data:
                self.env.post(lambda data=data: self._on_bytes(data))

    def _serve_car(self) -> None:
        assert self._server is not None
        serve_lines(self._server, self._stop, self.env.post, self._car_connected,
                    self._on_car_lines)

    # --- periodic -------------------------------------------------------------------------------
    def _keep_alive(self) -> Generator:
        while True:
            self._send(self._keep_alive_message())
            yield self.env.timeout(self.settings.keep_alive_interval_s)

    def _keep_alive_message(self) -> BoardToHost:
        s = self.settings
        return BoardToHost(keep_alive=pb.BoardKeepAlive(
            time_stamp=int(self.env.now), hw_type=s.hw_type, hw_revision=s.hw_revision,
            sw_version_string=s.sw_version, hwcap_max_current=s.max_current_a,
            hwcap_min_current=6.0, hwcap_max_phase_count=s.phases, hwcap_min_phase_count=1,
            supports_changing_phases_during_charging=False))

    def _meter(self) -> Generator:
        while True:
            self._send_meter()
            yield self.env.timeout(self.settings.meter_interval_s)

    def _watch_host(self) -> Generator:
        """The board's own safety: without its host, no PWM and no power."""
        while True:
            yield self.env.timeout(self.settings.host_timeout_s / 10)
            heard = self.host_heard if self.host_heard is not None else 0.0
            if self.env.now - heard < self.settings.host_timeout_s:
                continue
            if isinstance(self.plug.pilot, float) or self._relay_target:
                self.log(f"{self.port}: host silent for {self.env.now - heard:.1f} s: "
                         "PWM off, contactors open")
                self.plug.pilot = "off"
                self._move_relays(False)
                self._settle()

    # --- the host's messages --------------------------------------------------------------------
    def _on_bytes(self, data: bytes) -> None:
        for item in self._deframer.feed(data):
            if isinstance(item, FrameError):
                self._refuse(str(item))
                continue
            try:
                message = messages.parse(item, HostToBoard)
            except FrameError as exc:
                self._refuse(str(exc))
                continue
            self._on_message(message)

    def _refuse(self, reason: str) -> None:
        self.refused += 1
        self.log(f"{self.port}: frame refused: {reason}")

    def _on_message(self, message: HostToBoard) -> None:
        kind = messages.kind_of(message)
        value = getattr(message, kind)
        returning = self.host_heard is None or \
            self.env.now - self.host_heard >= self.settings.host_timeout_s
        self.host_heard = self.env.now
        if returning:
            self._send_status()
        if kind == "pwm_duty_cycle":
            self.plug.pilot = "F" if value == messages.DUTY_F else \
                "off" if value >= messages.DUTY_OFF else value / messages.DUTY_UNITS_PER_PCT
            self._settle()
        elif kind == "allow_power_on":
            self._move_relays(value)
        elif kind == "set_number_of_phases":
            self.plug.relay_phases = min(3 if value else 1, self.settings.phases)
            self._settle()
        elif kind == "connector_lock":
            self.env.process(self._move_lock(value))
        elif kind == "read_power_meter":
            self.meter_reads += 1
            if not self.ignore_meter_reads:
                self._send_meter(value.request_id)
        elif kind == "rcd_reset":
            if self.plug.rcd_reset():
                self._flags.rcd_triggered = self._flags.rcd_dc = False
            self._send(BoardToHost(error_flags=self._flags))
        elif kind == "reset":
            self._send(BoardToHost(reset=pb.USER))
            self.plug.power_restored()
            self._move_relays(False)
            self._settle()

    def _send_status(self) -> None:
        """What a host that (re)appears needs to know."""
        self._send(self._keep_alive_message())
        if self.plug.detected is not None:
            self._send(BoardToHost(cp_state=messages.CP_STATES.index(self.plug.detected)))
        self._send(BoardToHost(relay_state=self.plug.relays_closed))
        self._send(BoardToHost(error_flags=self._flags))
        self._send(BoardToHost(lock_state=pb.LOCKED if self.lock_position else pb.UNLOCKED))
        self._send_meter()

    def _move_relays(self, closed: bool) -> None:
        if closed == self._relay_target:
            return
        self._relay_target = closed
        self._relay_moves += 1
        move = self._relay_moves
        delay = self.settings.relay_close_delay_s if closed else self.settings.relay_open_delay_s

        def switch() -> Generator:
            yield self.env.timeout(delay)
            if move == self._relay_moves:
                self.plug.relays_closed = closed
                if closed:
                    self._send(BoardToHost(relay_state=True))
                    self._settle()
                else:
                    self._settle()  # the meter reading of the current stopping comes first
                    self._send(BoardToHost(relay_state=False))

        self.env.process(switch())

    def _move_lock(self, locked: bool) -> Generator:
        yield self.env.timeout(self.settings.lock_delay_s)
        self.lock_position = locked
        self._send(BoardToHost(lock_state=pb.LOCKED if locked else pb.UNLOCKED))

    # --- the car's side -------------------------------------------------------------------------
    def _car_connected(self, conn: socket.socket) -> None:
        if self._car is not None:
            with contextlib.suppress(OSError):
                self._car.close()
        self._car = conn
        if self.plug.last_measurement is not None:
            self._to_car({"measurement": self.plug.last_measurement})

    def _on_car_lines(self, lines: list[Any]) -> None:
        for line in lines:
            if isinstance(line, BadFrame):
                self.log(f"car channel: {line}")
                continue
            cmd, args = line.get("cmd"), line.get("args", {})
            try:
                self.apply_car_command(cmd, args)
            except (KeyError, TypeError, ValueError) as exc:
                self.log(f"car channel: bad command {line!r}: {exc}")

    def apply_car_command(self, cmd: str, args: dict) -> None:
        """The car's side of the plug changes (what ``ev_board_support`` commands do)."""
        if cmd == "hello":
            return
        if cmd not in CAR_COMMANDS:
            raise ValueError(f"unknown command {cmd!r}")
        plug = self.plug
        if cmd == "set_cp_state":
            plug.ev_state = str(args["cp_state"])
        elif cmd == "diode_fail":
            plug.diode_ok = not bool(args["value"])
        elif cmd == "set_ac_draw":
            plug.ev_draw_a, plug.ev_phases = float(args["current_a"]), int(args["phases"])
        else:
            plug.rcd_ma, plug.rcd_dc = float(args["current_ma"]), bool(args.get("dc", False))
        self._settle()

    def _to_car(self, message: dict) -> None:
        if self._car is None:
            return
        try:
            self._car.sendall(encode_line(message))
        except OSError:
            self._car = None

    # --- what follows from the plug -------------------------------------------------------------
    def _settle(self) -> None:
        settled = self.plug.settle(self.env.now)
        if settled.current_changed:
            self._send_meter()
        if settled.detected is not None:
            self._send(BoardToHost(cp_state=messages.CP_STATES.index(settled.detected)))
            self._send(BoardToHost(telemetry=pb.Telemetry(
                cp_voltage_hi_mv=round(self.plug.pilot_high_v() * 1000),
                cp_voltage_lo_mv=round(self.plug.pilot_low_v() * 1000))))
        flags = pb.ErrorFlags()
        flags.CopyFrom(self._flags)
        flags.diode_fault = self.plug.diode_fault
        if settled.rcd_tripped is not None:
            flags.rcd_triggered, flags.rcd_dc = True, settled.rcd_tripped == "DC"
        if flags != self._flags:
            self._flags = flags
            self._send(BoardToHost(error_flags=flags))
        if settled.measurement is not None:
            self._to_car({"measurement": settled.measurement})

    def _send_meter(self, request_id: int = 0) -> None:
        """A reading from the meter now: pushed (``request_id`` 0) or the answer to a request."""
        reading = self.plug.meter_reading(self.env.now, "board")
        self._send(BoardToHost(power_meter=messages.power_meter(reading, int(self.env.now),
                                                                request_id)))

    def _send(self, message: BoardToHost) -> None:
        link = self._serial
        if link is None or self.hung:
            return
        with contextlib.suppress(serial.SerialException, OSError):  # the reader reports it
            link.write(messages.frame(message))

    # --- for tests: faults on the line ----------------------------------------------------------
    def write_raw(self, data: bytes) -> None:
        """Put bytes on the line as they are (noise, broken frames)."""
        if self._serial is not None:
            self._serial.write(data)

