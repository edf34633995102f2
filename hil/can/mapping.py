"""A mapping file: which DBC message and signal carries each thing a power module is told or
reports, and where a module's address sits in a frame id.

The vendor protocols are mapping files shipped beside their DBCs (``hil/can/dbc/*.yaml``); the
generic backend reads the user's. One loader checks both, so a mistake in either is refused with
``file:line: reason`` before anything opens a CAN channel. The format is in
docs/can-power-modules.md; the vocabularies it uses are the tables below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cantools
from cantools.database.can import Database, Message

from charger.framework.errors import ConfigError, Problem
from charger.framework.schema import document_problems
from charger.framework.yamlio import line_at, load_yaml

# What a controller tells a module (``set:``), each with the unit of the DBC signal's
# physical value.
SETPOINTS: dict[str, str] = {
    "voltage_v": "the output voltage the module regulates to (V)",
    "current_a": "the module's output current limit (A)",
    "output": "switches the output on or off (the signal's `on` and `off` values)",
}

# What a module reports (``read:``).
READINGS: dict[str, str] = {
    "voltage_v": "output voltage (V)",
    "current_a": "output current (A)",
    "output_off": "true while the module's output is off",
}

# The module's limits (``capabilities:``, optional: the backend's configuration gives them
# otherwise).
CAPABILITIES: dict[str, str] = {
    "max_voltage_v": "highest output voltage (V)",
    "min_voltage_v": "lowest output voltage (V)",
    "max_current_a": "highest output current (A)",
    "max_power_w": "rated output power (W)",
}

# Faults a module reports (``faults:``): the power_supply_DC errors a backend raises for them.
FAULTS: dict[str, str] = {
    "HardwareFault": "an internal fault (the module switched its output off)",
    "OverTemperature": "too hot (output off)",
    "OverVoltageDC": "output over-voltage (output off)",
    "OverCurrentDC": "output over-current or short circuit (output off)",
    "UnderVoltageAC": "AC input missing or too low (output off)",
}

_FRAME = {"type": "object", "additionalProperties": False, "required": ["message"],
          "properties": {"message": {"type": "string"},
                         "with": {"type": "object", "additionalProperties": {"type": "integer"}}}}
# Signals a module's reply carries with fixed values (a data-type code): emulators send them.
_REPLY_WITH = {"type": "object", "additionalProperties": {"type": "integer"}}
_SET = {"type": "object", "additionalProperties": False, "required": ["message", "signal"],
        "properties": {**_FRAME["properties"], "signal": {"type": "string"},
                       "on": {"type": "number"}, "off": {"type": "number"},
                       "reply_with": _REPLY_WITH}}
_READ = {"type": "object", "additionalProperties": False,
         "required": ["request", "message", "signal"],
         "properties": {"request": _FRAME, "message": {"type": "string"},
                        "signal": {"type": "string"}, "reply_with": _REPLY_WITH}}
_FAULT = {"type": "object", "additionalProperties": False,
          "required": ["request", "message", "signals"],
          "properties": {"request": _FRAME, "message": {"type": "string"},
                         "signals": {"type": "array", "minItems": 1,
                                     "items": {"type": "string"}},
                         "reply_with": _REPLY_WITH}}
_ADDRESS = {"type": "object", "additionalProperties": False, "required": ["shift"],
            "properties": {"shift": {"type": "integer", "minimum": 0, "maximum": 28},
                           "bits": {"type": "integer", "minimum": 1, "maximum": 8}}}
SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["dbc", "addressing", "set", "read", "replies"],
    "properties": {
        "dbc": {"type": "string", "minLength": 1},
        "addressing": {
            "type": "object", "additionalProperties": False, "required": ["request", "reply"],
            "properties": {"request": _ADDRESS, "reply": _ADDRESS,
                           "error_code": _ADDRESS}},
        "set": {"type": "object", "additionalProperties": False,
                "required": list(SETPOINTS),
                "properties": {name: _SET for name in SETPOINTS}},
        "read": {"type": "object", "additionalProperties": False,
                 "required": ["voltage_v", "current_a"],
                 "properties": {name: _READ for name in READINGS}},
        "faults": {"type": "object", "additionalProperties": False,
                   "properties": {name: _FAULT for name in FAULTS}},
        "capabilities": {"type": "object", "additionalProperties": False,
                         "properties": {name: _READ for name in CAPABILITIES}},
        "replies": {"type": "object", "additionalProperties": {"type": "string"}},
        "refused_unless": {"type": "object", "additionalProperties": False,
                           "required": ["signal", "value"],
                           "properties": {"signal": {"type": "string"},
                                          "value": {"type": "integer"}}},
    },
}


@dataclass(frozen=True)
class FrameRef:
    """A message, with the signals that pick this use of it (a register, a function code)."""

    message: str
    fixed: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Setpoint:
    frame: FrameRef
    signal: str
    on: float = 1.0  # for ``output``: the signal's value that switches on
    off: float = 0.0
    reply_fixed: tuple[tuple[str, int], ...] = ()  # what the reply carries besides the echo


@dataclass(frozen=True)
class Reading:
    request: FrameRef
    message: str  # the reply message that carries it
    signals: tuple[str, ...]  # a fault: any of them set
    reply_fixed: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class AddressField:
    shift: int
    bits: int = 8

    @property
    def mask(self) -> int:
        return ((1 << self.bits) - 1) << self.shift

    def get(self, frame_id: int) -> int:
        return (frame_id & self.mask) >> self.shift

    def put(self, frame_id: int, value: int) -> int:
        return (frame_id & ~self.mask) | ((value << self.shift) & self.mask)


@dataclass
class Mapping:
    path: str
    db: Database
    request_address: AddressField
    reply_address: AddressField
    error_code: AddressField | None  # a reply whose id carries a nonzero error code refuses
    setpoints: dict[str, Setpoint]
    readings: dict[str, Reading]  # READINGS, CAPABILITIES and FAULTS names
    replies: dict[str, str]  # request message -> the message that answers it
    refused_unless: tuple[str, int] | None = None  # a reply's signal that is this when accepted
    max_address: int = field(init=False)

    def __post_init__(self) -> None:
        self.max_address = (1 << self.request_address.bits) - 1

    def message(self, name: str) -> Message:
        return self.db.get_message_by_name(name)

    def faults(self) -> dict[str, Reading]:
        return {k: v for k, v in self.readings.items() if k in FAULTS}

    def capabilities(self) -> dict[str, Reading]:
        return {k: v for k, v in self.readings.items() if k in CAPABILITIES}


SHIPPED = Path(__file__).with_name("dbc")


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file and the DBC it names; ConfigError with every problem."""
    path = Path(path)
    doc = load_yaml(path)
    where = str(path)
    problems = document_problems(doc, SCHEMA, where)
    if problems:
        raise ConfigError(problems)
    dbc_path = path.parent / doc["dbc"]
    try:
        db = cantools.database.load_file(str(dbc_path), database_format="dbc", strict=True)
    except FileNotFoundError:
        raise ConfigError.single(where, line_at(doc, ["dbc"]),
                                 f"dbc: {doc['dbc']}: file not found") from None
    except Exception as exc:  # cantools raises many kinds on a malformed file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError.single(where, line_at(doc, ["dbc"]),
                                 f"dbc: {doc['dbc']} is not a usable DBC: {reason}") from None
    check = _Checker(doc, where, db)
    mapping = check.build()
    if check.problems:
        raise ConfigError(check.problems)
    return mapping


