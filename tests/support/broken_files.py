"""Broken copies of a good input file, and the line a reported problem must point at."""

from __future__ import annotations


def edited(good: str, edits: tuple[tuple[str, str], ...]) -> str:
    """``good`` with each (old, new) replacement applied; each old text occurs exactly once."""
    text = good
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def marker_line(text: str, marker: str, nth: int = 1) -> int:
    """The 1-based number of the ``nth`` line holding ``marker`` ("=text": exactly that)."""
    numbers = [n for n, line in enumerate(text.splitlines(), start=1)
               if (line == marker[1:] if marker.startswith("=") else marker in line)]
    assert len(numbers) >= nth, f"marker {marker!r} not in the broken file"
    return numbers[nth - 1]
