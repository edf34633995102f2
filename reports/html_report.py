"""report.html: one self-contained page for a person to read, with interactive plots.

Everything is inline, so the file opens offline and can be mailed or attached to a CI job: the
style sheet, plotly.js (taken from the installed plotly package, not kept in this repository),
the figures as JSON (reports.figures) and the page's own scripts (assets/plots.js,
assets/table-filter.js).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from functools import cache
from html import escape
from importlib import resources
from pathlib import PurePath

import pandas as pd

from reports.downsample import MAX_POINTS
from reports.figures import SEQUENCE_ROWS_SHOWN, Figure, Figures, build_figures
from reports.model import (
    ERROR_KINDS,
    NamedExpectation,
    RunResult,
    is_missing,
    named_expectations,
    parse_value,
    session_events,
)
from reports.sequence import MAX_MESSAGES, MESSAGE_SOURCES
from reports.site import site_kpis
from reports.units import format_duration, format_energy, format_time_s

DEFAULT_MAX_EVENT_ROWS = 5000
OCPP_PAYLOAD_CHARS = 240  # OCPP payloads are cut in the table; timeline.csv has them whole
OCPP_ARROWS = {"tx": "→ backend", "rx": "← backend", "dropped": "✘ dropped"}
VALUE_DISPLAY_CHARS = 300  # longer event values are cut in the page; the CSV has them whole

def _asset(name: str) -> str:
    return resources.files("reports").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(value: object) -> str:
    """JSON to embed in a <script> element: nothing in it may close the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def _e(value: object) -> str:
    """Escaped text of any cell value; missing values show as an en dash."""
    if is_missing(value):
        return "–"
    return escape(str(value), quote=True)


