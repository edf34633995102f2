"""The min/max envelope that bounds a plotted line: bounded, ordered, keeping every extreme."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.downsample import MAX_POINTS, envelope

values = st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=0,
                  max_size=3000)


@settings(max_examples=60, deadline=None)
@given(values, st.integers(2, 400))
def test_envelope_is_bounded_and_keeps_the_extremes(ys: list[float], bound: int) -> None:
    y = np.array(ys, dtype=float)
    t = np.arange(len(y), dtype=float)
    keep = envelope(t, y, bound)
    assert len(keep) <= bound
    assert np.all(np.diff(keep) > 0)  # ascending, no index twice
    if len(y) <= bound:
        assert keep.tolist() == list(range(len(y)))
    finite = y[~np.isnan(y)]
    if len(finite):
        assert np.nanmax(y[keep]) == finite.max()
        assert np.nanmin(y[keep]) == finite.min()


def test_a_one_sample_spike_survives() -> None:
    y = np.zeros(100_000)
    y[76_543] = 5.0
    keep = envelope(np.arange(len(y), dtype=float), y, 1000)
    assert len(keep) <= 1000 and 76_543 in keep.tolist()


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="t has 2 samples, y has 3"):
        envelope(np.zeros(2), np.zeros(3))


def test_the_docs_state_the_bounds() -> None:
    from reports.figures import MAX_MARKERS
    from reports.sequence import MAX_MESSAGES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text("utf-8")
    assert f"| {MAX_POINTS:,} (`reports.downsample.MAX_POINTS`) |" in docs
    assert f"| {MAX_MARKERS:,} each (`reports.figures.MAX_MARKERS`) |" in docs
    assert f"| {MAX_MESSAGES:,} (`reports.sequence.MAX_MESSAGES`) |" in docs
