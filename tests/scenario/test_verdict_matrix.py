"""Every expectation kind judges every condition kind right: a case that must pass and a case
that must fail for each pair, generated from the vocabulary tables.

One real run of a short two-connector scenario carries every case as a named expectation, so
each verdict comes from the loader, the station checks, the runner and the judge as a user gets
them. A new condition or expectation kind is in the matrix as soon as it is in its table; the
examples below must then say how it happens in the reference run, or
``test_every_kind_has_examples`` fails.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from evbench.scenario import load_scenario, run_scenario
from evbench.scenario.expectations import EXPECTATIONS
from evbench.scenario.selectors import CONDITIONS, Evidence, Selector
from reports.model import RunResult

REPO = Path(__file__).resolve().parents[2]
STATION = REPO / "scenarios" / "stations" / "ac-2-connectors-shared-fuse.yaml"

# The reference run: a car charges on connector 1 at 16 A, its RCD trips, it is unplugged and
# the trip is cleared; connector 2 has a car that never plugs in. Everything the examples call
# "happens" happens after the step "early" (t=1 s) and before the step "late" (t=90 s); nothing
# happens on connector 2.
REFERENCE = """\
scenario: verdict matrix
station: stations/two.yaml
duration: 100 s
world:
  cars:
    - {connector: 1, profile: sedan-3ph-11kw, soc_pct: 20}
    - {connector: 2, profile: sedan-3ph-11kw, soc_pct: 20}
steps:
  - {at: 1 s, id: early, do: grid, max_current_a: 63}
  - {at: 5 s, do: plug_in, connector: 1}
  - {after: 2 s, id: swiped, do: swipe, token: AABBCCDD}
  - {at: 60 s, do: fault, fault: rcd, current_ma: 30, connector: 1}
  - {after: 10 s, do: unplug, connector: 1}
  - {after: 1 s, do: fault, fault: rcd, active: false, connector: 1}
  - {at: 90 s, id: late, do: grid, max_current_a: 63}
  - {at: 95 s, do: end}
  - {at: 96 s, id: never-runs, do: grid, max_current_a: 63}
