"""matplotlib figures of the sampled signals against simulated time, one figure per topic.

Figures are built on matplotlib.figure.Figure with the Agg canvas directly (not pyplot), so no
display is needed, no global backend is switched and no figure is left open.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import ScalarFormatter

from reports.model import CP_STATES, SIGNAL_BY_NAME, SIGNAL_COLUMNS, SIGNALS, RunResult
from reports.units import Scale, energy_scale, power_scale, time_scale

FIG_WIDTH_IN = 10.0
PANEL_HEIGHT_IN = 1.9
DPI = 100
# Fixed margins (inches) rather than an automatic layout, so that the time axes of all figures
# line up on the page however wide each figure's tick labels are.
_LEFT_IN, _RIGHT_IN, _TOP_IN, _BOTTOM_IN, _GAP_IN = 1.45, 0.25, 0.45, 0.55, 0.25

CP_STATE_LABELS = {
    "A": "A  no EV",
    "B": "B  connected",
    "C": "C  charging",
    "D": "D  ventilation",
    "E": "E  no power",
    "F": "F  fault",
}
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_FAIL_COLOR = "#d62728"
_LIMIT_COLOR = "#555555"


@dataclass(frozen=True)
class Plot:
    key: str  # stable identifier, also the PNG file stem when saved separately
    title: str
    figure: Figure


@dataclass
class _Series:
    connector: int
    color: str
    width: float  # later connectors thinner, so a line drawn on top of another leaves it visible
    frame: pd.DataFrame  # this connector's samples, sorted by t
    x: np.ndarray  # t in the figure's time unit


@dataclass
class _Ctx:
    series: list[_Series]
    scale: Scale
    xlim: tuple[float, float]
    fail_x: list[float]  # times of failed expectations, in the figure's time unit


def _connectors(result: RunResult, scale: Scale) -> list[_Series]:
    sig = result.signals
    if sig is None or len(sig) == 0:
        return []
    sig = sig.loc[:, [c for c in SIGNAL_COLUMNS if c in sig.columns]]
    out = []
    keys = sorted(sig["connector"].dropna().unique().tolist())
    for i, conn in enumerate(keys):
        frame = sig[sig["connector"] == conn].sort_values("t", kind="stable")
        x = scale(frame["t"].to_numpy(dtype=float))
        width = max(1.0, 2.4 - 0.6 * i)
        out.append(_Series(int(conn), _COLORS[i % len(_COLORS)], width, frame, x))
    return out


def _col(series: _Series, column: str) -> np.ndarray:
    if column not in series.frame.columns:
        return np.full(len(series.frame), np.nan)
    return pd.to_numeric(series.frame[column], errors="coerce").to_numpy(dtype=float)


def _new_figure(panels: int, ratios: Sequence[float] | None = None) -> tuple[Figure, list[Axes]]:
    ratios = list(ratios) if ratios else [1.0] * panels
    plot_h = PANEL_HEIGHT_IN * sum(ratios)
    height = plot_h + _TOP_IN + _BOTTOM_IN + _GAP_IN * (panels - 1)
    fig = Figure(figsize=(FIG_WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False, height_ratios=ratios)[:, 0]
    fig.subplots_adjust(
        left=_LEFT_IN / FIG_WIDTH_IN,
        right=1 - _RIGHT_IN / FIG_WIDTH_IN,
        top=1 - _TOP_IN / height,
        bottom=_BOTTOM_IN / height,
        hspace=_GAP_IN / (plot_h / panels),
    )
    for ax in axes:
        ax.grid(True, color="#e0e0e0", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig, list(axes)


def _finish(
    fig: Figure, axes: list[Axes], ctx: _Ctx, extra: Sequence[tuple[Line2D, str]] = ()
) -> None:
    series, scale, fail_x = ctx.series, ctx.scale, ctx.fail_x
    for ax in axes:
        ax.set_xlim(*ctx.xlim)
        if isinstance(ax.yaxis.get_major_formatter(), ScalarFormatter):
            # A nearly constant signal (230 V) would otherwise get "+2.3e2" offset labels.
            ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        for x in fail_x:
            ax.axvline(x, color=_FAIL_COLOR, linestyle=":", linewidth=1.2, alpha=0.8)
        if not ax.has_data():
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center",
                    color="#888888")
    axes[-1].set_xlabel(f"simulated time [{scale.unit}]")
    fig.align_ylabels(axes)
    handles: list[Line2D] = [
        Line2D([], [], color=s.color, linewidth=2.0) for s in series
    ]
    labels = [f"connector {s.connector}" for s in series]
    for h, label in extra:
        handles.append(h)
        labels.append(label)
    if fail_x:
        handles.append(Line2D([], [], color=_FAIL_COLOR, linestyle=":", linewidth=1.2))
        labels.append("failed expectation")
    if handles:
        fig.legend(handles, labels, loc="upper right", ncol=len(handles), frameon=False,
                   bbox_to_anchor=(1 - _RIGHT_IN / FIG_WIDTH_IN, 1.0))


def _offsets(n: int, step: float) -> list[float]:
    # Connectors in the same state would hide each other's step line; spread them a little.
    return [(i - (n - 1) / 2) * step for i in range(n)]


def _cp_figure(ctx: _Ctx) -> Figure:
    series = ctx.series
    fig, (ax_state, ax_volt, ax_duty, ax_cont) = _new_figure(4, [1.5, 1.0, 1.0, 0.6])
    index = {s: i for i, s in enumerate(CP_STATES)}
    offsets = _offsets(len(series), 0.1)
    for s, off in zip(series, offsets):
        states = s.frame["cp_state"].tolist() if "cp_state" in s.frame.columns else []
        y = np.array([_state_index(v, index) for v in states], dtype=float)
        if len(y) and not np.isnan(y).all():
            ax_state.plot(s.x, y + off, color=s.color, drawstyle="steps-post", linewidth=s.width)
        volt = _col(s, "cp_voltage_v")
        if not np.isnan(volt).all():
            ax_volt.plot(s.x, volt, color=s.color, drawstyle="steps-post", linewidth=s.width)
        duty = _col(s, "pwm_duty_pct")
        if not np.isnan(duty).all():
            ax_duty.plot(s.x, duty, color=s.color, drawstyle="steps-post", linewidth=s.width)
        closed = (
            s.frame["contactor_closed"].map(_bool_or_nan).to_numpy(dtype=float)
            if "contactor_closed" in s.frame.columns
            else np.array([])
        )
        if len(closed) and not np.isnan(closed).all():
            ax_cont.plot(s.x, closed + off / 2, color=s.color, drawstyle="steps-post",
                         linewidth=s.width)
    # E and F are error states: a light band makes a run into them stand out.
    ax_state.axhspan(index["E"] - 0.5, index["F"] + 0.5, color="#fdecea", zorder=0)
    ax_state.set_yticks(range(len(CP_STATES)), [CP_STATE_LABELS[c] for c in CP_STATES])
    ax_state.set_ylim(-0.5, len(CP_STATES) - 0.5)
    ax_state.set_ylabel(_label("cp_state"))
    ax_volt.set_ylabel(_label("cp_voltage_v"))
    ax_duty.set_ylabel(_label("pwm_duty_pct"))
    ax_duty.set_ylim(bottom=0)
    ax_cont.set_yticks([0, 1], ["open", "closed"])
    ax_cont.set_ylim(-0.4, 1.4)
    ax_cont.set_ylabel(_label("contactor_closed"))
    _finish(fig, [ax_state, ax_volt, ax_duty, ax_cont], ctx)
    return fig


def _state_index(state: object, index: dict[str, int]) -> float:
    """Row of a CP state on the y axis; sub-states such as "B1"/"C2" go on their letter's row."""
    if not isinstance(state, str) or not state:
        return math.nan
    key = state.strip().upper()
    return float(index.get(key, index.get(key[:1], math.nan)) if len(key) <= 2 else math.nan)


