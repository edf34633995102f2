"""Reports of a recorded run: CSV timeline and signals, summary JSON, HTML page, JUnit XML."""

from reports.html_report import DEFAULT_MAX_EVENT_ROWS, render_html
from reports.junit import junit_xml
from reports.load import load_run
from reports.model import (
    CP_STATES,
    EVENT_COLUMNS,
    SIGNAL_COLUMNS,
    ExpectationResult,
    RunResult,
    empty_events,
    empty_signals,
    events_columns,
    session_events,
    signals_columns,
)
from reports.tables import signals_csv, summary_dict, timeline_csv
from reports.writer import FILE_NAMES, write_report

__all__ = [
    "CP_STATES",
    "DEFAULT_MAX_EVENT_ROWS",
    "EVENT_COLUMNS",
    "FILE_NAMES",
    "SIGNAL_COLUMNS",
    "ExpectationResult",
    "RunResult",
    "empty_events",
    "empty_signals",
    "events_columns",
    "junit_xml",
    "load_run",
    "render_html",
    "session_events",
    "signals_columns",
    "signals_csv",
    "summary_dict",
    "timeline_csv",
    "write_report",
]
