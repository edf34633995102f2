"""The SLAC timing table holds ISO 15118-3's numbers, and the modules' configurable timers are
bounded by the same ranges."""

from __future__ import annotations

import pytest

from charger.framework.registry import ModuleRegistry
from charger.slac.timing import SLAC, SLAC_PARAMETERS, timeout_100ms

# ISO 15118-3 Table A.1 as the project's reference notes quote it.
STANDARD = {"C_EV_match_MNBC": 10, "C_EV_start_atten_char_inds": 3, "TT_match_sequence": 0.4,
            "TT_EVSE_match_MNBC": 0.6, "TT_match_response": 0.2, "TT_EV_atten_results": 1.2,
            "TT_match_join": 12.0}
RANGES = {"TT_EVSE_SLAC_init": (20.0, 50.0), "TP_EV_batch_msg_interval": (0.02, 0.05)}


def test_the_table_holds_the_standards_values() -> None:
    assert len(SLAC) == len(SLAC_PARAMETERS)
    for name, value in STANDARD.items():
        assert SLAC[name].value == value, name
    for name, (low, high) in RANGES.items():
        parameter = SLAC[name]
        assert (parameter.minimum, parameter.maximum) == (low, high)
        assert low <= parameter.value <= high
        assert parameter.check(low) is None and parameter.check(high) is None
        assert "below" in parameter.check(low / 2)
        assert "above" in parameter.check(high * 2)


@pytest.mark.parametrize(("module", "key", "parameter"), [
    ("EvseSlac", "slac_init_timeout_s", "TT_EVSE_SLAC_init"),
    ("SimEvSlac", "batch_interval_s", "TP_EV_batch_msg_interval"),
])
def test_configurable_timers_are_bounded_by_the_standard(
        slac_registry: ModuleRegistry, module: str, key: str, parameter: str) -> None:
    schema = slac_registry.get(module).manifest.config[key]
    assert (schema["minimum"], schema["maximum"]) == (SLAC[parameter].minimum,
                                                      SLAC[parameter].maximum)
    assert schema["default"] == SLAC[parameter].value


def test_times_travel_in_units_of_100_ms() -> None:
    assert timeout_100ms(SLAC["TT_EVSE_match_MNBC"].value) == 6
    assert timeout_100ms(0.61) == 7
    assert timeout_100ms(0.0) == 1
