"""A traction battery as the DC charger sees it: open-circuit voltage by SoC plus a resistance.

The pack is ``cells_in_series`` cells of one chemistry; its open-circuit voltage is the cell's
curve times the cell count, so a 96-cell pack is a "400 V" car (about 310-400 V) and a 180-cell
pack an "800 V" one (about 590-750 V). The terminal voltage under a charging current is
``OCV + I * R``. Pure functions and a frozen dataclass: no bus, no clock.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

# Open-circuit voltage of one cell (V) by state of charge (%): a generic NMC curve (steep at the
# bottom, a flat middle, rising towards full), written down from the usual published shape.
CELL_OCV_CURVES: dict[str, tuple[tuple[float, float], ...]] = {
    "nmc": ((0.0, 3.30), (5.0, 3.45), (10.0, 3.53), (20.0, 3.60), (30.0, 3.64), (40.0, 3.68),
            (50.0, 3.73), (60.0, 3.80), (70.0, 3.88), (80.0, 3.96), (90.0, 4.05),
            (100.0, 4.18)),
    "lfp": ((0.0, 2.90), (5.0, 3.15), (10.0, 3.22), (20.0, 3.26), (30.0, 3.28), (40.0, 3.29),
            (50.0, 3.30), (60.0, 3.31), (70.0, 3.32), (80.0, 3.33), (90.0, 3.35),
            (100.0, 3.50)),
}


def interpolate(points: tuple[tuple[float, float], ...] | list[tuple[float, float]],
                x: float) -> float:
    """Piecewise-linear through ``points`` (x ascending), held flat beyond the ends."""
    xs = [p[0] for p in points]
    if x <= xs[0]:
        return points[0][1]
    if x >= xs[-1]:
        return points[-1][1]
    i = bisect.bisect_right(xs, x)
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    if x1 == x0:
        return y1
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def current_at_power(power_w: float, ocv_v: float, resistance_ohm: float) -> float:
    """The charging current at which the terminal power (OCV + I R) * I is ``power_w``."""
    if power_w <= 0:
        return 0.0
    if resistance_ohm <= 0:
        return power_w / max(ocv_v, 1.0)
    # The positive root of R I^2 + OCV I - P = 0, in the form that does not cancel for small R.
    return 2.0 * power_w / (ocv_v + math.sqrt(ocv_v * ocv_v + 4.0 * resistance_ohm * power_w))


@dataclass(frozen=True)
class BatteryPack:
    capacity_kwh: float
    cells_in_series: int
    internal_resistance_ohm: float
    chemistry: str = "nmc"

    def open_circuit_voltage(self, soc_pct: float) -> float:
        return self.cells_in_series * interpolate(CELL_OCV_CURVES[self.chemistry], soc_pct)

    def terminal_voltage(self, soc_pct: float, current_a: float) -> float:
        return self.open_circuit_voltage(soc_pct) + current_a * self.internal_resistance_ohm

    @property
    def full_voltage_v(self) -> float:
        """The open-circuit voltage when full: the highest the pack reaches at rest."""
        return self.open_circuit_voltage(100.0)

    @property
    def nominal_voltage_v(self) -> float:
        return self.open_circuit_voltage(50.0)

    def soc_after(self, soc_pct: float, current_a: float, seconds: float) -> tuple[float, float]:
        """(SoC, energy stored in Wh) after charging at ``current_a`` for ``seconds``.

        The energy stored is the charge times the open-circuit voltage (the I^2 R part is heat);
        the step is split where the OCV curve bends, so a long step is as exact as short ones.
        """
        if current_a <= 0 or seconds <= 0 or soc_pct >= 100.0:
            return soc_pct, 0.0
        capacity_wh = self.capacity_kwh * 1000.0
        stored_wh = 0.0
        remaining = seconds
        soc = soc_pct
        while remaining > 1e-12 and soc < 100.0:
            # slices of at most 1 % SoC, each at the OCV of its middle (midpoint rule)
            slice_s = min(remaining, capacity_wh * 0.01 * 3600.0 /
                          (current_a * self.open_circuit_voltage(soc)))
            first_guess = current_a * self.open_circuit_voltage(soc) * slice_s / 3600.0
            middle = soc + first_guess / capacity_wh * 50.0
            slice_wh = current_a * self.open_circuit_voltage(middle) * slice_s / 3600.0
            slice_wh = min(slice_wh, capacity_wh * (100.0 - soc) / 100.0)
            soc = min(100.0, soc + slice_wh / capacity_wh * 100.0)
            stored_wh += slice_wh
            remaining -= slice_s
        return soc, stored_wh
