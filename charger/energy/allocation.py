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
    """Limit per EVSE uuid: water-filled inside every node's limit, and each EVSE gets 0 or at
    least its minimum. Which EVSEs get 0:

    1. those that cannot reach their minimum even alone (their demand, their maximum or a limit
       on their way to the root is below it): they must not cost the others anything;
    2. then, while a share is below its minimum, the EVSE furthest below its own minimum (ties:
       the smaller share, then the uuid) is dropped and the rest shared again;
    3. each EVSE dropped in 2 is offered its place again, last dropped first, and keeps it if
       every share still reaches its minimum (a later drop may have made room for it).
    """
    minimums = evse_values(root, "min_current_a")
    excluded = _unservable(root, root["max_current_a"], set())
    dropped: list[str] = []
    while True:
        out = _shares(root, excluded)
        short = _short(out, minimums)
        if not short:
            break
        uuid = min(short, key=lambda u: (out[u] - minimums[u], out[u], u))
        excluded.add(uuid)
        dropped.append(uuid)
    for uuid in reversed(dropped):
        trial = _shares(root, excluded - {uuid})
        if not _short(trial, minimums):
            excluded.discard(uuid)
            out = trial
    return out


def _shares(root: dict, excluded: set[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    _fill(root, root["max_current_a"], excluded, out)
    return out


def _short(out: dict[str, float], minimums: dict[str, float]) -> list[str]:
    """EVSEs given some current, but less than their minimum."""
    return [uuid for uuid, amps in out.items() if 0 < amps < minimums[uuid]]


def _unservable(node: dict, limit: float, out: set[str]) -> set[str]:
    """EVSEs that, alone in the tree, would still get less than their minimum (but not 0)."""
    limit = min(limit, node["max_current_a"])
    if node["node_type"] == "Evse":
        alone = _floor(min(limit, wanted(node, set())))
        if 0 < alone < node.get("min_current_a", 0.0):
            out.add(node["uuid"])
    for child in node["children"]:
        _unservable(child, limit, out)
    return out


def evse_values(node: dict, key: str, default: float = 0.0,
                out: dict[str, float] | None = None) -> dict[str, float]:
    """``key`` of every EVSE node in the tree, by uuid."""
    out = {} if out is None else out
    if node["node_type"] == "Evse":
        out[node["uuid"]] = node.get(key, default)
    for child in node["children"]:
        evse_values(child, key, default, out)
    return out
