"""ModbusMeter: the ``powermeter`` interface served by a Modbus meter.

It reads every register of its map each ``poll_interval_s`` (on the device's I/O thread: a slow
line never holds up the station) and publishes a reading; ``read`` takes one now. An energy
counter that rolls over keeps counting up. When the meter stops answering, ``CommunicationFault``
is raised until it answers again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator

from charger.framework import CommandError, CommandErrorType, Module, command
from hil.device import DeviceError
from hil.modbus.device import READ, ModbusMeterDevice
from hil.modbus.registermap import PHASES, load_register_map

LOST = "CommunicationFault"


class RolloverCounter:
    """A counter register that wraps at ``modulus``, read as one that keeps counting."""

    def __init__(self, modulus: float):
        self.modulus = modulus
        self.wraps = 0
        self.last: float | None = None

    def update(self, raw: float) -> float:
        if self.last is not None and raw < self.last - self.modulus / 2:
            self.wraps += 1  # a fall of more than half the range is a wrap, not a reset
        self.last = raw
        return raw + self.wraps * self.modulus


class ModbusMeter(Module):
    def init(self) -> None:
        c = self.config
        self.map = load_register_map(c["register_map"])
        where = f"{c['host']}:{c['tcp_port']}" if c["transport"] == "tcp" else \
            c.get("serial_port", "")
        self.device = ModbusMeterDevice(self.env, self.id, c["transport"], where, c["unit"],
                                        self.map, baudrate=c["baudrate"],
                                        timeout_s=c["timeout_s"])
        self.device.on_link(self._on_link)
        self.counters = {(r.quantity, r.phase): RolloverCounter(r.modulus)
                         for r in self.map.registers if r.rollover}
        self.lost = False

    @classmethod
    def station_problems(cls, instance, station) -> list:
        from charger.framework.errors import ConfigError, Problem

        problems = []
        if instance.config.get("transport") == "rtu" and not instance.config.get("serial_port"):
            problems.append(Problem(instance.path, instance.line("config"),
                                    f"{instance.id}: transport rtu needs serial_port"))
        try:
            load_register_map(instance.config.get("register_map", ""))
        except ConfigError as exc:
            problems += [Problem(instance.path, instance.line("config", "register_map"),
                                 f"{instance.id}: register_map: {p.reason}")
                         for p in exc.problems]
        return problems

    def ready(self) -> Generator:
        self.device.start()
        while True:
            with contextlib.suppress(CommandError):  # reported as CommunicationFault
                yield from self._take_reading()
            yield self.env.timeout(self.config["poll_interval_s"])

    def shutdown(self) -> None:
        self.device.stop()

    @command("meter", "read")
    def read(self) -> Generator:
        return (yield from self._take_reading())

    def _take_reading(self) -> Generator:
        try:
            values = yield self.device.request(READ, self.config["timeout_s"] * 3)
        except DeviceError as exc:
            raise CommandError(CommandErrorType.TIMEOUT, str(exc)) from None
        reading = self.reading(values)
        self.publish("meter", "powermeter", reading)
        return reading

    def reading(self, values: dict[tuple[str, str], float]) -> dict:
        """A ``powermeter`` reading from the map's values."""
        values = {k: self.counters[k].update(v) if k in self.counters else v
                  for k, v in values.items()}
        out: dict = {"meter_id": self.config["meter_id"]}
        for quantity in ("energy_wh_import", "power_w", "current_a", "voltage_v"):
            phases = {p: round(values[(quantity, p)], 3) for p in PHASES[1:]
                      if (quantity, p) in values}
            total = values.get((quantity, "total"))
            if total is None and phases:
                total = max(phases.values()) if quantity == "voltage_v" else sum(phases.values())
            if total is None:
                if quantity in ("energy_wh_import", "power_w"):
                    total = 0.0  # the reading requires them; a map without them reads 0
                else:
                    continue
            out[quantity] = {"total": round(total, 3), **phases}
        if ("frequency_hz", "total") in values:
            out["frequency_hz"] = round(values[("frequency_hz", "total")], 3)
        return out

    def _on_link(self, answering: bool, reason: str) -> None:
        if answering and self.lost:
            self.lost = False
            self.clear_error("meter", LOST)
        elif not answering and not self.lost:
            self.lost = True
            message = f"meter {self.device.address}: {reason}"
            self.log("error", message)
            self.raise_error("meter", LOST, message)
