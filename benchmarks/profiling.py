"""Where a benchmark's time goes: one profiled run, its own time summed by area of the code."""

from __future__ import annotations

import cProfile
import pstats
from collections import defaultdict
from collections.abc import Callable, Sequence


def time_by_area(run: Callable[[], object],
                 areas: Sequence[tuple[str, str]]) -> list[tuple[str, float]]:
    """Profile ``run()``; each function's own time goes to the first area whose path fragment
    its file contains ("other" when none does). Returns (area, share), largest first."""
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    totals: dict[str, float] = defaultdict(float)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (file, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        area = next((label for fragment, label in areas if fragment in file), "other")
        totals[area] += tottime
    total = sum(totals.values())
    return [(area, seconds / total) for area, seconds in
            sorted(totals.items(), key=lambda kv: -kv[1])]
