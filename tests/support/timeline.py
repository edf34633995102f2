"""Reading a finished scenario run's timeline in tests."""

from __future__ import annotations

import json
from typing import Any


def timeline_rows(result: Any, name: str, source: str | None = None) -> list[tuple[float, object]]:
    """(time, decoded value) of every timeline row called ``name`` (from ``source`` if given)."""
    events = result.events
    chosen = events[events["name"] == name]
    if source is not None:
        chosen = chosen[chosen["source"] == source]
    return [(float(t), json.loads(v) if isinstance(v, str) else v)
            for t, v in zip(chosen["t"], chosen["value"])]