def _bool_or_nan(v: object) -> float:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return math.nan
    return 1.0 if bool(v) else 0.0


def _currents_figure(ctx: _Ctx) -> Figure:
    series = ctx.series
    fig, axes = _new_figure(3)
    limits = {s.connector: _col(s, "grid_limit_a") for s in series}
    # The grid limit is usually site-wide and identical for every connector: draw it once then.
    shared_limit = len(series) > 0 and all(
        len(limits[s.connector]) == len(limits[series[0].connector])
        and np.array_equal(limits[s.connector], limits[series[0].connector], equal_nan=True)
        for s in series
    )
    drawn_limit = False
    for phase, ax in zip(("l1", "l2", "l3"), axes):
        for i, s in enumerate(series):
            cur = _col(s, f"current_{phase}_a")
            if not np.isnan(cur).all():
                ax.plot(s.x, cur, color=s.color, linewidth=s.width)
            lim = limits[s.connector]
            if not np.isnan(lim).all() and (not shared_limit or i == 0):
                ax.plot(s.x, lim, color=_LIMIT_COLOR if shared_limit else s.color,
                        linestyle="--", linewidth=1.0, drawstyle="steps-post")
                drawn_limit = True
        ax.set_ylabel(_label(f"current_{phase}_a"))
        ax.set_ylim(bottom=0)
    extra = []
    if drawn_limit:
        color = _LIMIT_COLOR if shared_limit else "#000000"
        extra.append((Line2D([], [], color=color, linestyle="--", linewidth=1.0), "grid limit"))
    _finish(fig, axes, ctx, extra)
    return fig


