"""The pytest plugin: the step library, the ``bench`` fixture and the run fixtures.

Registered as the ``pytest11`` entry point ``evbench``, so pytest loads it wherever evbench is
installed (with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, load it with ``-p evbench.bdd.plugin``).
Nothing here runs unless a test asks for it: the step definitions are fixtures that only a
pytest-bdd scenario looks up, and the product (the scenario engine, pandas) is imported only
when a scenario is built, so a pytest session that runs no feature pays little for the plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .bench import Bench
from .given import *  # noqa: F403 - step definitions are fixtures pytest must find in the plugin
from .places import Places
from .then import *  # noqa: F403
from .when import *  # noqa: F403

if TYPE_CHECKING:
    from reports.model import RunResult

STATION_DIRS_INI = "evbench_stations"
FEATURE_DIR = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(STATION_DIRS_INI, type="paths", default=[],
                  help="folders (relative to the ini file) where the evbench steps look for "
                       "stations named in feature files, after the feature's own stations/")


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any,
                               scenario: Any) -> None:
    """Remember the feature file's folder: its stations are found relative to it."""
    request.node.stash[FEATURE_DIR] = Path(feature.filename).resolve().parent


@pytest.fixture
def evbench_places(request: pytest.FixtureRequest) -> Places:
    """Where the running test's stations and scenarios are found: beside its feature file
    (or test file), in the ``evbench_stations`` folders, in the rootdir, then shipped ones."""
    node = request.node
    return Places(near_of=lambda: node.stash.get(FEATURE_DIR, None) or Path(node.path).parent,
                  rootdir=request.config.rootpath,
                  station_dirs=tuple(request.config.getini(STATION_DIRS_INI)))


@pytest.fixture
def bench(tmp_path: Path, request: pytest.FixtureRequest, evbench_places: Places) -> Bench:
    """The scenario a feature builds; each test has its own, in its own temporary directory."""
    return Bench(workdir=tmp_path, title=request.node.name, places=evbench_places)


@pytest.fixture
def evbench_scenario(evbench_places: Places) -> Callable[..., RunResult]:
    """Run a scenario file: ``evbench_scenario("scenarios/mine.yaml", seed=3)`` (a path
    relative to the test file, then the rootdir; ``evbench:NAME`` for a shipped one). The
    result's ``events`` and ``signals`` are the timeline as pandas DataFrames."""
    from .runs import run_scenario_file

    def run(name: str, seed: int | None = None) -> RunResult:
        return run_scenario_file(evbench_places.scenario(name), seed)
    return run


@pytest.fixture
def evbench_station(evbench_places: Places, tmp_path: Path) -> Callable[..., RunResult]:
    """Run a station for a while: ``evbench_station("stations/mine.yaml", 120, cars={1:
    {"profile": "sedan-3ph-11kw"}}, steps=[{"at": 1, "do": "plug_in"}])``. Keywords: ``cars``,
    ``grid``, ``steps``, ``module_config``, ``sample_interval``, ``seed``."""
    from .runs import run_station

    def run(name: str, seconds: float, **world: Any) -> RunResult:
        return run_station(evbench_places.station(name), seconds, tmp_path, **world)
    return run
