"""The report's plots as plotly.js figure specifications (plain data: traces and a layout).

Which plots there are follows the signal table: every signal of reports.model.SIGNALS is drawn
in its ``panel`` (one panel per signal when it names none), derived lines (DERIVED_SIGNALS)
join the panel they name, and PANELS only adds a title and a height to a panel key. Every plot
has simulated time on its x axis, so that the page can zoom them together, and carries the
run's markers: steps (dashed lines), session events (triangles along the top) and failed
expectations (red lines labelled with the expectation, linked to its row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from reports.downsample import MAX_POINTS, envelope
from reports.energy_tree import (
    PHASE_SIGNALS,
    children_current,
    evse_connectors,
    tree_nodes,
)
from reports.model import (
    CP_STATES,
    DERIVED_SIGNALS,
    SIGNAL_BY_NAME,
    SIGNALS,
    RunResult,
    named_expectations,
    parse_value,
    session_events,
)
from reports.sequence import MAX_MESSAGES, Message, lifelines, messages
from reports.site import CarStay, car_stays, has_site


@dataclass(frozen=True)
class Panel:
    title: str
    height: int = 210  # pixels


PANELS: dict[str, Panel] = {
    "pilot": Panel("Control-pilot state", 230),
    "pilot_voltage": Panel("Control-pilot voltage"),
    "duty": Panel("PWM duty cycle"),
    "contactor": Panel("Contactor", 150),
    "current": Panel("Phase currents: measured, offered by the PWM, grid limit", 260),
    "voltage": Panel("Voltage"),
    "power": Panel("Power"),
    "energy": Panel("Energy delivered"),
    "soc": Panel("State of charge"),
    "site": Panel("Site: PV, base load and import at the grid-side meter"),
    "price": Panel("Price of imported energy"),
}
CP_STATE_LABELS = {"A": "A no EV", "B": "B connected", "C": "C charging", "D": "D ventilation",
                   "E": "E no power", "F": "F fault"}
CONNECTOR_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
PHASE_COLORS = {"L1": "#1f77b4", "L2": "#2ca02c", "L3": "#ff7f0e"}
DASHES = ("solid", "dot", "dash", "longdash", "dashdot")
FAIL_COLOR, STEP_COLOR, LIMIT_COLOR, EVENT_COLOR = "#cf222e", "#8c959f", "#444444", "#6e40c9"
MAX_MARKERS = 500  # steps and session events each; the tables list every one
MAX_FAILURE_LABELS = 20  # labelled failure lines per plot
TIME_DECIMALS = 3
SEQUENCE_ROW_PX = 24
SEQUENCE_ROWS_SHOWN = 40


@dataclass
class Figure:
    id: str
    title: str
    data: list[dict]
    layout: dict
    linked: bool = True  # x is simulated time, zoomed with the other plots

    def spec(self) -> dict[str, Any]:
        return {"id": self.id, "data": self.data, "layout": self.layout, "linked": self.linked}


@dataclass
class Markers:
    steps: list[tuple[float, str]] = field(default_factory=list)
    sessions: list[tuple[float, str]] = field(default_factory=list)
    failures: list[tuple[float, str, str]] = field(default_factory=list)  # t, name, anchor
    cut: list[str] = field(default_factory=list)  # what was left out, for the page's note


@dataclass
class Figures:
    signals: list[Figure]
    tree: list[Figure]
    sequence: Figure | None
    sequence_times: list[float]
    downsampled: bool  # some line was cut to its min/max envelope
    markers: Markers
    site: list[Figure] = field(default_factory=list)  # each car's need, energy and SoC


# --- data helpers -----------------------------------------------------------------------------
def _numbers(values: np.ndarray, decimals: int) -> list[float | None]:
    """JSON-ready numbers, rounded; NaN and infinities become null (a gap in the line)."""
    rounded = np.round(values.astype(float), decimals)
    return [None if not math.isfinite(v) else v + 0.0 for v in rounded.tolist()]


def _as_numbers(series: pd.Series, kind: str) -> np.ndarray:
    if kind == "state":
        index = {s: i for i, s in enumerate(CP_STATES)}
        return np.array([index.get(v.strip().upper()[:1], np.nan) if isinstance(v, str) and v
                         else np.nan for v in series.tolist()], dtype=float)
    if kind == "bool":
        return np.array([np.nan if v is None or v is pd.NA or (isinstance(v, float) and
                                                              math.isnan(v)) else float(bool(v))
                         for v in series.tolist()], dtype=float)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


@dataclass
class _Line:
    t: np.ndarray
    y: np.ndarray
    downsampled: bool


def _line(t: np.ndarray, y: np.ndarray) -> _Line:
    keep = envelope(t, y, MAX_POINTS)
    return _Line(t[keep], y[keep], len(keep) < len(y))


def _trace(points: _Line, name: str, decimals: int, **style: Any) -> dict:
    # Drawn as steps: a sample holds the latest value published before it (the sampler's
    # rule), so a line between two samples would show a ramp that never happened.
    return {"type": "scatter", "mode": "lines", "name": name,
            "x": _numbers(points.t, TIME_DECIMALS), "y": _numbers(points.y, decimals), **style}


# --- markers ------------------------------------------------------------------------------------
def markers_of(result: RunResult) -> Markers:
    found = Markers()
    events = result.events
    if events is not None and len(events):
        steps = events[events["kind"] == "step"]
        for t, name, value in zip(steps["t"].tolist(), steps["name"].tolist(),
                                  steps["value"].tolist()):
            args = parse_value(value)
            label = str(name)
            if isinstance(args, dict):
                if args.get("index"):
                    label = f"step {args['index']}: {label}"
                if args.get("connector") is not None:
                    label += f" (connector {args['connector']})"
            found.steps.append((float(t), _text(label)))
        table = session_events(events)
        for t, connector, event in zip(table["t"].tolist(), table["connector"].tolist(),
                                       table["event"].tolist()):
            where = f"connector {connector}: " if connector is not None else ""
            found.sessions.append((float(t), _text(f"{where}{event}")))
    for what, items in (("steps", found.steps), ("session events", found.sessions)):
        if len(items) > MAX_MARKERS:
            found.cut.append(f"the first {MAX_MARKERS:,} of {len(items):,} {what} are marked")
            del items[MAX_MARKERS:]
    for named in named_expectations(result.expectations):
        e = named.result
        if not e.passed and e.t is not None and math.isfinite(e.t):
            found.failures.append((float(e.t), named.name, named.anchor))
    return found


def _text(value: object) -> str:
    """Text from the run for plotly.js, which reads tags in labels: shown as written."""
    return escape(str(value), quote=False)


def _short(text: str, chars: int = 48) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def _decorate(layout: dict, data: list[dict], markers: Markers) -> None:
    """Steps as dashed lines, session events as triangles along the top, failures as red
    labelled lines whose label links to the expectation's row."""
    shapes = layout.setdefault("shapes", [])
    annotations = layout.setdefault("annotations", [])
    for t, _label in markers.steps:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": t, "x1": t,
                       "y0": 0, "y1": 1, "layer": "below",
                       "line": {"color": STEP_COLOR, "width": 1, "dash": "dash"}})
    overlay = []
    if markers.steps:
        overlay.append({"type": "scatter", "mode": "markers", "name": "steps",
                        "x": [t for t, _ in markers.steps], "y": [1.0] * len(markers.steps),
                        "text": [label for _, label in markers.steps],
                        "hovertemplate": "%{text}<extra></extra>", "yaxis": "y2",
                        "marker": {"symbol": "line-ns-open", "size": 10, "color": STEP_COLOR},
                        "showlegend": False})
    if markers.sessions:
        overlay.append({"type": "scatter", "mode": "markers", "name": "session events",
                        "x": [t for t, _ in markers.sessions],
                        "y": [0.96] * len(markers.sessions),
                        "text": [label for _, label in markers.sessions],
                        "hovertemplate": "%{text}<extra></extra>", "yaxis": "y2",
                        "marker": {"symbol": "triangle-down", "size": 8, "color": EVENT_COLOR},
                        "showlegend": False})
    for i, (t, name, anchor) in enumerate(markers.failures):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": t, "x1": t,
                       "y0": 0, "y1": 1,
                       "line": {"color": FAIL_COLOR, "width": 1.5, "dash": "dot"}})
        if i < MAX_FAILURE_LABELS:
            annotations.append({"x": t, "xref": "x", "y": 1, "yref": "paper",
                                "yanchor": "bottom", "xanchor": "left",
                                "text": f"✘ {_text(_short(name))}",
                                "showarrow": False, "captureevents": True, "name": anchor,
                                "font": {"color": FAIL_COLOR, "size": 11},
                                "bgcolor": "rgba(255,255,255,0.85)",
                                "hovertext": f"failed: {_text(name)} (click for its row)"})
    if overlay:
        layout["yaxis2"] = {"overlaying": "y", "range": [0, 1.02], "visible": False,
                            "fixedrange": True}
        data.extend(overlay)


