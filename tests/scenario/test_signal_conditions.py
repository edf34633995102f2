"""A signal condition means the same in every expectation kind as in a step's ``when:``.

The defect: with 16 A flowing, ``never: {signal: current_l1_a, ge: 10}`` passed, and ``happens:``
and ``within: ... to:`` on the same condition failed with "never happened", because expectations
looked for signals in the timeline rows, where they never are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evbench.scenario import load_scenario, run_scenario

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
