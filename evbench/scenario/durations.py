"""Durations as people write them: ``90``, ``1.5 s``, ``100 ms``, ``5 min``, ``4 h``."""

from __future__ import annotations

import math
import re
import reprlib

UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}
# Beyond 2**53 s a float clock no longer advances by 1 s (the default sample interval): a run
# that long would stand still instead of ending.
MAX_SECONDS = 2.0**53
_FORMS = "write e.g. 90, '1.5 s', '100 ms', '5 min', '4 h'"
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
DURATION_SCHEMA = {"anyOf": [
    {"type": "number", "minimum": 0},
    {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|sec|min|h)?\s*$"},
], "errorMessage": f"a duration is a number of seconds, not negative, or a string ({_FORMS})"}
_short = reprlib.Repr()
_short.maxlong = _short.maxstring = 40


def parse_duration(value: float | int | str) -> float:
    """Seconds; raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond float range
            seconds = math.inf
    else:
        match = _PATTERN.match(str(value))
        if not match or match.group(2) not in ("", *UNITS):
            raise ValueError(f"{_short.repr(value)} is not a duration ({_FORMS})")
        seconds = float(match.group(1)) * UNITS.get(match.group(2) or "s", 1.0)
    if not seconds <= MAX_SECONDS:  # also refuses NaN
        raise ValueError(f"{_short.repr(value)} is not a duration: it must be finite and at "
                         f"most {MAX_SECONDS:.0f} s")
    return seconds