def _layout(title: str, height: int, y_title: str, t_range: list[float]) -> dict:
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 14}},
        "height": height,
        # Fixed margins, the legend in the right one: the time axes of all plots line up.
        "margin": {"l": 80, "r": 210, "t": 36, "b": 40, "autoexpand": False},
        # Only time zooms: a box drawn on a plot zooms every plot to its time span.
        "xaxis": {"title": {"text": "simulated time [s]", "standoff": 4}, "range": t_range,
                  "zeroline": False},
        "yaxis": {"title": {"text": y_title}, "fixedrange": True, "zeroline": False},
        "hovermode": "x unified",
        "legend": {"x": 1.01, "xanchor": "left", "y": 1.0, "yanchor": "top",
                   "font": {"size": 11}, "tracegroupgap": 4},
        "showlegend": True,
    }


def _time_range(result: RunResult) -> list[float]:
    t = pd.to_numeric(result.signals["t"], errors="coerce") if result.signals is not None \
        and len(result.signals) else pd.Series(dtype=float)
    t0 = min(float(t.min()), 0.0) if t.notna().any() else 0.0
    t1 = max(float(t.max()) if t.notna().any() else 0.0, float(result.sim_time_s or 0.0))
    return [t0, t1 if t1 > t0 else t0 + 1.0]


