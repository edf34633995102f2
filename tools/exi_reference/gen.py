"""Value generator shared by the corpus case builders.

A generator runs in one of four modes so that each message type gets a small, systematic set:
``min`` (optional parts absent, lowest values, shortest strings), ``low`` (every optional part,
lowest values), ``max`` (every optional part, highest values, longest strings) and ``rand``
(seeded random choices; enumeration literals are taken in turn so that every one occurs).
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

SHORT = (-(2**15), 2**15 - 1)
TEXT = string.ascii_letters + string.digits + " -_.:*/"


class CaseRandom(random.Random):
    """The seeded source of one namespace's cases, with the turn of each enumeration."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.turns: dict[tuple[Any, ...], int] = {}

    def next_of(self, options: Sequence[T]) -> T:
        key = tuple(options)
        turn = self.turns.get(key, 0)
        self.turns[key] = turn + 1
        return options[turn % len(options)]


class Gen:
    def __init__(self, rng: CaseRandom, mode: str) -> None:
        if mode not in ("min", "low", "max", "rand"):
            raise ValueError(mode)
        self.rng = rng
        self.mode = mode

    def opt(self, p: float = 0.5) -> bool:
        """Whether to include an optional part."""
        if self.mode == "rand":
            return self.rng.random() < p
        return self.mode != "min"

    def num(self, lo: int, hi: int) -> int:
        if self.mode == "rand":
            return rand_int(self.rng, lo, hi)
        return hi if self.mode == "max" else lo

    def count(self, lo: int, hi: int, rand_hi: int | None = None) -> int:
        """A list length; random lengths stay below rand_hi to keep messages small."""
        if self.mode == "rand":
            return self.rng.randint(lo, min(hi, rand_hi or hi))
        return hi if self.mode == "max" else lo

    def flag(self) -> bool:
        if self.mode == "rand":
            return self.rng.random() < 0.5
        return self.mode == "max"

    def choice(self, options: Sequence[T]) -> T:
        if self.mode == "rand":
            return self.rng.next_of(options)
        return options[-1] if self.mode == "max" else options[0]

    def text(self, lo: int, hi: int, alphabet: str = TEXT) -> str:
        n = self.rng.randint(lo, hi) if self.mode == "rand" else self.num(lo, hi)
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def hex(self, lo: int, hi: int) -> str:
        """Uppercase hex of lo..hi random bytes."""
        n = self.rng.randint(lo, hi) if self.mode == "rand" else self.num(lo, hi)
        return self.rng.randbytes(n).hex().upper()

    def pv(self, unit: str | None, lo: int = SHORT[0], hi: int = SHORT[1]) -> dict[str, Any]:
        """A PhysicalValue; ``unit`` None omits the (DIN-optional) Unit element."""
        value: dict[str, Any] = {"Multiplier": self.num(-3, 3)}
        if unit is not None:
            value["Unit"] = unit
        value["Value"] = self.num(lo, hi)
        return value


def rand_int(rng: random.Random, lo: int, hi: int) -> int:
    """Random integer in [lo, hi] with its magnitude spread over all bit lengths."""
    r = rng.random()
    if r < 0.1:
        return lo
    if r < 0.2:
        return hi
    if lo <= 0 <= hi:
        width = max(-lo, hi).bit_length()
        value = rng.getrandbits(rng.randint(1, width)) * rng.choice((-1, 1))
    else:
        width = (hi - lo).bit_length()
        value = lo + rng.getrandbits(rng.randint(1, width))
    return max(lo, min(hi, value))


def hex_bytes(rng: random.Random, n: int) -> str:
    return rng.randbytes(n).hex().upper()
