"""The mapping table is declared once: docs/everest-import.md is generated from it, and the
importer follows it (a rule's rename is what the import writes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.everest import docs, table

PAGE = Path(__file__).resolve().parents[2] / "docs" / "everest-import.md"


def test_the_committed_page_is_what_the_generator_writes():
    text = PAGE.read_text(encoding="utf-8")
    for name in docs.TABLES:
        assert f"<!-- everest:{name} -->" in text, name
    assert docs.rewrite(text) == text, (
        f"{PAGE.name} is out of date: python -m evbench.everest.docs --write {PAGE}")


def test_every_module_name_of_the_table_is_on_the_page():
    text = PAGE.read_text(encoding="utf-8")
    for rule in table.MODULES:
        for name in rule.everest:
            assert f"`{name}`" in text, name


def test_a_new_rule_appears_in_the_generated_page(monkeypatch):
    extra = table.ModuleRule(("Teleporter",), "test module", None, note="beams cars")
    monkeypatch.setattr(docs, "MODULES", (*table.MODULES, extra))
    assert "| `Teleporter` | test module | — (unmapped) | beams cars |" in docs.modules_table()


@pytest.mark.parametrize("rule", [r for r in table.MODULES if r.evbench],
                         ids=lambda r: r.everest[0])
def test_each_rule_names_what_evbench_has(rule):
    """Every rename in the table is a parameter, requirement or implementation of the evbench
    module it names: a table that drifted from the manifests would write refused stations."""
    manifest = ModuleRegistry(SchemaRegistry()).get(rule.evbench).manifest
    for param in rule.params:
        assert param.evbench is None or param.evbench in manifest.config, param
    for req in rule.requires:
        assert req.evbench is None or req.evbench in manifest.requires, req
    for impl in rule.provides.values():
        assert impl is None or impl in manifest.provides, impl


def test_module_names_are_declared_once():
    names = [name for rule in table.MODULES for name in rule.everest]
    assert len(names) == len(set(names))
