"""SimGrid: publishes the supply and changes it on a scenario's command."""

from __future__ import annotations

from charger.framework import Module, command


class SimGrid(Module):
    def init(self) -> None:
        self.supply = {key: self.config[key]
                       for key in ("voltage_v", "frequency_hz", "max_current_a", "available")}
        for key in ("voltage_v", "frequency_hz", "max_current_a"):
            self.supply[key] = float(self.supply[key])

    def ready(self) -> None:
        self.publish("supply", "supply", dict(self.supply))

    @command("control", "set_supply")
    def set_supply(self, voltage_v: float | None, frequency_hz: float | None,
                   max_current_a: float | None, available: bool | None) -> None:
        changes = {"voltage_v": voltage_v, "frequency_hz": frequency_hz,
                   "max_current_a": max_current_a, "available": available}
        for key, value in changes.items():
            if value is not None:
                self.supply[key] = float(value) if key != "available" else value
        self.publish("supply", "supply", dict(self.supply))
