"""The ``serial_board`` backend: a part that is an open charger board on a serial port."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hil.backends import Backend
from hil.board.car_link import CarLinkDevice, loopback_tcp_port
from hil.board.device import BoardDevice
from hil.device import Device
from hil.emulators.board import BoardEmulator
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair

if TYPE_CHECKING:
    from hil.rig import Part, Rig

EMULATOR_SUFFIX = ".emulator"  # the emulator's end of the pty pair, beside the rig's port


def _module(config: dict) -> str:
    # With the emulator's car channel, a simulated car can plug into the emulated board.
    return "EmulatedBoard" if "car_port" in config else "SerialBoard"


def _devices(part: Part) -> list[Device]:
    devices: list[Device] = [BoardDevice(None, part.id, part.config["port"],
                                         part.config.get("baudrate", 115200))]
    if "car_port" in part.config:
        devices.append(CarLinkDevice(None, f"{part.id} car side", part.config["car_port"]))
    return devices



def _emulate(host: EmulatorHost, part: Part, rig: Rig) -> str:
    port = part.config["port"]
    car = part.config.get("car_port")
    device_end = port + EMULATOR_SUFFIX
    pair = PtyPair(port, device_end).start()
    host.on_stop(pair.stop)
    car_tcp_port = loopback_tcp_port(car, "the car's side") if car else None
    host.add(BoardEmulator(host.env, device_end, car_tcp_port,
                           log=lambda line: print(f"{part.id}: {line}", flush=True)), part.id)
    return f"board on {port}" + (f", car side on {car}" if car else "")


BACKEND = Backend("serial_board", "an open charger board on a serial port", _module, _devices,
                  _emulate)
