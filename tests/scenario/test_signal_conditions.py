"""A signal condition means the same in every expectation kind as in a step's ``when:``.

The defect: with 16 A flowing, ``never: {signal: current_l1_a, ge: 10}`` passed, and ``happens:``
and ``within: ... to:`` on the same condition failed with "never happened", because expectations
looked for signals in the timeline rows, where they never are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evbench.scenario import load_scenario, run_scenario
from evbench.scenario.expectations import judge
from evbench.scenario.model import Expectation
from evbench.scenario.selectors import ConnectorMap, Evidence, Selector

SCENARIO = """\
scenario: 16 A flowing
station: stations/ac-1-connector.yaml
duration: 60 s
world:
  cars:
    - {connector: 1, profile: sedan-3ph-11kw, soc_pct: 20}
steps:
  - {at: 2 s, do: plug_in}
  - {after: 2 s, do: swipe, token: AABBCCDD}
expect:
  - {name: never, never: {signal: current_l1_a, ge: 10}}
  - {name: happens, happens: {signal: current_l1_a, ge: 10}}
  - {name: within, within: 30 s, from: {session: Authorized}, to: {signal: current_l1_a, ge: 10}}
  - {name: from, within: 60 s, from: {signal: current_l1_a, ge: 10}, to: {step: swipe}}
  - {name: never-on-connector, never: {signal: current_l1_a, ge: 10}, connector: 1}
"""


def test_a_signal_condition_is_judged_on_the_samples_in_every_kind(
        write: Callable[[str, str], Path]) -> None:
    result = run_scenario(load_scenario(write("flowing.yaml", SCENARIO)))
    verdicts = {e.name: e for e in result.expectations}
    assert float(result.signals["current_l1_a"].max()) >= 15.9  # the current did flow
    assert not verdicts["never"].passed, verdicts["never"].detail
    assert not verdicts["never-on-connector"].passed
    assert verdicts["happens"].passed, verdicts["happens"].detail
    assert verdicts["within"].passed, verdicts["within"].detail
    # it starts to hold after the swipe, so the swipe does not follow it
    assert not verdicts["from"].passed
    assert "did not follow" in verdicts["from"].detail


# --- the rule, on any samples ---------------------------------------------------------------------
VALUES = st.one_of(st.floats(min_value=0, max_value=40, allow_nan=False), st.just(math.nan))


@given(st.lists(st.tuples(VALUES, VALUES), min_size=0, max_size=30),
       st.sampled_from(["ge", "gt", "le", "lt"]), st.floats(min_value=0, max_value=40),
       st.sampled_from([None, 1, 2]))
@settings(max_examples=200, deadline=None)
def test_a_signal_condition_happens_where_it_starts_to_hold(
        samples: list[tuple[float, float]], op: str, bound: float,
        connector: int | None) -> None:
    """On any samples of two connectors: it holds at a sample when some (or the named)
    connector's value compares; it happens where it holds and did not at the sample before;
    never and happens agree with that."""
    rows = [(float(t), c, value) for t, pair in enumerate(samples)
            for c, value in zip((1, 2), pair)]
    frame = pd.DataFrame(rows, columns=["t", "connector", "current_l1_a"])
    spec = {"signal": "current_l1_a", op: bound}
    if connector is not None:
        spec["connector"] = connector
    selector = Selector(spec)
    evidence = Evidence([], frame, ConnectorMap())

    compare = {"ge": lambda a: a >= bound, "gt": lambda a: a > bound,
               "le": lambda a: a <= bound, "lt": lambda a: a < bound}[op]
    holds = [any(compare(v) for c, v in zip((1, 2), pair)
                 if not math.isnan(v) and connector in (None, c)) for pair in samples]
    assert selector.holding_times(evidence) == [float(t) for t, h in enumerate(holds) if h]
    assert selector.times(evidence) == [float(t) for t, h in enumerate(holds)
                                        if h and (t == 0 or not holds[t - 1])]
    never = judge(Expectation("never", {"never": spec}, "n"), [], frame, {}, ConnectorMap())
    happens = judge(Expectation("happens", {"happens": spec}, "h"), [], frame, {},
                    ConnectorMap())
    assert never.passed is not any(holds)
    assert happens.passed is any(holds)
