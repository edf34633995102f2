"""Expectation kinds: what a scenario states must hold, and how each is judged.

Each kind is one entry of ``EXPECTATIONS``: the keys it takes (the loader's schema), which of them
are conditions or durations, its checks, its description and its judge. Judges are pure
functions of what the run recorded (``Evidence``) and read conditions only through ``Selector``,
so a condition means the same in every kind and in a step's ``when:``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evbench.scenario.durations import DURATION_SCHEMA
from evbench.scenario.model import Expectation
from evbench.scenario.selectors import SELECTOR_SCHEMA, ConnectorMap, Evidence, Selector
from reports.model import ExpectationResult
from reports.recorder import Row
from reports.site import KPI_KEYS as SITE_KPIS

if TYPE_CHECKING:
    import pandas as pd

Verdict = tuple[bool, str, float | None]  # passed, why, the time it refers to
_RANGE = {"min": {"type": "number"}, "max": {"type": "number"}}


@dataclass(frozen=True)
class ExpectationKind:
    name: str  # the key naming the kind
    properties: dict[str, dict]  # every key it takes (besides name and connector): schemas
    required: tuple[str, ...]
    summary: str  # docs: when it holds
    form: str  # docs: how it is written
    describe: Callable[[dict], str]  # a name for it, from its content
    judge: Callable[[dict, Evidence, dict[int, float]], Verdict]
    conditions: tuple[str, ...] = ()  # keys that hold conditions
    durations: tuple[str, ...] = ()  # keys that hold durations (seconds after loading)
    bounds: bool = False  # takes min/max (one at least)
    signal_key: str | None = None  # the key naming a signal
    window: tuple[str, str] | None = None  # keys of a time window (from, until)
    extra: dict[str, Any] = field(default_factory=dict)


def _selector(spec: dict, key: str) -> Selector:
    # An expectation's connector applies to its conditions that can name one.
    return Selector(dict(spec[key])).on_connector(spec.get("connector"))


def _where(spec: dict) -> str:
    return f" on connector {spec['connector']}" if "connector" in spec else ""


def _bounds_text(spec: dict) -> str:
    return " and ".join(f"{'>=' if k == 'min' else '<='} {spec[k]:g}"
                        for k in ("min", "max") if k in spec)


def _in_bounds(bounds: dict, value: float, what: str) -> Verdict:
    low, high = bounds.get("min", -math.inf), bounds.get("max", math.inf)
    passed = low - 1e-9 <= value <= high + 1e-9
    return passed, f"{value:.3f} {what} (wanted {_bounds_text(bounds)})", None


# --- judges --------------------------------------------------------------------------------------
def _judge_within(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
    start, end = _selector(spec, "from"), _selector(spec, "to")
    starts = start.times(evidence)
    if not starts:
        return False, f"{start.describe()} never happened", None
    ends = end.holding_times(evidence)
    limit = spec["within"]
    checked = starts if spec.get("each") else starts[:1]
    worst: tuple[float, float] | None = None
    for t0 in checked:
        t1 = next((t for t in ends if t >= t0), None)
        if t1 is None:
            return (False, f"{end.describe()} did not follow {start.describe()} at "
                    f"t={t0:.3f} s", t0)
        if t1 - t0 > limit + 1e-9:
            return (False, f"{end.describe()} came {t1 - t0:.3f} s after {start.describe()} "
                    f"at t={t0:.3f} s (limit {limit:g} s)", t1)
        if worst is None or t1 - t0 > worst[1]:
            worst = (t1, t1 - t0)
    assert worst is not None
    times = f" (worst of {len(checked)})" if len(checked) > 1 else ""
    return (True, f"{end.describe()} came {worst[1]:.3f} s after {start.describe()}{times}, "
            f"limit {limit:g} s", worst[0])


def _hits(spec: dict, key: str, evidence: Evidence) -> list[float]:
    before = spec.get("before", math.inf)
    return [t for t in _selector(spec, key).times(evidence) if t <= before]


def _judge_happens(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
    hits = _hits(spec, "happens", evidence)
    wanted = spec.get("times")
    if wanted is not None:
        return (len(hits) == wanted, f"happened {len(hits)} times (wanted {wanted})",
                hits[-1] if hits else None)
    if not hits:
        deadline = f" before t={spec['before']:g} s" if "before" in spec else ""
        return False, f"never happened{deadline}", None
    return True, f"first at t={hits[0]:.3f} s", hits[0]


def _judge_never(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
    hits = _hits(spec, "never", evidence)
    if hits:
        return False, f"happened at t={hits[0]:.3f} s", hits[0]
    return True, "did not happen", None


def _judge_energy(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
    connector = spec.get("connector")
    total = energy.get(connector, 0.0) if connector else sum(energy.values())
    return _in_bounds(spec["energy_wh"], total, "Wh delivered")


def _frame(spec: dict, evidence: Evidence) -> pd.DataFrame:
    frame = evidence.signals
    if "connector" in spec and len(frame):
        frame = frame[frame["connector"] == spec["connector"]]
    return frame


def _judge_series(kind: str) -> Callable[[dict, Evidence, dict[int, float]], Verdict]:
    def judge(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
        column = spec[kind]
        frame = _frame(spec, evidence)
        if not len(frame):
            return False, f"{column} was never measured in that interval", None
        frame = frame[(frame["t"] >= spec.get("from", 0.0))
                      & (frame["t"] <= spec.get("until", math.inf))]
        if kind == "total":
            series = frame.groupby("t", sort=True)[column].sum(min_count=1).dropna()
        else:
            series = frame.set_index("t")[column].dropna()
        if series.empty:
            return False, f"{column} was never measured in that interval", None
        for bound, worst_t in (("max", series.idxmax()), ("min", series.idxmin())):
            if bound not in spec:
                continue
            value = float(series.loc[worst_t].max() if bound == "max"
                          else series.loc[worst_t].min())
            if (bound == "max" and value > spec["max"] + 1e-9) or \
                    (bound == "min" and value < spec["min"] - 1e-9):
                return (False, f"{column} reached {value:g} at t={worst_t:.3f} s "
                        f"({bound} {spec[bound]:g})", float(worst_t))
        return True, f"{column} stayed within [{series.min():g}, {series.max():g}]", None
    return judge


def _judge_final(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
    column = spec["final"]
    frame = _frame(spec, evidence)
    values = frame[column].dropna() if len(frame) else frame
    if not len(values):
        return False, f"{column} was never measured", None
    return _in_bounds(spec, float(values.iloc[-1]), column)


def _judge_site(spec: dict, evidence: Evidence, energy: dict[int, float]) -> Verdict:
    import pandas as pd

    from reports.site import site_kpis

    wanted = ("step", "var")  # the steps, the tree's limits and the session events
    rows = [(r.t, r.source, r.kind, r.name, r.value) for r in evidence.rows
            if r.kind in wanted and (r.kind == "step" or r.name in ("site_limits",
                                                                     "session_event", "site"))]
    events = pd.DataFrame(rows, columns=["t", "source", "kind", "name", "value"])
    kpis = site_kpis(events, evidence.signals)
    key = spec["site"]
    value = None if kpis is None else kpis.get(key)
    if value is None:
        return False, f"the run has no {key} (no cars came by steps, no energy tree)", None
    return _in_bounds(spec, float(value), key)


_SIGNAL = {"type": "string"}  # checked by the loader, which names the signals it knows

EXPECTATIONS: dict[str, ExpectationKind] = {kind.name: kind for kind in (
    ExpectationKind(
        "within", {"within": DURATION_SCHEMA, "from": SELECTOR_SCHEMA, "to": SELECTOR_SCHEMA,
                   "each": {"type": "boolean"}},
        ("within", "from", "to"),
        "`to` holds at most the given time after the first (with `each: true`: every) `from`",
        "`within: 3 s`, `from: COND`, `to: COND` (`each: true`)",
        lambda s: (f"{_selector(s, 'to').describe()} within {s['within']:g} s of "
                   f"{'every ' if s.get('each') else ''}{_selector(s, 'from').describe()}"),
        _judge_within, conditions=("from", "to"), durations=("within",)),
    ExpectationKind(
        "happens", {"happens": SELECTOR_SCHEMA, "times": {"type": "integer", "minimum": 1},
                    "before": DURATION_SCHEMA},
        ("happens",), "it happens (exactly N times) (at or before T)",
        "`happens: COND` (`times: N`, `before: T`)",
        lambda s: (f"{_selector(s, 'happens').describe()} happens"
                   + (f" {s['times']} times" if "times" in s else "")),
        _judge_happens, conditions=("happens",), durations=("before",)),
    ExpectationKind(
        "never", {"never": SELECTOR_SCHEMA}, ("never",), "it never happens", "`never: COND`",
        lambda s: f"{_selector(s, 'never').describe()} never happens", _judge_never,
        conditions=("never",)),
    ExpectationKind(
        "energy_wh", {"energy_wh": {"type": "object", "properties": _RANGE,
                                    "additionalProperties": False, "minProperties": 1}},
        ("energy_wh",), "the energy delivered (meter) on the connector, or in total, is in "
        "bounds", "`energy_wh: {min: X, max: Y}`",
        lambda s: f"energy delivered{_where(s)} {_bounds_text(s['energy_wh'])} Wh",
        _judge_energy),
    ExpectationKind(
        "signal", {"signal": _SIGNAL, **_RANGE, "from": DURATION_SCHEMA,
                   "until": DURATION_SCHEMA},
        ("signal",), "every sample of the signal (on the connector, or on each) stays in bounds",
        "`signal: NAME`, `min`/`max` (`from: T`, `until: T`)",
        lambda s: f"{s['signal']}{_where(s)} stays {_bounds_text(s)}", _judge_series("signal"),
        durations=("from", "until"), bounds=True, signal_key="signal",
        window=("from", "until")),
    ExpectationKind(
        "total", {"total": _SIGNAL, **_RANGE, "from": DURATION_SCHEMA,
                  "until": DURATION_SCHEMA},
        ("total",), "the sum over connectors stays in bounds at every sample (e.g. a fuse)",
        "`total: NAME`, `min`/`max` (`from`, `until`)",
        lambda s: f"sum of {s['total']} over connectors stays {_bounds_text(s)}",
        _judge_series("total"), durations=("from", "until"), bounds=True, signal_key="total",
        window=("from", "until")),
    ExpectationKind(
        "final", {"final": _SIGNAL, **_RANGE}, ("final",), "the last sample is in bounds",
        "`final: NAME`, `min`/`max`",
        lambda s: f"final {s['final']}{_where(s)} {_bounds_text(s)}", _judge_final,
        bounds=True, signal_key="final"),
    ExpectationKind(
        "site", {"site": {"enum": list(SITE_KPIS)}, **_RANGE}, ("site",),
        "a site KPI of the run (docs/energy.md: unmet energy, cost, peak import, fairness, "
        "limit violations, ...) is in bounds",
        "`site: KPI`, `min`/`max`",
        lambda s: f"site {s['site']} {_bounds_text(s)}", _judge_site, bounds=True),
)}
COMMON_KEYS = {"name": {"type": "string"}, "connector": {"type": "integer", "minimum": 1}}


def judge(expectation: Expectation, rows: list[Row], signals: pd.DataFrame,
          energy_wh: dict[int, float], connectors: ConnectorMap) -> ExpectationResult:
    """The verdict on one expectation, from what the run recorded."""
    kind = EXPECTATIONS[expectation.kind]
    passed, detail, t = kind.judge(expectation.spec, Evidence(rows, signals, connectors),
                                   energy_wh)
    return ExpectationResult(expectation.name, passed, detail, t)
