"""EVerest's MQTT payloads: every message is ``{"msg_type": ..., "data": ...}``.

Whatever arrives from the broker was written by someone else, possibly hostile: :func:`decode`
never raises. A payload that is too large, not JSON, or nested too deeply (which would make a
recursive consumer such as ``json.dumps`` or a schema check raise RecursionError) comes back as
:class:`Malformed`, to be dropped with a log line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# EVerest's message types (everest-framework, MqttMessageType).
VAR = "Var"
CMD = "Cmd"
CMD_RESULT = "CmdResult"
RAISE_ERROR = "RaiseError"
CLEAR_ERROR = "ClearError"
GET_CONFIG = "GetConfig"
GET_CONFIG_RESPONSE = "GetConfigResponse"
HEARTBEAT = "Heartbeat"
MODULE_READY = "ModuleReady"
GLOBAL_READY = "GlobalReady"

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64  # far beyond any interface type, far below Python's recursion limit


@dataclass(frozen=True)
class Malformed:
    """A payload that cannot be used, and why (kept to say so in a log line)."""

    reason: str
    head: bytes = b""

    def __str__(self) -> str:
        return f"{self.reason}: {self.head[:60]!r}"


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def wrap(msg_type: str, data: Any, **extra: Any) -> bytes:
    """An EVerest message; ``extra`` keys sit beside msg_type and data, where EVerest's
    clients do not look (they read exactly those two)."""
    return encode({"msg_type": msg_type, "data": data, **extra})


def decode(payload: bytes) -> Any:
    """The JSON value of a payload (None when empty), or :class:`Malformed`."""
    if not payload:
        return None
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Malformed(f"larger than {MAX_PAYLOAD_BYTES} bytes", payload[:80])
    try:
        value = json.loads(payload)
    except RecursionError:
        return Malformed(f"nested deeper than {MAX_DEPTH} levels", payload[:80])
    except (ValueError, UnicodeDecodeError):
        return Malformed("not JSON", payload[:80])
    # Counting brackets is cheap; only a payload with many of them can be too deep.
    if payload.count(b"[") + payload.count(b"{") > MAX_DEPTH and _too_deep(value):
        return Malformed(f"nested deeper than {MAX_DEPTH} levels", payload[:80])
    return value


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def unwrap(value: Any) -> tuple[str | None, Any]:
    """(msg_type, data) of an EVerest message; (None, value) for anything else."""
    if isinstance(value, dict) and isinstance(value.get("msg_type"), str) and "data" in value:
        return value["msg_type"], value["data"]
    return None, value
