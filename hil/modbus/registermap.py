"""Register maps: where a meter keeps each quantity, read from a data file (docs/rig.md).

A map names, for each quantity of a ``powermeter`` reading (voltage_v, current_a, power_w,
frequency_hz, energy_wh_import), the register of each phase (L1, L2, L3) or of the total, with
its function code (3 holding, 4 input), type (float32, int32, uint32, int16, uint16), word order
(high_first or low_first), scale (the register's unit in the reading's units) and whether it is a
counter that rolls over. Decoding and encoding are pure functions shared by the meter backend and
the emulator.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from charger.framework.errors import ConfigError
from charger.framework.schema import document_problems
from charger.framework.yamlio import line_at, load_yaml

MAPS_DIR = Path(__file__).with_name("maps")
QUANTITIES = ("voltage_v", "current_a", "power_w", "frequency_hz", "energy_wh_import")
PHASES = ("total", "L1", "L2", "L3")
TYPES: dict[str, tuple[int, str]] = {  # registers, struct format (big-endian words joined)
    "float32": (2, ">f"), "int32": (2, ">i"), "uint32": (2, ">I"),
    "int16": (1, ">h"), "uint16": (1, ">H"),
}
SETTINGS = {
    "function_code": {"enum": [3, 4]},
    "type": {"enum": list(TYPES)},
    "word_order": {"enum": ["high_first", "low_first"]},
    "scale": {"type": "number", "exclusiveMinimum": 0},
    "rollover": {"type": "boolean"},
}
MAP_SCHEMA = {
    "type": "object",
    "required": ["model", "kind", "quantities"],
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string"},
        "kind": {"enum": ["ac", "dc"]},
        "register_numbers_from": {"type": "integer", "minimum": 0},
        "defaults": {"type": "object", "additionalProperties": False, "properties": SETTINGS},
        "quantities": {
            "type": "object", "minProperties": 1, "additionalProperties": False,
            "properties": {q: {
                "type": "object", "additionalProperties": False, "minProperties": 1,
                "properties": {**{p: {"type": "integer", "minimum": 0} for p in PHASES},
                               **SETTINGS}} for q in QUANTITIES},
        },
    },
}


@dataclass(frozen=True)
class Register:
    quantity: str
    phase: str  # total, L1, L2, L3
    address: int  # on the wire (PDU address)
    function_code: int
    type: str
    word_order: str
    scale: float
    rollover: bool

    @property
    def count(self) -> int:
        return TYPES[self.type][0]

    @property
    def modulus(self) -> float:
        """What the raw counter wraps at, in the reading's units."""
        return float(1 << (16 * self.count)) * self.scale

    def decode(self, words: list[int]) -> float:
        """The value of this register's words (as read, in wire order)."""
        ordered = list(words) if self.word_order == "high_first" else list(reversed(words))
        raw = struct.unpack(TYPES[self.type][1], b"".join(w.to_bytes(2, "big")
                                                          for w in ordered))[0]
        return raw * self.scale

    def encode(self, value: float) -> list[int]:
        """The words (in wire order) that hold ``value``; counters wrap as the meter's do."""
        raw: float | int = value / self.scale
        fmt = TYPES[self.type][1]
        if fmt != ">f":
            bits = 16 * self.count
            raw = int(round(raw))
            if self.rollover or fmt.isupper():
                raw %= 1 << bits
            if fmt[-1].islower() and raw >= 1 << (bits - 1):
                raw -= 1 << bits
        data = struct.pack(fmt, raw)
        words = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
        return words if self.word_order == "high_first" else list(reversed(words))


@dataclass(frozen=True)
class RegisterMap:
    model: str
    kind: str
    path: str
    registers: tuple[Register, ...]

    def blocks(self) -> list[tuple[int, int, int]]:
        """(function code, first address, count) of contiguous runs: one request each."""
        spans = sorted((r.function_code, r.address, r.address + r.count)
                       for r in self.registers)
        out: list[list[int]] = []
        for fc, start, end in spans:
            if out and out[-1][0] == fc and start <= out[-1][2] + 8:  # bridge small gaps
                out[-1][2] = max(out[-1][2], end)
            else:
                out.append([fc, start, end])
        return [(fc, start, end - start) for fc, start, end in out]


def resolve_map_path(name: str, relative_to: str | Path | None = None) -> Path:
    """A shipped map by name (``sdm630``), or a file path (relative to the rig file)."""
    if "/" not in name and not name.endswith((".yaml", ".yml")):
        return MAPS_DIR / f"{name}.yaml"
    path = Path(name)
    if not path.is_absolute() and relative_to is not None:
        path = Path(relative_to).parent / path
    return path


def shipped_maps() -> list[str]:
    return sorted(p.stem for p in MAPS_DIR.glob("*.yaml"))


def load_register_map(name: str, relative_to: str | Path | None = None) -> RegisterMap:
    path = resolve_map_path(name, relative_to)
    if not path.exists() and path.parent == MAPS_DIR:
        raise ConfigError.single(str(relative_to or path), None,
                                 f"no register map {name!r} (shipped: "
                                 f"{', '.join(shipped_maps())}; or give a file path)")
    doc = load_yaml(path)
    problems = document_problems(doc, MAP_SCHEMA, str(path))
    if problems:
        raise ConfigError(problems)
    base = doc.get("register_numbers_from", 0)
    defaults = {"function_code": 3, "type": "float32", "word_order": "high_first", "scale": 1.0,
                "rollover": False, **doc.get("defaults", {})}
    registers = []
    for quantity, entry in doc["quantities"].items():
        settings = {**defaults, **{k: v for k, v in entry.items() if k in SETTINGS}}
        for phase in PHASES:
            if phase not in entry:
                continue
            address = entry[phase] - base
            if address < 0:
                raise ConfigError.single(str(path), line_at(doc, ["quantities", quantity, phase]),
                                         f"{quantity}.{phase}: register {entry[phase]} is below "
                                         f"register_numbers_from ({base})")
            registers.append(Register(quantity, phase, address, settings["function_code"],
                                      settings["type"], settings["word_order"],
                                      float(settings["scale"]), settings["rollover"]))
    return RegisterMap(doc["model"], doc["kind"], str(path), tuple(registers))
