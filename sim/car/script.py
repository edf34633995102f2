"""The car-simulator command strings EVerest users already have.

``"sleep 1;iec_wait_pwr_ready;sleep 1;draw_power_regulated 16,3;sleep 30;unplug"`` is a list of
commands separated by ``;``, each a name and comma-separated arguments. The ``iso_*`` commands
drive the car's SLAC and EVCC (a car with high-level communication, docs/hlc.md).
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
    # Arguments that do not fit one fixed list of numbers: the words -> the arguments, or
    # ValueError with the reason.
    parse: Callable[[list[str]], tuple] | None = None

    @property
    def usage(self) -> str:
        if self.parse is not None:  # optional arguments: MODE[,PAYMENT][,DEPARTURE,EAMOUNT]
            first, *rest = (name for name, _ in self.arguments)
            return f"{self.name} {first}[,{rest[0]}][,{','.join(rest[1:])}]"
        names = ",".join(name for name, _ in self.arguments)
        return f"{self.name} {names}" if names else self.name


def _phases(args: tuple) -> str | None:
    return None if args[1] in (1, 2, 3) else "phases must be 1, 2 or 3"


# iso_start_v2g_session's MODE: EVerest's short names and the standard's own.
V2G_MODES = {"AC": "AC_three_phase_core", "DC": "DC_extended",
             "AC_single_phase_core": "AC_single_phase_core",
             "AC_three_phase_core": "AC_three_phase_core", "DC_extended": "DC_extended",
             "DC_core": "DC_core"}
PAYMENT_OPTIONS = ("ExternalPayment", "Contract")


def _v2g_session_args(words: list[str]) -> tuple:
    """MODE[,PAYMENT][,DEPARTURE,EAMOUNT] -> (mode, payment, departure s, energy Wh)."""
    if not 1 <= len(words) <= 4:
        raise ValueError("takes MODE[,PAYMENT][,DEPARTURE,EAMOUNT]")
    mode, rest = words[0], words[1:]
    if mode not in V2G_MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(V2G_MODES)}")
    payment = "ExternalPayment"
    if len(rest) in (1, 3):
        payment, rest = rest[0], rest[1:]
        if payment not in PAYMENT_OPTIONS:
            raise ValueError(f"payment {payment!r} is not one of {', '.join(PAYMENT_OPTIONS)}")
    departure, energy = 0, 0.0
    if rest:
        departure, energy = int(rest[0]), float(rest[1])
        if departure < 0 or not math.isfinite(energy) or energy < 0:
            raise ValueError("departure and energy amount must be finite and not negative")
    return V2G_MODES[mode], payment, departure, energy


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
    ScriptCommandSpec("iso_wait_slac_matched", (), "plug in if needed, wait for 5 % PWM, "
                      "start SLAC and wait until the data link is up"),
    ScriptCommandSpec("iso_start_v2g_session", (("MODE", str), ("PAYMENT", str),
                                                ("DEPARTURE", int), ("EAMOUNT", float)),
                      "start a V2G session: MODE AC, DC or an EnergyTransferMode; PAYMENT "
                      "ExternalPayment or Contract; departure in s and energy amount in Wh",
                      parse=_v2g_session_args),
    ScriptCommandSpec("iso_wait_pwr_ready", (), "wait until the charger accepted "
                      "PowerDelivery(Start): power can flow"),
    ScriptCommandSpec("iso_dc_power_on", (), "close the car's DC contactors (on a "
                      "pre-charged inlet; done by itself after PowerDelivery(Start))"),
    ScriptCommandSpec("iso_draw_power_regulated", (("A", float), ("P", int)),
                      "AC under ISO 15118-2: draw up to A amperes on P phases within the "
                      "charger's EVSEMaxCurrent", _phases),
    ScriptCommandSpec("iso_stop_charging", (), "stop: PowerDelivery(Stop), welding detection "
                      "(DC), SessionStop"),
    ScriptCommandSpec("iso_wait_for_stop", (("S", float),), "wait up to S seconds for the "
                      "charger to stop the session; then stop it from the car"),
    ScriptCommandSpec("iso_wait_v2g_session_stopped", (), "wait until the V2G session is "
                      "over (stopped or paused)"),
    ScriptCommandSpec("iso_pause_charging", (), "pause (ISO 15118-2 SessionStop Pause; DIN "
                      "stops)"),
    ScriptCommandSpec("iso_wait_for_resume", (), "resume a paused session: a new connection "
                      "that joins it (SessionSetup with its id), and wait until it is set up"),
)}
# name -> argument types
COMMANDS: dict[str, tuple[type, ...]] = {
    name: tuple(kind for _, kind in spec.arguments) for name, spec in SCRIPT_COMMANDS.items()}
NOT_YET = ("din_", "wait_for_real_plugin")


class ScriptError(ValueError):
    """A malformed command string; says which command and why."""


@dataclass(frozen=True)
class ScriptCommand:
    name: str
    args: tuple[float | int | str, ...]
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
                raise ScriptError(f"{where}: {name} is not supported by the simulated car")
            known = ", ".join(COMMANDS)
            raise ScriptError(f"{where}: unknown command {name!r} (known: {known})")
        types = COMMANDS[name]
        parts = [p.strip() for p in rest.split(",")] if rest.strip() else []
        spec = SCRIPT_COMMANDS[name]
        if spec.parse is not None:
            try:
                commands.append(ScriptCommand(name, spec.parse(parts), text))
            except ValueError as problem:
                raise ScriptError(f"{where}: {name} {problem}") from None
            continue
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