"""
FIRST_STEP_S, LAST_STEP_S = 1.0, 90.0

# Per condition kind: a condition that happens in the reference run (on connector 1, between
# the steps early and late, after t=2 s) and one that is valid for the station but never happens.
HAPPENS: dict[str, dict] = {
    "session": {"session": "ChargingStarted"},
    "cp": {"cp": "C"},
    "contactor": {"contactor": "closed"},
    "error": {"error": "ac_rcd/AC"},
    "cleared": {"cleared": "ac_rcd/AC"},
    "auth": {"auth": "Accepted"},
    "step": {"step": "swiped"},
    "var": {"var": "ev_state", "source": "car1.car", "value": {"state": "charging"}},
    "signal": {"signal": "current_l1_a", "ge": 10},
}
NEVER: dict[str, dict] = {
    "session": {"session": "ReservationStarted"},
    "cp": {"cp": "D"},
    "contactor": {"contactor": "closed", "connector": 2},
    "error": {"error": "ac_rcd/DC"},
    "cleared": {"cleared": "ac_rcd/DC"},
    "auth": {"auth": "Rejected"},
    "step": {"step": "never-runs"},
    "var": {"var": "ev_state", "value": {"state": "fault"}},
    "signal": {"signal": "current_l1_a", "ge": 40},
}
EARLY, LATE = {"step": "early"}, {"step": "late"}


@dataclass(frozen=True)
class Case:
    id: str
    expectation: dict
    passes: bool


def _condition_cases(kind: str, yes: dict, no: dict) -> dict[str, list[Case]]:
    """Per expectation kind that takes conditions: its cases for one condition kind."""
    return {
        "within": [
            Case(f"within-from-{kind}-pass", {"within": 100, "from": yes, "to": LATE}, True),
            Case(f"within-from-{kind}-fail", {"within": 100, "from": no, "to": LATE}, False),
            Case(f"within-to-{kind}-pass", {"within": 100, "from": EARLY, "to": yes}, True),
            Case(f"within-to-{kind}-fail", {"within": 100, "from": EARLY, "to": no}, False),
            Case(f"within-to-{kind}-too-late", {"within": 0.5, "from": EARLY, "to": yes}, False),
            # every occurrence is followed by itself at once; none by a step that ran before all
            Case(f"within-each-{kind}-pass", {"within": 0, "from": yes, "to": yes, "each": True},
                 True),
            Case(f"within-each-{kind}-fail",
                 {"within": 100, "from": yes, "to": EARLY, "each": True}, False),
        ],
        "happens": [
            Case(f"happens-{kind}-pass", {"happens": yes}, True),
            Case(f"happens-{kind}-fail", {"happens": no}, False),
            Case(f"happens-{kind}-before-fail", {"happens": yes, "before": 2}, False),
        ],
        "never": [
            Case(f"never-{kind}-pass", {"never": no}, True),
            Case(f"never-{kind}-fail", {"never": yes}, False),
        ],
    }


# Expectation kinds without conditions: a case that passes and one that fails.
PLAIN: dict[str, list[Case]] = {
    "energy_wh": [Case("energy_wh-pass", {"energy_wh": {"min": 1}, "connector": 1}, True),
                  Case("energy_wh-fail", {"energy_wh": {"min": 1}, "connector": 2}, False)],
    "signal": [Case("signal-pass", {"signal": "current_l1_a", "max": 17}, True),
               Case("signal-fail", {"signal": "current_l1_a", "max": 5}, False)],
    "total": [Case("total-pass", {"total": "current_l1_a", "max": 17}, True),
              Case("total-fail", {"total": "current_l1_a", "min": 5}, False)],
    "final": [Case("final-pass", {"final": "soc_pct", "min": 20, "connector": 1}, True),
              Case("final-fail", {"final": "soc_pct", "max": 20, "connector": 1}, False)],
    # the shared fuse holds; one car came (connector 1 plugs in and out, connector 2 never)
    "site": [Case("site-pass", {"site": "limit_violations", "max": 0}, True),
             Case("site-fail", {"site": "cars", "min": 2}, False)],
}


def _cases() -> list[Case]:
    cases = []
    for expectation in EXPECTATIONS.values():
        if not expectation.conditions:
            cases += PLAIN.get(expectation.name, [])
            continue
        for kind in CONDITIONS.values():
            if kind.name not in HAPPENS or kind.name not in NEVER:
                continue  # reported by test_every_kind_has_examples
            yes, no = HAPPENS[kind.name], NEVER[kind.name]
            cases += _condition_cases(kind.name, yes, no).get(expectation.name, [])
            if kind.per_connector:
                # the condition that happens, on the connector where nothing happens (a source
                # of connector 1 on connector 2 could never match: validation refuses it)
                elsewhere = {**{k: v for k, v in yes.items() if k != "source"}, "connector": 2}
                cases += [c for c in _condition_cases(f"{kind.name}-elsewhere", yes, elsewhere)
                          .get(expectation.name, []) if elsewhere in c.expectation.values()]
    return cases


CASES = _cases()


def test_every_kind_has_examples() -> None:
    assert set(HAPPENS) == set(CONDITIONS) == set(NEVER), "give each condition kind examples"
    for expectation in EXPECTATIONS.values():
        built = _condition_cases("x", {}, {}) if expectation.conditions else PLAIN
        assert expectation.name in built, f"no matrix cases for {expectation.name} expectations"


def test_every_kind_pair_has_a_passing_and_a_failing_case() -> None:
    for expectation in EXPECTATIONS.values():
        kinds = CONDITIONS if expectation.conditions else {"": None}
        for kind in kinds:
            ids = [c for c in CASES if c.id.startswith(expectation.name)
                   and (not kind or f"-{kind}-" in c.id)]
            assert {c.passes for c in ids} == {True, False}, (expectation.name, kind)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    folder = tmp_path_factory.mktemp("matrix")
    (folder / "stations").mkdir()
    shutil.copy(STATION, folder / "stations" / "two.yaml")
    expect = "".join(f"  - {json.dumps({'name': c.id, **c.expectation})}\n" for c in CASES)
    path = folder / "matrix.yaml"
    path.write_text(REFERENCE + "expect:\n" + expect, encoding="utf-8")
    return run_scenario(load_scenario(path))


def test_the_reference_run_is_what_the_examples_say(reference: RunResult) -> None:
    implicit = {e.name: e for e in reference.expectations}
    assert implicit["every scenario step ran"].passed
    assert implicit["no module raised an exception"].passed


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_verdict(case: Case, reference: RunResult) -> None:
    outcome = next(e for e in reference.expectations if e.name == case.id)
    assert outcome.passed is case.passes, outcome.detail


def test_a_signal_condition_in_never_fails_while_it_holds(reference: RunResult) -> None:
    """The defect: with 16 A flowing, ``never: {signal: current_l1_a, ge: 10}`` passed because
    expectations looked for the signal in the timeline rows, where signals never are."""
    verdicts = {e.name: e for e in reference.expectations}
    assert not verdicts["never-signal-fail"].passed
    assert verdicts["happens-signal-pass"].passed
    assert verdicts["within-to-signal-pass"].passed


def test_when_and_expectations_see_a_signal_condition_at_the_same_sample(
        tmp_path: Path) -> None:
    """A step waiting for a signal condition goes on at the first sample where the judge says
    the condition holds."""
    (tmp_path / "stations").mkdir()
    shutil.copy(STATION, tmp_path / "stations" / "two.yaml")
    text = REFERENCE.replace(
        "  - {at: 60 s,",
        "  - {when: {signal: current_l1_a, ge: 10}, id: saw-current, do: grid,"
        " max_current_a: 63}\n  - {at: 60 s,")
    path = tmp_path / "when.yaml"
    path.write_text(text + "expect:\n  - {happens: {signal: current_l1_a, ge: 10}}\n",
                    encoding="utf-8")
    result = run_scenario(load_scenario(path))
    assert all(e.passed for e in result.expectations), result.expectations
    steps = result.events[(result.events["kind"] == "step")]
    saw = float(steps[steps["value"].str.contains('"saw-current"')]["t"].iloc[0])
    swiped = float(steps[steps["value"].str.contains('"swiped"')]["t"].iloc[0])
    evidence = Evidence([], result.signals, None)  # type: ignore[arg-type]
    holding = Selector({"signal": "current_l1_a", "ge": 10}).holding_times(evidence)
    assert saw == next(t for t in holding if t >= swiped)
