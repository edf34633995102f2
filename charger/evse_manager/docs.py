"""The tables of docs/evse-manager.md, written from the code's tables.

    python -m charger.evse_manager.docs --write docs/evse-manager.md

rewrites what stands between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``; a test fails
when the committed page differs.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

from charger.evse_manager.dc import DC
from charger.evse_manager.faults import FAULTS
from charger.evse_manager.hlc import HLC
from charger.evse_manager.states import TRANSITIONS, EvseState
from charger.evse_manager.submachine import Machine


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def transitions_table() -> str:
    def sources(row_sources: tuple[EvseState, ...]) -> str:
        if len(row_sources) >= len(EvseState) - 2:
            missing = [s for s in EvseState if s not in row_sources]
            return "any but " + ", ".join(f"`{s}`" for s in missing)
        return ", ".join(f"`{s}`" for s in row_sources)

    return _table(("from", "when", "to"), [
        (sources(row.sources), row.guard.name, f"`{row.target}`") for row in TRANSITIONS])


def faults_table() -> str:
    return _table(("error", "raises", "safe state", "cleared when", "why"), [
        (f"`{row.source_type}`", f"`{row.raises}`", row.safe_state.name.lower(),
         str(row.clears), row.why) for row in FAULTS])


def _machine_table(machine: Machine) -> str:
    rows = []
    for phase in machine.phases:
        exits = sorted({f"{r.event} → {r.target}" for r in machine.rules
                        if r.source == phase.name and r.target != phase.name})
        timeout = "" if phase.timeout_s is None else f"{phase.timeout_s:g} s"
        rows.append((f"`{phase.name}`", phase.summary, timeout,
                     ", ".join(f"`{a}`" for a in phase.entry), "; ".join(exits)))
    return _table(("state", "meaning", "timeout", "on entry", "leaves on"), rows)


TABLES: dict[str, Callable[[], str]] = {
    "transitions": transitions_table,
    "faults": faults_table,
    "hlc": lambda: _machine_table(HLC),
    "dc": lambda: _machine_table(DC),
}


def rewrite(text: str) -> str:
    for name, render in TABLES.items():
        pattern = re.compile(rf"(<!-- table:{name} -->\n)(?:.*?\n)?(<!-- /table:{name} -->)",
                             re.S)
        text = pattern.sub(lambda m, r=render: m.group(1) + r() + "\n" + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, nargs="+", default=[])
    args = parser.parse_args(argv)
    for page in args.write:
        page.write_text(rewrite(page.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
