"""OCPP-J frames: decoding, checking and encoding with the ``ocpp`` package (pure, no I/O).

A frame is a JSON array: ``[2, id, action, payload]`` (Call), ``[3, id, payload]`` (CallResult)
or ``[4, id, errorCode, errorDescription, errorDetails]`` (CallError). Payloads are built from the
package's message dataclasses (``ocpp.v16.call``, ``ocpp.v201.call_result``, ...) and checked
against its JSON schemas, both ways. Anything a backend may send is decoded here without raising
anything but :class:`FrameError`, which says which CallError (if any) the frame deserves.
"""

from __future__ import annotations

import decimal
import json
from dataclasses import dataclass, is_dataclass
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaValidationError
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import (
    FormatViolationError,
    PropertyConstraintViolationError,
    ProtocolError,
)
from ocpp.messages import Call, CallError, CallResult, MessageType, get_validator, unpack
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

VERSIONS = ("1.6", "2.0.1")
SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
MAX_ID_LENGTH = 36  # OCPP-J: a message id is at most 36 characters

# CallError codes by kind and version. OCPP-J 1.6 spells two of them its own way (its errata
# keeps "FormationViolation" and "OccurenceConstraintViolation"); 2.0.1 adds RpcFrameworkError
# and MessageTypeNotSupported.
_CODES = {
    "format": ("FormationViolation", "FormatViolation"),
    "occurrence": ("OccurenceConstraintViolation", "OccurenceConstraintViolation"),
    "type": ("TypeConstraintViolation", "TypeConstraintViolation"),
    "property": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "protocol": ("ProtocolError", "ProtocolError"),
    "not_implemented": ("NotImplemented", "NotImplemented"),
    "not_supported": ("NotSupported", "NotSupported"),
    "internal": ("InternalError", "InternalError"),
    "security": ("SecurityError", "SecurityError"),
    "generic": ("GenericError", "GenericError"),
    "rpc": ("FormationViolation", "RpcFrameworkError"),
    "message_type": ("NotSupported", "MessageTypeNotSupported"),
}
# Requests whose 1.6 schemas constrain decimals (multipleOf 0.1): the package checks them with
# Decimal parsing, and so do we (its validator cache is shared).
_DECIMAL_16 = {(MessageType.Call, "SetChargingProfile"),
               (MessageType.Call, "RemoteStartTransaction"),
               (MessageType.CallResult, "GetCompositeSchedule")}


def error_code(kind: str, version: str) -> str:
    return _CODES[kind][VERSIONS.index(version)]


def known_actions(version: str) -> set[str]:
    enum = Action16 if version == "1.6" else Action201
    return {a.value for a in enum}


@dataclass
class Frame:
    """A decoded frame. ``payload`` is the Call's or CallResult's payload (camelCase, as sent)."""

    message_type: int
    unique_id: str
    action: str = ""
    payload: Any = None
    error_code: str = ""
    error_description: str = ""
    error_details: Any = None

    @property
    def type_name(self) -> str:
        return {MessageType.Call: "Call", MessageType.CallResult: "CallResult",
                MessageType.CallError: "CallError"}[self.message_type]


