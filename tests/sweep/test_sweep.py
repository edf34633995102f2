"""evbench sweep: the sweep file's checks, a local run, and a run on a real Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework.errors import ConfigError
from evbench.cli import main
from evbench.sweep import load_sweep, run_sweep
from evbench.sweep.runner import run_one

HERE = Path(__file__).parent
SCENARIO = "../../scenarios/grid_limit_change.yaml"


def _sweep(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(f"scenario: {(HERE / SCENARIO).resolve()}\n{body}", encoding="utf-8")
    return path


def test_the_grid_of_runs_is_every_combination_times_every_seed() -> None:
    spec = load_sweep(HERE / "small.yaml")
    runs = spec.runs()
    assert len(runs) == 2 * 2 * 2
    assert {(r.overrides, r.seed) for r in runs} == {
        ((("world.grid.max_current_a", a), ("world.cars.0.soc_pct", s)), seed)
        for a in (32, 63) for s in (30, 80) for seed in (0, 1)}


@pytest.mark.parametrize(("body", "line", "reason"), [
    ("parameters:\n  world.grid.max_current_a: []\n", 3, "should be non-empty"),
    ("parameters:\n  world.grid.nothing_here: [1]\n", 3, "has no value at this path"),
    ("parameters:\n  world.cars.7.soc_pct: [1]\n", 3, "has no value at this path"),
    ("seeds: -1\nparameters: {duration: [1 min]}\n", 2, "seeds"),
    ("parameters: {duration: [1 min]}\nretries: 3\n", 1, "retries"),
])
def test_a_bad_sweep_file_is_refused_with_file_and_line(tmp_path: Path, body: str, line: int,
                                                        reason: str) -> None:
    path = _sweep(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        load_sweep(path)
    text = str(error.value)
    assert f"{path}:{line}:" in text and reason in text


def test_the_command_exits_2_on_a_bad_sweep_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    path = _sweep(tmp_path, "parameters:\n  world.grid.nothing_here: [1]\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:" in err and "Traceback" not in err


def test_a_run_is_a_pure_function_of_scenario_overrides_and_seed(tmp_path: Path) -> None:
    args = (str((HERE / SCENARIO).resolve()), (("world.grid.max_current_a", 32),), 3)
    first = run_one(*args, 0, str(tmp_path / "a"))
    second = run_one(*args, 0, str(tmp_path / "b"))
    for key in ("energy_kwh", "peak_kw", "passed", "invariants_violated", "sim_time_s"):
        assert first[key] == second[key]
    signals = [(tmp_path / d / "runs" / "00000" / "signals.csv").read_bytes() for d in "ab"]
    assert signals[0] == signals[1]


def _check_results(result, runs: int) -> None:
    table = pd.read_parquet(result.parquet)
    assert len(table) == runs
    assert list(table["run"]) == list(range(runs))
    assert table["passed"].all()
    assert (table["energy_kwh"] > 0).all()
    for output in table["output"]:
        assert (Path(output) / "summary.json").is_file()
    page = result.summary.read_text(encoding="utf-8")
    for metric in ("energy_kwh", "peak_kw", "sim_time_s"):
        assert f'id="metric-{metric}"' in page
    assert page.count("Plotly.newPlot") >= 4


def test_a_sweep_runs_locally_into_one_table(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    path = _sweep(tmp_path, "seeds: [5]\nparameters:\n  world.grid.max_current_a: [32, 63]\n")
    result = run_sweep(load_sweep(path), tmp_path / "out", jobs=2, progress=True)
    assert " of 2 runs" in capsys.readouterr().out  # the progress bar (shown on a terminal)
    _check_results(result, 2)
    assert list(result.table["param:world.grid.max_current_a"]) == [32, 63]


def test_a_sweep_runs_on_a_dask_local_cluster(tmp_path: Path) -> None:
    from distributed import LocalCluster

    path = _sweep(tmp_path, "seeds: 2\nparameters:\n  world.grid.max_current_a: [40]\n")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        result = run_sweep(load_sweep(path), tmp_path / "out", dask=cluster.scheduler_address,
                           progress=False)
    _check_results(result, 2)
    assert list(result.table["seed"]) == [0, 1]


values = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["scenario", "seeds", "parameters", "description",
                                        "other"]), values, max_size=4))
def test_any_sweep_document_is_read_or_refused_with_its_file(tmp_path_factory, doc) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    try:
        spec = load_sweep(path)
    except ConfigError as error:
        scenario = doc.get("scenario")
        named = {str(path)} | ({str((path.parent / scenario).resolve())}
                               if isinstance(scenario, str) else set())
        assert error.problems and all(p.path in named for p in error.problems)
    else:
        assert spec.runs()


def test_an_unreachable_dask_scheduler_is_a_clear_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr("evbench.sweep.sweep.CONNECT_TIMEOUT_S", 1)
    path = _sweep(tmp_path, "parameters:\n  world.grid.max_current_a: [40]\n")
    code = main(["sweep", str(path), "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in err and "Traceback" not in err


def test_the_command_runs_a_sweep_and_says_where_its_results_are(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _sweep(tmp_path, "parameters:\n  world.grid.max_current_a: [50]\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 runs, 0 failed" in out
    assert f"results: {tmp_path / 'o' / 'results.parquet'}" in out
    assert len(pd.read_parquet(tmp_path / "o" / "results.parquet")) == 1
