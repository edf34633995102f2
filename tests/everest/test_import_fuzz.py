"""Fuzzing the importer with mutated EVerest configurations: whatever the file holds, the import
either refuses it with file:line problems (exit 2) or writes a station that evbench's own
checks accept, and a scenario; never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.framework.config import parse_station, resolve_station
from charger.framework.errors import ConfigError
from evbench.everest import import_everest, read_everest
from evbench.everest.table import RULES
from evbench.everest.writer import scenario_text, station_text
from evbench.scenario import load_scenario
from evbench.scenario.world import build_world
from tests.everest.conftest import CONFIGS

SEEDS = [yaml.safe_load((CONFIGS / name).read_text()) for name in
         ("ac-one-connector.yaml", "ac-two-connectors-ocpp16.yaml", "ac-energy-tree.yaml",
          "dc-one-connector.yaml", "legacy-top-level.yaml")]
NAMES = sorted(RULES) + ["module", "config_module", "config_implementation", "connections",
                         "module_id", "implementation_id", "active_modules", "main", "evse",
                         "energy_grid", "board_support", "auto_exec_commands", "fuse_limit_A"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NAMES),
                    st.text(max_size=12),
                    st.sampled_from(["iso_wait_slac_matched;unplug", "sleep 1;pause",
                                     "draw_power_regulated 99,7", "sleep -1", "sleep nan"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), inner, max_size=3)),
    max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a document."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated(draw) -> Any:
    doc = yaml.safe_load(yaml.safe_dump(draw(st.sampled_from(SEEDS))))  # a deep copy
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        action = draw(st.sampled_from(["replace", "delete", "rename", "insert"]))
        if not path:
            if action == "replace":
                doc = draw(values)
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(NAMES))] = parent.pop(last)
        elif action == "insert" and isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from(NAMES))] = draw(values)
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated())
def test_a_mutated_configuration_is_refused_cleanly_or_imported_into_a_valid_station(
        doc, tmp_path_factory, registry):
    path = tmp_path_factory.mktemp("fuzz") / "everest.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        source = read_everest(path)
    except ConfigError as error:
        assert error.problems and all(p.path == str(path) for p in error.problems)
        return
    result = import_everest(source, registry)
    assert not [f for f in result.findings if "check refuses" in f.reason], result.findings
    if not result.modules:
        return
    written = Path(path).with_name("station.yaml")
    written.write_text(station_text(result, "evbench import everest everest.yaml"))
    station = yaml.safe_load(written.read_text())
    resolve_station(parse_station(station, str(written)), registry)
    scenario = written.with_name("scenario.yaml")
    scenario.write_text(scenario_text(result, "station.yaml", "fuzz", "evbench import"))
    build_world(load_scenario(scenario), registry)
