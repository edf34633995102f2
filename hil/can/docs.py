"""The tables of docs/can-power-modules.md, written from the code's vocabularies and the shipped
mapping files.

    python -m hil.can.docs --write docs/can-power-modules.md

rewrites what stands between ``<!-- can:NAME -->`` and ``<!-- /can:NAME -->``; a test fails
when the committed page differs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from charger.framework.docpages import GeneratedTables, markdown_table
from hil.can.mapping import CAPABILITIES, FAULTS, READINGS, SETPOINTS, FrameRef, shipped_mapping
from hil.can.vendors import SHIPPED_PROTOCOLS as PROTOCOLS
from hil.can.vendors import VENDORS


def _vocabulary(names: dict[str, str]) -> str:
    return markdown_table(("name", "meaning"), [(f"`{k}`", v) for k, v in names.items()])


def _frame(ref: FrameRef) -> str:
    fixed = ", ".join(f"{k}={v:#x}" for k, v in ref.fixed)
    return f"`{ref.message}`" + (f" ({fixed})" if fixed else "")


def vendors_table() -> str:
    mappings = {v: shipped_mapping(v) for v in PROTOCOLS}
    rows = []
    for name in SETPOINTS:
        cells = []
        for vendor in PROTOCOLS:
            sp = mappings[vendor].setpoints[name]
            extra = f", on={sp.on:g} off={sp.off:g}" if name == "output" else ""
            cells.append(f"{_frame(sp.frame)} `{sp.signal}`{extra}")
        rows.append((f"set `{name}`", *cells))
    for section, names in (("read", READINGS), ("capability", CAPABILITIES),
                           ("fault", FAULTS)):
        for name in names:
            cells = []
            for vendor in PROTOCOLS:
                reading = mappings[vendor].readings.get(name)
                cells.append("(configured)" if reading is None else
                             f"{_frame(reading.request)} → `{reading.message}` "
                             + ", ".join(f"`{s}`" for s in reading.signals))
            rows.append((f"{section} `{name}`", *cells))
    return markdown_table(("", *PROTOCOLS), rows)


def modules_table() -> str:
    header = ("module", "protocol", "rig backend", "modules switch off after silence")
    return markdown_table(header, [
        (f"`{v.module}`", v.description, f"`{v.backend}`",
         "never" if v.keepalive_off_s is None else f"{v.keepalive_off_s:g} s")
        for v in VENDORS.values()])


TABLES: dict[str, Callable[[], str]] = {
    "modules": modules_table,
    "setpoints": lambda: _vocabulary(SETPOINTS),
    "readings": lambda: _vocabulary(READINGS),
    "capabilities": lambda: _vocabulary(CAPABILITIES),
    "faults": lambda: _vocabulary(FAULTS),
    "vendors": vendors_table,
}


PAGE = GeneratedTables("can", TABLES)
rewrite = PAGE.rewrite


def main(argv: list[str] | None = None) -> int:
    return PAGE.main(__doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
