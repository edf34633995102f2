"""What an import could not carry over, and how much of the file it did: the report's parts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

# "unmapped": something the EVerest station does is not carried over (the import is partial);
# "note": not carried over, or carried over differently, with no effect on what the simulation
# does (a layout, a log path), or a difference worth knowing.
Severity = Literal["unmapped", "note"]
# What a counted item is: EVerest modules, and their keys (parameters, connections, entry keys,
# framework settings).
ItemKind = Literal["module", "parameter", "connection", "entry key", "setting"]
Outcome = Literal["mapped", "note", "unmapped"]


class NotCarried(Exception):
    """Raised by a value conversion of the mapping table: this value has no evbench counterpart
    (``lost``: a behaviour is lost, the import is partial; otherwise a note)."""

    def __init__(self, reason: str, lost: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.lost = lost


@dataclass(frozen=True)
class Finding:
    path: str
    line: int | None
    severity: Severity
    subject: str  # "module_id: what" (which EVerest module, key or value)
    reason: str  # why, and what to do

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.subject}: {self.reason}"


@dataclass
class Coverage:
    """How many EVerest modules and keys were mapped, and how many reported, by kind."""

    counts: Counter = field(default_factory=Counter)  # (ItemKind, Outcome) -> n

    def count(self, kind: ItemKind, outcome: Outcome) -> None:
        self.counts[(kind, outcome)] += 1

    def recount(self, kind: ItemKind, was: Outcome, now: Outcome) -> None:
        """An item counted ``was`` turned out ``now`` (a mapped value evbench refuses)."""
        self.counts[(kind, was)] -= 1
        self.counts[(kind, now)] += 1

    def add(self, other: Coverage) -> None:
        self.counts.update(other.counts)

    def total(self, kind: ItemKind | None = None, outcome: Outcome | None = None) -> int:
        return sum(n for (k, o), n in self.counts.items()
                   if (kind is None or k == kind) and (outcome is None or o == outcome))

    def table(self) -> str:
        """A plain-text table: one row per kind, mapped / note / unmapped / total."""
        kinds: tuple[ItemKind, ...] = ("module", "parameter", "connection", "entry key",
                                       "setting")
        rows = [f"{'':12} {'mapped':>8} {'note':>8} {'unmapped':>9} {'total':>8}"]
        for kind in (*kinds, None):
            label = kind or "all"
            rows.append(f"{label:12} {self.total(kind, 'mapped'):>8} {self.total(kind, 'note'):>8}"
                        f" {self.total(kind, 'unmapped'):>9} {self.total(kind):>8}")
        return "\n".join(rows)