# --- signal panels ----------------------------------------------------------------------------
def panels() -> list[tuple[str, list[str]]]:
    """(panel key, the signals drawn in it) in the order of the signal table."""
    found: dict[str, list[str]] = {}
    for s in SIGNALS:
        found.setdefault(s.panel_key, []).append(s.name)
    return list(found.items())


def _panel_title(key: str, names: list[str]) -> str:
    if key in PANELS:
        return PANELS[key].title
    return ", ".join(SIGNAL_BY_NAME[n].label for n in names)


def _y_title(names: list[str]) -> str:
    units = {SIGNAL_BY_NAME[n].unit for n in names} - {""}
    if len(units) == 1:
        return f"[{units.pop()}]"
    return SIGNAL_BY_NAME[names[0]].label if len(names) == 1 else ""


def _per_connector(signals: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    keys = sorted(signals["connector"].dropna().unique().tolist())
    return [(int(c), signals[signals["connector"] == c].sort_values("t", kind="stable"))
            for c in keys]


def _signal_panel(key: str, names: list[str], frames: list[tuple[int, pd.DataFrame]],
                  t_range: list[float]) -> tuple[Figure, bool]:
    panel = PANELS.get(key, Panel(""))
    layout = _layout(_panel_title(key, names), panel.height, _y_title(names), t_range)
    data: list[dict] = []
    downsampled = False
    several = len(frames) > 1
    for i, (connector, frame) in enumerate(frames):
        color = CONNECTOR_COLORS[i % len(CONNECTOR_COLORS)]
        t = frame["t"].to_numpy(dtype=float)
        for j, name in enumerate(names):
            signal = SIGNAL_BY_NAME[name]
            if signal.source == "grid" and i > 0:
                continue  # site-wide: the same for every connector, drawn once
            y = _as_numbers(frame[name], signal.kind)
            if np.isnan(y).all():
                continue
            line = _line(t, y)
            downsampled |= line.downsampled
            label = signal.label if not several or signal.source == "grid" \
                else f"{signal.label} · connector {connector}"
            style: dict[str, Any] = {"line": {"color": color, "dash": DASHES[j % len(DASHES)],
                                              "width": 2, "shape": "hv"},
                                     "legendgroup": f"c{connector}"}
            if signal.source == "grid":
                style = {"line": {"color": LIMIT_COLOR, "dash": "dash", "width": 1.5,
                                  "shape": "hv"}}
            data.append(_trace(line, label, signal.decimals, **style))
        for derived in DERIVED_SIGNALS:
            if derived.panel != key or derived.source not in frame.columns:
                continue
            raw = _as_numbers(frame[derived.source], "number")
            y = np.array([derived.convert(v) for v in raw.tolist()], dtype=float)
            line = _line(t, y)
            downsampled |= line.downsampled
            label = derived.label if not several else f"{derived.label} · connector {connector}"
            data.append(_trace(line, label, 3, opacity=0.45, legendgroup=f"c{connector}",
                               line={"color": color, "width": 4, "shape": "hv"}))
    if names and SIGNAL_BY_NAME[names[0]].kind == "state":
        layout["yaxis"].update(title={"text": ""}, tickmode="array",
                               tickvals=list(range(len(CP_STATES))),
                               ticktext=[CP_STATE_LABELS[s] for s in CP_STATES],
                               range=[-0.5, len(CP_STATES) - 0.5])
        layout["shapes"] = [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                             "y0": 3.5, "y1": 5.5, "fillcolor": "#fdecea", "line": {"width": 0},
                             "layer": "below"}]
    elif names and SIGNAL_BY_NAME[names[0]].kind == "bool":
        layout["yaxis"].update(title={"text": ""}, tickmode="array", tickvals=[0, 1],
                               ticktext=["open", "closed"],
                               range=[-0.2, 1.2])
    # Tall enough for its legend: one line per trace that shows in it.
    shown = sum(1 for trace in data if trace.get("showlegend", True))
    layout["height"] = max(panel.height, 70 + 20 * shown)
    if not data:
        layout["annotations"] = [{"text": "no data", "xref": "paper", "yref": "paper",
                                  "x": 0.5, "y": 0.5, "showarrow": False,
                                  "font": {"color": "#888888"}}]
    return Figure(f"plot-{key}", layout["title"]["text"], data, layout), downsampled