def _table(
    headers: Sequence[tuple[str, str]], rows: Iterable[str], table_id: str | None = None
) -> str:
    head = "".join(
        f'<th class="{cls}">{escape(h)}</th>' if cls else f"<th>{escape(h)}</th>"
        for h, cls in headers
    )
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _header(result: RunResult) -> str:
    ok = result.passed
    badge = f'<span class="badge {"pass" if ok else "fail"}">{"PASSED" if ok else "FAILED"}</span>'
    sim, wall = result.sim_time_s, result.wall_time_s
    speed = ""
    if wall and wall > 0 and sim and math.isfinite(sim / wall):
        speed = f" · {sim / wall:,.0f}× faster than real time" if sim >= wall else ""
    energy = ", ".join(
        f"connector {escape(str(k))}: {format_energy(v)}"
        for k, v in sorted(result.energy_wh.items())
    ) or "–"
    n_events = 0 if result.events is None else len(result.events)
    n_samples = 0 if result.signals is None else len(result.signals)
    meta = [
        ("Scenario file", f"<code>{_e(result.scenario_file)}</code>"),
        ("Station", f"<code>{_e(result.station)}</code>"),
        ("Seed", _e(result.seed)),
        ("Simulated time", format_duration(sim) + (f" ({sim:,.3f} s)" if sim >= 60 else "")),
        ("Wall time", f"{format_duration(wall)}{speed}"),
        ("Energy delivered", energy),
        ("Recorded", f"{n_events:,} events, {n_samples:,} signal samples"),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    return f"<header><h1>{_e(result.scenario)} {badge}</h1><dl class=\"meta\">{dl}</dl></header>"


def _time_cell(t: float | None) -> str:
    """A time in a table; it zooms every plot around that time when clicked."""
    if t is None or is_missing(t) or not math.isfinite(float(t)):
        return '<td class="num">–</td>'
    return (f'<td class="num"><a class="zoom" href="#plots" data-t="{float(t):.6f}" '
            f'title="show this moment in the plots">{format_time_s(t)}</a></td>')


def _invariants(named: list[NamedExpectation]) -> str:
    """The safety invariants, judged on every run; a switched-off one shows its reason."""
    rows = []
    for n in named:
        e = n.result
        if not e.kind.startswith("invariant"):
            continue
        verdict, css = (("✔ pass", "pass") if e.passed else ("✘ fail", "fail"))
        if e.kind == "invariant-off":
            verdict, css = "– off", "off"
        rows.append(f'<tr id="{n.anchor}" class="{css}"><td class="verdict">{verdict}</td>'
                    f"<td>{_e(n.name.removeprefix('invariant: '))}</td><td>{_e(e.detail)}</td>"
                    f"{_time_cell(e.t)}</tr>")
    if not rows:
        return ""
    table = _table([("", ""), ("invariant", ""), ("detail", ""), ("t [s]", "num")], rows)
    return ('<section id="invariants"><h2>Safety invariants</h2><p class="note">Judged on '
            "every run from the timeline; a scenario may switch one off only with a written "
            f"reason.</p>{table}</section>")


def _expectations(named: list[NamedExpectation]) -> str:
    exps = [n for n in named if not n.result.kind.startswith("invariant")]
    if not exps:
        body = '<p class="note">This scenario states no expectations; the run counts as passed.</p>'
    else:
        failed = sum(not n.result.passed for n in exps)
        note = f"{len(exps) - failed} of {len(exps)} passed"
        if failed:
            note += f", {failed} failed (marked in red in the plots: click a marker for its row)"
        rows = (
            f'<tr id="{n.anchor}" class="{"pass" if n.result.passed else "fail"}">'
            f'<td class="verdict">{"✔ pass" if n.result.passed else "✘ fail"}</td>'
            f"<td>{_e(n.name)}</td><td>{_e(n.result.detail)}</td>"
            f"{_time_cell(n.result.t)}</tr>"
            for n in exps
        )
        table = _table(
            [("", ""), ("expectation", ""), ("detail", ""), ("t [s]", "num")], rows
        )
        body = f'<p class="note">{note}.</p>{table}'
    return f'<section id="expectations"><h2>Expectations</h2>{body}</section>'


def _plot_divs(figures: list[Figure]) -> str:
    return "".join(f'<div class="plot" id="{f.id}" role="img" aria-label="{escape(f.title)}">'
                   "</div>" for f in figures)


def _plots(figures: Figures) -> str:
    if not figures.signals:
        body = '<p class="note">No signal samples were recorded.</p>'
    else:
        notes = [
            "Against simulated time; one colour per connector. Drag across a plot to zoom "
            "every plot to that time span, double-click to see the whole run again. Dashed "
            "grey lines are the scenario's steps, purple triangles the session events (hover "
            "for their names), dotted red lines failed expectations (click the label for its "
            "row). The wide pale line in the current plot is the current the PWM duty cycle "
            "offers the car.",
        ]
        if figures.downsampled:
            notes.append(f"Lines with more than {MAX_POINTS:,} samples are drawn as the minimum "
                         "and maximum of equal runs of samples, which keeps every peak and step "
                         "visible; <code>signals.csv</code> has every sample.")
        notes += [f"Only {escape(c)}." for c in figures.markers.cut]
        body = ("".join(f'<p class="note">{n}</p>' for n in notes)
                + _plot_divs(figures.signals))
    tree = ""
    if figures.tree:
        tree = ('<h3 id="energy-tree">Energy tree</h3><p class="note">Each fuse or limit of the '
                "energy tree (dashed red, as its requests stated it) beside the sum of the "
                "currents of the connectors below it, per phase.</p>"
                + _plot_divs(figures.tree))
    return f'<section id="plots"><h2>Signals</h2>{body}{tree}</section>'


def _sequence(figures: Figures) -> str:
    if figures.sequence is None:
        return ""
    n = len(figures.sequence_times)
    protocols = ", ".join(s.protocol for s in MESSAGE_SOURCES)
    cut = ""
    if n >= MAX_MESSAGES:
        cut = f" Only the first {MAX_MESSAGES:,} messages are drawn; the table has all of them."
    return (
        '<section id="sequence"><h2>Message sequence</h2>'
        f'<p class="note">Protocol messages ({escape(protocols)}) in recording order, one row '
        "each, time at the left. Drag up and down to scroll; zooming the plots in time shows "
        f"the messages of that span here. Hover over a message for its payload.{cut}</p>"
        f"{_plot_divs([figures.sequence])}</section>"
    )


def _session_events(events: pd.DataFrame | None) -> str:
    table = session_events(events) if events is not None else pd.DataFrame()
    if len(table) == 0:
        body = '<p class="note">No session events were recorded.</p>'
    else:
        rows = (
            f'<tr>{_time_cell(t)}<td class="num">{_e(c)}</td>'
            f'<td>{_e(ev)}</td><td class="code">{_e(d) if d else ""}</td></tr>'
            for t, c, ev, d in zip(
                table["t"].tolist(), table["connector"].tolist(),
                table["event"].tolist(), table["details"].tolist(),
            )
        )
        body = _table(
            [("t [s]", "num"), ("connector", "num"), ("event", ""), ("details", "")], rows
        )
    return f'<section id="session-events"><h2>Session events</h2>{body}</section>'


def ocpp_messages(events: pd.DataFrame | None) -> list[dict]:
    """OCPP messages (variables named "ocpp_message") in recording order, each with its time
    and source (the charge point module)."""
    if events is None or len(events) == 0:
        return []
    mask = (events["kind"] == "var") & (events["name"] == "ocpp_message")
    out = []
    for t, source, value in zip(events.loc[mask, "t"].tolist(),
                                events.loc[mask, "source"].tolist(),
                                events.loc[mask, "value"].tolist()):
        decoded = parse_value(value)
        if isinstance(decoded, dict):
            out.append({"t": t, "source": source, **decoded})
    return out


def _ocpp(events: pd.DataFrame | None) -> str:
    messages = ocpp_messages(events)
    if not messages:
        return ""
    rows = []
    for m in messages:
        payload = json.dumps(m.get("payload"), sort_keys=True, separators=(",", ":"))
        if len(payload) > OCPP_PAYLOAD_CHARS:
            payload = payload[:OCPP_PAYLOAD_CHARS] + " …"
        kind = str(m.get("message_type", ""))
        cls = ' class="err"' if kind in ("CallError", "Invalid") or \
            m.get("direction") == "dropped" else ""
        queued = " (queued)" if m.get("queued") else ""
        rows.append(
            f'<tr{cls}><td class="num">{format_time_s(m["t"])}</td>'
            f"<td>{_e(OCPP_ARROWS.get(str(m.get('direction')), m.get('direction')))}</td>"
            f"<td>{_e(m.get('action') or '')}</td><td>{_e(kind)}{_e(queued)}</td>"
            f'<td class="code">{_e(m.get("unique_id", ""))}</td>'
            f'<td class="code">{escape(payload, quote=True)}</td></tr>'
        )
    table = _table([("t [s]", "num"), ("direction", ""), ("action", ""), ("type", ""),
                    ("message id", ""), ("payload", "")], rows)
    return (
        '<section id="ocpp"><h2>OCPP messages</h2>'
        f'<p class="note">{len(messages):,} messages between the charge point and its backend, '
        f"as the charge point sent and received them; payloads longer than "
        f"{OCPP_PAYLOAD_CHARS} characters are cut.</p>"
        f'<div class="scroll">{table}</div></section>'
    )


def _cut(value: object) -> str:
    if is_missing(value):
        return ""
    text = str(value)
    if len(text) > VALUE_DISPLAY_CHARS:
        text = text[:VALUE_DISPLAY_CHARS] + " …"
    return text


def _event_rows(df: pd.DataFrame) -> Iterable[str]:
    cols = [df[c].tolist() for c in ("t", "source", "kind", "name", "value")]
    for t, source, kind, name, value in zip(*cols):
        cls = ' class="err"' if kind in ERROR_KINDS else ""
        yield (
            f'<tr{cls}><td class="num">{format_time_s(t)}</td><td>{_e(source)}</td>'
            f"<td>{_e(kind)}</td><td>{_e(name)}</td>"
            f'<td class="code">{escape(_cut(value), quote=True)}</td></tr>'
        )


_EVENT_HEADERS = [("t [s]", "num"), ("source", ""), ("kind", ""), ("name", ""), ("value", "")]


def _errors(events: pd.DataFrame | None) -> str:
    if events is None or len(events) == 0:
        return ""
    errs = events[events["kind"].isin(ERROR_KINDS)]
    if len(errs) == 0:
        return ""
    return (
        '<section id="errors"><h2>Errors</h2>'
        f'<p class="note">{len(errs):,} error events (raised, cleared, failed commands).</p>'
        f'<div class="scroll">{_table(_EVENT_HEADERS, _event_rows(errs.head(1000)))}</div>'
        "</section>"
    )


def _all_events(events: pd.DataFrame | None, max_rows: int) -> str:
    n = 0 if events is None else len(events)
    if n == 0:
        return '<section id="events"><h2>All events</h2><p class="note">None.</p></section>'
    shown = events.head(max(0, max_rows))
    note = f"{n:,} events."
    if len(shown) < n:
        note = (
            f"Showing the first {len(shown):,} of {n:,} events; "
            "the complete timeline is in <code>timeline.csv</code>."
        )
    note += f" Values longer than {VALUE_DISPLAY_CHARS} characters are cut."
    return (
        '<section id="events"><h2>All events</h2>'
        f"<details><summary>Event table ({n:,} events)</summary>"
        f'<p class="note cap-note">{note}</p>'
        '<input type="search" id="ev-filter" placeholder="Filter rows (substring)…">'
        f'<div class="scroll">{_table(_EVENT_HEADERS, _event_rows(shown), "ev-table")}</div>'
        "</details></section>"
    )


def _scripts(figures: Figures, result: RunResult) -> str:
    """The figure data, plotly.js and the page's plot script (only when there is a plot to
    draw), then the event table's filter."""
    scripts = ""
    specs = [f.spec() for f in (*figures.signals, *figures.tree, *figures.site)]
    if figures.sequence is not None:
        specs.append(figures.sequence.spec())
    if specs:
        span = max(float(result.sim_time_s or 0.0), 1.0)
        data = {"figures": specs, "sequence_times": figures.sequence_times,
                "sequence_rows": SEQUENCE_ROWS_SHOWN, "zoom_half_width_s": max(10.0, span / 40)}
        scripts = (f'<script type="application/json" id="report-figures">{_script_json(data)}'
                   f"</script><script>{_plotly_js()}</script><script>{_asset('plots.js')}</script>")
    return scripts + f"<script>{_asset('table-filter.js')}</script>"


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


_KPI_ROWS = (  # summary.json's site block, as the page names it
    ("cars", "cars (stays)", ""), ("energy_delivered_kwh", "energy delivered", "kWh"),
    ("energy_needed_kwh", "energy needed (cars that left)", "kWh"),
    ("unmet_energy_kwh", "unmet energy at departure", "kWh"),
    ("cars_unmet", "cars that left short of their need", ""), ("cost", "cost of import", ""),
    ("peak_import_kw", "peak import", "kW"), ("fairness", "fairness (Jain's index)", ""),
    ("limit_violations", "limit violations (samples)", ""))


def _site(kpis: dict | None, figures: Figures) -> str:
    if kpis is None:
        return ""
    rows = [f"<tr><td>{escape(label)}</td><td class=\"num\">"
            + ("–" if kpis[key] is None else escape(f"{kpis[key]:,}" + (f" {unit}" if unit
                                                                         else "")))
            + "</td></tr>" for key, label, unit in _KPI_ROWS]
    table = _table([("KPI", ""), ("value", "num")], rows)
    note = ('<p class="note">From the timeline and the signals (docs/energy.md): each car from '
            "its plug-in, plan and unplug steps, energy from its connector's meter, cost from "
            "the import at the connection point and the price, limit violations from the sums "
            "of the currents below each node of the energy tree against its limit.</p>")
    return (f'<section id="site"><h2>Site</h2>{note}{table}'
            f"{_plot_divs(figures.site)}</section>")


def render_html(result: RunResult, max_event_rows: int = DEFAULT_MAX_EVENT_ROWS) -> str:
    """The complete report page."""
    figures = build_figures(result)
    named = named_expectations(result.expectations)
    errors = _errors(result.events)
    ocpp = _ocpp(result.events)
    sequence = _sequence(figures)
    nav_items = [("expectations", "Expectations")]
    if any(e.kind.startswith("invariant") for e in result.expectations):
        nav_items.append(("invariants", "Safety invariants"))
    kpis = site_kpis(result.events, result.signals)
    if kpis is not None:
        nav_items.append(("site", "Site"))
    nav_items.append(("plots", "Signals"))
    if figures.tree:
        nav_items.append(("energy-tree", "Energy tree"))
    if sequence:
        nav_items.append(("sequence", "Message sequence"))
    nav_items.append(("session-events", "Session events"))
    if ocpp:
        nav_items.append(("ocpp", "OCPP messages"))
    if errors:
        nav_items.append(("errors", "Errors"))
    nav_items.append(("events", "All events"))
    nav = "<nav>" + "".join(f'<a href="#{i}">{t}</a>' for i, t in nav_items) + "</nav>"
    stem = PurePath(result.scenario_file).name if result.scenario_file else ""
    files = ", ".join(
        f"<code>{f}</code>"
        for f in ("timeline.csv", "signals.csv", "timeline.parquet", "signals.parquet",
                  "summary.json", "junit.xml")
    )
    body = "".join(
        [
            _header(result),
            nav,
            _expectations(named),
            _invariants(named),
            _site(kpis, figures),
            _plots(figures),
            sequence,
            _session_events(result.events),
            ocpp,
            errors,
            _all_events(result.events, max_event_rows),
            f'<p class="note" style="margin-top:40px">Written next to this page: {files}. '
            "Times are simulated seconds from the start of the run.</p>",
        ]
    )
    title = f"{'PASS' if result.passed else 'FAIL'} · {result.scenario}"
    if stem:
        title += f" ({stem})"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_asset('report.css')}</style></head>"
        f"<body><main>{body}</main>{_scripts(figures, result)}</body></html>\n"
    )