class FrameError(Exception):
    """A frame that cannot be used. ``reply`` is the CallError kind it deserves, or None when
    the frame is to be ignored (with a log line); ``unique_id`` is None when it is unreadable."""

    def __init__(self, reason: str, reply: str | None, unique_id: str | None = None,
                 message_type: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.reply = reply
        self.unique_id = unique_id
        self.message_type = message_type


def decode(raw: Any, version: str) -> Frame:
    """Decode one received frame; raises :class:`FrameError` for anything malformed."""
    unreadable = "rpc" if version != "1.6" else None  # 2.0.1 answers with message id "-1"
    if not isinstance(raw, str):
        raise FrameError("frame is not text", unreadable)
    try:
        message = unpack(raw)
    except FormatViolationError:
        raise FrameError("frame is not valid JSON", unreadable) from None
    except ProtocolError as exc:
        raise FrameError(f"not an OCPP-J frame: {exc.details.get('cause', exc)}",
                         *_salvage(raw, version)) from None
    except PropertyConstraintViolationError:
        raise FrameError("unknown message type id", *_salvage(raw, version, "message_type")
                         ) from None
    except Exception as exc:  # noqa: BLE001 - e.g. a JSON number too large; never crash
        raise FrameError(f"frame cannot be decoded: {exc!r}", unreadable) from None
    unique_id = message.unique_id
    if not isinstance(unique_id, str) or not 0 < len(unique_id) <= MAX_ID_LENGTH:
        raise FrameError("message id is not a string of 1 to 36 characters", unreadable)
    if isinstance(message, Call):
        if not isinstance(message.action, str) or not message.action:
            raise FrameError("Call without an action name", "rpc" if version != "1.6"
                             else "format", unique_id, MessageType.Call)
        if not isinstance(message.payload, dict):
            raise FrameError("Call payload is not an object", "format", unique_id,
                             MessageType.Call)
        return Frame(MessageType.Call, unique_id, message.action, message.payload)
    if isinstance(message, CallResult):
        if not isinstance(message.payload, dict):
            raise FrameError("CallResult payload is not an object", None, unique_id,
                             MessageType.CallResult)
        return Frame(MessageType.CallResult, unique_id, payload=message.payload)
    code, description = message.error_code, message.error_description
    if not isinstance(code, str) or not isinstance(description, str):
        raise FrameError("CallError without error code and description", None, unique_id,
                         MessageType.CallError)
    details = message.error_details if isinstance(message.error_details, dict) else {}
    return Frame(MessageType.CallError, unique_id, error_code=code,
                 error_description=description, error_details=details)


def _salvage(raw: str, version: str, kind: str = "rpc") -> tuple[str | None, str | None, Any]:
    """For a frame that is JSON but no valid message: its id, if one can be read, decides
    whether a CallError can be addressed to it."""
    try:
        data = json.loads(raw)
    except Exception:  # noqa: BLE001
        data = None
    unique_id: str | None = None
    message_type = None
    if isinstance(data, list) and data and isinstance(data[0], int):
        message_type = data[0]
    if isinstance(data, list) and len(data) > 1 and isinstance(data[1], str) \
            and 0 < len(data[1]) <= MAX_ID_LENGTH:
        unique_id = data[1]
    if message_type in (MessageType.CallResult, MessageType.CallError):
        return None, unique_id, message_type  # a broken reply is never answered
    if unique_id is None:
        # No id to answer to: 2.0.1 answers with id "-1", 1.6 can only ignore it.
        return ("rpc" if version != "1.6" else None), None, message_type
    return kind, unique_id, message_type


def check_payload(message_type: int, action: str, payload: dict, version: str) -> FrameError | None:
    """Check a Call's (or a CallResult's, given its Call's action) payload against the
    package's schema; the problem as a FrameError naming the CallError kind, or None."""
    parse_float = decimal.Decimal if version == "1.6" and (message_type, action) in _DECIMAL_16 \
        else float
    try:
        validator = get_validator(message_type, action, version, parse_float=parse_float)
    except (OSError, ValueError, json.JSONDecodeError):
        return FrameError(f"no schema for {action}", "not_implemented")
    if parse_float is decimal.Decimal:
        payload = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
    try:
        error = next(iter(sorted(validator.iter_errors(payload), key=_depth)), None)
    except Exception as exc:  # noqa: BLE001 - a pathological payload must not crash a module
        return FrameError(f"{action}: payload cannot be checked: {exc!r}", "format")
    if error is None:
        return None
    return FrameError(f"{action}: {_where(error)}{error.message}", _kind(error))


def _depth(error: SchemaValidationError) -> int:
    return len(error.absolute_path)


def _where(error: SchemaValidationError) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{path}: " if path else ""


def _kind(error: SchemaValidationError) -> str:
    if error.validator in ("required", "minItems", "maxItems"):
        return "occurrence"
    if error.validator == "type":
        return "type"
    if error.validator in ("enum", "maxLength", "minLength", "minimum", "maximum",
                           "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "pattern",
                           "format", "const"):
        return "property"
    return "format"


# --- encoding --------------------------------------------------------------------------------
def to_payload(message: Any) -> dict:
    """An ``ocpp`` message dataclass as the camelCase JSON object OCPP-J sends."""
    if is_dataclass(message):
        return remove_nones(snake_to_camel_case(serialize_as_dict(message)))
    return dict(message)


def action_of(message: Any) -> str:
    return type(message).__name__


def encode_call(unique_id: str, action: str, payload: dict) -> str:
    return Call(unique_id, action, payload).to_json()


def encode_result(unique_id: str, payload: dict) -> str:
    return CallResult(unique_id, payload).to_json()


def encode_error(unique_id: str, code: str, description: str, details: dict | None = None
                 ) -> str:
    return CallError(unique_id, code, description[:255], details or {}).to_json()
