"""The energy tree as flat arrays, and water-filling on them (pure numpy, no bus).

Every limit is a row ``A @ x <= cap``: one row per node and phase it limits, one column per
EVSE, a 1 where the EVSE's current flows through that node on that phase (a 3-phase EVSE on all
three, a 1-phase EVSE on the site phase it is wired to). Sharing is progressive filling: every
EVSE's current rises at the same rate until it reaches what it wants or one of the rows it is in
is full; the result is the max-min fair share (no EVSE could get more without taking from one
that has less), inside every limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from charger.energy.messages import PHASES, NodeEntry

STEP_A = 0.1  # shares are rounded down to this, so rounding never exceeds a limit
EPS = 1e-9


@dataclass(frozen=True)
class FlatTree:
    """The tree's EVSEs and limits as arrays (built once per change of the tree's shape)."""

    evses: tuple[str, ...]  # column order
    nodes: tuple[str, ...]  # every non-EVSE node
    rows: tuple[tuple[str, str], ...]  # (node uuid, phase) of each row of ``matrix``
    matrix: np.ndarray  # rows x EVSEs, 0/1
    cap: np.ndarray  # per row
    max_a: np.ndarray  # per EVSE
    min_a: np.ndarray  # per EVSE
    phase_use: np.ndarray  # EVSEs x 3, 0/1: the site phases each EVSE's current flows on

    @classmethod
    def from_entries(cls, entries: Iterable[NodeEntry]) -> FlatTree:
        table = {e.uuid: e for e in entries}
        evses = tuple(sorted(u for u, e in table.items() if e.is_evse))
        nodes = tuple(sorted(u for u, e in table.items() if not e.is_evse))
        phase_use = np.zeros((len(evses), 3))
        for i, uuid in enumerate(evses):
            for p in _site_phases(table, table[uuid]):
                phase_use[i, p] = 1.0
        below = np.zeros((len(nodes), len(evses)))  # node x EVSE: the EVSE is below the node
        node_index = {u: k for k, u in enumerate(nodes)}
        for i, uuid in enumerate(evses):
            for ancestor in _ancestors(table, uuid):
                below[node_index[ancestor], i] = 1.0
        rows: list[tuple[str, str]] = []
        matrix_rows: list[np.ndarray] = []
        caps: list[float] = []
        for k, uuid in enumerate(nodes):
            node = table[uuid]
            limited = _site_phases(table, node)
            for p in limited:
                cap = node.limit_a[p] if node.phases == 3 else min(node.limit_a)
                if np.isfinite(cap):
                    rows.append((uuid, PHASES[p]))
                    matrix_rows.append(below[k] * phase_use[:, p])
                    caps.append(max(0.0, cap))
        matrix = np.array(matrix_rows) if matrix_rows else np.zeros((0, len(evses)))
        max_a = np.array([min(table[u].limit_a) for u in evses])
        min_a = np.array([table[u].min_current_a for u in evses])
        return cls(evses, nodes, tuple(rows), matrix, np.array(caps), max_a, min_a, phase_use)

    def with_limits(self, table: dict[str, NodeEntry]) -> FlatTree | None:
        """The same tree with its nodes' limits from ``table`` (same shape: only limits moved);
        None when a limit appeared or vanished (an infinite one: a row more or less)."""
        caps = self.cap.copy()
        for r, (uuid, phase) in enumerate(self.rows):
            node = table[uuid]
            cap = node.limit_a[PHASES.index(phase)] if node.phases == 3 else min(node.limit_a)
            if not np.isfinite(cap):
                return None
            caps[r] = max(0.0, cap)
        finite = sum(1 for u in self.nodes
                     for a in (table[u].limit_a if table[u].phases == 3
                               else (min(table[u].limit_a),)) if np.isfinite(a))
        if finite != len(self.rows):
            return None
        return FlatTree(self.evses, self.nodes, self.rows, self.matrix, caps, self.max_a,
                        self.min_a, self.phase_use)

    def node_rows(self, uuid: str) -> list[int]:
        return [i for i, (node, _) in enumerate(self.rows) if node == uuid]


def _site_phases(table: dict[str, NodeEntry], entry: NodeEntry) -> list[int]:
    """The site phases an entry's current flows on: all three, or the phase of its topmost
    1-phase ancestor-or-self (a 1-phase EVSE below a 1-phase fuse is on that fuse's phase)."""
    if entry.phases == 3:
        return [0, 1, 2]
    phase = entry.site_phase
    node = table.get(entry.parent) if entry.parent else None
    while node is not None:
        if node.phases == 1:
            phase = node.site_phase
        node = table.get(node.parent) if node.parent else None
    return [PHASES.index(phase)]


def _ancestors(table: dict[str, NodeEntry], uuid: str) -> list[str]:
    """The nodes above an entry that the table knows (a cycle cannot be configured; the walk
    still stops after as many steps as there are entries)."""
    out: list[str] = []
    parent = table[uuid].parent
    while parent is not None and parent in table and len(out) < len(table):
        out.append(parent)
        parent = table[parent].parent
    return out


def floor_step(amps: np.ndarray) -> np.ndarray:
    return np.round(np.floor(amps / STEP_A + 1e-6) * STEP_A, 6)  # 10.6, not 10.600000000000001


def fill(matrix: np.ndarray, cap: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Progressive filling: the max-min fair currents below ``want`` with ``matrix @ x <= cap``
    (a row's coefficients may be other than 1: a power row has each EVSE's watts per ampere).

    Every EVSE still rising has the same current, the level; each step raises it to the next
    event (the smallest want still ahead, or the first row to fill up), and what the rows carry
    and how fast it grows are kept up to date instead of recomputed: a step costs the rows, not
    the rows times the EVSEs (a plan gives a thousand EVSEs a thousand different wants)."""
    n = len(want)
    x = np.zeros(n)
    active = want > EPS
    rate = matrix[:, active].sum(axis=1)  # how fast each row's load grows with the level
    used = np.zeros(len(cap))
    full = np.zeros(len(cap), dtype=bool)
    order = np.argsort(want, kind="stable")
    nearest = 0  # into order: the smallest want not yet reached
    level = 0.0
    while active.any():
        while not active[order[nearest]]:
            nearest += 1
        in_use = rate > EPS
        room = np.where(in_use, np.maximum(cap - used, 0.0) / np.where(in_use, rate, 1.0),
                        np.inf)
        step = min(room.min(initial=np.inf), want[order[nearest]] - level)
        level += step
        used += step * rate
        newly_full = in_use & ~full & (cap - used <= 1e-7)
        full |= newly_full
        blocked = (matrix[newly_full].sum(axis=0) > 0) if newly_full.any() else False
        done = active & ((want - level <= 1e-7) | blocked)
        if not done.any():  # cannot happen (the step always closes a row or a want); be safe
            break
        x[done] = level
        active &= ~done
        rate -= matrix[:, done].sum(axis=1)
    x[active] = level
    return np.minimum(x, want)


def share(tree: FlatTree, demand: np.ndarray) -> np.ndarray:
    """Current per EVSE (the order of ``tree.evses``): water-filled inside every limit, rounded
    down to 0.1 A, and each EVSE gets 0 or at least its minimum. Which EVSEs get 0:

    1. those that cannot reach their minimum even alone (their demand, their maximum or a limit
       on their way to the root is below it): they must not cost the others anything;
    2. then, while some shares are below their minimum, the EVSEs furthest below their own
       minimum (ties: the smaller share, then the order) are dropped (half of those short at a
       time, at least one) and the rest shared again;
    3. the dropped EVSEs are offered their place again, last dropped first (in halves, down to
       one at a time), and keep it if every share still reaches its minimum.
    """
    want = np.minimum(demand, tree.max_a)
    excluded = _unservable(tree, want)
    dropped: list[int] = []
    out = _shares(tree, want, excluded)
    while True:
        short = np.flatnonzero((out > 0) & (out < tree.min_a - 1e-9))
        if len(short) == 0:
            break
        order = sorted(short, key=lambda i: (out[i] - tree.min_a[i], out[i], i))
        batch = order[:max(1, len(order) // 2)]
        excluded[batch] = True
        dropped.extend(batch)
        out = _shares(tree, want, excluded)
    return _reoffer(tree, want, excluded, list(reversed(dropped)), out)


def _shares(tree: FlatTree, want: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    return floor_step(fill(tree.matrix, tree.cap, np.where(excluded, 0.0, want)))


def _ok(tree: FlatTree, out: np.ndarray) -> bool:
    return not ((out > 0) & (out < tree.min_a - 1e-9)).any()


def _reoffer(tree: FlatTree, want: np.ndarray, excluded: np.ndarray, chunk: list[int],
             out: np.ndarray) -> np.ndarray:
    if not chunk:
        return out
    trial_excluded = excluded.copy()
    trial_excluded[chunk] = False
    trial = _shares(tree, want, trial_excluded)
    if _ok(tree, trial):
        excluded[chunk] = False
        return trial
    if len(chunk) == 1:
        return out
    half = len(chunk) // 2
    out = _reoffer(tree, want, excluded, chunk[:half], out)
    return _reoffer(tree, want, excluded, chunk[half:], out)


def _unservable(tree: FlatTree, want: np.ndarray) -> np.ndarray:
    """EVSEs that, alone in the tree, would still get less than their minimum (but not 0)."""
    member = tree.matrix > 0
    with np.errstate(divide="ignore"):  # what each row alone would let each EVSE have
        room = np.where(member, tree.cap[:, None] / np.where(member, tree.matrix, 1.0), np.inf)
    alone = floor_step(np.minimum(want, room.min(axis=0, initial=np.inf)))
    return (alone > 0) & (alone < tree.min_a - 1e-9)
