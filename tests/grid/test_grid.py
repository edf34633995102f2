"""The simulated grid: PV, base load and prices (pure, seeded), timed events, the transformer's
cap, and the grid-side meter, judged from recorded runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework.yamlio import load_yaml
from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun
from evbench.sweep.runner import _plain
from sim.grid.profiles import Tariff, base_load, clear_sky, cloud_factor

HERE = Path(__file__).parent
SITE = HERE.parent / "energy" / "demand_response.yaml"


def test_pv_is_zero_at_night_and_peaks_at_midday() -> None:
    hours = np.arange(0, 24, 0.25)
    pv = clear_sky(hours, 10_000.0)
    assert (pv[(hours <= 6) | (hours >= 20)] == 0).all()
    assert pv.max() == pytest.approx(10_000.0, rel=1e-3)
    assert hours[pv.argmax()] == pytest.approx(13.0, abs=0.25)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_clouds_only_take_away_and_follow_the_seed(cloudiness: float, seed: int) -> None:
    factor = cloud_factor(500, cloudiness, np.random.default_rng(seed))
    assert ((factor >= 0) & (factor <= 1)).all()
    assert np.array_equal(factor, cloud_factor(500, cloudiness, np.random.default_rng(seed)))
    if cloudiness >= 0.3:
        assert factor.mean() < 1 - cloudiness * 0.3


def test_base_load_keeps_its_mean_over_a_day() -> None:
    hours = np.arange(0, 24, 1 / 60)
    load = base_load(hours, 3000.0, np.random.default_rng(2))
    assert load.mean() == pytest.approx(3000.0, rel=0.1)
    assert load[(hours > 18) & (hours < 20)].mean() > load[(hours > 2) & (hours < 4)].mean()


def test_time_of_use_prices_apply_from_their_hour_to_the_next() -> None:
    tariff = Tariff(((0.0, 0.10), (17.0, 0.40), (21.0, 0.10)))
    prices = tariff.prices(np.array([16.99, 17.0, 20.99, 21.0, 24.5, 41.0]), None)
    assert list(prices) == [0.10, 0.40, 0.40, 0.10, 0.10, 0.40]


def test_day_ahead_prices_hold_for_an_hour_and_follow_the_seed() -> None:
    tariff = Tariff(day_ahead_mean=0.25, day_ahead_spread=0.05)
    hours = np.arange(0, 48, 0.25)
    a = tariff.prices(hours, np.random.default_rng(5))
    assert np.array_equal(a, tariff.prices(hours, np.random.default_rng(5)))
    assert not np.array_equal(a, tariff.prices(hours, np.random.default_rng(6)))
    assert (a >= 0).all() and (a.reshape(-1, 4) == a.reshape(-1, 4)[:, :1]).all()


def test_timed_events_end_by_themselves_and_a_transformer_caps_the_supply() -> None:
    result = ScenarioRun(load_scenario(HERE / "grid_events.yaml")).run()
    assert [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed] == []


def _site_run(tmp_path: Path, seed: int, **grid) -> ScenarioRun:
    doc = _plain(load_yaml(SITE))
    doc["station"] = str((SITE.parent / doc["station"]).resolve())
    doc["duration"] = "10 min"
    doc["steps"] = doc["steps"][:2]
    doc["expect"] = []
    doc["world"]["grid"].update(grid)
    path = tmp_path / f"site-{seed}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    run = ScenarioRun(load_scenario(path), seed=seed)
    run.run()
    return run


def _site_rows(run: ScenarioRun) -> list[dict]:
    return [r.value for r in run.recorder.rows if r.kind == "var" and r.name == "site"]


def test_the_site_follows_the_seed(tmp_path: Path) -> None:
    site = {"pv_peak_kw": 20, "cloudiness": 0.6, "start_hour": 11}
    a, b, c = (_site_rows(_site_run(tmp_path, seed, **site)) for seed in (1, 1, 2))
    assert a == b
    assert [r["pv_w"] for r in a] != [r["pv_w"] for r in c]
    assert all(0 < r["pv_w"] <= 20_000 for r in a)


def test_the_grid_meter_adds_the_chargers_and_base_load_less_pv(tmp_path: Path) -> None:
    run = _site_run(tmp_path, 3, pv_peak_kw=5, start_hour=12)
    chargers: dict[str, float] = {}
    checked = 0
    for row in run.recorder.rows:
        if row.kind == "var" and row.name == "powermeter" and row.source.startswith("board"):
            chargers[row.source] = row.value["power_w"]["total"]
        elif row.kind == "var" and row.name == "site":
            site = row.value
            expected = sum(chargers.values()) + site["base_load_w"] - site["pv_w"]
            assert site["import_w"] == pytest.approx(expected, abs=1.0)
            checked += 1
    assert checked > 50 and sum(chargers.values()) > 0
    energy = [r["energy_import_wh"] for r in _site_rows(run)]
    assert energy == sorted(energy) and energy[-1] > 0
