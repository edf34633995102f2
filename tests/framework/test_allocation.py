"""Properties of the energy optimiser's allocation on generated trees (grid -> fuses -> EVSEs).

What ``allocate`` guarantees, for any tree:

* every node's subtree gets at most the node's limit, every EVSE at most its demand and maximum;
* every EVSE gets 0 or at least its minimum;
* an EVSE that got some current but less than it wants has a full node on its way to the root
  (water-filling is exact among the EVSEs that are served);
* on trees as the EVSE managers publish them (every EVSE with the 6 A minimum and a demand of 0
  or its maximum), an EVSE that got nothing has no node on its way to the root with room for its
  minimum, even when fuses below 6 A mean some EVSEs can never be served (they must not cost
  the others their share: see the tests at the end).

Limits are rounded down to 0.1 A, so "no headroom" allows up to 0.1 A per EVSE of rounding.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from charger.energy.allocation import STEP_A, allocate

EPS = 1e-6

tenths = st.integers(min_value=0, max_value=1000).map(lambda n: n / 10)  # 0-100 A


@st.composite
def evse(draw: st.DrawFn, realistic: bool) -> dict[str, Any]:
    if realistic:  # what an EVSE manager publishes: a 6 A minimum, a demand of 0 or its maximum
        minimum = 6.0
        maximum = draw(st.integers(min_value=60, max_value=800)) / 10
        demand = draw(st.sampled_from([0.0, maximum, maximum]))
    else:
        minimum = draw(st.sampled_from([0.0, 0.0, 6.0, 6.0, 10.0]))
        maximum = draw(tenths)
        demand = draw(tenths)
    return {"uuid": "", "node_type": "Evse", "max_current_a": maximum,
            "min_current_a": minimum, "phases": 3, "demand_a": demand, "children": []}


def _node(node_type: str, children: st.SearchStrategy, size: int) -> st.SearchStrategy:
    return st.builds(lambda limit, kids: {"uuid": "", "node_type": node_type,
                                          "max_current_a": limit, "phases": 3,
                                          "demand_a": 0.0, "children": kids},
                     tenths, st.lists(children, min_size=1, max_size=size))


def trees(realistic: bool) -> st.SearchStrategy:
    """Grid -> up to 4 of (EVSE | fuse -> up to 3 of (EVSE | fuse -> up to 3 EVSEs))."""
    leaf = evse(realistic)
    inner = st.one_of(leaf, _node("Fuse", leaf, 3))
    outer = st.one_of(leaf, _node("Fuse", inner, 3))
    return _node("Grid", outer, 4).map(_named)


def _named(root: dict) -> dict:
    """Give every node a unique uuid (in tree order, so shrinking keeps names stable)."""
    counter = iter(range(10_000))

    def visit(node: dict) -> None:
        node["uuid"] = f"{node['node_type'][0].lower()}{next(counter)}"
        for child in node["children"]:
            visit(child)

    visit(root)
    return root


def _evses(node: dict) -> list[dict]:
    if node["node_type"] == "Evse":
        return [node]
    return [e for child in node["children"] for e in _evses(child)]


def _used(node: dict, out: dict[str, float]) -> float:
    return sum(out[e["uuid"]] for e in _evses(node))


def _paths(node: dict, above: tuple = ()) -> dict[str, tuple[dict, ...]]:
    """EVSE uuid -> the nodes above it, root first."""
    if node["node_type"] == "Evse":
        return {node["uuid"]: above}
    paths: dict[str, tuple[dict, ...]] = {}
    for child in node["children"]:
        paths.update(_paths(child, (*above, node)))
    return paths


def _nodes(node: dict) -> list[dict]:
    return [node, *(n for child in node["children"] for n in _nodes(child))]


def _check_safe(root: dict, out: dict[str, float]) -> None:
    evses = _evses(root)
    assert set(out) == {e["uuid"] for e in evses}
    for node in _nodes(root):
        assert _used(node, out) <= node["max_current_a"] + EPS, node["uuid"]
    for e in evses:
        got = out[e["uuid"]]
        assert got >= 0
        assert got <= e["demand_a"] + EPS, e["uuid"]
        assert got == 0 or got >= e["min_current_a"] - EPS, e["uuid"]


def _shortfalls(root: dict, out: dict[str, float]) -> list[tuple[dict, float, float]]:
    """(EVSE, what it got, headroom on its way to the root) for each EVSE below its want."""
    evses = _evses(root)
    rounding = STEP_A * len(evses) + EPS
    paths = _paths(root)
    short = []
    for e in evses:
        got = out[e["uuid"]]
        if got < min(e["demand_a"], e["max_current_a"]) - rounding:
            headroom = min(n["max_current_a"] - _used(n, out) for n in paths[e["uuid"]])
            short.append((e, got, headroom))
    return short


def _check_served_evses_share_all_capacity(root: dict, out: dict[str, float]) -> None:
    rounding = STEP_A * len(_evses(root)) + EPS
    for e, got, headroom in _shortfalls(root, out):
        if got > 0:
            assert headroom < rounding, (e["uuid"], headroom)


def _check_nothing_left_over(root: dict, out: dict[str, float]) -> bool:
    """Check that no EVSE left at 0 had room for its minimum; whether the tree has an EVSE that
    can never be served (a node on its way below its minimum)."""
    paths = _paths(root)
    for e, got, headroom in _shortfalls(root, out):
        if got == 0:
            assert headroom < e["min_current_a"], (e["uuid"], headroom)
    return any(min(n["max_current_a"] for n in paths[e["uuid"]]) < e["min_current_a"]
               for e in _evses(root) if e["demand_a"] > 0)


@settings(max_examples=200, deadline=None)
@given(trees(realistic=False))
def test_allocation_stays_inside_every_limit(root: dict) -> None:
    out = allocate(root)
    _check_safe(root, out)
    _check_served_evses_share_all_capacity(root, out)


@settings(max_examples=200, deadline=None)
@given(trees(realistic=True))
@example(_named({"uuid": "", "node_type": "Grid", "max_current_a": 13.0, "phases": 3,
                 "demand_a": 0.0, "children": [
                     {"uuid": "", "node_type": "Fuse", "max_current_a": 7.0, "phases": 3,
                      "demand_a": 0.0, "children": [
                          {"uuid": "", "node_type": "Evse", "max_current_a": 16.0,
                           "min_current_a": 6.0, "phases": 3, "demand_a": 10.0,
                           "children": []},
                          {"uuid": "", "node_type": "Evse", "max_current_a": 16.0,
                           "min_current_a": 6.0, "phases": 3, "demand_a": 10.0,
                           "children": []}]},
                     {"uuid": "", "node_type": "Evse", "max_current_a": 16.0,
                      "min_current_a": 6.0, "phases": 3, "demand_a": 10.0, "children": []}]}))
def test_allocation_leaves_no_usable_capacity(root: dict) -> None:
    out = allocate(root)
    _check_safe(root, out)
    _check_served_evses_share_all_capacity(root, out)
    event("a fuse below 6 A" if _check_nothing_left_over(root, out) else "all servable")


def _evse_node(uuid: str, demand: float, maximum: float = 32.0, minimum: float = 6.0) -> dict:
    return {"uuid": uuid, "node_type": "Evse", "max_current_a": maximum,
            "min_current_a": minimum, "phases": 3, "demand_a": demand, "children": []}


def _grid(limit: float, *children: dict) -> dict:
    return {"uuid": "grid", "node_type": "Grid", "max_current_a": limit, "phases": 3,
            "demand_a": 0.0, "children": list(children)}


def test_equal_shares_and_water_filling() -> None:
    out = allocate(_grid(40.0, _evse_node("a", 32), _evse_node("b", 32), _evse_node("c", 8)))
    assert out == {"c": pytest.approx(8.0), "a": pytest.approx(16.0), "b": pytest.approx(16.0)}


def test_an_evse_whose_share_is_below_its_minimum_gets_nothing() -> None:
    out = allocate(_grid(10.0, _evse_node("a", 32), _evse_node("b", 32)))
    assert sorted(out.values()) == [0.0, pytest.approx(10.0)]


def test_rounding_never_exceeds_a_fuse() -> None:
    out = allocate(_grid(20.0, *(_evse_node(f"e{i}", 32, minimum=0) for i in range(3))))
    assert all(v == pytest.approx(6.6) for v in out.values())
    assert sum(out.values()) <= 20.0


# An EVSE that can never reach its minimum must not make allocate() drop a servable one.


def test_an_evse_behind_a_small_fuse_does_not_cost_another_its_share() -> None:
    # a 10 A connection; connector z sits behind a 5 A fuse, below the 6 A minimum
    small_fuse = {"uuid": "fuse", "node_type": "Fuse", "max_current_a": 5.0, "phases": 3,
                  "demand_a": 0.0, "children": [_evse_node("z", 16.0)]}
    out = allocate(_grid(10.0, _evse_node("a", 16.0), small_fuse))
    assert out == {"a": pytest.approx(10.0), "z": 0.0}


def test_an_evse_demanding_less_than_its_minimum_does_not_cost_another_its_share() -> None:
    out = allocate(_grid(10.0, _evse_node("a", 6.0), _evse_node("b", 5.0)))
    assert out["a"] == pytest.approx(6.0)


def test_an_evse_with_a_high_minimum_does_not_cost_another_its_share() -> None:
    out = allocate(_grid(10.0, _evse_node("a", 0.1, minimum=0.0), _evse_node("b", 6.0),
                         _evse_node("c", 10.0, minimum=10.0)))
    assert out["b"] == pytest.approx(6.0)
