"""Sharing a whole tree given as one nested object (every node with its ``children``).

The energy manager works on the flat table (``flat.py``); this reads the nested form that tests,
tools and older EVerest-style trees use, flattens it and shares it the same way.
"""

from __future__ import annotations

from charger.energy.flat import STEP_A, FlatTree, share
from charger.energy.messages import NodeEntry, per_phase

__all__ = ["STEP_A", "allocate", "entries_of", "evse_values"]


def entries_of(node: dict, parent: str | None = None,
               out: list[NodeEntry] | None = None) -> list[NodeEntry]:
    """The flat entries of a nested tree (every node on L1 when it is 1-phase)."""
    out = [] if out is None else out
    out.append(NodeEntry(node["uuid"], node["node_type"], parent, int(node.get("phases", 3)),
                         "L1", per_phase(float(node["max_current_a"])),
                         float(node.get("demand_a", 0.0)),
                         float(node.get("min_current_a", 0.0))))
    for child in node.get("children", []):
        entries_of(child, node["uuid"], out)
    return out


def allocate(root: dict) -> dict[str, float]:
    """Limit per EVSE uuid: water-filled inside every node's limit, 0 or at least its minimum
    (the rules are ``flat.share``'s)."""
    entries = entries_of(root)
    tree = FlatTree.from_entries(entries)
    demand = {e.uuid: e.demand_a for e in entries if e.is_evse}
    out = share(tree, _vector(tree, demand))
    return {uuid: round(float(a), 6) for uuid, a in zip(tree.evses, out)}


def _vector(tree: FlatTree, values: dict[str, float]):
    import numpy as np

    return np.array([values[u] for u in tree.evses], dtype=float)


def evse_values(node: dict, key: str, default: float = 0.0,
                out: dict[str, float] | None = None) -> dict[str, float]:
    """``key`` of every EVSE node in the tree, by uuid."""
    out = {} if out is None else out
    if node["node_type"] == "Evse":
        out[node["uuid"]] = node.get(key, default)
    for child in node["children"]:
        evse_values(child, key, default, out)
    return out
