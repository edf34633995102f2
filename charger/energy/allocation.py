"""How the current a tree allows is shared among its EVSEs (pure functions, no bus)."""

from __future__ import annotations

STEP_A = 0.1  # limits are rounded down to this, so rounding never exceeds a fuse


def _floor(value: float) -> float:
    return int(value / STEP_A + 1e-9) * STEP_A


def wanted(node: dict, excluded: set[str]) -> float:
    """Current the subtree would take per phase if nothing above limited it."""
    if node["node_type"] == "Evse":
        if node["uuid"] in excluded:
            return 0.0
        return min(node["demand_a"], node["max_current_a"])
    return min(node["max_current_a"], sum(wanted(c, excluded) for c in node["children"]))


def _fill(node: dict, capacity: float, excluded: set[str], out: dict[str, float]) -> None:
    capacity = min(capacity, node["max_current_a"])
    if node["node_type"] == "Evse":
        out[node["uuid"]] = _floor(min(capacity, wanted(node, excluded)))
        return
    # Water-filling: the smallest wants are met first, the rest share equally.
    children = sorted(node["children"], key=lambda c: (wanted(c, excluded), c["uuid"]))
    remaining = capacity
    for left, child in zip(range(len(children), 0, -1), children):
        share = min(wanted(child, excluded), remaining / left)
        _fill(child, share, excluded, out)
        remaining -= share


def allocate(root: dict) -> dict[str, float]:
    """Limit per EVSE uuid; an EVSE whose share is below its minimum gets 0 and its share is
    offered to the others (the smallest share is dropped first, one at a time)."""
    minimums = _minimums(root)
    excluded: set[str] = set()
    while True:
        out: dict[str, float] = {}
        _fill(root, root["max_current_a"], excluded, out)
        too_small = sorted((amps, uuid) for uuid, amps in out.items()
                           if 0 < amps < minimums[uuid])
        if not too_small:
            return out
        excluded.add(too_small[0][1])


def _minimums(node: dict, out: dict[str, float] | None = None) -> dict[str, float]:
    out = {} if out is None else out
    if node["node_type"] == "Evse":
        out[node["uuid"]] = node.get("min_current_a", 0.0)
    for child in node["children"]:
        _minimums(child, out)
    return out
