"""What the site sees over a day: PV production, base load and prices (pure, seeded numpy).

Every profile is a function of the time of day in hours and a ``numpy.random.Generator``, so a
run is reproducible from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUNRISE_H, SUNSET_H = 6.0, 20.0  # a mid-latitude spring day; the shape, not an almanac


def clear_sky(hours: np.ndarray, peak_w: float) -> np.ndarray:
    """Clear-sky PV power: a raised sine between sunrise and sunset, 0 at night."""
    day = (np.mod(hours, 24.0) - SUNRISE_H) / (SUNSET_H - SUNRISE_H)
    shape = np.where((day > 0) & (day < 1), np.sin(np.pi * np.clip(day, 0, 1)) ** 1.5, 0.0)
    return peak_w * shape


def cloud_factor(steps: int, cloudiness: float, rng: np.random.Generator,
                 persistence: float = 0.9) -> np.ndarray:
    """Share of clear-sky power that passes the clouds, per step: an AR(1) process (clouds come
    and go over several steps) mapped to 1 - cloudiness * depth, in [0, 1]."""
    if cloudiness <= 0:
        return np.ones(steps)
    noise = rng.normal(size=steps)
    state = np.empty(steps)
    level = noise[0]
    for i in range(steps):
        level = persistence * level + np.sqrt(1 - persistence ** 2) * noise[i]
        state[i] = level
    depth = 1.0 / (1.0 + np.exp(-2.0 * state))  # 0..1, about half on average
    return np.clip(1.0 - cloudiness * depth * 1.6, 0.0, 1.0)


def _daily_shape(hours: np.ndarray) -> np.ndarray:
    h = np.mod(hours, 24.0)
    return 0.6 + 0.5 * np.exp(-((h - 8.0) / 1.5) ** 2) + 0.9 * np.exp(-((h - 19.0) / 2.0) ** 2)


_DAY_MEAN = float(_daily_shape(np.arange(0.0, 24.0, 1 / 60)).mean())  # so the mean is mean_w


def base_load(hours: np.ndarray, mean_w: float, rng: np.random.Generator | None,
              noise: float = 0.1) -> np.ndarray:
    """A site's own load: a night floor, a morning and a larger evening peak, seeded noise."""
    load = mean_w * _daily_shape(hours) / _DAY_MEAN
    if rng is not None and noise > 0:
        load = load * np.clip(1.0 + noise * rng.normal(size=len(load)), 0.0, None)
    return load


@dataclass(frozen=True)
class Tariff:
    """Price per kWh imported: a time-of-use table, or day-ahead hourly prices (seeded)."""

    time_of_use: tuple[tuple[float, float], ...] = ()  # (from hour of day, price), sorted
    day_ahead_mean: float | None = None
    day_ahead_spread: float = 0.0
    flat: float = 0.0

    def prices(self, hours: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        h = np.mod(hours, 24.0)
        if self.time_of_use:
            starts = np.array([s for s, _ in self.time_of_use])
            values = np.array([p for _, p in self.time_of_use])
            index = np.searchsorted(starts, h, side="right") - 1  # before the first: the last
            return values[index]
        if self.day_ahead_mean is not None:
            # One price per hour of the run: a daily shape (dear at the evening peak, cheap at
            # night and at noon when PV floods the market) plus seeded noise per hour.
            whole = np.floor(hours).astype(int)
            first = whole.min(initial=0)
            count = whole.max(initial=0) - first + 1
            hour_of_day = np.mod(np.arange(first, first + count), 24)
            shape = (0.8 + 0.35 * np.exp(-((hour_of_day - 19) / 2.5) ** 2)
                     + 0.2 * np.exp(-((hour_of_day - 8) / 1.5) ** 2)
                     - 0.25 * np.exp(-((hour_of_day - 13) / 2.5) ** 2))
            noise = rng.normal(size=count) if rng is not None else np.zeros(count)
            hourly = self.day_ahead_mean * shape + self.day_ahead_spread * noise
            return np.maximum(hourly, 0.0)[whole - first]
        return np.full(len(h), self.flat)