def _nanmax(arrays: list[np.ndarray]) -> float:
    vals = [np.nanmax(np.abs(a)) for a in arrays if len(a) and not np.isnan(a).all()]
    return max(vals) if vals else math.nan


def _power_figure(ctx: _Ctx) -> Figure:
    series = ctx.series
    fig, (ax_p, ax_v) = _new_figure(2)
    powers = [_col(s, "power_w") for s in series]
    pscale = power_scale(_nanmax(powers))
    for s, p in zip(series, powers):
        if not np.isnan(p).all():
            ax_p.plot(s.x, pscale(p), color=s.color, linewidth=s.width)
        v = _col(s, "voltage_l1_v")
        if not np.isnan(v).all():
            ax_v.plot(s.x, v, color=s.color, linewidth=s.width)
    ax_p.set_ylabel(f"{SIGNAL_BY_NAME['power_w'].label} [{pscale.unit}]")
    ax_p.set_ylim(bottom=min(0.0, ax_p.get_ylim()[0]))
    ax_v.set_ylabel(_label("voltage_l1_v"))
    _finish(fig, [ax_p, ax_v], ctx)
    return fig


def _soc_energy_figure(ctx: _Ctx) -> Figure:
    series = ctx.series
    fig, (ax_soc, ax_e) = _new_figure(2)
    energies = [_col(s, "energy_wh") for s in series]
    escale = energy_scale(_nanmax(energies))
    for s, e in zip(series, energies):
        soc = _col(s, "soc_pct")
        if not np.isnan(soc).all():
            ax_soc.plot(s.x, soc, color=s.color, linewidth=s.width)
        if not np.isnan(e).all():
            ax_e.plot(s.x, escale(e), color=s.color, linewidth=s.width)
    ax_soc.set_ylabel(_label("soc_pct"))
    ax_soc.set_ylim(0, 100)
    ax_e.set_ylabel(f"{SIGNAL_BY_NAME['energy_wh'].label} [{escale.unit}]")
    ax_e.set_ylim(bottom=0)
    _finish(fig, [ax_soc, ax_e], ctx)
    return fig


def _label(name: str) -> str:
    return SIGNAL_BY_NAME[name].axis_label


def _other_signals_figure(names: Sequence[str]) -> Callable[[_Ctx], Figure]:
    """One plain panel per signal that no topic figure draws: a new signal is plotted as soon
    as it is in the signal table."""
    def build(ctx: _Ctx) -> Figure:
        fig, axes = _new_figure(len(names))
        for name, ax in zip(names, axes):
            for s in ctx.series:
                values = _col(s, name)
                if not np.isnan(values).all():
                    ax.plot(s.x, values, color=s.color, drawstyle="steps-post",
                            linewidth=s.width)
            ax.set_ylabel(_label(name))
        _finish(fig, axes, ctx)
        return fig
    return build


# key, title, how to draw it, and the signals it draws
_TOPICS: tuple[tuple[str, str, Callable[[_Ctx], Figure], tuple[str, ...]], ...] = (
    ("control_pilot", "Control pilot, PWM and contactor", _cp_figure,
     ("cp_state", "cp_voltage_v", "pwm_duty_pct", "contactor_closed")),
    ("currents", "Phase currents", _currents_figure,
     ("current_l1_a", "current_l2_a", "current_l3_a", "grid_limit_a")),
    ("power", "Power and voltage", _power_figure, ("power_w", "voltage_l1_v")),
    ("soc_energy", "State of charge and energy", _soc_energy_figure, ("soc_pct", "energy_wh")),
)


def _topics() -> list[tuple[str, str, Callable[[_Ctx], Figure]]]:
    drawn = {name for *_, names in _TOPICS for name in names}
    others = [s.name for s in SIGNALS if s.name not in drawn]
    topics = [(key, title, build) for key, title, build, _ in _TOPICS]
    if others:
        topics.append(("other_signals", "Other signals", _other_signals_figure(others)))
    return topics


def make_plots(result: RunResult) -> list[Plot]:
    """One figure per topic, one line per connector; empty list when no signal was sampled."""
    if result.signals is None or len(result.signals) == 0:
        return []
    t = pd.to_numeric(result.signals["t"], errors="coerce")
    t0 = min(float(t.min()), 0.0) if t.notna().any() else 0.0
    t1 = max(float(t.max()) if t.notna().any() else 0.0, float(result.sim_time_s or 0.0))
    if t1 <= t0:
        t1 = t0 + 1.0
    scale = time_scale(t1 - t0)
    fail_x = sorted(
        {scale(float(e.t)) for e in result.failed_expectations
         if e.t is not None and math.isfinite(e.t)}
    )
    ctx = _Ctx(_connectors(result, scale), scale, (scale(t0), scale(t1)), fail_x)
    return [Plot(key, title, build(ctx)) for key, title, build in _topics()]


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # No "Software" metadata: the PNG then only depends on the data and the matplotlib version.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
