"""One run of a sweep: a pure function of (scenario, overrides, seed), so runs are independent
and may run anywhere (a local process, a Dask worker)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from charger.framework.yamlio import load_yaml
from evbench.sweep.spec import apply_overrides


def run_one(scenario: str, overrides: tuple[tuple[str, Any], ...], seed: int, index: int,
            out: str) -> dict[str, Any]:
    """Run the scenario with the overrides and seed, write its report under ``out``, and return
    its row of the results table."""
    from charger.framework.errors import ConfigError
    from evbench.scenario import load_scenario, run_scenario
    from reports import write_report

    source = Path(scenario)
    doc = _plain(apply_overrides(load_yaml(source), overrides))
    if isinstance(doc.get("station"), str):  # relative to the scenario, which moves here
        doc["station"] = str((source.parent / doc["station"]).resolve())
    run_dir = Path(out) / "runs" / f"{index:05d}"
    run_dir.mkdir(parents=True, exist_ok=True)
    scenario_file = run_dir / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    row: dict[str, Any] = {"run": index, "seed": seed,
                           **{f"param:{k}": v for k, v in overrides}}
    try:
        result = run_scenario(load_scenario(scenario_file), seed=seed)
    except ConfigError as error:  # these values make the scenario invalid: a row that says so
        return {**row, "passed": False, "error": str(error), "output": str(run_dir)}
    write_report(result, run_dir)
    return {**row, **metrics(result), "passed": result.passed, "error": "",
            "output": str(run_dir)}


# The site's KPIs (reports.site) as columns; NaN for a run without cars or an energy tree.
SITE_METRICS = ("cost", "unmet_energy_kwh", "peak_import_kw", "fairness", "limit_violations")


def metrics(result) -> dict[str, float]:
    """What the results table records of each run besides its verdict."""
    signals = result.signals
    peak_kw = 0.0
    if signals is not None and len(signals):
        peak_kw = float(signals.groupby("t")["power_w"].sum().max()) / 1000.0
    failed = [e for e in result.expectations if not e.passed]
    from reports.site import site_kpis

    site = site_kpis(result.events, signals) or {}
    kpis = {key: (math.nan if site.get(key) is None else float(site[key]))
            for key in SITE_METRICS}
    return {"energy_kwh": round(sum(result.energy_wh.values()) / 1000.0, 4),
            "peak_kw": round(peak_kw, 3), **kpis,
            "expectations_failed": sum(1 for e in failed if not e.kind.startswith("invariant")),
            "invariants_violated": sum(1 for e in failed if e.kind == "invariant"),
            "sim_time_s": float(result.sim_time_s), "wall_time_s": float(result.wall_time_s)}


def _plain(value: Any) -> Any:
    """Line-numbered YAML values as plain dicts and lists, for yaml.safe_dump."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
