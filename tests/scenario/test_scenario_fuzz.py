"""Fuzzing the input side: whatever document or text a user writes, ``load_scenario`` (and
``build_world`` after it) only ever raises ConfigError, and ``evbench validate`` exits 0 or 2
without a traceback.

Crashes already known (and pinned by xfail tests in test_scenario_validation.py) are set aside
by their signature, so that this test keeps finding new ones; drop an entry from KNOWN_CRASHES
when its bug is fixed.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import shutil
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from evbench.cli import main
from evbench.scenario import load_scenario
from evbench.scenario.world import build_world

REPO = Path(__file__).resolve().parents[2]
SHIPPED_STATION = REPO / "scenarios" / "stations" / "ac-1-connector.yaml"

BASE_SCENARIO = yaml.safe_load("""\
scenario: fuzz base
station: stations/ac-1-connector.yaml
duration: 2 min
sample_interval: 1 s
seed: 3
module_config:
  evse1: {max_current_a: 16}
world:
  grid: {max_current_a: 40}
  cars:
    - connector: 1
      profile: sedan-3ph-11kw
      soc_pct: 20
steps:
  - at: 5 s
    do: plug_in
  - after: 2 s
    do: swipe
    token: AABBCCDD
    id: swiped
  - when: {session: ChargingStarted}
    timeout: 30 s
    do: ev_script
    script: "sleep 5;draw_power_regulated 16,3;unplug"
  - when: {signal: soc_pct, ge: 21, connector: 1}
    do: fault
    fault: rcd
    current_ma: 40
  - when: {step: swiped}
    do: grid
    max_current_a: 20
expect:
  - happens: {session: ChargingStarted}
    times: 1
  - within: 5 s
    from: {session: Authorized}
    to: {session: ChargingStarted}
  - never: {error: ac_rcd/DC}
  - energy_wh: {min: 1}
  - signal: current_l1_a
    max: 16.5
    from: 10 s
  - total: power_w
    max: 30000
  - final: soc_pct
    min: 20
""")
BASE_STATION = yaml.safe_load(SHIPPED_STATION.read_text(encoding="utf-8"))

KEYS = sorted({
    "scenario", "description", "station", "seed", "duration", "sample_interval", "module_config",
    "world", "grid", "cars", "steps", "expect", "do", "at", "after", "when", "timeout",
    "connector", "id", "token", "reader", "script", "fault", "active", "current_ma", "dc",
    "soc_pct", "voltage_v", "max_current_a", "available", "reason", "module", "impl", "command",
    "args", "operation", "session", "cp", "was", "contactor", "error", "cleared", "auth", "step",
    "var", "source", "value", "signal", "ge", "gt", "le", "lt", "eq", "name", "within", "from",
    "to", "each", "happens", "times", "before", "never", "energy_wh", "min", "max", "until",
    "total", "final", "profile", "phases", "battery_kwh", "target_soc_pct", "active_modules",
    "config", "connections", "module_id", "implementation_id", "settings", "call_timeout_s",
    "connector_id", "fuse_limit_a", "node_type", "tokens",
})
WORDS = ["plug_in", "unplug", "swipe", "ev_script", "fault", "grid", "call", "end", "rcd",
         "5 s", "100 ms", "1.5 min", "4 h", "-1", "5 minutes", "sleep 1;unplug", "sleep x",
         "ChargingStarted", "C", "closed", "soc_pct", "current_l1_a", "sedan-3ph-11kw",
         "stations/ac-1-connector.yaml", "stations/nowhere.yaml", "SimBoard", "EvseManager",
         "board1.board", "board1", "grid.supply", "evse1", "rfid", "Fuse", "", " "]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-5, max_value=200),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(WORDS + KEYS),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """The base document with a few random replacements, deletions and additions."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        doc = _mutate(draw, doc)
    return doc


def _mutate(draw: st.DrawFn, node: Any) -> Any:
    descend = draw(st.integers(min_value=0, max_value=3)) > 0
    if descend and isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node, key=str)))
        node[key] = _mutate(draw, node[key])
        return node
    if descend and isinstance(node, list) and node:
        index = draw(st.integers(min_value=0, max_value=len(node) - 1))
        node[index] = _mutate(draw, node[index])
        return node
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete" and isinstance(node, dict) and node:
        del node[draw(st.sampled_from(sorted(node, key=str)))]
        return node
    if action == "delete" and isinstance(node, list) and node:
        del node[draw(st.integers(min_value=0, max_value=len(node) - 1))]
        return node
    if action == "add" and isinstance(node, dict):
        node[draw(st.sampled_from(KEYS))] = draw(values)
        return node
    if action == "add" and isinstance(node, list):
        node.append(draw(st.one_of(values, st.sampled_from(node) if node else values)))
        return node
    return draw(values)


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


# Crashes that are already reported (xfail tests in test_scenario_validation.py): the exception
# type, the function it came from (one of the two innermost frames), and part of its message.
KNOWN_CRASHES: list[tuple[tuple[type[BaseException], ...], str, str]] = [
]


