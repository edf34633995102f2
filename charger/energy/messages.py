"""The energy tree's messages as typed values, and their wire form (JSON objects).

A node publishes one ``EnergyRequest`` upwards: its own aggregate (its limit per phase and what
its subtree would draw per phase) plus ``changed``, the entries of its subtree that changed
since it last published. The first request of a node carries every entry it knows (the tree is
sent once); after that a change travels as one entry per hop, never as the whole subtree. The
energy manager keeps the flat table of all entries.

A leaf (an EVSE manager) publishes its own request with no ``changed`` list; the node above it
turns it into an entry with itself as the parent and the site phase it is wired to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PHASES: tuple[str, ...] = ("L1", "L2", "L3")
NODE_TYPES: tuple[str, ...] = ("Grid", "Transformer", "Breaker", "Fuse", "Evse")
NO_LIMIT = math.inf  # a phase a node does not limit (the other phases of a 1-phase fuse)

PerPhase = tuple[float, float, float]


def per_phase(value: float) -> PerPhase:
    return (value, value, value)


@dataclass(frozen=True)
class NodeEntry:
    """One node of the tree as the manager tables it."""

    uuid: str
    node_type: str
    parent: str | None  # None for the root
    phases: int  # 1 or 3
    site_phase: str  # the site phase a 1-phase node or EVSE is wired to (3-phase: "L1")
    limit_a: PerPhase  # limit per phase (for an EVSE: its maximum on each phase it uses)
    demand_a: float = 0.0  # an EVSE: what it would draw per phase now; a node: 0 (aggregate)
    min_current_a: float = 0.0  # an EVSE: below this it cannot charge

    @property
    def is_evse(self) -> bool:
        return self.node_type == "Evse"

    def to_wire(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "node_type": self.node_type, "parent": self.parent,
                "phases": self.phases, "site_phase": self.site_phase,
                "limit_per_phase_a": [_finite(a) for a in self.limit_a],
                "demand_a": self.demand_a, "min_current_a": self.min_current_a}

    @classmethod
    def from_wire(cls, value: dict[str, Any]) -> NodeEntry:
        return cls(value["uuid"], value["node_type"], value.get("parent"), value["phases"],
                   value.get("site_phase", "L1"),
                   tuple(_infinite(a) for a in value["limit_per_phase_a"]),  # type: ignore[arg-type]
                   float(value.get("demand_a", 0.0)), float(value.get("min_current_a", 0.0)))


@dataclass(frozen=True)
class EnergyRequest:
    """What a node publishes upwards: its aggregate, and the entries below that changed."""

    uuid: str
    node_type: str
    phases: int
    limit_a: PerPhase  # this node's own limit per phase
    demand_a: PerPhase  # what its subtree would draw per phase, inside its limits
    min_current_a: float = 0.0
    changed: tuple[NodeEntry, ...] = field(default_factory=tuple)

    def to_wire(self) -> dict[str, Any]:
        finite = [_finite(a) for a in self.limit_a]
        return {"uuid": self.uuid, "node_type": self.node_type,
                "max_current_a": min((a for a in finite if a is not None), default=0.0),
                "phases": self.phases, "demand_a": max(self.demand_a),
                "min_current_a": self.min_current_a,
                "limit_per_phase_a": finite, "demand_per_phase_a": list(self.demand_a),
                "changed": [e.to_wire() for e in self.changed]}

    @classmethod
    def from_wire(cls, value: dict[str, Any]) -> EnergyRequest:
        """Also reads a leaf's short form (an EVSE manager's request: one current, no lists)."""
        if "limit_per_phase_a" in value:
            limit = tuple(_infinite(a) for a in value["limit_per_phase_a"])
        else:
            limit = per_phase(float(value["max_current_a"]))
        demand = value.get("demand_per_phase_a") or per_phase(float(value["demand_a"]))
        return cls(value["uuid"], value["node_type"], int(value["phases"]),
                   limit, tuple(float(a) for a in demand),  # type: ignore[arg-type]
                   float(value.get("min_current_a", 0.0)),
                   tuple(NodeEntry.from_wire(e) for e in value.get("changed", ())))

    def entry(self, parent: str | None, site_phase: str) -> NodeEntry:
        """This node itself as an entry of the flat table, below ``parent``."""
        demand = max(self.demand_a) if self.node_type == "Evse" else 0.0
        return NodeEntry(self.uuid, self.node_type, parent, self.phases, site_phase,
                         self.limit_a, demand, self.min_current_a)


def _finite(amps: float) -> float | None:
    return None if math.isinf(amps) else float(amps)


def _infinite(amps: float | None) -> float:
    return NO_LIMIT if amps is None else float(amps)
