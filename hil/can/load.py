"""The ``emulated_dc_load`` backend: what the emulated power modules' output feeds.

On an emulated DC bench the power modules are emulated and the car is simulated, so nothing is
wired to the modules' output. This part is that wire: the simulated DC power path
(``SimDcPowerPath``, its ``load`` requirement, interface ``dc_load``) tells it the circuit
whenever it changes (contactors, the car's battery, insulation), and it passes that on to the
modules' emulator, which then regulates its output into the car's battery: the readback the
charger gets over CAN is what that battery draws.

```yaml
parts:
  dc_load:
    backend: emulated_dc_load
    port: socket://127.0.0.1:47022   # the emulator listens there
    emulate: {modules: dc_modules}   # the part whose emulated modules' output this is
    serves: [dc1.load]
```

The channel: JSON lines on any pyserial URL. Host to emulator
``{"cmd": "set_load", "args": {...}}`` (``dc_load.set_load``'s arguments); emulator to host
``{"load": {...}}``, the circuit it has, on connection and after each change. The module sends
the last circuit again whenever the channel (re)opens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from charger.framework import CommandError, CommandErrorType, Module, command
from charger.framework.wallclock import WallClockEnvironment
from hil.backends import Backend
from hil.board.car_link import (
    CarLinkDevice,
    encode_line,
    loopback_tcp_port,
    serve_lines,
)
from hil.can.emulator import PowerModuleRack
from hil.device import BadFrame, Device, DeviceUnavailable
from hil.emulators.host import EmulatorHost

if TYPE_CHECKING:
    from hil.rig import Part, Rig

LOAD_KEYS = ("contactors_closed", "battery_connected", "open_circuit_voltage_v",
             "internal_resistance_ohm", "insulation_ohm", "cable_resistance_ohm")


class LoadLinkDevice(CarLinkDevice):
    """The channel to the emulator's output (JSON lines, like the board emulator's car side)."""

    def _identify(self, timeout_s: float) -> dict:
        self._write({"cmd": "hello", "args": {}})
        return {"load": "listening"}


class EmulatedDcLoad(Module):
    def init(self) -> None:
        self.device = LoadLinkDevice(self.env, self.id, self.config["port"])
        self.device.add_listener(self._on_message)
        self.device.on_link(self._on_link)
        self.device.on_open(self._on_open)
        self.device.on_garbage(lambda reason: self.log("warning", f"load channel: {reason}"))
        self.load: dict[str, Any] | None = None  # the last circuit told
        self.taken: dict[str, Any] | None = None  # the emulator's last word on it

    def ready(self) -> None:
        self.device.start()

    def shutdown(self) -> None:
        self.device.stop()

    @command("load", "set_load")
    def set_load(self, **load: Any) -> None:
        self.load = load
        if self.device.lost_reason is not None:
            raise CommandError(CommandErrorType.TIMEOUT, f"{self.id}: load channel down "
                               f"({self.device.lost_reason}); sent when it is back")
        self.device.send({"cmd": "set_load", "args": load})

    def _on_message(self, message: dict) -> None:
        if "load" in message:
            self.taken = message["load"]

    def _on_open(self) -> None:
        if self.load is not None:  # the emulator (re)connected: it has what it had, or nothing
            self.device.send({"cmd": "set_load", "args": self.load})

    def _on_link(self, answering: bool, reason: str) -> None:
        if not answering:
            self.log("warning", f"load channel {self.config['port']}: {reason}")


class DcLoadEmulator:
    """The emulator's end: a TCP server on 127.0.0.1 that applies each circuit it is told to
    an output of a :class:`PowerModuleRack` (on the rack's clock)."""

    def __init__(self, env: WallClockEnvironment, rack: PowerModuleRack, tcp_port: int,
                 output: int = 0, log: Callable[[str], None] = lambda _line: None):
        self.env = env
        self.rack = rack
        self.tcp_port = tcp_port
        self.output = output
        self.log = log
        self.circuit: dict[str, Any] | None = None
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.tcp_port))
        self._server.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"emulator-load-{self.tcp_port}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for closable in (self._server, self._conn):
            if closable is not None:
                with contextlib.suppress(OSError):
                    closable.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _serve(self) -> None:
        assert self._server is not None
        serve_lines(self._server, self._stop, self.env.post, self._connected, self._on_lines)

    def _connected(self, conn: socket.socket) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = conn
        self._tell({"load": self.circuit})

    def _on_lines(self, lines: list[Any]) -> None:
        for line in lines:
            if isinstance(line, BadFrame):
                self.log(f"load channel: {line}")
                continue
            if line.get("cmd") == "hello":
                continue
            try:
                self.apply(line.get("cmd"), line.get("args", {}))
            except (KeyError, TypeError, ValueError) as exc:
                self.log(f"load channel: bad command {line!r}: {exc}")

    def apply(self, cmd: Any, args: dict) -> None:
        """``set_load``: the circuit on the output now."""
        if cmd != "set_load":
            raise ValueError(f"unknown command {cmd!r}")
        circuit = {k: bool(args[k]) if k.endswith(("closed", "connected")) else float(args[k])
                   for k in LOAD_KEYS}
        if circuit["internal_resistance_ohm"] <= 0 or circuit["insulation_ohm"] <= 0:
            raise ValueError("resistances must be above 0")
        self.rack.set_circuit(output=self.output, **circuit)
        self.circuit = circuit
        self._tell({"load": circuit})

    def _tell(self, message: dict) -> None:
        if self._conn is None:
            return
        try:
            self._conn.sendall(encode_line(message))
        except OSError:
            self._conn = None



def _devices(part: Part) -> list[Device]:
    return [LoadLinkDevice(None, part.id, part.config["port"])]


def _emulate(host: EmulatorHost, part: Part, rig: Rig) -> str:
    source = part.emulate.get("modules")
    rack = host.by_part.get(str(source))
    if not isinstance(rack, PowerModuleRack):
        raise DeviceUnavailable(
            f"{part.id}: emulate.modules must name a part with emulated power modules listed "
            f"before it in {rig.path} (got {source!r})")
    url = part.config["port"]
    tcp_port = loopback_tcp_port(url, "the load channel")
    host.add(DcLoadEmulator(host.env, rack, tcp_port, int(part.emulate.get("output", 0)),
                            log=lambda line: print(f"{part.id}: {line}", flush=True)), part.id)
    return f"the output of {source}'s modules, told what it feeds on {url}"


BACKEND = Backend("emulated_dc_load",
                  "what emulated DC power modules' output feeds (an emulated bench's cable to "
                  "the simulated car)", lambda _config: "EmulatedDcLoad", _devices, _emulate)
