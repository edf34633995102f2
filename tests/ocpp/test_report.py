"""The HTML report lists OCPP messages (direction, action, compact payload) beside the session
events, and only when a run has any."""

from __future__ import annotations

import json

import pandas as pd

from reports.html_report import ocpp_messages, render_html
from reports.model import EVENT_COLUMNS, SIGNAL_COLUMNS, RunResult

HOSTILE = '<script>alert("x")</script>'


def result(rows: list[tuple]) -> RunResult:
    events = pd.DataFrame([(t, s, k, n, json.dumps(v)) for t, s, k, n, v in rows],
                          columns=list(EVENT_COLUMNS))
    return RunResult("ocpp report", "x.yaml", "station.yaml", 0, events,
                     pd.DataFrame(columns=list(SIGNAL_COLUMNS)))


def message(direction: str, kind: str, action: str, payload: object, **extra) -> dict:
    return {"direction": direction, "message_type": kind, "action": action,
            "unique_id": "1-1", "payload": payload, **extra}


def test_ocpp_messages_get_their_own_table() -> None:
    rows = [
        (1.0, "evse1.evse", "var", "session_event", {"event": "SessionStarted", "connector": 1}),
        (1.5, "ocpp.main", "var", "ocpp_message",
         message("tx", "Call", "StartTransaction", {"idTag": HOSTILE, "meterStart": 0},
                 queued=True)),
        (1.6, "ocpp.main", "var", "ocpp_message",
         message("rx", "CallResult", "StartTransaction", {"transactionId": 1,
                                                           "big": "y" * 1000})),
        (2.0, "ocpp.main", "var", "ocpp_message",
         message("tx", "CallError", "Reset", {"errorCode": "NotSupported"})),
    ]
    page = render_html(result(rows))
    assert 'id="ocpp"' in page and 'href="#ocpp"' in page
    assert page.index('id="session-events"') < page.index('id="ocpp"')
    section = page[page.index('id="ocpp"'):page.index("</section>", page.index('id="ocpp"'))]
    assert section.count("<tr") == 4  # header and three messages
    assert "→ backend" in section and "← backend" in section and "(queued)" in section
    assert HOSTILE not in page and "&lt;script&gt;" in section
    assert "y" * 300 not in section  # long payloads are cut
    assert 'class="err"' in section  # the CallError row stands out
    assert [m["action"] for m in ocpp_messages(result(rows).events)] == \
        ["StartTransaction", "StartTransaction", "Reset"]


def test_no_table_without_ocpp_messages() -> None:
    page = render_html(result([(1.0, "evse1.evse", "var", "session_event",
                                {"event": "SessionStarted", "connector": 1})]))
    assert 'id="ocpp"' not in page and "OCPP messages" not in page
