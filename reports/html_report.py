"""report.html: one self-contained page (inline CSS, JS and PNG plots) for a person to read."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import PurePath

import pandas as pd

from reports.model import ERROR_KINDS, RunResult, is_missing, parse_value, session_events
from reports.plots import Plot, make_plots, png_bytes
from reports.units import format_duration, format_energy, format_time_s

DEFAULT_MAX_EVENT_ROWS = 5000
OCPP_PAYLOAD_CHARS = 240  # OCPP payloads are cut in the table; timeline.csv has them whole
OCPP_ARROWS = {"tx": "→ backend", "rx": "← backend", "dropped": "✘ dropped"}
VALUE_DISPLAY_CHARS = 300  # longer event values are cut in the page; the CSV has them whole

_CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; color: #1f2328; background: #fff; line-height: 1.45; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 1.6em; margin: 0 0 6px; display: flex; align-items: center; gap: 12px;
     flex-wrap: wrap; }
h2 { font-size: 1.2em; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 1em; margin: 20px 0 4px; }
.badge { font-size: 0.6em; padding: 3px 12px; border-radius: 999px; color: #fff;
         letter-spacing: 0.05em; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0;
        font-size: 0.95em; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; }
nav { font-size: 0.9em; color: var(--muted); } nav a { color: #0969da; margin-right: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { background: var(--bg); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
          font-size: 0.95em; word-break: break-all; }
tr.pass td.verdict { color: var(--pass); font-weight: 600; }
tr.fail td.verdict { color: var(--fail); font-weight: 600; }
tr.fail { background: #ffebe9; }
tr.off td.verdict { color: #6e7781; font-weight: 600; }
tr.err td { color: var(--fail); }
.verdict { white-space: nowrap; }
.note { color: var(--muted); font-size: 0.9em; margin: 6px 0; }
figure { margin: 8px 0 20px; } figure img { max-width: 100%; height: auto; display: block; }
details summary { cursor: pointer; font-weight: 600; padding: 6px 0; }
.scroll { max-height: 70vh; overflow: auto; border: 1px solid var(--line); }
input[type=search] { padding: 4px 8px; width: 320px; max-width: 100%; margin: 6px 0;
                     border: 1px solid var(--line); border-radius: 6px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
"""

# Plain substring filter over the full event table; kept tiny and data-free (no values in JS).
_FILTER_JS = """
document.getElementById('ev-filter').addEventListener('input', function () {
  var q = this.value.toLowerCase();
  var rows = document.querySelectorAll('#ev-table tbody tr');
  for (var i = 0; i < rows.length; i++) {
    rows[i].hidden = q !== '' && rows[i].textContent.toLowerCase().indexOf(q) < 0;
  }
});
"""


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


def _invariants(result: RunResult) -> str:
    """The safety invariants, judged on every run; a switched-off one shows its reason."""
    rows = []
    for e in result.expectations:
        if not e.kind.startswith("invariant"):
            continue
        verdict, css = (("✔ pass", "pass") if e.passed else ("✘ fail", "fail"))
        if e.kind == "invariant-off":
            verdict, css = "– off", "off"
        rows.append(f'<tr class="{css}"><td class="verdict">{verdict}</td>'
                    f"<td>{_e(e.name.removeprefix('invariant: '))}</td><td>{_e(e.detail)}</td>"
                    f'<td class="num">{format_time_s(e.t)}</td></tr>')
    if not rows:
        return ""
    table = _table([("", ""), ("invariant", ""), ("detail", ""), ("t [s]", "num")], rows)
    return ('<section id="invariants"><h2>Safety invariants</h2><p class="note">Judged on '
            "every run from the timeline; a scenario may switch one off only with a written "
            f"reason.</p>{table}</section>")


def _expectations(result: RunResult) -> str:
    exps = [e for e in result.expectations if not e.kind.startswith("invariant")]
    if not exps:
        body = '<p class="note">This scenario states no expectations; the run counts as passed.</p>'
    else:
        failed = sum(not e.passed for e in exps)
        note = f"{len(exps) - failed} of {len(exps)} passed"
        if failed:
            note += f", {failed} failed"
        rows = (
            f'<tr class="{"pass" if e.passed else "fail"}">'
            f'<td class="verdict">{"✔ pass" if e.passed else "✘ fail"}</td>'
            f"<td>{_e(e.name)}</td><td>{_e(e.detail)}</td>"
            f'<td class="num">{format_time_s(e.t)}</td></tr>'
            for e in exps
        )
        table = _table(
            [("", ""), ("expectation", ""), ("detail", ""), ("t [s]", "num")], rows
        )
        body = f'<p class="note">{note}.</p>{table}'
    return f'<section id="expectations"><h2>Expectations</h2>{body}</section>'


def _plots(plots: list[Plot]) -> str:
    if not plots:
        body = '<p class="note">No signal samples were recorded.</p>'
    else:
        parts = []
        for p in plots:
            data = base64.b64encode(png_bytes(p.figure)).decode("ascii")
            w, h = (int(round(v)) for v in p.figure.get_size_inches() * p.figure.dpi)
            parts.append(
                f"<figure><h3>{escape(p.title)}</h3>"
                f'<img alt="{escape(p.title)}" width="{w}" height="{h}" '
                f'src="data:image/png;base64,{data}"></figure>'
            )
        body = (
            '<p class="note">Against simulated time; one colour per connector. '
            "Where connectors share a state the CP state and contactor lines are spread "
            "slightly apart so both stay visible.</p>" + "".join(parts)
        )
    return f'<section id="plots"><h2>Signals</h2>{body}</section>'


def _session_events(events: pd.DataFrame | None) -> str:
    table = session_events(events) if events is not None else pd.DataFrame()
    if len(table) == 0:
        body = '<p class="note">No session events were recorded.</p>'
    else:
        rows = (
            f'<tr><td class="num">{format_time_s(t)}</td><td class="num">{_e(c)}</td>'
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
        f"</details></section><script>{_FILTER_JS}</script>"
    )


def render_html(result: RunResult, max_event_rows: int = DEFAULT_MAX_EVENT_ROWS) -> str:
    """The complete report page."""
    plots = make_plots(result)
    errors = _errors(result.events)
    ocpp = _ocpp(result.events)
    nav_items = [("expectations", "Expectations")]
    if any(e.kind.startswith("invariant") for e in result.expectations):
        nav_items.append(("invariants", "Safety invariants"))
    nav_items += [("plots", "Signals"), ("session-events", "Session events")]
    if ocpp:
        nav_items.append(("ocpp", "OCPP messages"))
    if errors:
        nav_items.append(("errors", "Errors"))
    nav_items.append(("events", "All events"))
    nav = "<nav>" + "".join(f'<a href="#{i}">{t}</a>' for i, t in nav_items) + "</nav>"
    stem = PurePath(result.scenario_file).name if result.scenario_file else ""
    files = ", ".join(
        f"<code>{f}</code>"
        for f in ("timeline.csv", "signals.csv", "summary.json", "junit.xml")
    )
    body = "".join(
        [
            _header(result),
            nav,
            _expectations(result),
            _invariants(result),
            _plots(plots),
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
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
