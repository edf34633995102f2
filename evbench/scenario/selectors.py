"""Selectors: the plain-language names scenario files use for things that happen.

``{session: ChargingStarted}``, ``{cp: C}``, ``{contactor: closed}``, ``{error: ac_rcd/AC}``,
``{auth: Accepted}``, ``{step: my-step}``, ``{signal: soc_pct, ge: 80}``, and the general
``{var: name, source: module.impl, value: {...}}``; each may name a ``connector``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reports.model import CP_STATES
from reports.recorder import Row

COMPARISONS = {"ge": lambda a, b: a >= b, "gt": lambda a, b: a > b,
               "le": lambda a, b: a <= b, "lt": lambda a, b: a < b,
               "eq": lambda a, b: a == b}
EVENT_KINDS = ("session", "cp", "contactor", "error", "cleared", "auth", "step", "var")
SELECTOR_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "session": {"type": "string"}, "cp": {"enum": ["A", "B", "C", "D", "E", "F"]},
        "was": {"enum": ["A", "B", "C", "D", "E", "F"]},
        "contactor": {"enum": ["closed", "open"]}, "error": {"type": "string"},
        "cleared": {"type": "string"},
        "auth": {"enum": ["Processing", "Accepted", "Rejected", "TimedOut", "Withdrawn",
                          "UsedToStop"]},
        "step": {"type": "string"}, "var": {"type": "string"}, "source": {"type": "string"},
        "value": {}, "signal": {"type": "string"},
        "connector": {"type": "integer", "minimum": 1},
        **{op: {"type": "number"} for op in COMPARISONS},
    },
}


@dataclass(frozen=True)
class ConnectorMap:
    """Which module ids make up each connector, to match ``connector: N``."""

    evse: dict[int, str] = field(default_factory=dict)  # connector -> EvseManager id
    board: dict[int, str] = field(default_factory=dict)  # connector -> board module id
    car: dict[int, str] = field(default_factory=dict)  # connector -> car module id


@dataclass(frozen=True)
class Selector:
    spec: dict

    @property
    def is_signal(self) -> bool:
        return "signal" in self.spec

    @property
    def connector(self) -> int | None:
        return self.spec.get("connector")

    def describe(self) -> str:
        spec = self.spec
        where = f" on connector {spec['connector']}" if "connector" in spec else ""
        if "session" in spec:
            return f"{spec['session']}{where}"
        if "cp" in spec and "was" in spec:
            return f"pilot {spec['was']} -> {spec['cp']}{where}"
        if "cp" in spec:
            return f"pilot state {spec['cp']}{where}"
        if "contactor" in spec:
            return f"contactor {spec['contactor']}{where}"
        if "error" in spec:
            return f"error {spec['error']} raised{where}"
        if "cleared" in spec:
            return f"error {spec['cleared']} cleared{where}"
        if "auth" in spec:
            return f"token {spec['auth']}"
        if "step" in spec:
            return f"step {spec['step']}"
        if "signal" in spec:
            ops = ", ".join(f"{op} {spec[op]}" for op in COMPARISONS if op in spec)
            return f"{spec['signal']} {ops}{where}"
        return f"{spec.get('var')} from {spec.get('source', 'any module')}{where}"

    # --- matching ------------------------------------------------------------------------------
    def matcher(self, connectors: ConnectorMap) -> Callable[[Row], bool]:
        """A function to feed every row in order; true for the rows this selector names.

        Transitions (``{cp: B, was: C}``) need the history, so feed it from the first row.
        """
        if "was" not in self.spec:
            return lambda row: self.matches(row, connectors)
        previous: dict[str, str] = {}

        def match(row: Row) -> bool:
            if row.kind != "var" or row.name != "event" or \
                    row.value.get("event") not in CP_STATES:
                return False
            before = previous.get(row.source)
            previous[row.source] = row.value["event"]
            return before == self.spec["was"] and self.matches(row, connectors)

        return match

    def matches(self, row: Row, connectors: ConnectorMap) -> bool:
        spec = self.spec
        if "session" in spec:
            return (row.kind == "var" and row.name == "session_event"
                    and row.value.get("event") == spec["session"]
                    and self._connector_ok(row.value.get("connector")))
        if "cp" in spec or "contactor" in spec:
            if row.kind != "var" or row.name != "event" or not self._module_ok(
                    row.source, connectors.board):
                return False
            if "cp" in spec:
                return row.value.get("event") == spec["cp"]
            return row.value.get("event") == ("PowerOn" if spec["contactor"] == "closed"
                                              else "PowerOff")
        if "error" in spec or "cleared" in spec:
            kind = "error_raised" if "error" in spec else "error_cleared"
            wanted = spec.get("error") or spec.get("cleared")
            return (row.kind == kind and (row.name == wanted or row.name.endswith("/" + wanted))
                    and self._sources_ok(row.source, connectors))
        if "auth" in spec:
            return (row.kind == "var" and row.name == "token_validation_status"
                    and row.value.get("status") == spec["auth"])
        if "step" in spec:
            return row.kind == "step" and spec["step"] in (row.name, row.value.get("id"))
        if "var" in spec:
            if row.kind != "var" or row.name != spec["var"]:
                return False
            if "source" in spec and row.source not in (spec["source"],) and \
                    row.source.split(".")[0] != spec["source"]:
                return False
            return "value" not in spec or _contains(row.value, spec["value"])
        return False

    def signal_holds(self, latest: dict[int, dict[str, Any]], grid_limit_a: float) -> bool:
        name = self.spec["signal"]
        connectors = [self.connector] if self.connector else sorted(latest)
        for connector in connectors:
            values = latest.get(connector)
            if values is None:
                continue
            value = grid_limit_a if name == "grid_limit_a" else values.get(name)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if all(COMPARISONS[op](value, self.spec[op]) for op in COMPARISONS
                   if op in self.spec):
                return True
        return False

    def _connector_ok(self, connector: Any) -> bool:
        return self.connector is None or connector == self.connector

    def _module_ok(self, source: str, modules: dict[int, str]) -> bool:
        module = source.split(".")[0]
        if self.connector is None:
            return module in modules.values() if modules else True
        return modules.get(self.connector) == module

    def _sources_ok(self, source: str, connectors: ConnectorMap) -> bool:
        if self.connector is None:
            return True
        module = source.split(".")[0]
        return module in (connectors.evse.get(self.connector),
                          connectors.board.get(self.connector),
                          connectors.car.get(self.connector))


def _contains(value: Any, wanted: Any) -> bool:
    """``wanted`` is a subset of ``value`` (dicts compared key by key)."""
    if isinstance(wanted, dict):
        return isinstance(value, dict) and all(k in value and _contains(value[k], v)
                                               for k, v in wanted.items())
    return value == wanted