def shipped_mapping(vendor: str) -> Mapping:
    return load_mapping(SHIPPED / f"{vendor}.yaml")


class _Checker:
    """Builds a Mapping from a schema-valid document, collecting what does not fit the DBC."""

    def __init__(self, doc: Any, where: str, db: Database):
        self.doc, self.where, self.db = doc, where, db
        self.problems: list[Problem] = []

    def problem(self, at: list, reason: str) -> None:
        self.problems.append(Problem(self.where, line_at(self.doc, at), reason))

    def message(self, name: str, at: list) -> Message | None:
        try:
            message = self.db.get_message_by_name(name)
        except KeyError:
            self.problem(at, f"no message {name!r} in the DBC")
            return None
        if not message.is_extended_frame and self.doc["addressing"]["request"]["shift"] > 10:
            self.problem(at, f"message {name!r} has an 11-bit id, too short for the address "
                         "field")
        return message

    def signal(self, message: Message | None, name: str, at: list) -> None:
        if message is not None and name not in [s.name for s in message.signals]:
            self.problem(at, f"message {message.name!r} has no signal {name!r}")

    def frame(self, entry: dict, at: list) -> tuple[FrameRef, Message | None]:
        message = self.message(entry["message"], [*at, "message"])
        fixed = entry.get("with", {})
        for signal in fixed:
            self.signal(message, signal, [*at, "with", signal])
        return FrameRef(entry["message"], tuple(sorted(fixed.items()))), message

    def build(self) -> Mapping:
        doc = self.doc
        addressing = doc["addressing"]
        fields = {k: AddressField(v["shift"], v.get("bits", 8)) for k, v in addressing.items()}
        for name, f in fields.items():
            if f.shift + f.bits > 29:
                self.problem(["addressing", name], f"addressing/{name}: bits {f.shift}.."
                             f"{f.shift + f.bits - 1} do not fit a 29-bit id")
        setpoints = {}
        for name, entry in doc["set"].items():
            at = ["set", name]
            frame, message = self.frame(entry, at)
            self.signal(message, entry["signal"], [*at, "signal"])
            if name == "output" and ("on" not in entry or "off" not in entry):
                self.problem(at, "set/output: needs the signal's `on` and `off` values")
            setpoints[name] = Setpoint(frame, entry["signal"], entry.get("on", 1.0),
                                       entry.get("off", 0.0),
                                       tuple(sorted(entry.get("reply_with", {}).items())))
        readings = {}
        for section in ("read", "capabilities", "faults"):
            for name, entry in doc.get(section, {}).items():
                at = [section, name]
                request, _ = self.frame(entry["request"], [*at, "request"])
                message = self.message(entry["message"], [*at, "message"])
                signals = tuple(entry["signals"]) if section == "faults" else (entry["signal"],)
                for i, signal in enumerate(signals):
                    self.signal(message, signal, [*at, "signals", i] if section == "faults"
                                else [*at, "signal"])
                for signal in entry.get("reply_with", {}):
                    self.signal(message, signal, [*at, "reply_with", signal])
                readings[name] = Reading(request, entry["message"], signals,
                                         tuple(sorted(entry.get("reply_with", {}).items())))
        replies = dict(doc["replies"])
        for request, reply in replies.items():
            self.message(request, ["replies", request])
            self.message(reply, ["replies", request])
        for name, setpoint in setpoints.items():
            if setpoint.frame.message not in replies:
                self.problem(["set", name, "message"], f"set/{name}: no reply is named for "
                             f"{setpoint.frame.message!r} under replies")
                continue
            try:
                reply = self.db.get_message_by_name(replies[setpoint.frame.message])
            except KeyError:
                continue  # reported under replies
            for signal, _ in setpoint.reply_fixed:
                self.signal(reply, signal, ["set", name, "reply_with", signal])
        refused = doc.get("refused_unless")
        if refused is not None:
            refused = (refused["signal"], refused["value"])
        error_code = fields.get("error_code")
        mapping = Mapping(self.where, self.db, fields["request"], fields["reply"], error_code,
                          setpoints, readings, replies, refused)
        self._check_ids(mapping)
        return mapping

    def _check_ids(self, mapping: Mapping) -> None:
        """Requests and replies must stay apart once the address fields are cleared, or a
        frame could not be told from another."""
        seen: dict[tuple[str, int], str] = {}
        for message in self.db.messages:
            for kind, address in (("request", mapping.request_address),
                                  ("reply", mapping.reply_address)):
                base = message.frame_id & ~address.mask
                if mapping.error_code is not None:
                    base &= ~mapping.error_code.mask
                key = (kind, base)
                if key in seen and seen[key] != message.name:
                    self.problem(["addressing"], f"messages {seen[key]!r} and {message.name!r} "
                                 f"have the same id once the {kind} address is masked out")
                seen.setdefault(key, message.name)
