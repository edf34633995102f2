"""The energy tree as a run recorded it: every fuse or limit with the currents of its children.

The tree is read from the timeline alone: each energy node publishes ``energy_flow_request``
with its whole subtree (uuid, node_type, max_current_a, children), so the requests of the root
hold every node and every limit in force. An EVSE node's uuid is its EVSE manager's module id,
whose session events name its connector; the children's current of a node is then the sum of
the per-phase current signals of the connectors below it, at each sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports.model import SIGNALS, parse_value

FLOW_REQUEST = ("var", "energy_flow_request")  # kind and name of the rows holding the tree
EVSE_NODE_TYPE = "Evse"
PHASE_SIGNALS: tuple[str, ...] = tuple(s.name for s in SIGNALS if s.phase and s.unit == "A")


@dataclass
class TreeNode:
    """One grid or fuse node: its limit over time and the EVSE nodes below it."""

    uuid: str
    node_type: str
    evses: tuple[str, ...]
    limit_t: list[float] = field(default_factory=list)  # the limit changes at these times
    limit_a: list[float] = field(default_factory=list)


def _walk(node: dict, out: dict[str, tuple[str, float, tuple[str, ...]]]) -> tuple[str, ...]:
    if node.get("node_type") == EVSE_NODE_TYPE:
        return (str(node.get("uuid")),)
    evses: tuple[str, ...] = ()
    for child in node.get("children") or []:
        if isinstance(child, dict):
            evses += _walk(child, out)
    out[str(node.get("uuid"))] = (str(node.get("node_type")),
                                  float(node.get("max_current_a", np.nan)), evses)
    return evses


def _descendants(node: dict) -> set[str]:
    found: set[str] = set()
    for child in node.get("children") or []:
        if isinstance(child, dict):
            found.add(str(child.get("uuid")))
            found |= _descendants(child)
    return found


def tree_nodes(events: pd.DataFrame | None) -> list[TreeNode]:
    """Every non-EVSE node of the recorded tree(s), roots first, with its limit's history."""
    if events is None or len(events) == 0:
        return []
    mask = (events["kind"] == FLOW_REQUEST[0]) & (events["name"] == FLOW_REQUEST[1])
    requests = []
    below: set[str] = set()
    for t, source, value in zip(events.loc[mask, "t"].tolist(),
                                events.loc[mask, "source"].tolist(),
                                events.loc[mask, "value"].tolist()):
        tree = parse_value(value)
        if isinstance(tree, dict) and "uuid" in tree:
            requests.append((float(t), str(source), tree))
            below |= _descendants(tree)
    # A root is a node that no request shows below another one; its requests hold the tree.
    nodes: dict[str, TreeNode] = {}
    for t, _source, tree in requests:
        if str(tree["uuid"]) in below:
            continue
        seen: dict[str, tuple[str, float, tuple[str, ...]]] = {}
        _walk(tree, seen)
        for uuid, (node_type, limit, evses) in seen.items():
            node = nodes.setdefault(uuid, TreeNode(uuid, node_type, evses))
            node.evses = evses  # the latest request knows every child
            if node.limit_t and node.limit_t[-1] == t:
                node.limit_a[-1] = limit  # same instant: only the outcome lasts
            elif not node.limit_a or node.limit_a[-1] != limit:
                node.limit_t.append(t)
                node.limit_a.append(limit)
    return list(reversed(nodes.values()))  # _walk lists children before their parent


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
