"""docs/can-power-modules.md and the vocabularies agree with the code and the interface."""

from __future__ import annotations

from pathlib import Path

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from hil.can import docs
from hil.can.mapping import FAULTS

REPO = Path(__file__).resolve().parents[3]
PAGE = REPO / "docs" / "can-power-modules.md"


def test_the_committed_page_is_what_the_tables_say():
    text = PAGE.read_text(encoding="utf-8")
    assert all(f"<!-- can:{name} -->" in text for name in docs.TABLES)
    assert docs.rewrite(text) == text, (
        "docs/can-power-modules.md is out of date: python -m hil.can.docs --write "
        "docs/can-power-modules.md")


def test_every_module_fault_is_an_error_power_supply_dc_declares():
    declared = SchemaRegistry().interface("power_supply_DC").errors
    assert set(FAULTS) <= set(declared)
    assert "CommunicationFault" in declared


def test_every_configuration_key_is_documented():
    text = PAGE.read_text(encoding="utf-8")
    registry = ModuleRegistry(SchemaRegistry())
    for name in ("InfyPowerSupply", "WinlinePowerSupply", "DbcPowerSupply"):
        for key in registry.get(name).manifest.config:
            assert f"`{key}`" in text, f"{name}: {key} is not in {PAGE.name}"


def test_every_declared_vendor_is_a_module_and_a_rig_backend():
    from charger.framework.registry import BUILTIN_MODULES
    from hil.backends import backend_names, get_backend
    from hil.can.vendors import VENDORS

    registry = ModuleRegistry(SchemaRegistry())
    for vendor in VENDORS.values():
        assert vendor.module in BUILTIN_MODULES
        assert registry.get(vendor.module).vendor == vendor.mapping
        assert vendor.backend in backend_names()
        assert get_backend(vendor.backend).module({}) == vendor.module
