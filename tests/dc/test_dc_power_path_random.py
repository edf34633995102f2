"""Random sequences of commands to SimDcPowerPath on the bus, with time passing between them:
no module exception, no published reading above the commanded voltage (unless the regulation was
made to run away, or the car's battery shows through), no current from a supply that is off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.hal.dc_faults import DC_FAULTS

RigFactory = Callable[..., Any]

COMMANDS = st.one_of(
    st.tuples(st.just("power_supply"), st.just("set_mode"),
              st.fixed_dictionaries({"mode": st.sampled_from(["Off", "Export"])})),
    st.tuples(st.just("power_supply"), st.just("set_export_voltage_current"),
              st.fixed_dictionaries({"voltage_v": st.floats(0, 1100),
                                     "current_a": st.floats(0, 300)})),
    st.tuples(st.just("contactors"), st.just("set_closed"),
              st.fixed_dictionaries({"value": st.booleans()})),
    st.tuples(st.just("ev_dc"), st.just("set_contactors"),
              st.fixed_dictionaries({"value": st.booleans()})),
    st.tuples(st.just("ev_dc"), st.just("set_battery"),
              st.fixed_dictionaries({"open_circuit_voltage_v": st.floats(250, 800),
                                     "internal_resistance_ohm": st.floats(0.02, 0.3)})),
    st.tuples(st.just("imd"), st.sampled_from(["start", "stop", "start_self_test"]),
              st.just({})),
    st.tuples(st.just("ovp"), st.just("start"),
              st.fixed_dictionaries({"over_voltage_limit_v": st.sampled_from(
                  [550.0, 825.0, 935.0, 1100.0])})),
    st.tuples(st.just("ovp"), st.sampled_from(["stop", "reset_over_voltage_error"]),
              st.just({})),
    st.tuples(st.just("control"), st.just("set_fault"),
              st.fixed_dictionaries({"fault": st.sampled_from(sorted(DC_FAULTS)),
                                     "active": st.booleans()})),
    st.tuples(st.just("control"), st.just("set_insulation"),
              st.fixed_dictionaries({"resistance_ohm": st.sampled_from([50.0, 9e4, 1e7])})),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(COMMANDS, st.sampled_from([0.001, 0.01, 0.3, 2.0])),
                      min_size=1, max_size=25))
def test_random_command_sequences(dc_rig: RigFactory, steps: list) -> None:
    rig = dc_rig("max_voltage_v: 1000, max_current_a: 250, min_voltage_v: 150")
    target = 0.0
    runaway = False
    for (impl, cmd, args), wait in steps:
        seen = len(rig.recorder.rows)
        commanded_at = rig.env.now
        rig.call(impl, cmd, **args)
        if cmd == "set_export_voltage_current":
            target = min(args["voltage_v"], 1000.0)
        if cmd == "set_fault" and args["fault"] == "supply_runaway":
            runaway = runaway or args["active"]
        rig.advance(wait)
        if runaway or rig.module.path.battery.contactors_closed:
            continue
        # (a reading at the command's instant may still show the state before it)
        for row in rig.recorder.rows[seen:]:
            if row.kind == "var" and row.name == "voltage_current" and row.t > commanded_at:
                # (readings are rounded to 10 mV)
                assert row.value["voltage_v"] <= max(target, 150.0) + 0.005, (row, target)
    assert rig.module.exceptions == []
    path = rig.module.path
    if not path.output_on:
        assert path.supply.current_a == 0.0
