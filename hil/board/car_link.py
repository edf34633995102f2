"""The car's side of an emulated board's plug, over a second channel.

A bench board has no car inside; the board emulator (``hil/emulators/board.py``) hosts the car's
side of its plug model and serves it as ``ev_board_support`` over this channel: JSON lines on any
pyserial URL (the emulator listens on ``socket://127.0.0.1:PORT``). Host to emulator:
``{"cmd": "set_cp_state", "args": {"cp_state": "B"}}``; emulator to host:
``{"measurement": {...}}`` on every change of what the car's side measures.

``EmulatedBoard`` is ``SerialBoard`` plus this channel, so that a simulated car plugs into the
emulated board as it plugs into a ``SimBoard``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import urlparse

from charger.framework import CommandError, CommandErrorType, command
from hil.board.module import SerialBoard
from hil.device import BadFrame, DeviceUnavailable
from hil.serial_link import SerialDevice

MAX_LINE_BYTES = 4096


def encode_line(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


class LineDecoder:
    """Cuts a byte stream into JSON objects, one per line; a broken line is a BadFrame."""

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        self._pending += data
        out: list[Any] = []
        while True:
            end = self._pending.find(b"\n")
            if end < 0:
                if len(self._pending) > MAX_LINE_BYTES:
                    self._pending.clear()
                    out.append(BadFrame(f"line longer than {MAX_LINE_BYTES} bytes"))
                return out
            line, self._pending = bytes(self._pending[:end]), self._pending[end + 1:]
            try:
                message = json.loads(line)
            except (ValueError, UnicodeDecodeError) as exc:
                out.append(BadFrame(f"not JSON: {exc}"))
                continue
            out.append(message if isinstance(message, dict) else BadFrame("not an object"))


def loopback_tcp_port(url: str, what: str) -> int:
    """The port of an emulator's ``socket://127.0.0.1:PORT`` channel; ``what`` names it."""
    parsed = urlparse(url)
    if parsed.scheme != "socket" or parsed.hostname not in ("127.0.0.1", "localhost") \
            or parsed.port is None:
        raise DeviceUnavailable(f"the emulator serves {what} on socket://127.0.0.1:PORT, "
                                f"not {url!r}")
    return parsed.port


def serve_lines(server: socket.socket, stop: threading.Event, post: Callable[..., Any],
                on_connect: Callable[[socket.socket], None],
                on_lines: Callable[[list[Any]], None]) -> None:
    """An emulator's side of a JSON-lines channel, run on its own thread: accept one peer at a
    time on ``server`` (a socket with a timeout), and hand each connection and each batch of
    lines to the simulation through ``post`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(0.2)
        post(lambda conn=conn: on_connect(conn))
        decoder = LineDecoder()
        while not stop.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            lines = decoder.feed(data)
            if lines:
                post(lambda lines=lines: on_lines(lines))
        with contextlib.suppress(OSError):
            conn.close()


class CarLinkDevice(SerialDevice):
    """The emulator's car channel."""

    def __init__(self, env: Any, name: str, port: str):
        super().__init__(env, name, port)
        self._decoder = LineDecoder()

    def _reset_decoder(self) -> None:
        self._decoder = LineDecoder()

    def _decode(self, data: bytes) -> list[Any]:
        return self._decoder.feed(data)

    def _encode(self, frame: dict) -> bytes:
        return encode_line(frame)

    def _identify(self, timeout_s: float) -> dict:
        self._write({"cmd": "hello", "args": {}})
        return {"car_side": "listening"}


class EmulatedBoard(SerialBoard):
    def init(self) -> None:
        super().init()
        self.car_link = CarLinkDevice(self.env, f"{self.id}.car", self.config["car_port"])
        self.car_link.add_listener(self._on_car_message)
        self.car_link.on_garbage(lambda r: self.log("warning", f"car channel: {r}"))
        self.car_link.on_link(self._on_car_link)
        self.car_side: dict[str, dict] = {}  # the last of each command, sent again on reconnect

    def ready(self) -> Generator:
        self.car_link.start()
        return (yield from super().ready())

    def shutdown(self) -> None:
        self.car_link.stop()
        super().shutdown()

    def _on_car_message(self, message: dict) -> None:
        if "measurement" in message:
            self.publish("ev_board", "measurement", message["measurement"])

    def _on_car_link(self, answering: bool, reason: str) -> None:
        if answering:
            for cmd, args in self.car_side.items():
                self.car_link.send({"cmd": cmd, "args": args})
        else:
            self.log("warning", f"car channel {self.config['car_port']}: {reason}")

    def _to_car_side(self, cmd: str, **args: Any) -> None:
        self.car_side[cmd] = args
        if self.car_link.lost_reason is not None:
            raise CommandError(CommandErrorType.TIMEOUT,
                               f"{self.id}: car channel down ({self.car_link.lost_reason})")
        self.car_link.send({"cmd": cmd, "args": args})

    @command("ev_board", "set_cp_state")
    def set_cp_state(self, cp_state: str) -> None:
        self._to_car_side("set_cp_state", cp_state=cp_state)

    @command("ev_board", "diode_fail")
    def diode_fail(self, value: bool) -> None:
        self._to_car_side("diode_fail", value=value)

    @command("ev_board", "set_ac_draw")
    def set_ac_draw(self, current_a: float, phases: int) -> None:
        self._to_car_side("set_ac_draw", current_a=current_a, phases=phases)

    @command("ev_board", "set_rcd_current")
    def set_rcd_current(self, current_ma: float, dc: bool) -> None:
        self._to_car_side("set_rcd_current", current_ma=current_ma, dc=dc)