def _tree_figures(result: RunResult, t_range: list[float]) -> tuple[list[Figure], bool]:
    nodes = tree_nodes(result.events)
    if not nodes:
        return [], False
    connectors = evse_connectors(result.events)
    figures, downsampled = [], False
    for node in nodes:
        below = sorted(connectors[e] for e in node.evses if e in connectors)
        sums = children_current(result.signals, below)
        limits = sorted({a for a in node.limit_a if math.isfinite(a)})
        limit_text = f"{limits[-1]:g} A" if len(limits) == 1 else "limit changes"
        title = (f"{node.node_type} {node.uuid} ({limit_text}): sum of "
                 f"{', '.join(node.evses) or 'no EVSE'}")
        layout = _layout(title, 240, "[A]", t_range)
        data: list[dict] = []
        if len(sums):
            t = sums["t"].to_numpy(dtype=float)
            for name in PHASE_SIGNALS:
                y = sums[name].to_numpy(dtype=float)
                if np.isnan(y).all():
                    continue
                line = _line(t, y)
                downsampled |= line.downsampled
                phase = SIGNAL_BY_NAME[name].phase
                data.append(_trace(line, f"sum {phase}", 3,
                                   line={"color": PHASE_COLORS.get(phase, "#333333"),
                                         "width": 2, "shape": "hv"}))
        if node.limit_t:
            x = [*node.limit_t, t_range[1]]
            y = [*node.limit_a, node.limit_a[-1]]
            data.append({"type": "scatter", "mode": "lines", "name": _text(f"{node.uuid} limit"),
                         "x": _numbers(np.array(x), TIME_DECIMALS),
                         "y": _numbers(np.array(y), 3),
                         "line": {"color": FAIL_COLOR, "dash": "dash", "width": 2,
                                  "shape": "hv"}})
        layout["title"]["text"] = _text(title)
        figures.append(Figure(f"tree-{len(figures) + 1}", title, data, layout))
    return figures, downsampled


