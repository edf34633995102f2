"""Human-readable units for the HTML report and plot axes (never used in the CSV files)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.model import is_missing


@dataclass(frozen=True)
class Scale:
    unit: str
    factor: float  # divide the base value by this

    def __call__(self, value: float) -> float:
        return value / self.factor


def time_scale(span_s: float) -> Scale:
    """Seconds up to 10 min, minutes up to 3 h, hours beyond: keeps tick labels short."""
    if not math.isfinite(span_s) or span_s <= 600:
        return Scale("s", 1.0)
    if span_s <= 3 * 3600:
        return Scale("min", 60.0)
    return Scale("h", 3600.0)


def power_scale(max_w: float) -> Scale:
    return Scale("kW", 1000.0) if math.isfinite(max_w) and max_w >= 2000 else Scale("W", 1.0)


def energy_scale(max_wh: float) -> Scale:
    return Scale("kWh", 1000.0) if math.isfinite(max_wh) and max_wh >= 2000 else Scale("Wh", 1.0)


def format_duration(seconds: float | None) -> str:
    """E.g. "0.250 s", "42.0 s", "12 min 03 s", "2 h 05 min 09 s"."""
    if seconds is None or is_missing(seconds) or not math.isfinite(seconds):
        return "–"
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds < 10:
        return f"{seconds:.3f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min {s:02d} s"
    return f"{m} min {s:02d} s"


def format_energy(wh: float | None) -> str:
    if wh is None or is_missing(wh):
        return "–"
    if abs(wh) >= 1000:
        return f"{wh / 1000:.2f} kWh"
    return f"{wh:.1f} Wh"


def format_time_s(t: float | None) -> str:
    """An event time in seconds with millisecond resolution, as in the tables."""
    if t is None or is_missing(t):
        return "–"
    return f"{float(t):.3f}"
