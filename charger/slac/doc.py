"""The tables of docs/slac.md, written from the message table (``messages.MESSAGES``) and the
timing table (``timing.SLAC_PARAMETERS``) between ``<!-- slac:NAME -->`` markers:

    python -m charger.slac.doc --write docs/slac.md

A test fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from charger.framework.docpages import GeneratedTables, markdown_table
from charger.slac.messages import MESSAGES
from charger.slac.timing import SLAC_PARAMETERS


def messages_table() -> str:
    return markdown_table(("message", "MMTYPE", "scapy class", "sent by", "what it does"), [
        (f"`{m.name}`", f"0x{m.mmtype:04X}", f"`{m.layer_name}`", m.sender, m.description)
        for m in MESSAGES])


def timing_table() -> str:
    def value(p) -> str:
        shown = f"{p.value:g}" + (" s" if p.unit == "s" else "")
        if p.minimum is not None:
            shown += f" ({p.minimum:g}–{p.maximum:g})"
        return shown

    return markdown_table(("name", "value (standard's range)", "side", "meaning"), [
        (f"`{p.name}`", value(p), p.side, p.description) for p in SLAC_PARAMETERS])


TABLES: dict[str, Callable[[], str]] = {"messages": messages_table, "timing": timing_table}
PAGE = GeneratedTables("slac", TABLES)
rewrite = PAGE.rewrite


def main(argv: list[str] | None = None) -> int:
    return PAGE.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
