"""Judging a scenario's expectations against the recorded timeline (pure functions)."""

from __future__ import annotations

import math

import pandas as pd

from evbench.scenario.model import Expectation
from evbench.scenario.selectors import ConnectorMap, Selector
from reports.model import ExpectationResult
from reports.recorder import Row


def judge(expectation: Expectation, rows: list[Row], signals: pd.DataFrame,
          energy_wh: dict[int, float], connectors: ConnectorMap) -> ExpectationResult:
    spec = expectation.spec
    kind = expectation.kind
    name = expectation.name

    def result(passed: bool, detail: str, t: float | None = None) -> ExpectationResult:
        return ExpectationResult(name, passed, detail, t)

    def selector(key: str) -> Selector:
        sel = dict(spec[key])
        if "connector" in spec and "connector" not in sel:
            sel["connector"] = spec["connector"]
        return Selector(sel)

    if kind == "within":
        start, end = selector("from"), selector("to")
        starts = _times(start, rows, connectors)
        if not starts:
            return result(False, f"{start.describe()} never happened")
        ends = _times(end, rows, connectors)
        limit = spec["within"]
        checked = starts if spec.get("each") else starts[:1]
        worst: tuple[float, float] | None = None
        for t0 in checked:
            t1 = next((t for t in ends if t >= t0), None)
            if t1 is None:
                return result(False, f"{end.describe()} did not follow {start.describe()} "
                              f"at t={t0:.3f} s", t0)
            if t1 - t0 > limit + 1e-9:
                return result(False, f"{end.describe()} came {t1 - t0:.3f} s after "
                              f"{start.describe()} at t={t0:.3f} s (limit {limit:g} s)", t1)
            if worst is None or t1 - t0 > worst[1]:
                worst = (t1, t1 - t0)
        assert worst is not None
        times = f" (worst of {len(checked)})" if len(checked) > 1 else ""
        return result(True, f"{end.describe()} came {worst[1]:.3f} s after "
                      f"{start.describe()}{times}, limit {limit:g} s", worst[0])

    if kind in ("happens", "never"):
        sel = selector(kind)
        before = spec.get("before", math.inf)
        hits = [t for t in _times(sel, rows, connectors) if t <= before]
        if kind == "never":
            if hits:
                return result(False, f"happened at t={hits[0]:.3f} s", hits[0])
            return result(True, "did not happen")
        wanted = spec.get("times")
        if wanted is not None:
            return result(len(hits) == wanted, f"happened {len(hits)} times (wanted {wanted})",
                          hits[-1] if hits else None)
        if not hits:
            deadline = f" before t={before:g} s" if before != math.inf else ""
            return result(False, f"never happened{deadline}")
        return result(True, f"first at t={hits[0]:.3f} s", hits[0])

    if kind == "energy_wh":
        connector = spec.get("connector")
        total = energy_wh.get(connector, 0.0) if connector else sum(energy_wh.values())
        return _bounds(result, spec["energy_wh"], total, "Wh delivered")

    column = spec[kind]
    frame = signals
    if "connector" in spec:
        frame = frame[frame["connector"] == spec["connector"]]
    if kind == "final":
        values = frame[column].dropna()
        if values.empty:
            return result(False, f"{column} was never measured")
        return _bounds(result, spec, float(values.iloc[-1]), column)
    frame = frame[(frame["t"] >= spec.get("from", 0.0))
                  & (frame["t"] <= spec.get("until", math.inf))]
    if kind == "total":
        series = frame.groupby("t", sort=True)[column].sum(min_count=1).dropna()
    else:
        series = frame.set_index("t")[column].dropna()
    if series.empty:
        return result(False, f"{column} was never measured in that interval")
    for bound, worst_t in (("max", series.idxmax()), ("min", series.idxmin())):
        if bound not in spec:
            continue
        value = float(series.loc[worst_t].max() if bound == "max" else series.loc[worst_t].min())
        if (bound == "max" and value > spec["max"] + 1e-9) or \
                (bound == "min" and value < spec["min"] - 1e-9):
            return result(False, f"{column} reached {value:g} at t={worst_t:.3f} s "
                          f"({bound} {spec[bound]:g})", float(worst_t))
    return result(True, f"{column} stayed within [{series.min():g}, {series.max():g}]")


def _times(selector: Selector, rows: list[Row], connectors: ConnectorMap) -> list[float]:
    match = selector.matcher(connectors)
    return [row.t for row in rows if match(row)]


def _bounds(result, bounds: dict, value: float, what: str) -> ExpectationResult:
    low, high = bounds.get("min", -math.inf), bounds.get("max", math.inf)
    passed = low - 1e-9 <= value <= high + 1e-9
    limits = " and ".join(f"{'>=' if k == 'min' else '<='} {bounds[k]:g}"
                          for k in ("min", "max") if k in bounds)
    return result(passed, f"{value:.3f} {what} (wanted {limits})")
