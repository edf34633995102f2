"""The message sequence diagram: read from the timeline through the table of message sources."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from reports.figures import sequence_figure
from reports.model import EVENT_COLUMNS
from reports.sequence import MESSAGE_SOURCES, MessageSource, Reading, lifelines, messages


def timeline(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([(t, s, k, n, json.dumps(v)) for t, s, k, n, v in rows],
                        columns=list(EVENT_COLUMNS))


def ocpp(direction: str, kind: str, action: str, **extra: object) -> dict:
    return {"direction": direction, "message_type": kind, "action": action, "unique_id": "7",
            "payload": {"idTag": "<b>x</b>"}, **extra}


ROWS = [
    (0.05, "ocpp.main", "var", "ocpp_message", ocpp("tx", "Call", "BootNotification")),
    (0.05, "evse1.evse", "var", "session_event", {"event": "SessionStarted", "connector": 1}),
    (0.15, "ocpp.main", "var", "ocpp_message", ocpp("rx", "CallResult", "BootNotification")),
    (3.0, "ocpp.main", "var", "ocpp_message", ocpp("rx", "CallError", "Reset")),
    (4.0, "ocpp.main", "var", "ocpp_message", ocpp("dropped", "Call", "MeterValues")),
    (5.0, "ocpp.main", "var", "ocpp_message", "not an object"),
]


def test_ocpp_messages_become_arrows_between_the_charge_point_and_the_csms() -> None:
    found = messages(timeline(ROWS))
    assert [(m.sender, m.receiver) for m in found] == [
        ("charge point", "CSMS"), ("CSMS", "charge point"), ("CSMS", "charge point"),
        ("charge point", "CSMS")]
    assert [m.label for m in found] == ["BootNotification", "BootNotification result",
                                        "Reset CallError", "✘ MeterValues (dropped)"]
    assert [m.failed for m in found] == [False, False, True, True]
    assert [m.t for m in found] == [0.05, 0.15, 3.0, 4.0]
    figure = sequence_figure(found)
    assert figure is not None and not figure.linked
    labels = next(t for t in figure.data if t["mode"] == "text" and t.get("hovertext"))
    assert labels["text"] == [m.label for m in found]
    assert labels["customdata"] == [0.05, 0.15, 3.0, 4.0]
    # plotly.js reads tags in texts: the payload's "<b>" is shown, not obeyed.
    assert all("&lt;b&gt;x&lt;/b&gt;" in h and "<b>x" not in h for h in labels["hovertext"])


def test_another_protocol_is_one_row_of_the_table() -> None:
    def read_v2g(value: dict) -> Reading:
        return Reading(value["from"] == "secc", value["message"], json.dumps(value))

    v2g = MessageSource("ISO 15118-2", "var", "v2g_message", "SECC", "EV", read_v2g, "V2G")
    rows = [*ROWS,
            (1.0, "secc1.main", "var", "v2g_message", {"from": "ev", "message": "SetupReq"}),
            (1.1, "secc1.main", "var", "v2g_message", {"from": "secc", "message": "SetupRes"}),
            (1.2, "secc2.main", "var", "v2g_message", {"from": "ev", "message": "SetupReq"})]
    rows.sort(key=lambda row: row[0])  # as the recorder appends them
    found = messages(timeline(rows), (*MESSAGE_SOURCES, v2g))
    assert [m.t for m in found] == sorted(m.t for m in found)  # recording order across sources
    assert lifelines(found) == ["charge point", "CSMS", "EV", "SECC secc1", "SECC secc2"]
    v2g_found = [m for m in found if m.protocol == "ISO 15118-2"]
    assert [(m.sender, m.receiver, m.label) for m in v2g_found] == [
        ("EV", "SECC secc1", "SetupReq"), ("SECC secc1", "EV", "SetupRes"),
        ("EV", "SECC secc2", "SetupReq")]


def test_no_messages_no_diagram() -> None:
    assert messages(timeline(ROWS[1:2])) == []
    assert sequence_figure([]) is None


def test_the_docs_list_every_message_source() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text("utf-8")
    for s in MESSAGE_SOURCES:
        row = (f"| {s.protocol} | `{s.kind}`, `{s.name}` | {s.local} | {s.peer} | "
               f"{s.description} |")
        assert row in docs, row
