"""Message sequence diagrams: the protocol messages of a run between their two sides.

Which timeline rows are protocol messages, and how each reads, is one table: MESSAGE_SOURCES.
A protocol joins the diagram with one row there (its rows' kind and name, the two lifelines and
a reader); the diagram, its table and the docs need no other change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from charger.slac import messages as slac_messages
from reports.model import parse_value

DETAIL_CHARS = 240  # payloads are cut in hover texts; timeline.csv has them whole
MAX_MESSAGES = 2000  # drawn in one diagram; the table and timeline.csv have every message


@dataclass(frozen=True)
class Reading:
    """What a source's reader makes of one recorded message."""

    outgoing: bool  # sent by the recording side (else received from its peer)
    label: str  # what the arrow says
    detail: str  # hover text: ids and payload
    failed: bool = False  # an error response, or a message that was dropped


@dataclass(frozen=True)
class MessageSource:
    protocol: str
    kind: str  # timeline rows of this kind and name are its messages
    name: str
    local: str  # lifeline of the side that recorded them (the row's source module)
    peer: str  # lifeline of the other side
    read: Callable[[dict], Reading | None]  # None: not a message to draw
    description: str  # for docs/reports.md


@dataclass(frozen=True)
class Message:
    t: float
    protocol: str
    sender: str  # lifeline names
    receiver: str
    label: str
    detail: str
    failed: bool


def _read_ocpp(value: dict) -> Reading | None:
    direction = value.get("direction")
    if direction not in ("tx", "rx", "dropped"):
        return None
    kind = str(value.get("message_type", ""))
    action = str(value.get("action") or "")
    payload = json.dumps(value.get("payload"), sort_keys=True, separators=(",", ":"))
    if len(payload) > DETAIL_CHARS:
        payload = payload[:DETAIL_CHARS] + " …"
    failed = kind in ("CallError", "Invalid") or direction == "dropped"
    label = {"Call": action, "CallResult": f"{action} result"}.get(kind, f"{action} {kind}")
    if direction == "dropped":
        label = f"✘ {label} (dropped)"
    elif value.get("queued"):
        label += " (queued)"
    detail = f"{kind} {value.get('unique_id', '')}: {payload}"
    return Reading(direction != "rx", label.strip(), detail, failed)


def _read_slac(value: dict) -> Reading | None:
    decoded = value.get("decoded")
    kind = slac_messages.BY_NAME.get(decoded.get("message")) if isinstance(decoded, dict) \
        else None
    if kind is None or not kind.between_ev_and_evse:
        return None  # not SLAC, or between a host and its own modem
    fields = json.dumps(decoded.get("fields"), sort_keys=True, separators=(",", ":"))
    detail = f"{decoded.get('src')} -> {decoded.get('dst')}: {fields}"
    if len(detail) > DETAIL_CHARS:
        detail = detail[:DETAIL_CHARS] + " …"
    return Reading(kind.sender == slac_messages.EVSE, f"{kind.name} (port {value.get('port')})",
                   detail)


def _read_v2g(value: dict) -> Reading | None:
    # Both the SECC and the EVCC publish v2g_message; the diagram draws the SECC's view (it
    # receives requests and sends responses), so each message appears once.
    name, direction = str(value.get("name", "")), value.get("direction")
    if direction not in ("tx", "rx") or name.endswith("Req") != (direction == "rx"):
        return None
    detail = f"{value.get('protocol')} {name}: {value.get('hex', '')}"
    if len(detail) > DETAIL_CHARS:
        detail = detail[:DETAIL_CHARS] + " …"
    failed = "FAILED" in json.dumps(value.get("message", {}))
    return Reading(direction == "tx", name, detail, failed)


MESSAGE_SOURCES: tuple[MessageSource, ...] = (
    MessageSource("OCPP", "var", "ocpp_message", "charge point", "CSMS", _read_ocpp,
                  "OCPP-J frames as the charge point sent (`tx`), received (`rx`) or dropped "
                  "them"),
    MessageSource("SLAC", "var", "received", "EVSE", "car", _read_slac,
                  "SLAC frames between cars and EVSEs as each host's PLC modem passed them up "
                  "(`plc_link`), one row per receiving port, so crosstalk shows"),
    MessageSource("V2G", "var", "v2g_message", "SECC", "EVCC", _read_v2g,
                  "ISO 15118-2 / DIN SPEC 70121 messages as the SECC received (requests) and "
                  "sent (responses) them, with their EXI in hex (`iso15118_charger`)"),
)


def messages(events: pd.DataFrame | None,
             sources: tuple[MessageSource, ...] = MESSAGE_SOURCES) -> list[Message]:
    """Every message of every source, in recording order, with lifelines named for the diagram.

    The recording side's lifeline is the source's ``local`` name, followed by the module id
    when several modules record the same protocol (two connectors' V2G stacks, say)."""
    if events is None or len(events) == 0:
        return []
    found: list[tuple[int, MessageSource, str, Reading, float]] = []
    modules: dict[str, set[str]] = {}
    for source in sources:
        mask = ((events["kind"] == source.kind) & (events["name"] == source.name)).to_numpy()
        for index, t, module, value in zip(np.flatnonzero(mask).tolist(),
                                           events.loc[mask, "t"].tolist(),
                                           events.loc[mask, "source"].tolist(),
                                           events.loc[mask, "value"].tolist()):
            decoded = parse_value(value)
            reading = source.read(decoded) if isinstance(decoded, dict) else None
            if reading is None:
                continue
            module_id = str(module).split(".", 1)[0]
            modules.setdefault(source.protocol, set()).add(module_id)
            found.append((index, source, module_id, reading, float(t)))
    found.sort(key=lambda item: item[0])  # sources interleave in recording order
    out = []
    for _, source, module_id, reading, t in found:
        local = source.local
        if len(modules[source.protocol]) > 1:
            local = f"{local} {module_id}"
        sender, receiver = (local, source.peer) if reading.outgoing else (source.peer, local)
        out.append(Message(t, source.protocol, sender, receiver, reading.label, reading.detail,
                           reading.failed))
    return out


def lifelines(found: list[Message]) -> list[str]:
    """The diagram's columns in order of first appearance, each side next to its peer."""
    order: list[str] = []
    for m in found:
        for name in (m.sender, m.receiver) if m.sender != m.receiver else (m.sender,):
            if name not in order:
                order.append(name)
    return order
