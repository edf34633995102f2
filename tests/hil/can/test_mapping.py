"""Mapping files: the shipped ones load, a user's mistakes are refused with file:line and reason
(before any channel opens), and no input crashes the loader."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.framework.errors import ConfigError
from hil.can.mapping import FAULTS, SHIPPED, load_mapping, shipped_mapping
from tests.hil.can.conftest import user_mapping


@pytest.mark.parametrize("vendor", ["infypower", "winline"])
def test_the_shipped_mappings_load_and_cover_every_setpoint(vendor):
    mapping = shipped_mapping(vendor)
    assert set(mapping.setpoints) == {"voltage_v", "current_a", "output"}
    assert {"voltage_v", "current_a", "output_off"} <= set(mapping.readings)
    assert set(mapping.faults()) == set(FAULTS)


def refused(tmp_path: Path, text: str) -> list[str]:
    shutil.copy(SHIPPED / "infypower.dbc", tmp_path / "modules.dbc")
    path = tmp_path / "mapping.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    return [str(p) for p in caught.value.problems]


def edited(tmp_path: Path, old: str, new: str) -> str:
    text = user_mapping(tmp_path).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("old", "new", "needle", "reason"), [
    ("signal: VoltageSet", "signal: VoltageSett", "VoltageSett",
     "message 'InfySetOutput' has no signal 'VoltageSett'"),
    ("message: InfyOutput,\n              signal: OutputVoltage",
     "message: InfyOutputs,\n              signal: OutputVoltage", "InfyOutputs",
     "no message 'InfyOutputs' in the DBC"),
    ('"on": 0, "off": 1', '"on": 0', "SwitchOff", "needs the signal's `on` and `off` values"),
    ("  HardwareFault:", "  HardwareFaults:", "HardwareFaults", "unexpected"),
    ("request: {shift: 8}", "request: {shift: 27}", "shift: 27", "do not fit a 29-bit id"),
    ("  InfySwitch: InfySwitchReply\n", "", "message: InfySwitch,",
     "no reply is named for 'InfySwitch'"),
])
def test_a_mistake_is_refused_with_its_line(tmp_path, old, new, needle, reason):
    text = edited(tmp_path, old, new)
    problems = refused(tmp_path, text)
    expected_line = line_of(text, needle)
    assert any(f"mapping.yaml:{expected_line}:" in p and reason in p for p in problems), \
        problems


def test_a_missing_or_broken_dbc_is_refused_at_its_line(tmp_path):
    text = edited(tmp_path, "dbc: modules.dbc", "dbc: nowhere.dbc")
    assert any("mapping.yaml:1:" in p and "file not found" in p
               for p in refused(tmp_path, text))
    (tmp_path / "broken.dbc").write_text("BO_ this is not a dbc\n", encoding="utf-8")
    text = edited(tmp_path, "dbc: modules.dbc", "dbc: broken.dbc")
    assert any("mapping.yaml:1:" in p and "not a usable DBC" in p
               for p in refused(tmp_path, text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 2000), junk=st.text(max_size=20))
def test_any_damage_to_a_mapping_is_a_config_error(tmp_path, cut, junk):
    text = user_mapping(tmp_path).read_text(encoding="utf-8")
    damaged = text[:cut % len(text)] + junk + text[cut % len(text) + len(junk):]
    path = tmp_path / "damaged.yaml"
    path.write_text(damaged, encoding="utf-8")
    try:
        load_mapping(path)
    except ConfigError as error:
        assert all(str(p).startswith(str(path)) for p in error.problems)
