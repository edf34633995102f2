"""A scenario as the loader hands it to the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evbench.scenario.selectors import Selector


@dataclass(frozen=True)
class Step:
    index: int  # 1-based position in the file
    action: str
    args: dict[str, Any]
    connector: int = 1
    id: str | None = None
    at: float | None = None  # absolute simulated time
    when: Selector | None = None  # wait for this after the previous step
    after: float = 0.0  # then wait this long
    timeout: float | None = None  # how long ``when`` may take
    line: int | None = None
    key_lines: dict[str, int | None] = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return self.id or f"{self.index}:{self.action}"


@dataclass(frozen=True)
class Expectation:
    kind: str  # a key of expectations.EXPECTATIONS
    spec: dict[str, Any]
    name: str
    line: int | None = None
    key_lines: dict[str, int | None] = field(default_factory=dict, compare=False)


@dataclass
class CarSpec:
    connector: int
    config: dict[str, Any]
    doc: Any = None


@dataclass
class Scenario:
    path: str
    title: str
    station_path: str
    description: str = ""
    seed: int = 0
    duration_s: float = 3600.0
    sample_interval_s: float = 1.0
    module_config: Any = field(default_factory=dict)  # module id -> parameter overrides
    grid: dict[str, Any] = field(default_factory=dict)
    grid_doc: Any = None
    cars: list[CarSpec] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    invariants_off: dict[str, str] = field(default_factory=dict)  # invariant -> written reason
    fleet: Any = None  # evbench.scenario.fleet.Fleet: the station and cars come from it
    fleet_steps: list[Step] = field(default_factory=list)  # its cars' steps, for one seed
