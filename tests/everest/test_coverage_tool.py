"""tools/everest_coverage.py counts what imports carry over: its totals are the importer's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.everest import import_everest, read_everest
from tests.everest.conftest import ALL_CONFIGS, CONFIGS

TOOL = Path(__file__).resolve().parents[2] / "tools" / "everest_coverage.py"


def test_the_tool_prints_the_importers_totals(capsys):
    spec = importlib.util.spec_from_file_location("everest_coverage", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    paths = [str(CONFIGS / name) for name in ALL_CONFIGS]
    assert tool.main(paths) == 0
    out = capsys.readouterr().out
    registry = ModuleRegistry(SchemaRegistry())
    results = [import_everest(read_everest(p), registry).coverage for p in paths]
    modules = [sum(c.total("module", o) for c in results) for o in ("mapped", "note", "unmapped")]
    row = next(line for line in out.splitlines() if line.startswith("module "))
    assert [int(n) for n in row.split()[1:4]] == modules
    assert modules[0] > 0 and modules[2] > 0
    assert "unmapped most often:" in out
