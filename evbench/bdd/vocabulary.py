"""docs/bdd-steps.md's phrase tables, written from the step library's own tables.

The Given, When and Then tables come from :data:`evbench.bdd.library.STEPS` (each step's example
phrases and docstring), the happenings table from :data:`evbench.bdd.phrases.HAPPENINGS`, the
list of shipped stations and scenarios from the installed files. They sit between
``<!-- bdd:NAME -->`` and ``<!-- /bdd:NAME -->`` markers:

    python -m evbench.bdd.vocabulary --markdown                 # print the tables
    python -m evbench.bdd.vocabulary --write docs/bdd-steps.md  # rewrite them in the page

A test fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from . import given, then, when  # noqa: F401 - importing them fills the STEPS table
from .library import KINDS, steps_of
from .phrases import HAPPENINGS
from .places import shipped_names


def _cell(text: str) -> str:
    """A docstring as one table cell: paragraphs joined, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def steps_table(kind: str) -> str:
    return _table(("phrase", "what it does"), [
        ("<br>".join(f"`{_cell(example)}`" for example in step.examples), _cell(step.summary))
        for step in steps_of(kind)])


def happenings_table() -> str:
    return _table(("happening", "matches"), [
        ("<br>".join(f"`{_cell(example)}`" for example in form.examples), _cell(form.summary))
        for form in HAPPENINGS])


def shipped_list() -> str:
    """The stations and scenarios a feature reaches as ``evbench:NAME``."""
    return "\n".join(f"- {kind}: " + ", ".join(f"`{name}`" for name in shipped_names(kind))
                     for kind in ("stations", "scenarios"))


TABLES: dict[str, Callable[[], str]] = {
    **{kind: (lambda kind=kind: steps_table(kind)) for kind in KINDS},
    "happenings": happenings_table,
    "shipped": shipped_list,
}
_BLOCK = re.compile(r"(<!-- bdd:(?P<name>[a-z-]+) -->\n).*?(<!-- /bdd:(?P=name) -->)", re.DOTALL)


def rewrite(text: str) -> str:
    """``text`` with every generated table block replaced by the tables' current content."""
    return _BLOCK.sub(lambda m: f"{m.group(1)}{TABLES[m.group('name')]()}\n{m.group(3)}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print every table")
    parser.add_argument("--write", type=Path, nargs="*", default=[],
                        help="rewrite the generated tables in these pages")
    args = parser.parse_args(argv)
    if args.markdown:
        for name, build in TABLES.items():
            print(f"<!-- bdd:{name} -->\n{build()}\n<!-- /bdd:{name} -->\n")
    for page in args.write:
        page.write_text(rewrite(page.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
