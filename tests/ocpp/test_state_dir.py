"""Per-run state: files a module keeps beyond its process (the OCPP database) live in the run's
state directory. ``evbench run`` gives each run a fresh one inside its report directory unless
``--state-dir`` says to keep one across runs; a module process started by the manager over MQTT
learns the same directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import simpy
import yaml

from charger.framework.config import ModuleInstance, StationConfig
from charger.framework.inproc import InProcessBus
from charger.framework.process import _station_from_json, module_config_json
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from evbench.cli import main as evbench_main
from evbench.scenario import load_scenario
from evbench.scenario.world import build_world

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "cp-1.sqlite"


def scenario_with_database(tmp_path: Path) -> Path:
    """A short OCPP 1.6 scenario (simulated backend, virtual time) whose charge point keeps its
    database under a relative name."""
    doc = {"scenario": "boot with a kept database", "duration": "30 s",
           "station": str(ROOT / "scenarios/stations/ac-1-connector-ocpp16.yaml"),
           "module_config": {"ocpp": {"database": DATABASE}},
           "steps": [{"at": "25 s", "do": "end"}]}
    path = tmp_path / "boot.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def boots_counted(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'boot_count'").fetchone()
    return int(row[0])


def test_each_run_starts_from_a_fresh_state_directory(tmp_path: Path) -> None:
    scenario, out = scenario_with_database(tmp_path), tmp_path / "out"
    for _ in range(2):
        assert evbench_main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
        # The same report directory twice: the second run did not find the first one's state.
        assert boots_counted(out / "state" / DATABASE) == 1
    assert not (tmp_path / DATABASE).exists() and not Path(DATABASE).exists()


def test_a_given_state_directory_is_kept_across_runs(tmp_path: Path) -> None:
    scenario, state = scenario_with_database(tmp_path), tmp_path / "kept"
    for run in (1, 2):
        assert evbench_main(["run", str(scenario), "--out", str(tmp_path / f"out{run}"),
                             "--state-dir", str(state), "--quiet"]) == 0
        assert boots_counted(state / DATABASE) == run


@pytest.mark.parametrize(("name", "expected"), [
    (DATABASE, "STATE/" + DATABASE), ("sub/x.sqlite", "STATE/sub/x.sqlite"),
    (":memory:", ":memory:"), ("/abs/x.sqlite", "/abs/x.sqlite")])
def test_state_file_names_resolve_in_the_state_directory(tmp_path: Path, name: str,
                                                         expected: str) -> None:
    registry = ModuleRegistry(SchemaRegistry())
    world = build_world(load_scenario(scenario_with_database(tmp_path)), registry)
    module = Station(world.station, registry, InProcessBus(simpy.Environment())).modules["ocpp"]
    module._ctx.state_dir = tmp_path / "STATE"
    assert module.state_file(name) == expected.replace("STATE", str(tmp_path / "STATE"))
    module._ctx.state_dir = None  # a module built by hand: as given
    assert module.state_file(name) == name


def test_a_module_process_learns_the_state_directory_from_the_manager(tmp_path: Path) -> None:
    config = StationConfig("station.yaml", state_dir=tmp_path / "state")
    config.modules["ocpp"] = ModuleInstance("ocpp", "Ocpp16", {}, {}, "station.yaml")
    handed = module_config_json(config, "ocpp", seed=1, factor=1.0)
    assert _station_from_json("mqtt://x:1", {"ocpp": handed}).state_dir == tmp_path / "state"
