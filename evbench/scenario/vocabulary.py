"""The scenario vocabulary in one place: where each table lives, and the docs written from them.

| words | table |
|---|---|
| step actions (``do:``) | ``evbench.scenario.actions.ACTIONS`` |
| condition kinds | ``evbench.scenario.selectors.CONDITIONS`` |
| expectation kinds | ``evbench.scenario.expectations.EXPECTATIONS`` |
| signals (with units) | ``reports.model.SIGNALS`` |
| car command strings | ``sim.car.script.SCRIPT_COMMANDS`` |

The tables in docs/scenarios.md and docs/reports.md are generated from them, between
``<!-- vocabulary:NAME -->`` and ``<!-- /vocabulary:NAME -->`` markers:

    python -m evbench.scenario.vocabulary --markdown          # print the tables
    python -m evbench.scenario.vocabulary --write docs/*.md   # rewrite them in those pages

A test fails when a committed page differs from what this writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from charger.framework.docpages import GeneratedTables, markdown_table
from evbench.scenario.actions import ACTIONS
from evbench.scenario.expectations import EXPECTATIONS
from evbench.scenario.selectors import CONDITIONS
from evbench.scenario.world import NEEDS
from reports.formatting import TIME_DECIMALS
from reports.model import NUMERIC_SIGNALS, SIGNALS
from sim.car.script import SCRIPT_COMMANDS


def actions_table() -> str:
    return markdown_table(("`do:`", "arguments", "needs", "what happens"), [
        (f"`{a.name}`", a.arguments_text(),
         NEEDS[a.needs].description if a.needs else "", a.summary) for a in ACTIONS.values()])


def script_table() -> str:
    return markdown_table(("command", "meaning"), [
        (f"`{c.usage}`", c.meaning) for c in SCRIPT_COMMANDS.values()])


def conditions_table() -> str:
    return markdown_table(("condition", "matches", "`connector`"), [
        (" / ".join(f"`{e.strip()}`" for e in k.example.split(" / ")), k.summary,
         "yes" if k.per_connector else "no") for k in CONDITIONS.values()])


def expectations_table() -> str:
    return markdown_table(("expectation", "holds when"), [
        (k.form, k.summary) for k in EXPECTATIONS.values()])


def signals_table() -> str:
    """The signals scenarios may compare and bound."""
    return markdown_table(("signal", "unit", "what"), [
        (f"`{s.name}`", s.unit, s.description) for s in SIGNALS if s.name in NUMERIC_SIGNALS])


def signals_csv_table() -> str:
    """The columns of signals.csv (docs/reports.md)."""
    rows = [("`t`", "s (simulated)", str(TIME_DECIMALS)),
            ("`connector`", "1, 2, ... (integer)", "–")]
    for s in SIGNALS:
        unit = s.values or (f"{s.unit}, {s.description}" if s.unit else s.description)
        rows.append((f"`{s.name}`", unit, str(s.decimals) if s.kind == "number" else "–"))
    return markdown_table(("column", "unit / values", "decimals"), rows)


TABLES: dict[str, Callable[[], str]] = {
    "actions": actions_table, "script": script_table, "conditions": conditions_table,
    "signals": signals_table, "expectations": expectations_table,
    "signals-csv": signals_csv_table,
}
PAGE = GeneratedTables("vocabulary", TABLES)
rewrite = PAGE.rewrite


def main(argv: list[str] | None = None) -> int:
    return PAGE.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
