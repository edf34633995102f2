"""A station with the simulated backend in virtual time, driven step by step from a test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun
from reports.recorder import Row

STATIONS = Path(__file__).resolve().parents[3] / "scenarios" / "stations"


class SimStation:
    """``scenarios/stations/ac-1-connector-ocpp{16,201}.yaml`` with a car, in virtual time."""

    def __init__(self, version: str, directory: Path, module_config: dict | None = None,
                 name: str = "station"):
        station = STATIONS / f"ac-1-connector-ocpp{'16' if version == '1.6' else '201'}.yaml"
        scenario = directory / f"{name}.yaml"
        scenario.write_text(json.dumps({
            "scenario": name, "station": str(station), "duration": "100 h",
            "module_config": module_config or {},
            "world": {"cars": [{"connector": 1, "profile": "sedan-3ph-11kw", "soc_pct": 1}]},
            "steps": []}))
        self.version = version
        self.run = ScenarioRun(load_scenario(scenario))
        self.run.station.start()
        self.cp = self.run.station.modules["ocpp"]
        self.csms = self.run.station.modules["csms"]

    @property
    def rows(self) -> list[Row]:
        return self.run.recorder.rows

    def call(self, module: str, impl: str, command: str, **args: Any) -> Any:
        """Call a command and run until it answers; its result."""
        event = self.run.bus.call("test", module, impl, command, args)
        event.defused = True
        self.run.env.run(until=event)
        return event.value

    def csms_op(self, operation: str, **args: Any) -> Any:
        return self.call("csms", "control", operation, **args)

    def advance(self, seconds: float) -> None:
        self.run.env.run(until=self.run.env.now + seconds)

    def messages(self, **match: Any) -> list[dict]:
        """The charge point's ocpp_message values containing ``match``."""
        return [r.value for r in self.rows if r.kind == "var" and r.name == "ocpp_message"
                and all(r.value.get(k) == v for k, v in match.items())]

    def received(self, **match: Any) -> list[dict]:
        """What the backend received (call_received values containing ``match``)."""
        return [r.value for r in self.rows if r.kind == "var" and r.name == "call_received"
                and all(r.value.get(k) == v for k, v in match.items())]

    def logs(self, source: str = "ocpp") -> list[str]:
        return [r.value for r in self.rows if r.kind == "log" and r.source == source]

    def shutdown(self) -> None:
        self.run.station.shutdown()
