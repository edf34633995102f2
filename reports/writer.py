"""write_report: every output file of a run into one directory."""

from __future__ import annotations

from pathlib import Path

from reports.html_report import DEFAULT_MAX_EVENT_ROWS, render_html
from reports.junit import junit_xml
from reports.model import RunResult
from reports.tables import signals_csv, summary_json, timeline_csv, write_text

FILE_NAMES: dict[str, str] = {
    "timeline": "timeline.csv",
    "signals": "signals.csv",
    "summary": "summary.json",
    "report": "report.html",
    "junit": "junit.xml",
}


def write_report(
    result: RunResult, out_dir: Path | str, *, max_event_rows: int = DEFAULT_MAX_EVENT_ROWS
) -> dict[str, Path]:
    """Write timeline.csv, signals.csv, summary.json, report.html and junit.xml into `out_dir`.

    Creates the directory if needed and overwrites earlier files. Returns the written paths by
    key ("timeline", "signals", "summary", "report", "junit"). `max_event_rows` caps the full
    event table in report.html (the CSV always has every event).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # The machine-readable files first: if plotting fails, the data is still on disk.
    texts = {
        "timeline": lambda: timeline_csv(result.events),
        "signals": lambda: signals_csv(result.signals),
        "summary": lambda: summary_json(result),
        "junit": lambda: junit_xml(result),
        "report": lambda: render_html(result, max_event_rows=max_event_rows),
    }
    written: dict[str, Path] = {}
    for key, make in texts.items():
        written[key] = write_text(out / FILE_NAMES[key], make())
    return {k: written[k] for k in FILE_NAMES}
