"""The data contract: column order, verdict, session-event extraction."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import (
    SIGNAL_COLUMNS,
    ExpectationResult,
    RunResult,
    empty_events,
    empty_signals,
    session_events,
    signals_columns,
)
from reports.model import anchor_ids, unique_names


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


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["a", "a (2)", "b", "", "A!", "a (3)"]), max_size=12))
def test_names_and_anchors_are_unique(names: list[str]) -> None:
    unique = unique_names(names)
    assert len(set(unique)) == len(names)
    for i, (given_name, made) in enumerate(zip(names, unique)):
        # The first use of a name is kept as it was; a repetition is numbered.
        assert made == given_name if given_name not in names[:i] else made.startswith(given_name)
    anchors = anchor_ids(unique, "exp")
    assert len(set(anchors)) == len(anchors)
    assert all(re.fullmatch(r"exp-[a-z0-9-]+", a) for a in anchors)
