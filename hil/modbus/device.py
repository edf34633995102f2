"""A Modbus meter as a device: one unit on a TCP connection or an RTU line that several meters
may share (one exchange at a time on the line, see hil.device.Transport)."""

from __future__ import annotations

from typing import Any

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ModbusException

from hil.device import Device, DeviceLost, DeviceUnavailable, Transport
from hil.modbus.registermap import RegisterMap

READ = "read"  # the one request a meter device knows: read every register of its map


class ModbusMeterDevice(Device):
    streaming = False

    def __init__(self, env: Any, name: str, transport: str, where: str, unit: int,
                 register_map: RegisterMap, *, baudrate: int = 9600, timeout_s: float = 1.0):
        super().__init__(env, name, f"{transport}:{where} unit {unit}")
        self.transport_kind = transport
        self.where = where  # HOST:PORT for tcp, a serial port for rtu
        self.unit = unit
        self.map = register_map
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self._transport: Transport | None = None

    def _key(self) -> tuple:
        return (self.transport_kind, self.where, self.baudrate)

    def _connect(self) -> Any:
        if self.transport_kind == "tcp":
            host, _, port = self.where.rpartition(":")
            client: Any = ModbusTcpClient(host, port=int(port), timeout=self.timeout_s,
                                          retries=0)
        else:
            client = ModbusSerialClient(self.where, baudrate=self.baudrate,
                                        timeout=self.timeout_s, retries=0)
        if not client.connect():
            client.close()
            raise DeviceUnavailable(f"cannot connect to {self.transport_kind} {self.where}")
        return client

    def _open(self) -> None:
        if self._transport is None:
            self._transport = Transport.acquire(self._key(), self._connect,
                                                lambda client: client.close())

    def _close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.release()

    def _exchange(self, frame: Any) -> dict[tuple[str, str], float]:
        """Read every register of the map: {(quantity, phase): value as on the wire}."""
        if frame != READ:
            raise ValueError(f"a meter answers only {READ!r}, not {frame!r}")
        transport = self._transport
        if transport is None:
            raise DeviceLost("not connected")
        words: dict[tuple[int, int], int] = {}
        with transport.lock:
            client = transport.handle
            for fc, start, count in self.map.blocks():
                reader = client.read_input_registers if fc == 4 else \
                    client.read_holding_registers
                try:
                    reply = reader(start, count=count, device_id=self.unit)
                except ModbusException as exc:
                    raise DeviceLost(f"unit {self.unit}: {exc}") from None
                if reply.isError():
                    raise DeviceLost(f"unit {self.unit} refused function {fc} at {start}: "
                                     f"{reply}")
                for i, word in enumerate(reply.registers):
                    words[(fc, start + i)] = word
        return {(r.quantity, r.phase): r.decode([words[(r.function_code, r.address + i)]
                                                 for i in range(r.count)])
                for r in self.map.registers}

    def _identify(self, timeout_s: float) -> dict:
        values = self._exchange(READ)
        facts: dict[str, Any] = {"model": self.map.model}
        for key in (("energy_wh_import", "total"), ("voltage_v", "L1"), ("voltage_v", "total")):
            if key in values:
                facts[".".join(key)] = round(values[key], 2)
        return facts

    def describe(self, frame: Any) -> str:
        return f"a read of {len(self.map.registers)} registers"