# --- sequence diagram -------------------------------------------------------------------------
def sequence_figure(found: list[Message]) -> Figure | None:
    """Lifelines side by side, one arrow per message, one row per message in recording order
    (a row, not a time scale: messages of the same instant stay apart); time at the left."""
    if not found:
        return None
    shown = found[:MAX_MESSAGES]
    columns = lifelines(shown)
    x_of = {name: i for i, name in enumerate(columns)}
    n = len(shown)
    data: list[dict] = []
    for failed, color in ((False, "#24292f"), (True, FAIL_COLOR)):
        xs: list[float | None] = []
        ys: list[float | None] = []
        sizes: list[int] = []
        for i, m in enumerate(shown):
            if m.failed != failed:
                continue
            x0, x1 = x_of[m.sender], x_of[m.receiver]
            if x0 == x1:
                x1 = x0 + 0.3
            xs += [x0, x1, None]
            ys += [i, i, None]
            sizes += [0, 11, 0]
        if xs:
            data.append({"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys,
                         "hoverinfo": "skip", "showlegend": False,
                         "line": {"color": color, "width": 1.4},
                         "marker": {"symbol": "arrow", "angleref": "previous", "size": sizes,
                                    "color": color}})
    data.append({"type": "scatter", "mode": "text", "showlegend": False,
                 "x": [(x_of[m.sender] + x_of[m.receiver]) / 2 for m in shown],
                 "y": list(range(n)), "text": [_text(m.label) for m in shown],
                 "textposition": "top center",
                 "textfont": {"size": 11, "color": [FAIL_COLOR if m.failed else "#24292f"
                                                    for m in shown]},
                 "customdata": [round(m.t, TIME_DECIMALS) for m in shown],
                 "hovertext": [_text(f"t={m.t:.3f} s · {m.protocol} {m.sender} → "
                                     f"{m.receiver}") + f"<br>{_text(m.detail)}" for m in shown],
                 "hoverinfo": "text"})
    data.append({"type": "scatter", "mode": "text", "showlegend": False, "hoverinfo": "skip",
                 "x": [-0.15] * n, "y": list(range(n)), "text": [f"{m.t:.3f} s" for m in shown],
                 "textposition": "middle left", "textfont": {"size": 10, "color": "#57606a"}})
    rows = min(n, SEQUENCE_ROWS_SHOWN)
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": i, "x1": i, "y0": 0,
               "y1": 1, "line": {"color": "#d0d7de", "width": 2}, "layer": "below"}
              for i in range(len(columns))]
    # The first shape (under the lifelines) marks the rows of the time span the plots show;
    # the page moves it.
    shapes.insert(0, {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 0,
                   "y1": 0, "fillcolor": "#fff8c5", "line": {"width": 0}, "layer": "below",
                   "visible": False})
    layout = {
        "height": 90 + rows * SEQUENCE_ROW_PX,
        "margin": {"l": 30, "r": 30, "t": 50, "b": 10},
        "xaxis": {"tickmode": "array", "tickvals": list(range(len(columns))),
                  "ticktext": [f"<b>{_text(c)}</b>" for c in columns], "side": "top",
                  "range": [-0.9, len(columns) - 0.5], "fixedrange": True, "showgrid": False,
                  "zeroline": False},
        "yaxis": {"range": [rows - 0.5, -0.9], "showticklabels": False, "showgrid": False,
                  "zeroline": False},
        "dragmode": "pan",
        "hovermode": "closest",
        "showlegend": False,
        "shapes": shapes,
    }
    return Figure("sequence-diagram", "Message sequence", data, layout, linked=False)


