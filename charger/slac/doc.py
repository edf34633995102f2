"""The tables of docs/slac.md, written from the message table (``messages.MESSAGES``) and the
timing table (``timing.SLAC_PARAMETERS``) between ``<!-- slac:NAME -->`` markers:

    python -m charger.slac.doc --write docs/slac.md

A test fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from charger.slac.messages import MESSAGES
from charger.slac.timing import SLAC_PARAMETERS


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def messages_table() -> str:
    return _table(("message", "MMTYPE", "scapy class", "sent by", "what it does"), [
        (f"`{m.name}`", f"0x{m.mmtype:04X}", f"`{m.layer_name}`", m.sender, m.description)
        for m in MESSAGES])


def timing_table() -> str:
    def value(p) -> str:
        shown = f"{p.value:g}" + (" s" if p.unit == "s" else "")
        if p.minimum is not None:
            shown += f" ({p.minimum:g}–{p.maximum:g})"
        return shown

    return _table(("name", "value (standard's range)", "side", "meaning"), [
        (f"`{p.name}`", value(p), p.side, p.description) for p in SLAC_PARAMETERS])


TABLES: dict[str, Callable[[], str]] = {"messages": messages_table, "timing": timing_table}
_BLOCK = re.compile(r"(<!-- slac:(?P<name>[a-z]+) -->\n).*?(<!-- /slac:(?P=name) -->)",
                    re.DOTALL)


def rewrite(text: str) -> str:
    return _BLOCK.sub(lambda m: f"{m.group(1)}{TABLES[m.group('name')]()}\n{m.group(3)}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, nargs="*", default=[])
    for page in parser.parse_args(argv).write:
        page.write_text(rewrite(page.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
