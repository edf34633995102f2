"""`evbench modules` shows each module's requirements, parameters and error types, as its
manifest and the interfaces it provides declare them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.catalog import connections_text, parameter_text
from evbench.cli import EXIT_OK, main

SCHEMAS = SchemaRegistry()
REGISTRY = ModuleRegistry(SCHEMAS)


def _section(text: str, title: str) -> str:
    """The lines of one section (``  requires:`` and the lines indented below it)."""
    lines = text.splitlines()
    start = lines.index(f"  {title}:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("    ")),
               len(lines))
    return "\n".join(lines[start:end]) + "\n"


@pytest.mark.parametrize("name", REGISTRY.names())
def test_a_module_shows_what_its_manifest_and_interfaces_declare(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modules", name]) == EXIT_OK
    text = capsys.readouterr().out
    manifest = REGISTRY.get(name).manifest
    assert text.startswith(name)
    for requirement, required in manifest.requires.items():
        assert f"    {requirement}" in _section(text, "requires")
        assert f"{required.interface} ({connections_text(required)})" in text
    for parameter in manifest.config:
        assert f"    {parameter} " in _section(text, "parameters")
    errors = [SCHEMAS.interfaces[p.interface].error_type(e) for p in manifest.provides.values()
              for e in SCHEMAS.interfaces[p.interface].errors]
    for error in errors:
        assert f"    {error} " in _section(text, "errors")
    if not errors:
        assert "  errors: none" in text


def test_the_evse_manager_reads_as_a_person_would(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modules", "EvseManager"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "board            evse_board_support (exactly one)" in text
    assert "rcd              ac_rcd (optional)" in text
    assert "max_current_a             number 6..80, default 32" in text
    assert "phases                    one of 1, 3, default 3" in text
    assert "evse_manager/RCDTrip" in text and "interfaces:" not in text


def test_every_module_then_the_interfaces(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modules"]) == EXIT_OK
    text = capsys.readouterr().out
    starts = [line.split()[0] for line in text.splitlines() if line and line[0] != " "]
    assert starts == [*REGISTRY.names(), "interfaces:"]
    for name in SCHEMAS.interfaces:
        assert f"\n  {name} " in text


@settings(max_examples=60, deadline=None)
@given(low=st.none() | st.integers(-100, 100), high=st.none() | st.integers(101, 1000),
       exclusive=st.booleans(), default=st.none() | st.integers(0, 100),
       kind=st.sampled_from(["integer", "number", ["number", "null"]]))
def test_a_parameter_shows_its_type_bounds_and_default(low, high, exclusive, default,
                                                       kind) -> None:
    schema: dict = {"type": kind}
    if low is not None:
        schema["exclusiveMinimum" if exclusive else "minimum"] = low
    if high is not None:
        schema["maximum"] = high
    if default is not None:
        schema["default"] = default
    text = parameter_text(schema)
    assert text.startswith("integer" if kind == "integer" else "number")
    if low is not None:
        assert (f"> {low}" if exclusive else str(low)) in text
    if high is not None:
        assert str(high) in text
    assert text.endswith(f"default {default}" if default is not None else "required")
