"""The emulated rack's physics without a bus: real request frames in (random sequences of
setpoints, switching and faults), the supply physics between them; the modules' shares add up
to the output current, none exceeds its own limit, and nothing flows from modules that are off."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.can.codec import ModuleCodec
from hil.can.emulator import PowerModuleRack
from hil.can.mapping import FAULTS, shipped_mapping

ADDRESSES = [1, 2, 3]

actions = st.lists(st.one_of(
    st.tuples(st.just("set"), st.sampled_from(ADDRESSES), st.floats(0, 1000),
              st.floats(0, 150)),
    st.tuples(st.just("switch"), st.sampled_from(ADDRESSES), st.booleans()),
    st.tuples(st.just("fault"), st.sampled_from(ADDRESSES), st.sampled_from(list(FAULTS)),
              st.booleans()),
    st.tuples(st.just("wait"), st.floats(0.001, 3.0)),
), max_size=25)


@pytest.mark.parametrize("vendor", ["infypower", "winline"])
@settings(max_examples=50, deadline=None)
@given(steps=actions)
def test_the_modules_share_the_output_within_their_limits(vendor, steps):
    env = simpy.Environment()
    codec = ModuleCodec(shipped_mapping(vendor))
    rack = PowerModuleRack(env, vendor, "unused", ADDRESSES)  # not started: no bus
    for step in steps:
        if step[0] == "set":
            _, address, volts, amps = step
            for frame in codec.setpoint_frames(address, voltage_v=volts, current_a=amps):
                rack._on_frame(frame)
        elif step[0] == "switch":
            for frame in codec.setpoint_frames(step[1], on=step[2]):
                rack._on_frame(frame)
        elif step[0] == "fault":
            rack.set_fault(step[1], step[2], step[3])
        else:
            env.run(until=env.now + step[1])
        outputs = {a: rack.module_output(a) for a in ADDRESSES}
        total = rack.path.supply.current_a
        assert sum(current for _, current in outputs.values()) == pytest.approx(total, abs=1e-6)
        for address, (_, current) in outputs.items():
            module = rack.modules[address]
            assert current >= 0.0
            assert current <= module.current_limit_a + 1e-6
            if not module.delivering:
                assert current == 0.0
        delivering = [m for m in rack.modules.values() if m.delivering]
        assert total <= sum(m.current_limit_a for m in delivering) + 1e-6
        if delivering:
            # The output regulates to the highest target among the modules that are on (raised
            # to the minimum voltage), never past it.
            highest = max(max(m.voltage_setpoint_v for m in delivering),
                          rack.settings.min_voltage_v)
            assert rack.path.supply.reference_v <= min(highest, rack.settings.max_voltage_v) \
                + 1e-6
        else:
            assert total == 0.0
