"""``evbench compare RUN_A RUN_B``: two runs of one scenario side by side, for example the
simulated world against an emulated or real bench.

Per connector it lines up the two sequences of session events and of pilot (CP) states, reports
what one run has and the other lacks, how far apart in time the matching ones happened, the
energy each delivered and the verdict of each expectation, and writes an HTML page with each
signal of both runs overlaid. It exits 1 when a difference exceeds the tolerances given.
"""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from charger.framework.errors import EvbenchError
from reports.load import Run, load_run

# Signals overlaid on the page (one plot each), from the signal table's columns.
PLOTTED = ("cp_state", "pwm_duty_pct", "contactor_closed", "current_l1_a", "power_w",
           "energy_wh", "soc_pct")


@dataclass(frozen=True)
class Tolerances:
    time_s: float = 0.5  # how far apart matching events may be
    energy_pct: float = 2.0  # how far apart each connector's energy may be, in % of run A's


@dataclass
class SequenceDiff:
    """One connector's sequence of one kind (session events or CP states) in both runs."""

    connector: int
    kind: str  # "session event" | "CP state"
    only_a: list[tuple[float, str]] = field(default_factory=list)
    only_b: list[tuple[float, str]] = field(default_factory=list)
    shifts: list[tuple[str, float, float]] = field(default_factory=list)  # (name, t_a, t_b)

    def largest_shift(self) -> tuple[str, float, float] | None:
        return max(self.shifts, key=lambda s: abs(s[2] - s[1]), default=None)


@dataclass
class Comparison:
    a: Run
    b: Run
    tolerances: Tolerances
    sequences: list[SequenceDiff]
    energy: dict[str, tuple[float | None, float | None]]  # connector -> (Wh in A, Wh in B)
    verdicts: list[tuple[str, bool | None, bool | None]]  # expectation -> (A, B) where they differ

    def problems(self) -> list[str]:
        """What exceeds the tolerances, one line each (none: the runs agree)."""
        found = []
        for seq in self.sequences:
            for t, name in seq.only_a:
                found.append(f"connector {seq.connector}: {seq.kind} {name} at t={t:.3f} s "
                             "only in A")
            for t, name in seq.only_b:
                found.append(f"connector {seq.connector}: {seq.kind} {name} at t={t:.3f} s "
                             "only in B")
            for name, ta, tb in seq.shifts:
                if abs(tb - ta) > self.tolerances.time_s:
                    found.append(f"connector {seq.connector}: {seq.kind} {name} at "
                                 f"t={ta:.3f} s in A, t={tb:.3f} s in B "
                                 f"({tb - ta:+.3f} s; tolerance {self.tolerances.time_s:g} s)")
        for connector, (wa, wb) in self.energy.items():
            if wa is None or wb is None:
                found.append(f"connector {connector}: energy only in {'A' if wb is None else 'B'}")
            elif abs(wb - wa) > self.tolerances.energy_pct / 100 * max(abs(wa), 1e-9):
                found.append(f"connector {connector}: energy {wa:.1f} Wh in A, {wb:.1f} Wh in "
                             f"B ({_pct(wa, wb)}; tolerance {self.tolerances.energy_pct:g} %)")
        for name, va, vb in self.verdicts:
            found.append(f"expectation {name!r}: {_verdict(va)} in A, {_verdict(vb)} in B")
        return found

    def summary(self) -> str:
        lines = [f"A: {self.a.path} ({self.a.summary['scenario']}, "
                 f"{'passed' if self.a.passed else 'FAILED'})",
                 f"B: {self.b.path} ({self.b.summary['scenario']}, "
                 f"{'passed' if self.b.passed else 'FAILED'})"]
        for seq in self.sequences:
            shift = seq.largest_shift()
            matched = len(seq.shifts)
            text = f"connector {seq.connector}, {seq.kind}s: {matched} in both"
            if shift:
                text += f", largest shift {shift[2] - shift[1]:+.3f} s ({shift[0]})"
            if seq.only_a or seq.only_b:
                text += f", {len(seq.only_a)} only in A, {len(seq.only_b)} only in B"
            lines.append(text)
        for connector, (wa, wb) in self.energy.items():
            lines.append(f"connector {connector}, energy: {_wh(wa)} in A, {_wh(wb)} in B"
                         + (f" ({_pct(wa, wb)})" if wa is not None and wb is not None else ""))
        problems = self.problems()
        lines.append("the runs agree within the tolerances" if not problems else
                     f"{len(problems)} difference(s) beyond the tolerances:")
        lines += [f"  {p}" for p in problems]
        return "\n".join(lines)


def compare_runs(path_a: Path, path_b: Path, tolerances: Tolerances) -> Comparison:
    a, b = _load(path_a), _load(path_b)
    connectors = sorted(set(_connectors(a)) | set(_connectors(b)))
    sequences = []
    for c in connectors:
        sequences.append(_diff(c, "session event", _session_sequence(a, c),
                               _session_sequence(b, c)))
        sequences.append(_diff(c, "CP state", _cp_sequence(a, c), _cp_sequence(b, c)))
    energy_a, energy_b = a.summary.get("energy_wh", {}), b.summary.get("energy_wh", {})
    energy = {c: (energy_a.get(c), energy_b.get(c))
              for c in sorted(set(energy_a) | set(energy_b), key=str)}
    verdicts_a = {e["name"]: bool(e["passed"]) for e in a.summary.get("expectations", [])}
    verdicts_b = {e["name"]: bool(e["passed"]) for e in b.summary.get("expectations", [])}
    verdicts = [(name, verdicts_a.get(name), verdicts_b.get(name))
                for name in list(verdicts_a) + [n for n in verdicts_b if n not in verdicts_a]
                if verdicts_a.get(name) != verdicts_b.get(name)]
    return Comparison(a, b, tolerances, sequences, energy, verdicts)


