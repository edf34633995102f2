"""The energy-tree judge sweeps through time, adding up only the nodes above a connector whose
currents changed. Property: on any views it finds exactly what the definition finds, adding up
every node at every instant (kept here as the reference)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from evbench.scenario.invariants import (
    EPS,
    OVERCURRENT_REACTION_S,
    ConnectorView,
    RunView,
    Segment,
    TreeNode,
    Violation,
    _runs,
    _state_at,
    energy_tree_limits,
)

END = 60.0


def by_definition(view: RunView) -> list[Violation]:
    """Every node added up afresh at every instant anything changed."""
    found: list[Violation] = []
    if not view.trees:
        return found
    connector_of = {cv.evse: c for c, cv in view.connectors.items()}
    points = sorted({t for t, _ in view.trees}
                    | {s.t for cv in view.connectors.values() for s in cv.segments})
    points = [p for p in points if p < view.end]
    pieces: dict[str, list[tuple[float, float, bool]]] = {}
    detail: dict[tuple[str, float], tuple[float, float]] = {}
    for i, t in enumerate(points):
        until = points[i + 1] if i + 1 < len(points) else view.end
        nodes = next((n for since, n in reversed(view.trees) if since <= t + EPS), None)
        if nodes is None:
            continue
        for node in nodes:
            phases = [0.0, 0.0, 0.0]
            for uuid in node.evses:
                c = connector_of.get(uuid)
                seg = _state_at(view.connectors[c].segments, t) if c is not None else None
                if seg is not None:
                    for site, amps in zip(node.evse_phases.get(uuid, (0, 1, 2)), seg.current):
                        phases[site] += amps
            excess = [a - limit for a, limit in zip(phases, node.limit_a)]
            worst = max(range(3), key=lambda p: excess[p])
            over = excess[worst] > 1e-6
            pieces.setdefault(node.uuid, []).append((t, until, over))
            if over:
                detail[(node.uuid, t)] = (phases[worst], node.limit_a[worst])
    for uuid, node_pieces in pieces.items():
        for start, end in _runs(node_pieces):
            if end - start > view.settle_s + OVERCURRENT_REACTION_S + EPS:
                amps, limit = detail[(uuid, start)]
                found.append((start, f"{uuid}: {amps:g} A against a {limit:g} A limit from "
                              f"t={start:.3f} s for {end - start:.3f} s (allowed: settle "
                              f"window {view.settle_s:g} s + {OVERCURRENT_REACTION_S:g} s to cut "
                              "off a car that does not follow)"))
    return found


times = st.integers(0, 70).map(lambda n: n * 1.0)  # some past the end of the run
amps = st.sampled_from([0.0, 6.0, 10.0, 16.0, 32.0])


@st.composite
def views(draw) -> RunView:
    n = draw(st.integers(1, 4))
    connectors = {}
    for c in range(1, n + 1):
        moments = sorted(draw(st.lists(times, max_size=8)))
        segments = [Segment(t, current=(a, draw(amps), a)) for t, a in
                    zip(moments, draw(st.lists(amps, min_size=len(moments),
                                               max_size=len(moments))))]
        connectors[c] = ConnectorView(c, f"evse{c}", segments)
    trees = []
    for since in sorted(set(draw(st.lists(times, min_size=1, max_size=4)))):
        nodes = []
        for k in range(draw(st.integers(1, 3))):
            members = draw(st.lists(st.integers(1, n + 1), unique=True, max_size=n + 1))
            phases = {f"evse{c}": draw(st.sampled_from([(0, 1, 2), (1,), (2,)]))
                      for c in members}
            limit = draw(st.tuples(*[st.sampled_from([10.0, 20.0, 40.0, float("inf")])] * 3))
            nodes.append(TreeNode(f"node{k}", "Fuse", limit,
                                  tuple(f"evse{c}" for c in members), phases))
        trees.append((since, nodes))
    return RunView(END, connectors, trees, settle_s=draw(st.sampled_from([0.0, 5.0])))


@settings(max_examples=400, deadline=None)
@given(views())
def test_the_sweep_finds_what_the_definition_finds(view: RunView) -> None:
    assert sorted(energy_tree_limits(view)) == sorted(by_definition(view))
