"""Documentation pages whose tables are generated from the code's own tables, so that a page
cannot drift from what it describes.

A page marks each generated block with ``<!-- PREFIX:NAME -->`` and ``<!-- /PREFIX:NAME -->``;
:meth:`GeneratedTables.rewrite` replaces what stands between them, and each generator's test
checks that the committed page equals the rewrite.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; a ``|`` inside a cell is escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in rows]
    return "\n".join(lines)


class GeneratedTables:
    """Named tables rendered into the marked blocks of Markdown pages."""

    def __init__(self, prefix: str, tables: dict[str, Callable[[], str]]):
        self.prefix = prefix
        self.tables = tables
        self._block = re.compile(rf"(<!-- {re.escape(prefix)}:(?P<name>[a-z0-9-]+) -->\n)"
                                 rf".*?(<!-- /{re.escape(prefix)}:(?P=name) -->)", re.DOTALL)

    def rewrite(self, text: str) -> str:
        """``text`` with every marked block replaced by its table's current content."""
        return self._block.sub(
            lambda m: f"{m.group(1)}{self.tables[m.group('name')]()}\n{m.group(3)}", text)

    def main(self, description: str, argv: list[str] | None = None) -> int:
        """The generator's command line: ``--markdown`` prints every block, ``--write PAGE...``
        rewrites the pages."""
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--markdown", action="store_true", help="print every table")
        parser.add_argument("--write", type=Path, nargs="*", default=[],
                            help="rewrite the generated tables in these pages")
        args = parser.parse_args(argv)
        if args.markdown:
            for name, build in self.tables.items():
                print(f"<!-- {self.prefix}:{name} -->\n{build()}\n<!-- /{self.prefix}:{name} -->\n")
        for page in args.write:
            page.write_text(self.rewrite(page.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
