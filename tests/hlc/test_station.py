"""An EVSE manager in an HLC charge mode without the modules the mode needs is refused when the
station loads, with the file, the line of charge_mode and what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry

STATIONS = Path(__file__).resolve().parents[2] / "scenarios" / "stations"


@pytest.mark.parametrize(("station", "remove", "missing"), [
    ("dc-1-connector.yaml", "      imd: dc1.imd\n", "charge_mode DC needs imd connected"),
    ("dc-1-connector.yaml", "      slac: slac1.main\n      hlc: secc1.charger\n",
     "charge_mode DC needs slac, hlc connected"),
    ("ac-1-connector-iso15118.yaml", "      hlc: secc1.charger\n",
     "charge_mode AC_HLC needs hlc connected"),
])
def test_a_charge_mode_without_its_modules_is_refused(tmp_path: Path, station: str, remove: str,
                                                      missing: str) -> None:
    text = (STATIONS / station).read_text(encoding="utf-8")
    assert remove in text
    path = tmp_path / station
    path.write_text(text.replace(remove, "", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as refusal:
        load_station(path, ModuleRegistry(SchemaRegistry()))
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1)
                if "charge_mode" in row)
    assert f"{path}:{line}: evse1: {missing}" in str(refusal.value)


@pytest.mark.parametrize("station", ["dc-1-connector.yaml", "ac-1-connector-iso15118.yaml"])
def test_the_shipped_hlc_stations_load(station: str) -> None:
    load_station(STATIONS / station, ModuleRegistry(SchemaRegistry()))
