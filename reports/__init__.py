"""Reports of a recorded run: timeline and signals (CSV, Parquet), summary JSON, HTML page,
JUnit XML, and reading a run directory back into pandas.

Names load on first use (PEP 562): a module process that only records never imports pandas,
pyarrow or plotly.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "DEFAULT_MAX_EVENT_ROWS": "reports.html_report",
    "render_html": "reports.html_report",
    "junit_xml": "reports.junit",
    "Run": "reports.load",
    "load_result": "reports.load",
    "load_run": "reports.load",
    "CP_STATES": "reports.model",
    "EVENT_COLUMNS": "reports.model",
    "SIGNAL_COLUMNS": "reports.model",
    "ExpectationResult": "reports.model",
    "RunResult": "reports.model",
    "empty_events": "reports.model",
    "empty_signals": "reports.model",
    "events_columns": "reports.model",
    "session_events": "reports.model",
    "signals_columns": "reports.model",
    "signals_csv": "reports.tables",
    "summary_dict": "reports.tables",
    "timeline_csv": "reports.tables",
    "FILE_NAMES": "reports.writer",
    "write_report": "reports.writer",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'reports' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
