"""The energy tree as a run recorded it: every node's limit with the currents of its children.

The tree is read from the timeline alone: the energy manager publishes ``site_limits`` with
every node (uuid, node_type, its limit per phase, the EVSE nodes below it) when the tree's shape
changes, and only the nodes whose limit changed otherwise. An EVSE node's uuid is its EVSE
manager's module id, whose session events name its connector; the children's current of a node
is then the sum of the per-phase current signals of the connectors below it, at each sample.
A node's limit here is its lowest limit over the phases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports.model import SIGNALS, parse_value

SITE_LIMITS = ("var", "site_limits")  # kind and name of the rows holding the tree
PHASE_SIGNALS: tuple[str, ...] = tuple(s.name for s in SIGNALS if s.phase and s.unit == "A")


@dataclass
class TreeNode:
    """One grid, transformer, breaker or fuse node: its limit over time and the EVSE nodes
    below it."""

    uuid: str
    node_type: str
    evses: tuple[str, ...]
    limit_t: list[float] = field(default_factory=list)  # the limit changes at these times
    limit_a: list[float] = field(default_factory=list)


def _lowest(limits: object) -> float:
    finite = [float(a) for a in limits if isinstance(a, (int, float)) and math.isfinite(a)] \
        if isinstance(limits, list) else []
    return min(finite) if finite else np.nan


def tree_nodes(events: pd.DataFrame | None) -> list[TreeNode]:
    """Every non-EVSE node of the recorded tree, in the manager's order, with its limit's
    history."""
    if events is None or len(events) == 0:
        return []
    mask = (events["kind"] == SITE_LIMITS[0]) & (events["name"] == SITE_LIMITS[1])
    nodes: dict[str, TreeNode] = {}
    for t, value in zip(events.loc[mask, "t"].tolist(), events.loc[mask, "value"].tolist()):
        tree = parse_value(value)
        if not isinstance(tree, dict) or not isinstance(tree.get("nodes"), list):
            continue
        for entry in tree["nodes"]:
            if not isinstance(entry, dict) or "uuid" not in entry:
                continue
            uuid = str(entry["uuid"])
            node = nodes.setdefault(uuid, TreeNode(uuid, str(entry.get("node_type")), ()))
            if isinstance(entry.get("evses"), list):  # the whole tree: who is below it now
                node.evses = tuple(str(e) for e in entry["evses"])
            limit = _lowest(entry.get("limit_per_phase_a"))
            if node.limit_t and node.limit_t[-1] == float(t):
                node.limit_a[-1] = limit  # same instant: only the outcome lasts
            elif not node.limit_a or node.limit_a[-1] != limit:
                node.limit_t.append(float(t))
                node.limit_a.append(limit)
    return list(nodes.values())


def evse_connectors(events: pd.DataFrame | None) -> dict[str, int]:
    """EVSE manager module id -> connector, from the rows it published naming its connector."""
    found: dict[str, int] = {}
    if events is None or len(events) == 0:
        return found
    mask = (events["kind"] == "var") & (events["name"] == "session_event")
    for source, value in zip(events.loc[mask, "source"].tolist(),
                             events.loc[mask, "value"].tolist()):
        decoded = parse_value(value)
        connector = decoded.get("connector") if isinstance(decoded, dict) else None
        if isinstance(connector, int) and not isinstance(connector, bool):
            found.setdefault(str(source).split(".", 1)[0], connector)
    return found


def children_current(signals: pd.DataFrame, connectors: list[int]) -> pd.DataFrame:
    """Per sample time ``t``, the sum of each phase current over ``connectors`` (columns t and
    PHASE_SIGNALS); empty when none of them was sampled."""
    if signals is None or len(signals) == 0 or not connectors:
        return pd.DataFrame(columns=["t", *PHASE_SIGNALS])
    rows = signals[signals["connector"].isin(connectors)]
    if not len(rows):
        return pd.DataFrame(columns=["t", *PHASE_SIGNALS])
    summed = rows.groupby("t", sort=True)[list(PHASE_SIGNALS)].sum(min_count=1)
    return summed.reset_index()
