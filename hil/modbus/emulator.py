"""Modbus meters, emulated: a pymodbus server (TCP on loopback, or RTU on a pty) with one unit
per meter, each answering from its register map. The values come from the plug physics
(``sim.hal.plug.Plug``): the plug of an emulated board the meter measures, or a plug of its own
with a fixed load.

The emulators' clock thread refreshes each unit's register image (``refresh_s``); pymodbus's
server thread answers from the latest image, so the two never share a mutable object.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from charger.framework.wallclock import WallClockEnvironment
from hil.modbus.registermap import RegisterMap
from sim.hal.plug import Plug

REGISTERS = 1024  # addresses served per function code (0..1023)


def fixed_load(current_a: float, phases: int = 3, energy_wh: float = 0.0) -> Plug:
    """A plug of its own for a meter that measures no emulated board: a car drawing
    ``current_a`` on ``phases`` with the contactors closed."""
    plug = Plug(3)
    plug.supply = {"voltage_v": 230.0, "frequency_hz": 50.0, "available": True}
    plug.relays_closed, plug.ev_state = True, "C"
    plug.ev_draw_a, plug.ev_phases = current_a, phases
    plug.energy_wh = [energy_wh / 3] * 3
    plug.settle(0.0)
    return plug


@dataclass
class Unit:
    unit: int
    map: RegisterMap
    plug: Plug
    answering: bool = True  # a test silences one meter on the line


class ModbusMeterEmulator:
    """Meters on one TCP port (``transport="tcp"``, ``where="HOST:PORT"``) or one RTU line
    (``transport="rtu"``, ``where`` = the device's end of a pty pair)."""

    def __init__(self, env: WallClockEnvironment, transport: str, where: str,
                 units: list[Unit], refresh_s: float = 0.05, baudrate: int = 9600):
        self.env = env
        self.transport = transport
        self.where = where
        self.units = {u.unit: u for u in units}
        self.refresh_s = refresh_s
        self.baudrate = baudrate
        self.images: dict[int, dict[tuple[int, int], int]] = {u: {} for u in self.units}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | ModbusSerialServer | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None

    # --- the clock's side -----------------------------------------------------------------------
    def start(self) -> None:
        self._refresh()
        self.env.process(self._refreshing())
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"modbus-{self.where}")
        self._thread.start()
        self._started.wait(timeout=10.0)
        if self.error is not None:
            raise self.error

    def _refreshing(self) -> Generator:
        while True:
            yield self.env.timeout(self.refresh_s)
            self._refresh()

    def _refresh(self) -> None:
        for number, unit in self.units.items():
            reading = unit.plug.reading(self.env.now, f"unit-{number}")
            image: dict[tuple[int, int], int] = {}
            for register in unit.map.registers:
                value = reading_value(reading, register.quantity, register.phase)
                for i, word in enumerate(register.encode(value)):
                    image[(register.function_code, register.address + i)] = word
            self.images[number] = image  # replaced whole: the server thread reads it

    # --- the server's side ----------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            asyncio.run(self._run_server())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self.error = exc
            self._started.set()

    async def _run_server(self) -> None:
        self._loop = asyncio.get_running_loop()
        devices = [SimDevice(id=n, simdata=(
            [SimData(0, count=1, datatype=DataType.BITS)],
            [SimData(0, count=1, datatype=DataType.BITS)],
            [SimData(0, count=REGISTERS, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, count=REGISTERS, values=0, datatype=DataType.REGISTERS)]),
            action=self._action_for(n)) for n in self.units]
        if self.transport == "tcp":
            host, _, port = self.where.rpartition(":")
            self._server = ModbusTcpServer(devices, address=(host, int(port)))
        else:
            self._server = ModbusSerialServer(devices, framer=FramerType.RTU, port=self.where,
                                              baudrate=self.baudrate)
        await self._server.serve_forever(background=True)
        self._started.set()
        await self._server.serving

    def _action_for(self, number: int) -> Callable:
        async def action(function_code: int, start_address: int, address: int, count: int,
                         current_registers: list[int], set_values: object) -> ExcCodes | None:
            unit = self.units[number]
            if not unit.answering:
                return ExcCodes.DEVICE_BUSY
            image = self.images[number]
            for i in range(count):
                current_registers[address - start_address + i] = \
                    image.get((function_code, address + i), 0)
            return None
        return action

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop)
        if self._thread is not None:
            self._thread.join(timeout=5.0)


def reading_value(reading: dict, quantity: str, phase: str) -> float:
    if quantity == "frequency_hz":
        return float(reading["frequency_hz"])
    return float(reading[quantity][phase])
