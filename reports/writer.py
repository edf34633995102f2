"""write_report: every output file of a run into one directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from charger.framework.errors import EvbenchError
from reports.html_report import DEFAULT_MAX_EVENT_ROWS, render_html
from reports.junit import junit_xml
from reports.model import RunResult
from reports.parquet import signals_table, timeline_table, write_parquet
from reports.tables import signals_csv, summary_json, timeline_csv, write_text

FILE_NAMES: dict[str, str] = {
    "timeline": "timeline.csv",
    "signals": "signals.csv",
    "timeline_parquet": "timeline.parquet",
    "signals_parquet": "signals.parquet",
    "summary": "summary.json",
    "report": "report.html",
    "junit": "junit.xml",
}


def prepare_out_dir(out_dir: Path | str, what: str = "report directory") -> list[Path]:
    """Create ``out_dir`` if needed and make sure the report files can be written into it;
    return the directories it created, outermost first (to remove them if no run follows).

    Called before a run, so that a directory that cannot take the report is an error at once
    rather than after the whole run (when the verdict would be lost with the report). Raises
    EvbenchError naming the directory and the reason.
    """
    out = Path(out_dir)
    if "\0" in str(out):
        raise EvbenchError(f"{what} {str(out)!r}: a path cannot hold a NUL character")
    if out.exists() and not out.is_dir():
        raise EvbenchError(f"{what} {out}: it exists and is not a directory")
    created = [p for p in (out, *out.parents) if not p.exists()][::-1]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise EvbenchError(f"{what} {out}: cannot write there: "
                           f"{exc.strerror or exc}") from None
    for name in FILE_NAMES.values():
        target = out / name
        if target.is_dir() or (target.exists() and not os.access(target, os.W_OK)):
            raise EvbenchError(f"{what} {out}: {name} in it cannot be overwritten")
    return created


def write_report(
    result: RunResult, out_dir: Path | str, *, max_event_rows: int = DEFAULT_MAX_EVENT_ROWS
) -> dict[str, Path]:
    """Write timeline.csv, signals.csv, their Parquet twins, summary.json, report.html and
    junit.xml into `out_dir`.

    Creates the directory if needed and overwrites earlier files. Returns the written paths by
    key (the keys of FILE_NAMES). `max_event_rows` caps the full event table in report.html
    (the CSV and Parquet files always have every event).
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
        if key == "signals":  # the typed twins right after the CSV files
            for twin, table in (("timeline_parquet", timeline_table(result.events)),
                                ("signals_parquet", signals_table(result.signals))):
                written[twin] = write_parquet(table, out / FILE_NAMES[twin])
    return {k: written[k] for k in FILE_NAMES}
