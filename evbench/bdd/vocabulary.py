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

import sys
from collections.abc import Callable

from charger.framework.docpages import GeneratedTables, markdown_table

from . import given, then, when  # noqa: F401 - importing them fills the STEPS table
from .library import KINDS, steps_of
from .phrases import HAPPENINGS
from .places import shipped_names


def _cell(text: str) -> str:
    """A docstring as one table cell: paragraphs joined, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def steps_table(kind: str) -> str:
    return markdown_table(("phrase", "what it does"), [
        ("<br>".join(f"`{_cell(example)}`" for example in step.examples), _cell(step.summary))
        for step in steps_of(kind)])


def happenings_table() -> str:
    return markdown_table(("happening", "matches"), [
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
PAGE = GeneratedTables("bdd", TABLES)
rewrite = PAGE.rewrite


def main(argv: list[str] | None = None) -> int:
    return PAGE.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