def _load(path: Path) -> Run:
    if not (path / "summary.json").is_file():
        raise EvbenchError(f"{path}: not a run directory (no summary.json; `evbench run ... "
                           "--out DIR` writes one)")
    try:
        return load_run(path)
    except (OSError, ValueError, KeyError) as error:
        raise EvbenchError(f"{path}: cannot read the run: {error}") from None


def _connectors(run: Run) -> list[int]:
    return sorted({int(c) for c in run.signals["connector"].dropna().unique()})


def _session_sequence(run: Run, connector: int) -> list[tuple[float, str]]:
    events = run.session_events()
    mine = events[events["connector"] == connector]
    return list(zip(mine["t"].astype(float).tolist(), mine["event"].astype(str).tolist()))


def _cp_sequence(run: Run, connector: int) -> list[tuple[float, str]]:
    """The connector's pilot state at each change, from the 1 s samples."""
    signals = run.signals[run.signals["connector"] == connector]
    sequence: list[tuple[float, str]] = []
    for t, state in zip(signals["t"].tolist(), signals["cp_state"].tolist()):
        if state is not None and (not sequence or sequence[-1][1] != state):
            sequence.append((float(t), str(state)))
    return sequence


def _diff(connector: int, kind: str, a: list[tuple[float, str]],
          b: list[tuple[float, str]]) -> SequenceDiff:
    result = SequenceDiff(connector, kind)
    matcher = difflib.SequenceMatcher(a=[n for _, n in a], b=[n for _, n in b], autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            result.shifts += [(a[i][1], a[i][0], b[j][0])
                              for i, j in zip(range(a1, a2), range(b1, b2))]
        else:
            result.only_a += a[a1:a2]
            result.only_b += b[b1:b2]
    return result


def write_page(comparison: Comparison, path: Path) -> Path:
    """The comparison as a self-contained HTML page: the summary, the differences and each
    signal of both runs overlaid (plotly.js, embedded)."""
    from plotly.offline import get_plotlyjs

    figures = []
    for c in sorted(set(_connectors(comparison.a)) | set(_connectors(comparison.b))):
        for column in PLOTTED:
            traces = []
            for label, run, dash in (("A", comparison.a, "solid"), ("B", comparison.b, "dot")):
                rows = run.signals[run.signals["connector"] == c]
                if column not in rows or rows[column].isna().all():
                    continue
                values = rows[column].map(
                    lambda v: None if v is None or v is pd.NA else
                    (int(v) if isinstance(v, bool) else v)).tolist()
                traces.append({"x": rows["t"].tolist(), "y": values, "name": f"{label}",
                               "mode": "lines", "line": {"dash": dash, "shape": "hv"}})
            if traces:
                figures.append({"id": f"c{c}-{column}", "title": f"connector {c}: {column}",
                                "data": traces})
    problems = comparison.problems()
    body = "\n".join(
        f'<h3>{html.escape(f["title"])}</h3><div id="{f["id"]}" class="plot"></div>'
        for f in figures)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>evbench compare</title>
<style>body{{font:14px system-ui,sans-serif;margin:1.5em}} .plot{{height:230px}}
pre{{background:#f4f5f7;padding:.8em}} .bad{{color:#c62828}}</style></head><body>
<h1>{html.escape(str(comparison.a.summary['scenario']))}: A against B</h1>
<pre>{html.escape(comparison.summary())}</pre>
<p class="{'bad' if problems else ''}">{len(problems)} difference(s) beyond the tolerances
(time {comparison.tolerances.time_s:g} s, energy {comparison.tolerances.energy_pct:g} %).
Run A is drawn solid, run B dotted; zooming one plot zooms all.</p>
{body}
<script>{get_plotlyjs()}</script>
<script>
const FIGURES = {json.dumps(figures)};
const ids = FIGURES.map(f => f.id);
let syncing = false;
for (const f of FIGURES) {{
  Plotly.newPlot(f.id, f.data, {{margin: {{l: 50, r: 20, t: 10, b: 30}},
    xaxis: {{title: {{text: "simulated s"}}}}}}, {{displaylogo: false, responsive: true}});
  document.getElementById(f.id).on("plotly_relayout", ev => {{
    if (syncing) return;
    const range = ev["xaxis.range[0]"] !== undefined
      ? {{"xaxis.range": [ev["xaxis.range[0]"], ev["xaxis.range[1]"]]}}
      : (ev["xaxis.autorange"] ? {{"xaxis.autorange": true}} : null);
    if (!range) return;
    syncing = true;
    Promise.all(ids.filter(i => i !== f.id).map(i => Plotly.relayout(i, range)))
      .then(() => {{ syncing = false; }});
  }});
}}
</script></body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def _pct(a: float, b: float) -> str:
    return f"{(b - a) / a * 100:+.2f} %" if a else "A is 0"


def _wh(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f} Wh"


def _verdict(value: bool | None) -> str:
    return "absent" if value is None else ("passed" if value else "failed")
