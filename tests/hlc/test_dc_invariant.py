"""The invariant "the DC contactors connect the battery only after a passed cable check and
pre-charge", judged on recorded rows: it holds for a proper sequence and names what was
missing otherwise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evbench.scenario.invariants import (
    Wiring,
    build_view,
    dc_contactors_after_cable_check_and_precharge,
)
from reports.recorder import Row, to_json

WIRING = Wiring(evse={1: "evse1"}, measurement={}, lock={}, rcd={}, meter={},
                pwm_stop_timeout_s={1: 6.0}, ev_dc={1: "dc1.ev_dc"}, secc={1: "secc1.charger"})


def _row(t: float, source: str, kind: str, name: str, value) -> Row:
    return Row(t, source, kind, name, value, to_json(value))


def _phase(t: float, dc: str) -> Row:
    return _row(t, "evse1.evse", "var", "hlc_phase", {"hlc": "x", "dc": dc, "reason": ""})


def _checked(t: float, status: bool) -> Row:
    return _row(t, "evse1", "cmd", "secc1.charger.cable_check_finished",
                {"args": {"status": status}, "id": 1})


def _inlet(t: float, closed: bool) -> Row:
    return _row(t, "dc1.ev_dc", "var", "measurement",
                {"voltage_v": 400.0, "current_a": 0.0, "contactors_closed": closed})


def _judge(rows: list[Row]) -> list:
    return dc_contactors_after_cable_check_and_precharge(build_view(rows, WIRING, 100.0))


def test_a_proper_sequence_holds() -> None:
    rows = [_phase(1, "CableCheck"), _phase(2, "IsolationCheck"), _checked(3, True),
            _phase(3, "WaitingForPreCharge"), _phase(4, "PreCharge"),
            _phase(5, "WaitingForPowerDelivery"), _inlet(6, True), _inlet(50, False)]
    assert _judge(rows) == []


def test_closing_without_a_cable_check_or_pre_charge_is_a_violation() -> None:
    found = _judge([_phase(1, "CableCheck"), _inlet(2, True)])
    assert len(found) == 1 and found[0][0] == 2
    assert "a passed cable check and pre-charge" in found[0][1]
    found = _judge([_phase(1, "CableCheck"), _checked(2, True), _inlet(3, True)])
    assert "without pre-charge" in found[0][1]
    # a failed cable check does not count; a new cable check forgets the last one
    assert _judge([_checked(1, False), _phase(2, "WaitingForPowerDelivery"), _inlet(3, True)])
    assert _judge([_checked(1, True), _phase(2, "WaitingForPowerDelivery"),
                   _phase(3, "CableCheck"), _inlet(4, True)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["check_ok", "check_failed", "cable_check", "precharged",
                                 "close", "open"]), max_size=12))
def test_every_closing_is_judged_by_what_came_before_it(events: list[str]) -> None:
    rows, checked, precharged, closed, expected = [], False, False, False, 0
    for i, event in enumerate(events):
        t = float(i + 1)
        if event in ("check_ok", "check_failed"):
            rows.append(_checked(t, event == "check_ok"))
            checked = event == "check_ok"
        elif event == "cable_check":
            rows.append(_phase(t, "CableCheck"))
            checked = precharged = False
        elif event == "precharged":
            rows.append(_phase(t, "WaitingForPowerDelivery"))
            precharged = True
        else:
            rows.append(_inlet(t, event == "close"))
            if event == "close" and not closed and not (checked and precharged):
                expected += 1
            closed = event == "close"
    assert len(_judge(rows)) == expected
