"""Conditions: the plain-language names scenario files use for things that happen.

``{session: ChargingStarted}``, ``{cp: C}``, ``{contactor: closed}``, ``{error: ac_rcd/AC}``,
``{auth: Accepted}``, ``{step: my-step}``, ``{signal: soc_pct, ge: 80}``, and the general
``{var: name, source: module.impl, value: {...}}``; most may name a ``connector``.

Each kind is one entry of ``CONDITIONS``: its schema, how it is described, checked against the
station and matched. The loader, the runner's ``when:``, the judge and the docs all read it.
Event kinds match timeline rows; the signal kind holds on samples of the signal table. Both are
asked the same questions (``Selector.times``, ``Selector.holding_times``), so an expectation
cannot judge one kind on the other's data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evbench.scenario.names import StationNames
from reports.model import CP_STATES, NUMERIC_SIGNALS
from reports.recorder import Row

if TYPE_CHECKING:
    import pandas as pd

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "ge": lambda a, b: a >= b, "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b, "lt": lambda a, b: a < b,
    "eq": lambda a, b: a == b}


@dataclass(frozen=True)
class ConnectorMap:
    """Which module ids make up each connector, to match ``connector: N``."""

    evse: dict[int, str] = field(default_factory=dict)  # connector -> EvseManager id
    board: dict[int, str] = field(default_factory=dict)  # connector -> board module id
    car: dict[int, str] = field(default_factory=dict)  # connector -> car module id


@dataclass(frozen=True)
class Evidence:
    """What a run recorded, as conditions read it: the timeline and the sampled signals."""

    rows: list[Row]
    signals: pd.DataFrame
    connectors: ConnectorMap


@dataclass(frozen=True)
class ConditionKind:
    name: str  # the key naming the kind in a condition
    schema: dict  # of the value under that key
    summary: str  # docs: what it matches
    example: str  # docs
    describe: Callable[[dict], str]  # without the connector
    per_connector: bool = True  # may name a connector
    options: dict[str, dict] = field(default_factory=dict)  # further keys, with their schemas
    # Event kinds: is this timeline row an occurrence (the spec's connector already applied)?
    match: Callable[[dict, Row, ConnectorMap], bool] | None = None
    sampled: bool = False  # judged on the signal samples instead of the timeline
    check: Callable[[dict], list[str]] = lambda spec: []  # what needs no station
    check_names: Callable[[dict, StationNames], list[str]] = lambda spec, names: []


# --- matching ------------------------------------------------------------------------------
def _module_ok(spec: dict, source: str, modules: dict[int, str]) -> bool:
    module = source.split(".")[0]
    if "connector" not in spec:
        return module in modules.values() if modules else True
    return modules.get(spec["connector"]) == module


def _sources_ok(spec: dict, source: str, connectors: ConnectorMap) -> bool:
    if "connector" not in spec:
        return True
    module = source.split(".")[0]
    return module in (connectors.evse.get(spec["connector"]),
                      connectors.board.get(spec["connector"]),
                      connectors.car.get(spec["connector"]))


def _board_event(spec: dict, row: Row, connectors: ConnectorMap, event: str) -> bool:
    return (row.kind == "var" and row.name == "event" and row.value.get("event") == event
            and _module_ok(spec, row.source, connectors.board))


def _match_session(spec: dict, row: Row, connectors: ConnectorMap) -> bool:
    return (row.kind == "var" and row.name == "session_event"
            and row.value.get("event") == spec["session"]
            and ("connector" not in spec or row.value.get("connector") == spec["connector"]))


def _match_error(key: str, kind: str) -> Callable[[dict, Row, ConnectorMap], bool]:
    def match(spec: dict, row: Row, connectors: ConnectorMap) -> bool:
        wanted = spec[key]
        return (row.kind == kind and (row.name == wanted or row.name.endswith("/" + wanted))
                and _sources_ok(spec, row.source, connectors))
    return match


def _match_var(spec: dict, row: Row, connectors: ConnectorMap) -> bool:
    if row.kind != "var" or row.name != spec["var"]:
        return False
    if "source" in spec and spec["source"] not in (row.source, row.source.split(".")[0]):
        return False
    return (_sources_ok(spec, row.source, connectors)
            and ("value" not in spec or _contains(row.value, spec["value"])))


def _contains(value: Any, wanted: Any) -> bool:
    """``wanted`` is a subset of ``value`` (dicts compared key by key)."""
    if isinstance(wanted, dict):
        return isinstance(value, dict) and all(k in value and _contains(value[k], v)
                                               for k, v in wanted.items())
    return value == wanted


# --- checks against the station ----------------------------------------------------------------
def _unknown(what: str, name: Any, known: Iterable[str], missing: str) -> list[str]:
    known = list(known)
    if not known:
        return [f"{what} {name!r}: {missing}"]
    return [f"unknown {what} {name!r} (known: {', '.join(known)})"]


def _check_session(spec: dict, names: StationNames) -> list[str]:
    known = names.enum_of("evse_manager", "session_event", "event")
    if spec["session"] in known:
        return []
    return _unknown("session event", spec["session"], known, "the station has no EVSE manager")


def _check_error(key: str) -> Callable[[dict, StationNames], list[str]]:
    def check(spec: dict, names: StationNames) -> list[str]:
        wanted, connector = spec[key], spec.get("connector")

        def known(types: list[str]) -> bool:
            return any(t == wanted or t.endswith("/" + wanted) for t in types)

        if not known(names.error_types()):
            return _unknown("error type", wanted, names.error_types(),
                            "no module of the station raises errors")
        if connector in names.connector_modules and not known(names.error_types(connector)):
            return [f"no module of connector {connector} raises {wanted!r} (they raise: "
                    f"{', '.join(names.error_types(connector)) or 'none'})"]
        return []
    return check


def _check_auth(spec: dict, names: StationNames) -> list[str]:
    known = names.enum_of("auth", "token_validation_status", "status")
    if spec["auth"] in known:
        return []
    return _unknown("token validation status", spec["auth"], known,
                    "the station has no authorization module")


def _check_step(spec: dict, names: StationNames) -> list[str]:
    if spec["step"] in names.steps:
        return []
    return [f"no step has id or action {spec['step']!r} (steps: "
            f"{', '.join(sorted(names.steps)) or 'none'})"]


def _check_var(spec: dict, names: StationNames) -> list[str]:
    variables = names.variables()
    name, source = spec["var"], spec.get("source")
    if name not in variables:
        return [f"unknown variable {name!r} (variables of the station: "
                f"{', '.join(sorted(variables))})"]
    sources = variables[name]
    if source is not None:
        impls = names.implementations.get(source.split(".")[0])
        if impls is None or ("." in source and source.split(".", 1)[1] not in impls):
            known = sorted(f"{m}.{i}" for m, impls in names.implementations.items()
                           for i in impls)
            return [f"unknown source {source!r} (modules and implementations: "
                    f"{', '.join(known)})"]
        sources = [s for s in sources if source in (s, s.split(".")[0])]
        if not sources:
            return [f"{source} publishes no variable {name!r} (it publishes: "
                    f"{', '.join(_published_by(names, source))})"]
    connector = spec.get("connector")
    if connector is not None and connector in names.connector_modules:
        sources = [s for s in sources if s in names.variables(connector).get(name, [])]
        if not sources:
            return [f"no module of connector {connector} "
                    f"({', '.join(sorted(names.connector_modules[connector]))}) publishes "
                    f"{name!r}" + (f" as {source}" if source else "")]
    if "value" not in spec:
        return []
    problems: list[str] = []
    for where in sources:
        module, impl = where.split(".")
        schema = names.implementations[module][impl].vars[name].schema
        problems = _value_problems(spec["value"], schema, "value")
        if not problems:
            return []
    return problems


def _published_by(names: StationNames, source: str) -> list[str]:
    module, _, impl = source.partition(".")
    return sorted({var for i, spec in names.implementations.get(module, {}).items()
                   if not impl or i == impl for var in spec.vars})


def _value_problems(wanted: Any, schema: dict, where: str) -> list[str]:
    """Fields a variable's schema says it never has, and values outside its enums: a ``value``
    that can never match is a typo, not a condition."""
    if "enum" in schema and not isinstance(wanted, dict | list) and wanted not in schema["enum"]:
        return [f"{where}: {wanted!r} is not one of {schema['enum']}"]
    if not isinstance(wanted, dict):
        return []
    properties = schema.get("properties")
    if properties is None:
        return []
    problems = []
    for key, value in wanted.items():
        if key in properties:
            problems += _value_problems(value, properties[key], f"{where}.{key}")
        elif schema.get("additionalProperties") is False:
            problems.append(f"{where}: the variable has no field {key!r} (fields: "
                            f"{', '.join(properties)})")
    return problems


def _check_signal(spec: dict) -> list[str]:
    if spec["signal"] not in NUMERIC_SIGNALS:
        return [f"unknown signal {spec['signal']!r} (known: {', '.join(NUMERIC_SIGNALS)})"]
    ops = {op: spec[op] for op in COMPARISONS if op in spec}
    if not ops:
        return ["a signal condition needs a comparison: " + ", ".join(COMPARISONS)]
    low = max([ops.get("ge", -math.inf), ops.get("gt", -math.inf), ops.get("eq", -math.inf)])
    high = min([ops.get("le", math.inf), ops.get("lt", math.inf), ops.get("eq", math.inf)])
    strict = (low == ops.get("gt") or high == ops.get("lt"))
    if low > high or (low == high and strict) or ("eq" in ops and not low <= ops["eq"] <= high):
        return [f"the comparisons {ops} can never all hold"]
    return []


def _comparisons(spec: dict) -> str:
    return ", ".join(f"{op} {spec[op]}" for op in COMPARISONS if op in spec)


CONDITIONS: dict[str, ConditionKind] = {kind.name: kind for kind in (
    ConditionKind(
        "session", {"type": "string"}, "a session event of an EVSE manager (the names the "
        "`evse_manager` interface declares: `SessionStarted`, `Authorized`, `ChargingStarted`, "
        "`ChargingPausedEV`, `SessionFinished`, ...)", "{session: ChargingStarted}",
        lambda s: s["session"], match=_match_session, check_names=_check_session),
    ConditionKind(
        "cp", {"enum": list(CP_STATES)}, "the board detected this pilot state; with `was`, a "
        "transition from `was` to it", "{cp: C} / {cp: B, was: C}",
        lambda s: f"pilot {s['was']} -> {s['cp']}" if "was" in s else f"pilot state {s['cp']}",
        options={"was": {"enum": list(CP_STATES)}},
        match=lambda s, row, c: _board_event(s, row, c, s["cp"])),
    ConditionKind(
        "contactor", {"enum": ["closed", "open"]}, "the contactors reported closed / open",
        "{contactor: closed} / {contactor: open}", lambda s: f"contactor {s['contactor']}",
        match=lambda s, row, c: _board_event(
            s, row, c, "PowerOn" if s["contactor"] == "closed" else "PowerOff")),
    ConditionKind(
        "error", {"type": "string"}, "an error raised, by its type (`interface/Name`) or its "
        "name alone; the types the station's interfaces declare",
        "{error: ac_rcd/AC} / {error: AC}",
        lambda s: f"error {s['error']} raised", match=_match_error("error", "error_raised"),
        check_names=_check_error("error")),
    ConditionKind(
        "cleared", {"type": "string"}, "an error cleared (named as for `error`)",
        "{cleared: ac_rcd/AC}", lambda s: f"error {s['cleared']} cleared",
        match=_match_error("cleared", "error_cleared"), check_names=_check_error("cleared")),
    ConditionKind(
        "auth", {"type": "string"}, "a token validation status (the names the `auth` "
        "interface declares: `Accepted`, `Rejected`, `TimedOut`, `UsedToStop`, ...)",
        "{auth: Rejected}", lambda s: f"token {s['auth']}", per_connector=False,
        match=lambda s, row, c: (row.kind == "var" and row.name == "token_validation_status"
                                 and row.value.get("status") == s["auth"]),
        check_names=_check_auth),
    ConditionKind(
        "step", {"type": "string"}, "a scenario step ran (its id, or its action name)",
        "{step: my-id}", lambda s: f"step {s['step']}", per_connector=False,
        match=lambda s, row, c: row.kind == "step" and s["step"] in (row.name,
                                                                     row.value.get("id")),
        check_names=_check_step),
    ConditionKind(
        "var", {"type": "string"}, "any variable a module of the station publishes, optionally "
        "from one `source` (module or module.impl), whose value contains the given fields",
        "{var: name, source: module.impl, value: {...}}",
        lambda s: f"{s['var']} from {s.get('source', 'any module')}",
        options={"source": {"type": "string"}, "value": {}}, match=_match_var,
        check_names=_check_var),
    ConditionKind(
        "signal", {"type": "string"}, "a sampled signal compares (`ge`, `gt`, `le`, `lt`, "
        "`eq`); checked on every sample, on any connector or the one named",
        "{signal: soc_pct, ge: 80}", lambda s: f"{s['signal']} {_comparisons(s)}",
        options={op: {"type": "number"} for op in COMPARISONS}, sampled=True,
        check=_check_signal),
)}

SELECTOR_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        **{kind.name: kind.schema for kind in CONDITIONS.values()},
        **{key: schema for kind in CONDITIONS.values() for key, schema in kind.options.items()},
        "connector": {"type": "integer", "minimum": 1},
    },
}


def condition_problems(spec: dict) -> list[tuple[list[str], str]]:
    """What is wrong with a condition that needs no station to tell: (key path within the
    condition, reason) pairs."""
    kinds = [k for k in CONDITIONS if k in spec]
    if len(kinds) != 1:
        return [([], "a condition names exactly one of " + ", ".join(CONDITIONS))]
    kind = CONDITIONS[kinds[0]]
    problems: list[tuple[list[str], str]] = []
    for key in spec:
        if key == kind.name or key in kind.options:
            continue
        if key == "connector":
            if not kind.per_connector:
                problems.append(([key], f"'connector' does not apply to {kind.name} "
                                 "conditions"))
            continue
        owner = next((k.name for k in CONDITIONS.values() if key in k.options), None)
        problems.append(([key], f"'{key}' only applies to {owner} conditions" if owner
                         else f"unknown key {key!r} in a condition"))
    return problems + [([], reason) for reason in kind.check(spec)]


@dataclass(frozen=True)
class Selector:
    spec: dict

    @property
    def kind(self) -> ConditionKind:
        return CONDITIONS[next(k for k in CONDITIONS if k in self.spec)]

    @property
    def is_signal(self) -> bool:
        return self.kind.sampled

    @property
    def connector(self) -> int | None:
        return self.spec.get("connector")

    def on_connector(self, connector: int | None) -> Selector:
        """This condition on a connector, unless it names one or its kind has none."""
        if connector is None or "connector" in self.spec or not self.kind.per_connector:
            return self
        return Selector({**self.spec, "connector": connector})

    def describe(self) -> str:
        where = f" on connector {self.connector}" if self.connector is not None else ""
        return self.kind.describe(self.spec) + where

    # --- events: timeline rows ---------------------------------------------------------------
    def matcher(self, connectors: ConnectorMap) -> Callable[[Row], bool]:
        """A function to feed every row in order; true for the rows this condition names.

        Transitions (``{cp: B, was: C}``) need the history, so feed it from the first row.
        """
        match = self.kind.match
        if match is None:
            raise ValueError(f"{self.describe()} is judged on signal samples, not rows")
        spec = self.spec
        if "was" not in spec:
            return lambda row: match(spec, row, connectors)
        previous: dict[str, str] = {}

        def transition(row: Row) -> bool:
            if row.kind != "var" or row.name != "event" or \
                    row.value.get("event") not in CP_STATES:
                return False
            before = previous.get(row.source)
            previous[row.source] = row.value["event"]
            return before == spec["was"] and match(spec, row, connectors)

        return transition

    # --- signals: samples --------------------------------------------------------------------
    def sample_holds(self, sample: Iterable[tuple[int, Any]]) -> bool:
        """Whether the condition holds on one sample: (connector, value of its signal) pairs."""
        for connector, value in sample:
            if self.connector is not None and connector != self.connector:
                continue
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if all(compare(value, self.spec[op]) for op, compare in COMPARISONS.items()
                   if op in self.spec):
                return True
        return False

    def _sample_holds(self, signals: pd.DataFrame) -> list[tuple[float, bool]]:
        if not len(signals):
            return []
        column = self.spec["signal"]
        by_time: dict[float, list[tuple[int, Any]]] = {}
        for t, connector, value in zip(signals["t"].tolist(), signals["connector"].tolist(),
                                       signals[column].tolist()):
            by_time.setdefault(t, []).append((connector, value))
        return [(t, self.sample_holds(sample)) for t, sample in by_time.items()]

    # --- what expectations ask ---------------------------------------------------------------
    def times(self, evidence: Evidence) -> list[float]:
        """When it happens: each matching row, or each sample where the signal condition starts
        to hold (it held not at the sample before)."""
        if self.kind.sampled:
            out, before = [], False
            for t, holds in self._sample_holds(evidence.signals):
                if holds and not before:
                    out.append(t)
                before = holds
            return out
        match = self.matcher(evidence.connectors)
        return [row.t for row in evidence.rows if match(row)]

    def holding_times(self, evidence: Evidence) -> list[float]:
        """When it is true: each matching row, or every sample where the signal condition holds
        (the first of them at or after a time is when a step's ``when:`` would go on)."""
        if self.kind.sampled:
            return [t for t, holds in self._sample_holds(evidence.signals) if holds]
        return self.times(evidence)
