"""Bounding the points a report plot carries: min/max envelopes over equal runs of samples.

A long run (a day at one sample a second is 86,400 samples per signal and connector) would make
report.html as large as the CSV files and slow to draw. Above ``MAX_POINTS`` samples a series is
cut into ``MAX_POINTS // 2`` buckets of consecutive samples, and each bucket keeps its lowest and
highest sample, in time order. Peaks, dips and steps stay visible at every zoom level of the
whole run; what is lost is the detail inside a bucket, which signals.csv keeps.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 4000  # per plotted line; documented in docs/reports.md


def envelope(t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices (ascending) of the samples of ``y`` (sampled at ``t``, ascending) to draw.

    Every index when there are at most ``max_points``; otherwise per bucket the index of its
    minimum and of its maximum (once when they coincide), and for a bucket without any value
    its first index, so that the gap is drawn as a gap. At most ``max_points`` indices.
    """
    n = len(y)
    if len(t) != n:
        raise ValueError(f"t has {len(t)} samples, y has {n}")
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep: list[int] = []
    values = y.astype(float, copy=False)
    for start, end in zip(edges[:-1], edges[1:]):
        if end <= start:
            continue
        chunk = values[start:end]
        finite = ~np.isnan(chunk)
        if not finite.any():
            keep.append(int(start))
            continue
        masked_low = np.where(finite, chunk, np.inf)
        masked_high = np.where(finite, chunk, -np.inf)
        low, high = int(np.argmin(masked_low)), int(np.argmax(masked_high))
        keep.extend(sorted({start + low, start + high}))
    return np.asarray(keep, dtype=np.int64)
