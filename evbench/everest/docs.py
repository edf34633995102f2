"""The mapping table as Markdown, for docs/everest-import.md.

The page's tables are generated between ``<!-- everest:NAME -->`` and ``<!-- /everest:NAME -->``
markers::

    python -m evbench.everest.docs --markdown                       # print them
    python -m evbench.everest.docs --write docs/everest-import.md   # rewrite them in the page

A test fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from charger.framework.docpages import GeneratedTables, markdown_table
from evbench.everest.table import ENTRY_KEYS, MODULES, TOP_KEYS, KeyRule, ModuleRule, Param


def _names(rule: ModuleRule) -> str:
    return ", ".join(f"`{n}`" for n in rule.everest)


def modules_table() -> str:
    """Every EVerest module name the table knows, and what it becomes."""
    rows = []
    for rule in MODULES:
        if rule.evbench is None:
            becomes = "— (note)" if not rule.lost else "— (unmapped)"
        else:
            becomes = f"`{rule.evbench}`"
        how = rule.note
        if rule.wiring is not None:
            how = _first_paragraph(rule.wiring.__doc__ or "") or how
        rows.append((_names(rule), rule.role, becomes, how))
    return markdown_table(("EVerest module", "role", "evbench", "how"), rows)


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


def _param_row(param: Param) -> tuple[str, str, str]:
    if param.evbench is not None:
        target = f"`{param.evbench}`"
    elif param.convert is not None:
        target = "(checked)"
    else:
        target = "— (unmapped)" if param.lost else "— (note)"
    return (f"`{param.everest}`", target, param.note)


def details() -> str:
    """Per mapped module: its parameters, requirements and implementations."""
    parts = []
    for rule in MODULES:
        if rule.evbench is None:
            continue
        parts.append(f"### {' / '.join(rule.everest)} → {rule.evbench}\n")
        if rule.note:
            parts.append(rule.note[0].upper() + rule.note[1:] + ".\n")
        if rule.params:
            parts.append(markdown_table(("parameter", "evbench", "notes"),
                                [_param_row(p) for p in rule.params]) + "\n")
        if rule.requires:
            parts.append(markdown_table(("requirement", "evbench", "notes"), [
                (f"`{r.everest}`", f"`{r.evbench}`" if r.evbench else
                 ("— (unmapped)" if r.lost else "— (note)"), r.note)
                for r in rule.requires]) + "\n")
        if rule.provides:
            parts.append("Implementations: " + ", ".join(
                f"`{e}` → {f'`{b}`' if b else '—'}" for e, b in rule.provides.items()) + ".\n")
    return "\n".join(parts).rstrip()


def _key_rows(rules: dict[str, KeyRule]) -> list[tuple[str, str, str]]:
    """One row per key, keys that say the same thing (framework settings) in one row."""
    grouped: dict[tuple[str | None, str], list[str]] = {}
    for rule in rules.values():
        grouped.setdefault((rule.evbench, rule.note), []).append(f"`{rule.everest}`")
    return [(", ".join(keys), f"`{evbench}`" if evbench else "— (note)", note)
            for (evbench, note), keys in grouped.items()]


def keys_table() -> str:
    """Module entry keys besides module, config_module, config_implementation, connections;
    and the file's top-level keys and framework settings."""
    rows = _key_rows(ENTRY_KEYS) + _key_rows(TOP_KEYS)
    return markdown_table(("key", "evbench", "notes"), rows)


TABLES: dict[str, Callable[[], str]] = {"modules": modules_table, "details": details,
                                        "keys": keys_table}
PAGE = GeneratedTables("everest", TABLES)
rewrite = PAGE.rewrite


def main(argv: list[str] | None = None) -> int:
    return PAGE.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
