"""The data contract: column order, verdict, session-event extraction."""

from __future__ import annotations

import pandas as pd

from reports import (
    SIGNAL_COLUMNS,
    ExpectationResult,
    RunResult,
    empty_events,
    empty_signals,
    session_events,
    signals_columns,
)


def _run(expectations: list[ExpectationResult]) -> RunResult:
    return RunResult("s", "s.yaml", "st", 1, empty_events(), empty_signals(), expectations)


def test_signal_columns_order() -> None:
    assert signals_columns() == list(SIGNAL_COLUMNS)
    assert signals_columns()[:3] == ["t", "connector", "cp_state"]
    assert list(empty_signals().columns) == list(SIGNAL_COLUMNS)


def test_passed_is_all_expectations_and_true_without_any() -> None:
    ok = ExpectationResult("a", True, "", None)
    bad = ExpectationResult("b", False, "", 1.0)
    assert _run([]).passed is True
    assert _run([ok]).passed is True
    assert _run([ok, bad]).passed is False
    assert _run([ok, bad]).failed_expectations == [bad]


def test_session_events_table() -> None:
    events = pd.DataFrame(
        [
            (1.0, "evse_1", "var", "session_event", '{"event": "Authorized", "connector": 1, '
             '"token": "X"}'),
            (2.0, "board_1", "var", "event", '{"event": "C"}'),
            (3.0, "evse_2", "var", "session_event", "not json"),
            (4.0, "evse_2", "var", "session_event", '{"event": "SessionFinished"}'),
        ],
        columns=["t", "source", "kind", "name", "value"],
    )
    table = session_events(events)
    assert table["t"].tolist() == [1.0, 3.0, 4.0]
    assert table["event"].tolist() == ["Authorized", "not json", "SessionFinished"]
    assert table["connector"].tolist()[0] == 1
    assert table["details"].tolist() == ['{"token":"X"}', "", ""]
    assert len(session_events(empty_events())) == 0
