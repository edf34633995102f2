"""The ``evbench rig`` commands, added to evbench's command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_rig_commands(commands: argparse._SubParsersAction, command: Callable[..., Any],
                     factor: Callable[[str], float]) -> None:
    """``command(subparsers, name, handler, summary, ok=..., failed=...)`` makes a subcommand
    as evbench's others are (its help ends with its exit codes)."""
    rig = command(commands, "rig", _no_action, "check or emulate a bench rig (docs/rig.md)",
                  ok="the rig command succeeded", failed="a device of the rig does not answer")
    actions = rig.add_subparsers(dest="rig_command", required=True, metavar="ACTION")
    check = command(actions, "check", _check,
                    "open every device of a rig, read its identity and status, say what answers",
                    ok="every device answers", failed="a device does not answer (each is named, "
                    "with why)")
    check.add_argument("rig_file", type=Path, metavar="RIG", help="rig file (docs/rig.md)")
    check.add_argument("--timeout", type=factor, default=3.0,
                       help="seconds to wait for each device (default 3)")
    emulate = command(actions, "emulate", _emulate,
                      "start an emulator for every device of a rig, until Ctrl-C",
                      ok="the emulators ran until Ctrl-C")
    emulate.add_argument("rig_file", type=Path, metavar="RIG", help="rig file (docs/rig.md)")
    emulate.add_argument("--factor", type=factor, default=1.0,
                         help="wall seconds per simulated second; the same as the run's")


def _no_action(_args: argparse.Namespace) -> int:  # argparse requires an action first
    raise AssertionError("unreachable")


def _check(args: argparse.Namespace) -> int:
    from hil.commands import rig_check

    return rig_check(args.rig_file, timeout_s=args.timeout)


def _emulate(args: argparse.Namespace) -> int:
    from hil.commands import rig_emulate

    return rig_emulate(args.rig_file, factor=args.factor)
