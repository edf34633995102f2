"""The car's physics on events gives what ticking every second gave, within a stated tolerance.

Every shipped scenario with a simulated car on an AC station runs twice: with ``physics: ticks``
(the battery management wakes every ``bms_interval_s``, the former model) and ``physics:
events`` (constant current between events, the next taper step or full battery scheduled
exactly). The two must agree:

- the same verdict for every expectation;
- the same sequence of EVSE manager states, of session events, of board events (pilot states,
  contactors) and of car states, each change at most STATE_SHIFT_S apart: a ticking car
  reports its state and notices a taper step at its next tick, up to 1 s late, and reaches its
  target state of charge earlier by the drift of those late steps (a car on events also reports
  the states it passes through within a tick, such as ``plugged`` for the 30 ms the contactors
  take to close; those are left out of the comparison);
- signals.csv with the same sample times; each sample equals (states, contactor) or lies within
  the range (numbers) of the ticking run's samples up to one BMS interval either side, widened
  by TOLERANCE: half a taper step of current per phase, its power, and for the integrals (state
  of charge, energy) the drift of up to one second of one taper step each time the current steps
  down (at most 0.02 % of state of charge and 0.05 % of the energy delivered, plus 0.5 Wh).

The DC scenarios are left out: a car on a DC inlet ticks in both modes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evbench.scenario import load_scenario, run_scenario
from reports.model import SIGNALS, RunResult

REPO = Path(__file__).resolve().parents[2]
BMS_INTERVAL_S = 1.0
# How far apart a change of state may come: a tick late, and when it follows the state of
# charge (the target reached, a step waiting for soc_pct), the drift of the ticking car, which
# draws each taper step up to a tick too long and so reaches its target seconds earlier.
STATE_SHIFT_S = 5.0
END_SHIFT_S = STATE_SHIFT_S
TOLERANCE = {"current_l1_a": 0.05, "current_l2_a": 0.05, "current_l3_a": 0.05,
             "power_w": 0.05 * 3 * 253.0, "soc_pct": 0.02}
ENERGY_SHARE, ENERGY_WH = 0.0005, 0.5
STATE_VARS = {("var", "state"), ("var", "session_event"), ("var", "event"),
              ("var", "ev_state")}


def _ac_scenarios_with_cars() -> list[Path]:
    paths = []
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "station" not in doc:
            continue  # a fleet scenario builds its stations itself (tests/fleet)
        station = (path.parent / doc["station"]).read_text(encoding="utf-8")
        if (doc.get("world") or {}).get("cars") and "SimDcPowerPath" not in station:
            paths.append(path)
    return paths


SCENARIOS = _ac_scenarios_with_cars()


def _run(path: Path, physics: str) -> RunResult:
    scenario = load_scenario(path)
    for car in scenario.cars:
        car.config["physics"] = physics
    return run_scenario(scenario)


def _states(result: RunResult) -> list[tuple[float, str, str, str]]:
    """(t, source, name, state) of every change of a state-like variable, in order."""
    out: list[tuple[float, str, str, str]] = []
    last: dict[tuple[str, str], str] = {}
    for row in result.events.itertuples(index=False):
        if (row.kind, row.name) not in STATE_VARS:
            continue
        value = json.loads(row.value)  # the timeline's values are JSON text
        # ev_state: only its state (its other fields change with every update)
        state = str(value.get("event", value.get("state")) if isinstance(value, dict) else value)
        if last.get((row.source, row.name)) == state and row.name in ("ev_state", "state"):
            continue
        last[row.source, row.name] = state
        out.append((float(row.t), row.source, row.name, state))
    return out


def _lasting(states: list[tuple[float, str]], at_least_s: float) -> list[tuple[float, str]]:
    """The states that lasted at least ``at_least_s`` (the last one always), run together."""
    kept = [(t, state) for (t, state), after in zip(states, [*states[1:], None])
            if after is None or after[0] - t >= at_least_s]
    return [s for i, s in enumerate(kept) if i == 0 or s[1] != kept[i - 1][1]]


def _window(series: pd.Series, steps: int) -> tuple[pd.Series, pd.Series]:
    """Per sample, the lowest and highest value within ``steps`` samples either side."""
    roll = series.rolling(2 * steps + 1, center=True, min_periods=1)
    return roll.min(), roll.max()


def compare_signals(ticks: pd.DataFrame, events: pd.DataFrame, interval_s: float) -> list[str]:
    """What differs between the two runs' samples beyond the tolerance (empty: nothing)."""
    problems: list[str] = []
    steps = max(1, math.ceil(BMS_INTERVAL_S / interval_s - 1e-9))
    # A run that ends on a condition may end up to END_SHIFT_S apart: compare the samples both
    # have (the same times), the last ones (where the run ended) aside.
    common = ticks[["t", "connector"]].merge(events[["t", "connector"]], how="inner")
    extra = max(len(ticks), len(events)) - len(common)
    if extra > (END_SHIFT_S / interval_s + 1) * max(1, ticks["connector"].nunique()):
        return [f"sample times differ ({len(ticks)} vs {len(events)} samples)"]
    ticks = ticks.merge(common, how="inner")
    events = events.merge(common, how="inner")
    for connector, one in ticks.groupby("connector"):
        other = events[events["connector"] == connector]
        final_energy = float(one["energy_wh"].max() or 0.0)
        for signal in SIGNALS:
            a = one[signal.name].reset_index(drop=True)
            b = other[signal.name].reset_index(drop=True)
            if signal.kind != "number":
                near = pd.concat([a.shift(k) for k in range(-steps, steps + 1)], axis=1)
                bad = [i for i in range(len(b)) if b[i] not in set(near.iloc[i].dropna())]
            else:
                low, high = _window(a.astype(float), steps)
                tol = TOLERANCE.get(signal.name, 1e-9 + 10.0 ** -signal.decimals)
                if signal.name == "energy_wh":
                    tol = ENERGY_WH + ENERGY_SHARE * final_energy
                values = b.astype(float)
                both_nan = values.isna() & a.isna()
                bad = [i for i in range(len(b)) if not both_nan[i] and not (
                    low[i] - tol <= values[i] <= high[i] + tol)]
            if bad:
                i = bad[0]
                problems.append(f"connector {connector} {signal.name}: {len(bad)} samples off, "
                                f"first at t={float(one['t'].iloc[i]):g}: events {b[i]!r}, "
                                f"ticks {a[max(0, i - steps):i + steps + 1].tolist()}")
    return problems


