"""The car-simulator command strings EVerest users already have.

``"sleep 1;iec_wait_pwr_ready;sleep 1;draw_power_regulated 16,3;sleep 30;unplug"`` is a list of
commands separated by ``;``, each a name and comma-separated arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptCommandSpec:
    """One command the car understands: the only place it is declared (the parser, the docs'
    table and the tests read it; the car carries it out)."""

    name: str
    arguments: tuple[tuple[str, type], ...]  # (name in the docs, type)
    meaning: str  # docs
    check: Callable[[tuple], str | None] = lambda args: None  # beyond finite and not negative

    @property
    def usage(self) -> str:
        names = ",".join(name for name, _ in self.arguments)
        return f"{self.name} {names}" if names else self.name


def _phases(args: tuple) -> str | None:
    return None if args[1] in (1, 2, 3) else "phases must be 1, 2 or 3"


SCRIPT_COMMANDS: dict[str, ScriptCommandSpec] = {spec.name: spec for spec in (
    ScriptCommandSpec("sleep", (("S", float),), "wait S seconds"),
    ScriptCommandSpec("iec_wait_pwr_ready", (), "plug in if needed, then wait until the PWM "
                      "offers at least 6 A"),
    ScriptCommandSpec("draw_power_regulated", (("A", float), ("P", int)),
                      "close S2 (state C) and draw up to A amperes on P phases, following the "
                      "PWM", _phases),
    ScriptCommandSpec("draw_power_fixed", (("A", float), ("P", int)),
                      "draw A amperes on P phases whatever the PWM says (to test over-current)",
                      _phases),
    ScriptCommandSpec("pause", (), "go to state B and stop drawing"),
    ScriptCommandSpec("unplug", (), "state A"),
    ScriptCommandSpec("error_e", (), "short the pilot (state E)"),
    ScriptCommandSpec("diode_fail", (), "short the car's pilot diode"),
    ScriptCommandSpec("rcd_current", (("MA", float),), "leak MA milliamperes of residual "
                      "current"),
    ScriptCommandSpec("set_soc", (("PCT", float),), "set the state of charge",
                      lambda args: None if args[0] <= 100
                      else "state of charge must be 0-100 %"),
)}
# name -> argument types
COMMANDS: dict[str, tuple[type, ...]] = {
    name: tuple(kind for _, kind in spec.arguments) for name, spec in SCRIPT_COMMANDS.items()}
NOT_YET = ("iso_", "din_", "wait_for_real_plugin")


class ScriptError(ValueError):
    """A malformed command string; says which command and why."""


@dataclass(frozen=True)
class ScriptCommand:
    name: str
    args: tuple[float | int, ...]
    text: str


def parse_script(script: str) -> list[ScriptCommand]:
    commands = []
    for index, raw in enumerate(script.split(";"), start=1):
        text = raw.strip()
        if not text:
            continue
        name, _, rest = text.partition(" ")
        where = f"command {index} ({text!r})"
        if name not in COMMANDS:
            if name.startswith(NOT_YET):
                raise ScriptError(f"{where}: {name} needs high-level communication, "
                                  "which the simulated car does not speak yet")
            known = ", ".join(COMMANDS)
            raise ScriptError(f"{where}: unknown command {name!r} (known: {known})")
        types = COMMANDS[name]
        parts = [p.strip() for p in rest.split(",")] if rest.strip() else []
        if len(parts) != len(types):
            raise ScriptError(f"{where}: {name} takes {len(types)} argument(s), got {len(parts)}")
        try:
            args = tuple(kind(part) for kind, part in zip(types, parts))
        except ValueError:
            raise ScriptError(f"{where}: arguments must be numbers") from None
        if not all(math.isfinite(a) for a in args):  # float() takes 'nan', 'inf' and '1e999'
            raise ScriptError(f"{where}: arguments must be finite numbers")
        if any(a < 0 for a in args):
            raise ScriptError(f"{where}: arguments must not be negative")
        problem = SCRIPT_COMMANDS[name].check(args)
        if problem:
            raise ScriptError(f"{where}: {problem}")
        commands.append(ScriptCommand(name, args, text))
    return commands
