"""The tables of docs/evse-manager.md, written from the code's tables.

    python -m charger.evse_manager.docs --write docs/evse-manager.md

rewrites what stands between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``; a test fails
when the committed page differs.
"""

from __future__ import annotations

from collections.abc import Callable

from charger.evse_manager.dc import DC
from charger.evse_manager.faults import FAULTS
from charger.evse_manager.hlc import HLC
from charger.evse_manager.states import TRANSITIONS, EvseState
from charger.evse_manager.submachine import Machine
from charger.framework.docpages import GeneratedTables, markdown_table


def transitions_table() -> str:
    def sources(row_sources: tuple[EvseState, ...]) -> str:
        if len(row_sources) >= len(EvseState) - 2:
            missing = [s for s in EvseState if s not in row_sources]
            return "any but " + ", ".join(f"`{s}`" for s in missing)
        return ", ".join(f"`{s}`" for s in row_sources)

    return markdown_table(("from", "when", "to"), [
        (sources(row.sources), row.guard.name, f"`{row.target}`") for row in TRANSITIONS])


def faults_table() -> str:
    return markdown_table(("error", "raises", "safe state", "cleared when", "why"), [
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
    return markdown_table(("state", "meaning", "timeout", "on entry", "leaves on"), rows)


TABLES: dict[str, Callable[[], str]] = {
    "transitions": transitions_table,
    "faults": faults_table,
    "hlc": lambda: _machine_table(HLC),
    "dc": lambda: _machine_table(DC),
}


PAGE = GeneratedTables("table", TABLES)
rewrite = PAGE.rewrite


def main(argv: list[str] | None = None) -> int:
    return PAGE.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    raise SystemExit(main())
