"""Durations as people write them: ``90``, ``1.5 s``, ``100 ms``, ``5 min``, ``4 h``."""

from __future__ import annotations

import re

UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
DURATION_SCHEMA = {"anyOf": [
    {"type": "number", "minimum": 0},
    {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|sec|min|h)?\s*$"},
]}


def parse_duration(value: float | int | str) -> float:
    """Seconds; raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    match = _PATTERN.match(str(value))
    if not match or match.group(2) not in ("", *UNITS):
        raise ValueError(f"{value!r} is not a duration (write e.g. 90, '1.5 s', '100 ms', "
                         "'5 min', '4 h')")
    return float(match.group(1)) * UNITS.get(match.group(2) or "s", 1.0)