@pytest.mark.slow  # every shipped AC scenario twice: minutes on a shared machine
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_events_give_what_ticks_gave(path: Path) -> None:
    ticks, events = _run(path, "ticks"), _run(path, "events")
    assert [(e.name, e.passed) for e in events.expectations] == \
        [(e.name, e.passed) for e in ticks.expectations]
    one, two = _states(ticks), _states(events)
    for variable in sorted({s[1:3] for s in one} | {s[1:3] for s in two}):
        a = [(t, state) for t, *var, state in one if tuple(var) == variable]
        b = [(t, state) for t, *var, state in two if tuple(var) == variable]
        if variable[1] == "ev_state":  # a ticking car reports its state once a tick
            b = _lasting(b, BMS_INTERVAL_S)
        assert [s for _, s in b] == [s for _, s in a], variable
        late = [(x, y) for x, y in zip(a, b) if abs(x[0] - y[0]) > STATE_SHIFT_S]
        assert not late, (variable, late[:3])
    interval = load_scenario(path).sample_interval_s
    assert compare_signals(ticks.signals, events.signals, interval) == []


def test_the_comparison_sees_a_taper_step_missed() -> None:
    """The tolerance is tight enough to catch one taper step (0.1 A) held for 3 s too long."""
    path = REPO / "scenarios" / "rfid_session.yaml"
    result = _run(path, "events")
    signals = result.signals.copy()
    flowing = signals.index[signals["current_l1_a"] > 1.0]
    assert len(flowing) > 10
    changed = signals.copy()
    changed.loc[flowing[5:8], "current_l1_a"] += 0.1
    interval = load_scenario(path).sample_interval_s
    assert compare_signals(signals, signals, interval) == []
    assert any("current_l1_a" in p for p in compare_signals(signals, changed, interval))
