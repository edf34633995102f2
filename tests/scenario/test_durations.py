"""Durations as people write them: ``90``, ``1.5 s``, ``100 ms``, ``5 min``, ``4 h``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evbench.scenario.durations import UNITS, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    (90, 90.0), (0, 0.0), (1.5, 1.5), ("90", 90.0), ("1.5 s", 1.5), ("1.5s", 1.5),
    ("100 ms", 0.1), ("2 sec", 2.0), ("5 min", 300.0), ("4 h", 14400.0), ("  7 s  ", 7.0),
    ("0.25 h", 900.0), ("0 ms", 0.0),
])
def test_accepted_forms(text: float | str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    assert isinstance(parse_duration(text), float)


@pytest.mark.parametrize("text", [
    "5 minutes", "5 m", "1 d", "-1", "-1 s", "1,5 s", "1e3", ".5 s", "5.", "s", "", " ",
    "5 S", "5 MIN", "1 h 30 min", "five", "nan", "inf", "0x10",
])
def test_refused_forms(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", [-1, -0.5, True, False])
def test_negative_numbers_and_booleans_are_refused(value: float) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
       st.sampled_from(sorted(UNITS)), st.sampled_from(["", " ", "  "]))
def test_number_and_unit(number: object, unit: str, space: str) -> None:
    text = f"{number}{space}{unit}"
    assert parse_duration(text) == pytest.approx(float(str(number)) * UNITS[unit])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(min_value=0, max_value=10**15),
                 st.floats(min_value=0, max_value=1e15, allow_nan=False)))
def test_a_plain_number_is_seconds(value: float) -> None:
    assert parse_duration(value) == float(value)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_arbitrary_text_is_a_duration_or_a_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert seconds >= 0 and math.isfinite(seconds)


@pytest.mark.parametrize("value", [math.nan, math.inf, "9" * 400 + " s", 10**400],
                         ids=["nan", "inf", "400-digit-string", "400-digit-int"])
def test_non_finite_durations_are_a_value_error(value: float | str) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)