def _known(exc: BaseException) -> bool:
    where = {frame.name for frame in traceback.extract_tb(exc.__traceback__)[-2:]}
    return any(isinstance(exc, types) and function in where and text in str(exc)
               for types, function, text in KNOWN_CRASHES)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz")
    (base / "stations").mkdir()
    shutil.copy(SHIPPED_STATION, base / "stations" / SHIPPED_STATION.name)
    return base


def _load_and_build(path: Path, registry: ModuleRegistry) -> None:
    try:
        scenario = load_scenario(path)
        build_world(scenario, registry)
    except ConfigError as error:
        assert error.problems
        assert all(p.path == str(path) or p.path.endswith(".yaml") for p in error.problems)
        assert all(p.line is None or p.line >= 1 for p in error.problems)
    except Exception as exc:  # noqa: BLE001 - anything but ConfigError is what we look for
        if _known(exc):
            reject()
        raise


FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FUZZ
@given(doc=mutated(BASE_SCENARIO))
def test_mutated_scenarios_only_raise_config_error(doc: Any, fuzz_dir: Path,
                                                   registry: ModuleRegistry) -> None:
    path = fuzz_dir / "mutated.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    _load_and_build(path, registry)


@FUZZ
@given(doc=values)
def test_arbitrary_documents_only_raise_config_error(doc: Any, fuzz_dir: Path,
                                                     registry: ModuleRegistry) -> None:
    path = fuzz_dir / "arbitrary.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    _load_and_build(path, registry)


@FUZZ
@given(text=st.one_of(st.text(max_size=200),
                      st.lists(st.sampled_from(["scenario:", "steps:", "- do:", "  ", "\n",
                                                "{", "}", "[", "]", ":", "&a", "*a", "!!str",
                                                "!!python/object:os.system", "? ", "'", '"',
                                                "\t", "duration: 1", "%YAML 1.1\n---\n",
                                                "\x00", "\ufeff", "#"]),
                               max_size=30).map("".join)))
def test_arbitrary_text_only_raises_config_error(text: str, fuzz_dir: Path,
                                                 registry: ModuleRegistry) -> None:
    path = fuzz_dir / "text.yaml"
    path.write_text(text, encoding="utf-8")
    _load_and_build(path, registry)


@given(data=st.binary(max_size=64))
@settings(max_examples=100, deadline=None)
def test_arbitrary_bytes_only_raise_config_error(data: bytes, fuzz_dir: Path) -> None:
    path = fuzz_dir / "bytes.yaml"
    path.write_bytes(data)
    with contextlib.suppress(ConfigError):
        load_scenario(path)


@settings(FUZZ, max_examples=150)
@given(doc=st.one_of(mutated(BASE_SCENARIO), mutated(BASE_STATION)))
def test_evbench_validate_exits_0_or_2_without_a_traceback(
        doc: Any, fuzz_dir: Path, monkeypatch_registries: None) -> None:
    path = fuzz_dir / "validate.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", str(path)])
    except Exception as exc:  # noqa: BLE001
        if _known(exc):
            reject()
        raise
    assert code in (0, 2)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == 0:
        assert f"{path}: ok" in out.getvalue() and err.getvalue() == ""
    else:
        lines = err.getvalue().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines)
        assert any(f"{path}" in line or ".yaml" in line for line in lines)


@pytest.fixture(scope="module")
def monkeypatch_registries(registry: ModuleRegistry) -> Any:
    """evbench in-process with this module's registries (see cached_cli_registries)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("charger.framework.schema.SchemaRegistry",
                      lambda *args, **kwargs: registry.schemas)
        patch.setattr("charger.framework.registry.ModuleRegistry", lambda schemas: registry)
        yield


@pytest.mark.parametrize("text", [
    "expect:\n  - happens: {cp: B}\n    min: abc\n",
    "world:\n  cars:\n    - profile: [a]\n",
    "duration: 1" + "0" * 400 + "\n",
    "module_config:\n  evse1: {connector_id: []}\n",
])
def test_the_known_crashes_are_recognised(text: str, fuzz_dir: Path,
                                          registry: ModuleRegistry) -> None:
    path = fuzz_dir / "known.yaml"
    doc = "scenario: s\nstation: stations/ac-1-connector.yaml\nsteps: []\n"
    path.write_text(doc + ("" if text.startswith("duration") else "duration: 1\n") + text,
                    encoding="utf-8")
    try:
        build_world(load_scenario(path), registry)
    except ConfigError:
        return  # fixed: remove its KNOWN_CRASHES entry
    except Exception as exc:  # noqa: BLE001
        assert _known(exc), exc


def test_the_fuzz_bases_are_valid(fuzz_dir: Path, registry: ModuleRegistry) -> None:
    """Mutations start from documents that pass, so they probe every later check."""
    path = fuzz_dir / "base.yaml"
    path.write_text(_dump(BASE_SCENARIO), encoding="utf-8")
    scenario = load_scenario(path)
    build_world(scenario, registry)
    assert len(scenario.steps) == 5 and len(scenario.expectations) == 7
    assert not math.isnan(scenario.duration_s)
