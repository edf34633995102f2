"""Stations and scenarios are found in the user's repository first, then among the shipped ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evbench.bdd.bench import Bench, BenchError
from evbench.bdd.places import SHIPPED, NotFound, Places, shipped_names

STATION = "description: a user's own station\nactive_modules: {}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A user repository: tests/features/stations/ac-1-connector.yaml (shadowing the shipped
    one), configs/wallbox.yaml, and a scenario in tests/."""
    (tmp_path / "tests" / "features" / "stations").mkdir(parents=True)
    (tmp_path / "tests" / "features" / "stations" / "ac-1-connector.yaml").write_text(STATION)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "wallbox.yaml").write_text(STATION)
    (tmp_path / "tests" / "mine.yaml").write_text("scenario: mine\n")
    return tmp_path


def places(repo: Path, near: str = "tests/features", *dirs: str) -> Places:
    return Places(near_of=lambda: repo / near, rootdir=repo,
                  station_dirs=tuple(repo / d for d in dirs))


def test_a_station_beside_the_feature_comes_before_a_shipped_one(repo: Path) -> None:
    found = places(repo).station("ac-1-connector")
    assert found == repo / "tests" / "features" / "stations" / "ac-1-connector.yaml"


def test_the_shipped_prefix_reaches_the_shipped_station_only(repo: Path) -> None:
    found = places(repo).station("evbench:ac-1-connector")
    assert found == (SHIPPED / "stations" / "ac-1-connector.yaml").resolve()
    assert "active_modules" in found.read_text()
    with pytest.raises(NotFound):
        places(repo, "tests/features", "configs").station("evbench:wallbox")


def test_a_name_not_in_the_repository_falls_back_to_a_shipped_station(repo: Path) -> None:
    assert places(repo).station("ac-2-connectors-shared-fuse").name == \
        "ac-2-connectors-shared-fuse.yaml"


def test_ini_station_folders_are_searched_by_name(repo: Path) -> None:
    with pytest.raises(NotFound):
        places(repo).station("wallbox")
    assert places(repo, "tests/features", "configs").station("wallbox") == \
        repo / "configs" / "wallbox.yaml"


def test_a_path_is_relative_to_the_feature_then_the_rootdir(repo: Path) -> None:
    assert places(repo).station("stations/ac-1-connector.yaml") == \
        repo / "tests" / "features" / "stations" / "ac-1-connector.yaml"
    assert places(repo).station("configs/wallbox.yaml") == repo / "configs" / "wallbox.yaml"


def test_scenarios_are_found_beside_the_test_then_shipped(repo: Path) -> None:
    assert places(repo, "tests").scenario("mine") == repo / "tests" / "mine.yaml"
    assert places(repo, "tests").scenario("evbench:rcd_trip").name == "rcd_trip.yaml"
    assert "rcd_trip" in shipped_names("scenarios")


def test_an_unknown_station_names_the_places_and_the_shipped_stations(repo: Path) -> None:
    bench = Bench(workdir=repo, places=places(repo, "tests/features", "configs"))
    with pytest.raises(BenchError) as refusal:
        bench.use_station("nowhere")
    message = str(refusal.value)
    assert str(repo / "tests" / "features" / "stations" / "nowhere.yaml") in message
    assert str(repo / "configs" / "nowhere.yaml") in message
    assert "ac-2-connectors-shared-fuse" in message and "evbench:NAME" in message


def test_every_station_the_docs_name_is_shipped() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "bdd-steps.md").read_text()
    for name in shipped_names():
        assert f"`{name}`" in page


def test_loading_the_plugin_leaves_the_product_unimported() -> None:
    """pytest loads the plugin in every session of an environment with evbench installed: the
    scenario engine and pandas are imported only when a feature builds a scenario."""
    probe = ("import sys, evbench.bdd.plugin; "
             "print(sorted(m for m in ('pandas', 'evbench.scenario', 'charger.framework', "
             "'reports') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout
