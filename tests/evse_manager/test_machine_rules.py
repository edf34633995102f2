"""The EVSE manager driven at random, through the bus, against the simulated board and car.

A hypothesis RuleBasedStateMachine plugs, pauses, authorizes, stops, disables and injects every
fault it can (car-side and hardware), letting virtual time pass between steps, and checks after
every step: the published state is the state held; the contactors are commanded closed only
with the car in C/D, the plug locked, no fault, in PrepareCharging/Charging, under a PWM that
offers current (or, paused or stopped, within pwm_stop_timeout_s of withdrawing it); every
fault holds the connector in a safe state (state Error unless disabled, no PWM, contactors
commanded open).
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.iec61851 import CHARGING_PILOT_STATES, offers_current
from tests.evse_manager.conftest import TOKEN, Connector

REGISTRY = ModuleRegistry(SchemaRegistry())
STATION = textwrap.dedent("""\
    active_modules:
      grid: {module: SimGrid}
      board1:
        module: SimBoard
        connections: {grid: grid.supply}
      car:
        module: SimCar
        config: {reaction_time_s: 0.5}
        connections: {ev_board: board1.ev_board}
      evse1:
        module: EvseManager
        config: {max_current_a: 16}
        connections:
          board: board1.board
          rcd: board1.rcd
          lock: board1.lock
          powermeter: board1.meter
    """)
CAR_FAULTS = ("diode_fail", "error_e", "ventilation")
HARDWARE_FAULTS = ("welded_contactor", "lock_jammed", "meter_silent")


class EvseManagerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="evse-sm-"))
        path = self.folder / "station.yaml"
        path.write_text(STATION, encoding="utf-8")
        self.c = Connector(path, REGISTRY)
        self.withdrawn_at: float | None = None  # when the PWM last went off with power on

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(charging=st.booleans())
    def start(self, charging: bool) -> None:
        if charging:  # half the runs begin in a charging session
            self.plug_in_and_charge()

    # --- the car --------------------------------------------------------------------------
    @rule(action=st.sampled_from(["plug_in", "unplug", "pause", "resume"]))
    def car(self, action: str) -> None:
        self.c.driver(action)

    @rule(fault=st.sampled_from(CAR_FAULTS), active=st.booleans())
    def car_fault(self, fault: str, active: bool) -> None:
        self.c.driver("set_fault", fault=fault, active=active)

    @rule(active=st.booleans(), dc=st.booleans())
    def leak(self, active: bool, dc: bool) -> None:
        self.c.driver("set_rcd_current", current_ma=40.0 if active else 0.0, dc=dc)

    @rule(fault=st.sampled_from(HARDWARE_FAULTS), active=st.booleans())
    def hardware_fault(self, fault: str, active: bool) -> None:
        self.c.hardware_fault(fault, active)

    # --- the charger's commands -------------------------------------------------------------
    @rule(cmd=st.sampled_from(["withdraw_authorization", "pause_charging", "resume_charging"]))
    def command(self, cmd: str) -> None:
        self.c.manager(cmd)

    @rule()
    def authorize(self) -> None:
        self.c.manager("authorize", token=TOKEN)

    @rule()
    def plug_in_and_charge(self) -> None:
        # The usual session, as one step, so that random runs reach charging often.
        self.c.driver("plug_in")
        self.c.advance(0.5)
        self.c.manager("authorize", token=TOKEN)
        self.c.advance(2.0)

    @rule(reason=st.sampled_from(["Local", "Remote"]))
    def stop(self, reason: str) -> None:
        self.c.manager("stop_transaction", reason=reason)

    @rule(enable=st.sampled_from([True, True, True, False]))
    def enable(self, enable: bool) -> None:
        self.c.manager("enable_disable", enable=enable)

    @rule(seconds=st.sampled_from([0.05, 0.5, 2.0, 7.0]))
    def wait(self, seconds: float) -> None:
        self.c.advance(seconds)
        event(f"reached {self.c.evse.state}")  # --hypothesis-show-statistics: the coverage

    # --- what must hold after every step ------------------------------------------------------
    @invariant()
    def published_state_is_the_held_state(self) -> None:
        assert self.c.published_state() == self.c.evse.state == str(self.c.evse.machine.state)

    @invariant()
    def contactors_closed_only_when_allowed(self) -> None:
        evse = self.c.evse
        if not evse.contactor_wanted:
            self.withdrawn_at = None
            return
        assert evse.cp in CHARGING_PILOT_STATES and evse.locked and not evse.faults
        if offers_current(evse.pwm if isinstance(evse.pwm, float) else None):
            assert evse.state in ("PrepareCharging", "Charging")
            self.withdrawn_at = None
        else:  # paused, stopped: the car has pwm_stop_timeout_s to leave C after the PWM stopped
            if self.withdrawn_at is None:
                self.withdrawn_at = self.c.env.now
            assert self.c.env.now - self.withdrawn_at <= evse.config["pwm_stop_timeout_s"]

    @invariant()
    def every_fault_holds_a_safe_state(self) -> None:
        evse = self.c.evse
        if evse.faults:
            assert evse.state == ("Error" if evse.enabled else "Disabled")
            assert not isinstance(evse.pwm, float) and not evse.contactor_wanted

    @invariant()
    def no_module_raised(self) -> None:
        assert [m.exceptions for m in self.c.station.modules.values() if m.exceptions] == []


EvseManagerMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestEvseManagerMachine = EvseManagerMachine.TestCase
