"""SimCar: a car that plugs in, follows the pilot's PWM and charges its battery.

It decides its pilot state and how much current its on-board charger draws from what it sees on
the plug (the board's ``measurement``): it closes S2 (state C) when it wants power and the PWM
offers at least 6 A, follows duty changes after ``reaction_time_s``, and draws
``min(PWM allowance, on-board charger limit, battery limit)`` once the contactors are closed.
The battery limit tapers linearly from ``cv_start_soc_pct`` to zero at 100 %.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from charger.dc_rules import precharge_done
from charger.framework import Module, command
from charger.iec61851 import MIN_CURRENT_A, current_from_duty
from sim.car.dc_charging import DcCarLimits
from sim.car.profiles import PROFILE_KEYS, car_profiles, hlc_behaviour
from sim.car.script import ScriptCommand, parse_script

TAPER_FLOOR_A = 1.0  # the battery accepts at least this much until it is full


class SimCar(Module):
    def init(self) -> None:
        profile = car_profiles()[self.config["profile"]]
        for key in PROFILE_KEYS:
            value = self.config[key]
            setattr(self, key, profile[key] if value is None else value)
        self.board = self.require("ev_board")
        self.soc = float(self.config["soc_pct"])
        self.energy_wh = 0.0  # taken in by the battery since plug-in
        self.plugged = False
        self.wants_power = False
        self.limit_a = float(self.max_current_a)
        self.draw_phases = int(self.phases)
        self.fixed_a: float | None = None
        self.error_e = False
        self.ventilation = False
        self.allowed_a = 0.0  # what the PWM allows, as the car has taken notice of it
        self.measurement: dict | None = None
        self._duty: float | None = None
        self._duty_changes = 0
        self._since = 0.0
        self._cp = ""
        self._draw = (-1.0, 0)
        self._published: dict | None = None
        self._watchers: list = []  # events waiting for the next measurement
        self.board.subscribe("measurement", self._on_measurement)
        # DC: the profile's pack and curve, and the DC inlet when the station connects one.
        self.dc = DcCarLimits.from_profile({**profile, "battery_kwh": self.battery_kwh}) \
            if "dc" in profile else None
        self.hlc = hlc_behaviour(profile)
        self.ev_dc = self.optional("ev_dc") if self.dc is not None else None
        self.dc_measurement: dict | None = None
        self._reported_battery: tuple[float, float] | None = None
        if self.ev_dc is not None:
            self.ev_dc.subscribe("measurement", self._on_dc_measurement)

    def ready(self) -> Generator:
        self._apply()
        self._report_battery()
        self._publish_state()
        if self.config["script"]:
            self.start(self._run_script(parse_script(self.config["script"])))
        while True:
            yield self.env.timeout(self.config["bms_interval_s"])
            self._integrate()
            self._apply()
            self._report_battery()
            self._publish_state()

    # --- scenario commands ---------------------------------------------------------------------
    @command("car", "plug_in")
    def plug_in(self) -> None:
        self._plug(wants_power=True)

    @command("car", "unplug")
    def unplug(self) -> None:
        self.plugged = self.wants_power = False
        self._apply()

    @command("car", "pause")
    def pause(self) -> None:
        self.wants_power = False
        self._apply()

    @command("car", "resume")
    def resume(self) -> None:
        self.wants_power = True
        self._apply()

    @command("car", "set_fault")
    def set_fault(self, fault: str, active: bool) -> None:
        if fault == "diode_fail":
            self.board.send("diode_fail", value=active)
        elif fault == "error_e":
            self.error_e = active
        else:
            self.ventilation = active
        self._apply()

    @command("car", "set_rcd_current")
    def set_rcd_current(self, current_ma: float, dc: bool) -> None:
        self.board.send("set_rcd_current", current_ma=current_ma, dc=dc)

    @command("car", "set_soc")
    def set_soc(self, soc_pct: float) -> None:
        self._integrate()
        self.soc = float(soc_pct)
        self._apply()
        self._publish_state()

    @command("car", "execute_script")
    def execute_script(self, script: str) -> None:
        self.start(self._run_script(parse_script(script)))  # a ScriptError fails the command

    # --- behaviour -----------------------------------------------------------------------------
    def _plug(self, wants_power: bool) -> None:
        if not self.plugged:
            self.energy_wh = 0.0
        self.plugged = True
        self.wants_power = wants_power
        self._apply()

    def _on_measurement(self, measurement: dict) -> None:
        self._integrate()
        self.measurement = measurement
        duty = measurement["pwm_duty_pct"]
        if duty != self._duty:
            self._duty = duty
            self._duty_changes += 1
            self.start(self._follow_duty(self._duty_changes, current_from_duty(duty)))
        self._apply()
        watchers, self._watchers = self._watchers, []
        for event in watchers:
            event.succeed()

    def _follow_duty(self, change: int, allowed_a: float) -> Generator:
        yield self.env.timeout(self.config["reaction_time_s"])
        if change == self._duty_changes:
            self.allowed_a = allowed_a
            self._apply()

    def battery_limit_a(self) -> float:
        if self.soc >= self.config["target_soc_pct"] or self.soc >= 100.0:
            return 0.0
        cv_start = float(self.cv_start_soc_pct)
        if self.soc <= cv_start:
            return float(self.max_current_a)
        share = (100.0 - self.soc) / max(100.0 - cv_start, 1e-9)
        return max(float(self.max_current_a) * share, TAPER_FLOOR_A)

    def full(self) -> bool:
        return self.battery_limit_a() == 0.0

    def _apply(self) -> None:
        """Set the pilot state and the on-board charger's draw from what the car wants."""
        relays = bool(self.measurement and self.measurement["relays_closed"])
        draw = 0.0
        if not self.plugged:
            cp = "A"
        elif self.error_e:
            cp = "E"
        else:
            offered = self.fixed_a is not None or self.allowed_a >= MIN_CURRENT_A
            charge = self.wants_power and not self.full() and offered
            cp = ("D" if self.ventilation else "C") if charge else "B"
            if charge and relays:
                if self.fixed_a is not None:
                    draw = self.fixed_a
                else:
                    draw = min(self.allowed_a, self.limit_a, self.battery_limit_a())
                draw = round(draw, 1)
        if cp != self._cp:
            self._cp = cp
            self.board.send("set_cp_state", cp_state=cp)
        if (draw, self.draw_phases) != self._draw:
            self._draw = (draw, self.draw_phases)
            self.board.send("set_ac_draw", current_a=draw, phases=self.draw_phases)

    # --- DC ------------------------------------------------------------------------------------
    def _on_dc_measurement(self, measurement: dict) -> None:
        self._integrate()
        self.dc_measurement = measurement

    def _report_battery(self) -> None:
        """Tell the DC inlet the battery's voltage as it follows the SoC."""
        if self.ev_dc is None or self.dc is None:
            return
        battery = (round(self.dc.pack.open_circuit_voltage(self.soc), 1),
                   self.dc.pack.internal_resistance_ohm)
        if battery != self._reported_battery:
            self._reported_battery = battery
            self.ev_dc.send("set_battery", open_circuit_voltage_v=battery[0],
                            internal_resistance_ohm=battery[1])

    def dc_request(self) -> tuple[float, float]:
        """(target voltage, target current) the car asks of a DC charger now."""
        assert self.dc is not None
        return (self.dc.target_voltage_v(),
                self.dc.target_current_a(self.soc, float(self.config["target_soc_pct"])))

    def set_dc_contactors(self, closed: bool) -> bool:
        """Close (only on a pre-charged inlet) or open the car's DC contactors; whether they
        are in the asked position."""
        if self.ev_dc is None or self.dc is None:
            return False
        if closed:
            inlet = self.dc_measurement["voltage_v"] if self.dc_measurement else 0.0
            if not precharge_done(inlet, self.dc.pack.open_circuit_voltage(self.soc)):
                return False
        self.ev_dc.send("set_contactors", value=closed)
        return True

    def _integrate(self) -> None:
        now = self.env.now
        if self.dc is not None and self.dc_measurement and now > self._since:
            current = self.dc_measurement["current_a"]
            if current > 0:
                self.soc, stored = self.dc.pack.soc_after(self.soc, current, now - self._since)
                self.energy_wh += stored
        if self.measurement and now > self._since:
            power_w = sum(v * i for v, i in zip(self.measurement["voltage_v"],
                                                self.measurement["current_a"]))
            if power_w:
                stored = power_w * float(self.efficiency) * (now - self._since) / 3600.0
                self.energy_wh += stored
                self.soc = min(100.0, self.soc + stored / (float(self.battery_kwh) * 10.0))
        self._since = now

    def _publish_state(self) -> None:
        current = self.measurement["current_a"][0] if self.measurement else 0.0
        if not current and self.dc_measurement:
            current = self.dc_measurement["current_a"]  # charging DC
        if not self.plugged:
            state = "unplugged"
        elif self.error_e:
            state = "fault"
        elif current > 0:
            state = "charging"
        elif self.full():
            state = "full"
        elif self.wants_power:
            state = "plugged"
        else:
            state = "paused"
        value = {"state": state, "soc_pct": round(self.soc, 3),
                 "energy_wh": round(self.energy_wh, 3), "current_a": current}
        if value != self._published:
            self._published = value
            self.publish("car", "ev_state", value)

    # --- command strings -----------------------------------------------------------------------
    def _run_script(self, commands: list[ScriptCommand]) -> Generator:
        for cmd in commands:
            self.log("info", f"script: {cmd.text}")
            yield from self._script_step(cmd)

    def _script_step(self, cmd: ScriptCommand) -> Generator:
        # Every command of sim/car/script.py's SCRIPT_COMMANDS has one step here (a test
        # holds the two tables together).
        yield from SCRIPT_STEPS[cmd.name](self, *cmd.args)

    def _step_sleep(self, seconds: float) -> Generator:
        yield self.env.timeout(seconds)

    def _step_wait_pwr_ready(self) -> Generator:
        self._plug(wants_power=self.wants_power)
        while not (self.measurement and
                   current_from_duty(self.measurement["pwm_duty_pct"]) >= MIN_CURRENT_A):
            waiter = self.env.event()
            self._watchers.append(waiter)
            yield waiter

    def _step_draw(self, amperes: float, phases: int, fixed: bool) -> Generator:
        self._plug(wants_power=True)
        self.draw_phases = int(phases)
        if fixed:
            self.fixed_a = float(amperes)
        else:
            self.fixed_a = None
            self.limit_a = min(float(amperes), float(self.max_current_a))
        self._apply()
        yield from ()

    def _step(self, action: Callable[..., None], *args: Any) -> Generator:
        """A command that acts at once."""
        action(*args)
        yield from ()


SCRIPT_STEPS: dict[str, Callable[..., Generator]] = {
    "sleep": SimCar._step_sleep,
    "iec_wait_pwr_ready": SimCar._step_wait_pwr_ready,
    "draw_power_regulated": lambda car, a, p: car._step_draw(a, p, fixed=False),
    "draw_power_fixed": lambda car, a, p: car._step_draw(a, p, fixed=True),
    "pause": lambda car: car._step(car.pause),
    "unplug": lambda car: car._step(car.unplug),
    "error_e": lambda car: car._step(car.set_fault, "error_e", True),
    "diode_fail": lambda car: car._step(car.set_fault, "diode_fail", True),
    "rcd_current": lambda car, ma: car._step(car.set_rcd_current, ma, False),
    "set_soc": lambda car, pct: car._step(car.set_soc, pct),
}
