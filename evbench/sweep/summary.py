"""The sweep's HTML page: what ran, the verdicts, each metric's distribution over the runs (a
plotly.js histogram, as the run reports draw their plots), and the table of runs."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from evbench.sweep.spec import SweepSpec

METRICS = ("energy_kwh", "peak_kw", "cost", "unmet_energy_kwh", "peak_import_kw", "fairness",
           "limit_violations", "expectations_failed", "invariants_violated", "sim_time_s",
           "wall_time_s")


def write_summary(table: pd.DataFrame, spec: SweepSpec, path: Path) -> Path:
    """Write the page to ``path`` and return it."""
    passed = int(table["passed"].sum()) if len(table) else 0
    parts = [f"<h1>Sweep: {html.escape(spec.path.name)}</h1>",
             f"<p>scenario {html.escape(spec.scenario.name)}; {len(table)} runs "
             f"({len(spec.seeds)} seeds × {len(table) // max(len(spec.seeds), 1)} parameter "
             f"combinations); {passed} passed, {len(table) - passed} failed</p>"]
    first = True
    for metric in METRICS:
        if metric not in table or not len(table):
            continue
        values = pd.to_numeric(table[metric], errors="coerce").dropna()
        if not len(values):
            continue
        parts.append(f"<h2>{metric}</h2>" + _histogram(values, metric, first))
        first = False
    parts.append(table.to_html(index=False, escape=True))
    path.write_text("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                    f"<title>sweep {html.escape(spec.path.name)}</title></head><body>"
                    + "".join(parts) + "</body></html>\n", encoding="utf-8")
    return path


def _histogram(values: pd.Series, metric: str, with_library: bool) -> str:
    import plotly.graph_objects as go

    figure = go.Figure(go.Histogram(x=values.tolist(), name=metric))
    figure.update_layout(height=260, margin={"l": 50, "r": 20, "t": 20, "b": 40},
                         xaxis_title=metric, yaxis_title="runs", bargap=0.05)
    # plotly.js once per page, embedded (the page works offline), then only the figures
    return figure.to_html(full_html=False, include_plotlyjs=with_library,
                          div_id=f"metric-{metric}")
