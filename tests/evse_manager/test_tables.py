"""The declared tables: the session state table settles where the session's facts say, and the
fault table has a row for every error the manager can hear of."""

from __future__ import annotations

import itertools
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from charger.evse_manager.faults import FAULTS, OWN, WATCHED_INTERFACES, row_for
from charger.evse_manager.states import (
    TRANSITIONS,
    EvseState,
    Facts,
    settle,
    transition_pairs,
)

REPO = Path(__file__).resolve().parents[2]
INTERFACES = REPO / "charger" / "interfaces"
MANIFEST = REPO / "charger" / "evse_manager" / "EvseManager.yaml"


def _expected(f: Facts) -> EvseState:
    """What a session with these facts is, by priority (the documented meaning of each state)."""
    if not f.enabled:
        return EvseState.DISABLED
    if f.faulted:
        return EvseState.ERROR
    if not f.plugged:
        return EvseState.RESERVED if f.reserved else EvseState.IDLE
    if f.stopped:
        return EvseState.FINISHED
    if not f.transaction:
        return EvseState.WAITING_FOR_AUTHENTICATION
    if f.contactors_closed:
        return EvseState.CHARGING
    if f.hlc and f.hlc_ending and f.charged and not f.paused_by_evse:
        return EvseState.CHARGING  # the car's SessionStop decides: finished or paused
    if f.paused_by_evse or (f.charged and not f.pwm_offered and not f.hlc):
        return EvseState.CHARGING_PAUSED_EVSE
    if f.charged and (f.hlc_paused_by_ev if f.hlc else f.car_in_b):
        return EvseState.CHARGING_PAUSED_EV
    return EvseState.PREPARE_CHARGING


ALL_FACTS = [Facts(**dict(zip([f.name for f in fields(Facts)], values)))
             for values in itertools.product([False, True], repeat=len(fields(Facts)))]


def test_from_every_state_the_table_settles_where_the_facts_say() -> None:
    wrong = [(state, facts) for facts in ALL_FACTS for state in EvseState
             if settle(state, facts)[0] != _expected(facts)]
    assert wrong == []


def test_a_settled_state_stays_and_chains_follow_declared_rows() -> None:
    declared = {(s, t) for s, t, _ in transition_pairs()}
    for facts in ALL_FACTS:
        for state in EvseState:
            final, path = settle(state, facts)
            assert settle(final, facts) == (final, [])
            assert all(pair in declared for pair in zip([state, *path], path))


def test_every_state_is_entered_and_left_by_some_row() -> None:
    pairs = transition_pairs()
    assert {t for _, t, _ in pairs} == set(EvseState)
    assert {s for s, _, _ in pairs} == set(EvseState)
    assert len(TRANSITIONS) >= 15


def _errors(interface: str) -> list[str]:
    doc = yaml.safe_load((INTERFACES / f"{interface}.yaml").read_text(encoding="utf-8"))
    return list((doc or {}).get("errors") or {})


def _required_interfaces() -> set[str]:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return {r["interface"] for r in manifest["requires"].values()}


def _watched() -> list[str]:
    """The manager's requirements, and the interfaces DC charging will add, where declared."""
    names = _required_interfaces() | set(WATCHED_INTERFACES)
    return sorted(n for n in names if (INTERFACES / f"{n}.yaml").is_file())


@pytest.mark.parametrize("interface", _watched())
def test_every_declared_error_has_a_row(interface: str) -> None:
    missing = [e for e in _errors(interface) if row_for(f"{interface}/{e}") is None]
    assert missing == [], f"add rows to charger/evse_manager/faults.py FAULTS for {missing}"


def test_the_watched_interfaces_include_every_requirement() -> None:
    assert _required_interfaces() - {"external_energy_limits"} <= set(WATCHED_INTERFACES)
    assert not _errors("external_energy_limits")  # it may not grow errors without a row


def test_rows_raise_declared_errors_and_every_declared_error_is_raised() -> None:
    declared = set(_errors(OWN))
    raised = {row.raises for row in FAULTS}
    assert raised == declared
    for row in FAULTS:
        if row.interface != OWN:
            assert row.error in _errors(row.interface), row
    assert len({row.source_type for row in FAULTS}) == len(FAULTS)


def test_the_committed_docs_are_what_the_tables_say() -> None:
    from charger.evse_manager import docs

    page = REPO / "docs" / "evse-manager.md"
    text = page.read_text(encoding="utf-8")
    assert all(f"<!-- table:{name} -->" in text for name in docs.TABLES)
    assert docs.rewrite(text) == text, (
        "docs/evse-manager.md is out of date: python -m charger.evse_manager.docs --write "
        "docs/evse-manager.md")
