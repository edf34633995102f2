"""The sweep's HTML page: what ran, the verdicts, and each metric's distribution (matplotlib
histograms, one line per run in a table)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from evbench.sweep.spec import SweepSpec

METRICS = ("energy_kwh", "peak_kw", "expectations_failed", "invariants_violated",
           "sim_time_s", "wall_time_s")


def write_summary(table: pd.DataFrame, spec: SweepSpec, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    parts = [f"<h1>Sweep: {html.escape(spec.path.name)}</h1>",
             f"<p>scenario {html.escape(str(spec.scenario.name))}; {len(table)} runs "
             f"({len(spec.seeds)} seeds); {int(table['passed'].sum()) if len(table) else 0} "
             "passed</p>"]
    for metric in METRICS:
        if metric in table and len(table):
            parts.append(f"<h2>{metric}</h2><img alt='{metric}' src='data:image/png;base64,"
                         f"{_histogram(table, metric)}'>")
    parts.append(table.to_html(index=False, escape=True))
    path.write_text("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                    "<title>sweep</title></head><body>" + "".join(parts) + "</body></html>\n",
                    encoding="utf-8")
    return path


def _histogram(table: pd.DataFrame, metric: str) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.5))
    ax = fig.add_subplot()
    values = pd.to_numeric(table[metric], errors="coerce").dropna()
    ax.hist(values, bins=min(30, max(5, len(values))), color="#3b6ea5")
    ax.set_xlabel(metric)
    ax.set_ylabel("runs")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")