# --- all of them ------------------------------------------------------------------------------
def build_figures(result: RunResult) -> Figures:
    markers = markers_of(result)
    found = messages(result.events)
    sequence = sequence_figure(found)
    times = [m.t for m in found[:MAX_MESSAGES]]
    if result.signals is None or len(result.signals) == 0:
        return Figures([], [], sequence, times, False, markers)
    t_range = _time_range(result)
    frames = _per_connector(result.signals)
    figures, downsampled = [], False
    site = has_site(result.events)
    for key, names in panels():
        # A station without a simulated site publishes no PV, base load or price: its panels
        # would be lines at the signals' initial 0.
        names = [n for n in names if site or not site_only(n)]
        if not names:
            continue
        figure, cut = _signal_panel(key, names, frames, t_range)
        downsampled |= cut
        figures.append(figure)
    tree, cut = _tree_figures(result, t_range)
    downsampled |= cut
    for figure in (*figures, *tree):
        _decorate(figure.layout, figure.data, markers)
    return Figures(figures, tree, sequence, times, downsampled, markers,
                   site_figures(car_stays(result.events, result.signals)))


def site_only(name: str) -> bool:
    signal = SIGNAL_BY_NAME[name]
    return signal.source == "grid" and signal.var == "site"


# --- the site's cars ----------------------------------------------------------------------------
def site_figures(stays: list[CarStay]) -> list[Figure]:
    """Per car (in the order of arrival): its need against the energy it had at its departure,
    and its state of charge on arrival and at departure."""
    if not stays:
        return []
    labels = [_text(f"c{s.connector} @{s.arrival_s:.0f} s") for s in stays]
    hover = [_text(f"connector {s.connector}, {s.arrival_s:.0f} s to "
                   + ("the end" if s.departure_s is None else f"{s.departure_s:.0f} s"))
             for s in stays]
    base = {"type": "bar", "x": labels, "hovertext": hover}
    need = [None if s.need_kwh is None else round(s.need_kwh, 3) for s in stays]
    energy = [round(s.energy_kwh, 3) for s in stays]
    unmet = [round(s.unmet_kwh, 3) if s.departure_s is not None else None for s in stays]
    layout = _bars_layout("Energy at departure against each car's need", "[kWh]")
    energy_figure = Figure("site-energy", layout["title"]["text"], [
        {**base, "name": "need", "y": need, "marker": {"color": "#d0d7de"}},
        {**base, "name": "energy at departure", "y": energy, "marker": {"color": "#1f77b4"}},
        {**base, "name": "unmet", "y": unmet, "marker": {"color": FAIL_COLOR}},
    ], layout, linked=False)
    soc = _bars_layout("State of charge on arrival and at departure", "[%]")
    soc_figure = Figure("site-soc", soc["title"]["text"], [
        {**base, "name": "on arrival", "y": _numbers(np.array([s.soc_arrival_pct
                                                               for s in stays]), 2),
         "marker": {"color": "#d0d7de"}},
        {**base, "name": "at departure", "y": _numbers(np.array([s.soc_departure_pct
                                                                 for s in stays]), 2),
         "marker": {"color": "#2ca02c"}},
    ], soc, linked=False)
    return [energy_figure, soc_figure]


def _bars_layout(title: str, y_title: str) -> dict:
    return {"title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 14}},
            "height": 280, "barmode": "group", "bargap": 0.15,
            "margin": {"l": 80, "r": 210, "t": 36, "b": 60, "autoexpand": False},
            "xaxis": {"type": "category", "tickangle": -45, "automargin": False},
            "yaxis": {"title": {"text": y_title}, "fixedrange": True},
            "legend": {"x": 1.01, "xanchor": "left", "y": 1.0, "yanchor": "top"},
            "showlegend": True}
