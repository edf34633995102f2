"""The car-simulator command strings EVerest users already have.

``"sleep 1;iec_wait_pwr_ready;sleep 1;draw_power_regulated 16,3;sleep 30;unplug"`` is a list of
commands separated by ``;``, each a name and comma-separated arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# name -> argument types
COMMANDS: dict[str, tuple[type, ...]] = {
    "sleep": (float,),
    "iec_wait_pwr_ready": (),
    "draw_power_regulated": (float, int),
    "draw_power_fixed": (float, int),
    "pause": (),
    "unplug": (),
    "error_e": (),
    "diode_fail": (),
    "rcd_current": (float,),
    "set_soc": (float,),
}
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
        if name in ("draw_power_regulated", "draw_power_fixed") and args[1] not in (1, 2, 3):
            raise ScriptError(f"{where}: phases must be 1, 2 or 3")
        if name == "set_soc" and args[0] > 100:
            raise ScriptError(f"{where}: state of charge must be 0-100 %")
        commands.append(ScriptCommand(name, args, text))
    return commands
