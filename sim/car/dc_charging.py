"""The car's side of DC charging as a pure model: what it asks for, and what its battery does.

The car asks for the power its curve gives at the present state of charge, as a current at its
battery's terminal voltage (``OCV + I R``), within its own current limit, and for its maximum
voltage as the target voltage (so the charger regulates the current). The energy stored is the
charge at the open-circuit voltage; the SoC rises with it. No bus, no clock: the caller passes
the time that went by.
"""

from __future__ import annotations

from dataclasses import dataclass

from charger.dc_rules import precharge_done
from sim.car.battery import BatteryPack, current_at_power, interpolate
from sim.car.profiles import dc_pack


@dataclass(frozen=True)
class DcCarLimits:
    pack: BatteryPack
    power_curve_kw: tuple[tuple[float, float], ...]
    max_voltage_v: float
    max_current_a: float

    @classmethod
    def from_profile(cls, profile: dict) -> DcCarLimits:
        dc = profile["dc"]
        return cls(dc_pack(profile), tuple((float(s), float(kw)) for s, kw in dc["power_curve_kw"]),
                   float(dc["max_voltage_v"]), float(dc["max_current_a"]))

    @property
    def max_power_w(self) -> float:
        return max(kw for _, kw in self.power_curve_kw) * 1000.0

    def curve_power_w(self, soc_pct: float) -> float:
        return interpolate(self.power_curve_kw, soc_pct) * 1000.0

    def target_current_a(self, soc_pct: float, target_soc_pct: float = 100.0) -> float:
        """The current the car asks for at this SoC (0 once at the target)."""
        if soc_pct >= min(target_soc_pct, 100.0):
            return 0.0
        ocv = self.pack.open_circuit_voltage(soc_pct)
        wanted = current_at_power(self.curve_power_w(soc_pct), ocv,
                                  self.pack.internal_resistance_ohm)
        return min(wanted, self.max_current_a)

    def target_voltage_v(self) -> float:
        return self.max_voltage_v

    def power_at(self, soc_pct: float, current_a: float) -> float:
        return self.pack.terminal_voltage(soc_pct, current_a) * current_a

    def energy_request_wh(self, soc_pct: float, target_soc_pct: float = 100.0) -> float:
        """Energy the battery still takes to reach the target (each % of SoC is 1 % of the
        capacity, as ``BatteryPack.soc_after`` counts it)."""
        return max(target_soc_pct - soc_pct, 0.0) / 100.0 * self.pack.capacity_kwh * 1000.0

    def time_to_soc_s(self, soc_pct: float, target_soc_pct: float,
                      charger_max_power_w: float = float("inf")) -> float:
        """How long the curve takes from ``soc_pct`` to ``target_soc_pct`` (an estimate for the
        RemainingTimeTo... fields), with the charger giving at most ``charger_max_power_w``."""
        capacity_wh = self.pack.capacity_kwh * 1000.0
        resistance = self.pack.internal_resistance_ohm
        seconds, soc = 0.0, soc_pct
        while soc < target_soc_pct - 1e-9:
            step = min(0.5, target_soc_pct - soc)
            middle = soc + step / 2.0
            ocv = self.pack.open_circuit_voltage(middle)
            current = min(self.target_current_a(middle),
                          current_at_power(charger_max_power_w, ocv, resistance)
                          if charger_max_power_w != float("inf") else float("inf"))
            if current <= 0:
                return float("inf")
            seconds += step / 100.0 * capacity_wh * 3600.0 / (current * ocv)
            soc += step
        return seconds


@dataclass
class DcBatteryState:
    """The battery during a DC session: SoC and the energy it took in."""

    limits: DcCarLimits
    soc_pct: float
    energy_wh: float = 0.0

    def open_circuit_voltage(self) -> float:
        return self.limits.pack.open_circuit_voltage(self.soc_pct)

    def absorb(self, current_a: float, seconds: float) -> float:
        """Charge at ``current_a`` for ``seconds``; returns the energy stored (Wh)."""
        self.soc_pct, stored = self.limits.pack.soc_after(self.soc_pct, current_a, seconds)
        self.energy_wh += stored
        return stored

    def may_close_contactors(self, inlet_voltage_v: float) -> bool:
        """The car closes its contactors only on a pre-charged inlet (within 20 V)."""
        return precharge_done(inlet_voltage_v, self.open_circuit_voltage())
