"""The flat tree and its sharing: typed entries, per-phase rows with single-phase EVSEs wired to
different site phases, transformers, and the wire form of the messages."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.energy.flat import STEP_A, FlatTree, fill, share
from charger.energy.messages import EnergyRequest, NodeEntry

PHASES = ("L1", "L2", "L3")


def _evse(uuid: str, parent: str, phases: int = 3, site_phase: str = "L1",
          demand: float = 32.0, maximum: float = 32.0) -> NodeEntry:
    return NodeEntry(uuid, "Evse", parent, phases, site_phase, (maximum,) * 3, demand, 6.0)


def _node(uuid: str, parent: str | None, limit: tuple[float, float, float],
          node_type: str = "Fuse") -> NodeEntry:
    return NodeEntry(uuid, node_type, parent, 3, "L1", limit)


def test_single_phase_evses_on_one_phase_share_it_and_spread_ones_do_not() -> None:
    grid = _node("grid", None, (32.0, 32.0, 32.0), "Grid")
    bunched = [grid, *(_evse(f"e{i}", "grid", 1, "L1") for i in range(3))]
    spread = [grid, *(_evse(f"e{i}", "grid", 1, PHASES[i]) for i in range(3))]
    assert list(share(FlatTree.from_entries(bunched), np.full(3, 32.0))) == \
        [10.6, 10.6, 10.6]
    assert list(share(FlatTree.from_entries(spread), np.full(3, 32.0))) == [32.0, 32.0, 32.0]


def test_an_unbalanced_limit_binds_only_the_evses_on_that_phase() -> None:
    # L2 is nearly full of base load: the 3-phase car is held by it, the L1 car is not
    tree = FlatTree.from_entries([_node("grid", None, (40.0, 10.0, 40.0), "Grid"),
                                  _evse("three", "grid"), _evse("one", "grid", 1, "L1")])
    out = dict(zip(tree.evses, share(tree, np.full(2, 32.0))))
    assert out == {"one": 30.0, "three": 10.0}


def test_a_transformer_row_covers_every_feeder_below_it() -> None:
    tree = FlatTree.from_entries([
        _node("trafo", None, (50.0,) * 3, "Transformer"),
        _node("f1", "trafo", (63.0,) * 3), _node("f2", "trafo", (63.0,) * 3),
        _evse("a", "f1"), _evse("b", "f1"), _evse("c", "f2")])
    out = share(tree, np.full(3, 32.0))
    assert out.sum() <= 50.0 + 1e-9 and min(out) >= 16.0


@st.composite
def sites(draw: st.DrawFn) -> list[NodeEntry]:
    limits = st.tuples(*(st.integers(0, 800).map(lambda n: n / 10),) * 3)
    entries = [_node("grid", None, draw(limits), "Grid")]
    for f in range(draw(st.integers(1, 3))):
        entries.append(_node(f"f{f}", "grid", draw(limits)))
        for e in range(draw(st.integers(1, 4))):
            phases = draw(st.sampled_from([1, 3]))
            entries.append(_evse(f"f{f}e{e}", f"f{f}", phases, draw(st.sampled_from(PHASES)),
                                 draw(st.sampled_from([0.0, 16.0, 32.0])),
                                 draw(st.sampled_from([16.0, 32.0]))))
    return entries


@settings(max_examples=150, deadline=None)
@given(sites())
def test_every_phase_of_every_node_stays_within_its_limit(entries: list[NodeEntry]) -> None:
    tree = FlatTree.from_entries(entries)
    demand = np.array([next(e.demand_a for e in entries if e.uuid == u) for u in tree.evses])
    out = share(tree, demand)
    assert (tree.matrix @ out <= tree.cap + 1e-9).all()
    assert ((out == 0) | (out >= 6.0 - 1e-9)).all()
    assert (out <= np.minimum(demand, tree.max_a) + 1e-9).all()
    assert np.allclose(out, np.round(out / STEP_A) * STEP_A)


@settings(max_examples=100, deadline=None)
@given(sites())
def test_entries_and_requests_survive_their_wire_form(entries: list[NodeEntry]) -> None:
    for entry in entries:
        assert NodeEntry.from_wire(entry.to_wire()) == entry
    request = EnergyRequest("grid", "Grid", 3, entries[0].limit_a, (1.0, 2.0, 3.0),
                            changed=tuple(entries[1:]))
    assert EnergyRequest.from_wire(request.to_wire()) == request


@st.composite
def fill_inputs(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 12))
    rows = draw(st.integers(0, 6))
    matrix = np.array([[draw(st.sampled_from([0.0, 1.0])) for _ in range(n)]
                       for _ in range(rows)]).reshape(rows, n)
    cap = np.array([draw(st.sampled_from([0.0, 5.0, 20.0, 33.3, 100.0])) for _ in range(rows)])
    want = np.array([draw(st.sampled_from([0.0, 6.0, 7.5, 16.0, 32.0])) for _ in range(n)])
    return matrix, cap, want


@settings(max_examples=300, deadline=None)
@given(fill_inputs())
def test_filling_is_max_min_fair(inputs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Within every limit and want, and an EVSE below its want is in a full row where nobody
    has more than it: it could only get more by taking from someone with no more."""
    matrix, cap, want = inputs
    x = fill(matrix, cap, want)
    assert (x >= 0).all() and (x <= want + 1e-9).all()
    assert (matrix @ x <= cap + 1e-6).all()
    used = matrix @ x
    for i in np.flatnonzero(x < want - 1e-6):
        rows = np.flatnonzero((matrix[:, i] > 0) & (used >= cap - 1e-6))
        assert any(x[i] >= x[matrix[r] > 0].max() - 1e-6 for r in rows), (i, x)
