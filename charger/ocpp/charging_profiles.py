"""The charging profiles a charge point holds, and the limits they set (its smart charging).

Profiles (SetChargingProfile, or a remote start's TxProfile) are checked, stored (TxProfiles only
for their transaction), and evaluated on the simulation clock by :mod:`charger.ocpp.smart_charging`
(pure functions). The limits go out on the charge point's ``energy_limits`` implementation
whenever they change, and again at the next instant a schedule changes them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from charger.ocpp.smart_charging import (
    Limits,
    Profile,
    ProfileError,
    check_profile,
    install,
    limits_at,
    next_change,
    parse_profile,
)

if TYPE_CHECKING:
    from charger.ocpp.base import Connector, OcppChargePoint


class ChargingProfiles:
    def __init__(self, cp: OcppChargePoint):
        self.cp = cp
        self.profiles: list[Profile] = []
        self._limits_generation = 0
        self._published_limits: dict | None = None

    def set_profile(self, raw: dict, connector: int, for_new_transaction: bool = False) -> str:
        """Accepted or Rejected (with a log line saying why). A remote start's TxProfile is
        installed for the transaction it started (whose backend id may not be known yet)."""
        try:
            profile = parse_profile(raw, connector, self.cp.to_sim, float(self.cp.env.now))
            conn = self.cp.connectors.get(connector)
            tx = self.cp.backend_transaction_id(conn.tx) if conn and conn.tx else None
            if for_new_transaction and conn is not None and conn.tx:
                tx = tx or conn.tx
            check_profile(profile, len(self.cp.connectors), tx)
            if len(self.profiles) >= int(self.cp.settings["max_profiles"]) and \
                    not any(p.id == profile.id for p in self.profiles):
                raise ProfileError("too many profiles installed")
        except ProfileError as problem:
            self.cp.log("warning", f"charging profile rejected: {problem}")
            return "Rejected"
        self.profiles = install(self.profiles, profile)
        self.save()
        self.update()
        return "Accepted"

    def clear_profiles(self, match: Callable[[Profile], bool]) -> bool:
        kept = [p for p in self.profiles if not match(p)]
        cleared = len(kept) != len(self.profiles)
        self.profiles = kept
        self.save()
        self.update()
        return cleared

    def save(self) -> None:
        stored = {i for i, _, _ in self.cp.store.profiles()}
        current = {p.id for p in self.profiles}
        for profile_id in stored - current:
            self.cp.store.delete_profile(profile_id)
        for p in self.profiles:
            self.cp.store.put_profile(p.id, p.connector, {"raw": p.raw, "received": p.received,
                                                       "purpose": p.purpose})

    def reload(self) -> None:
        profiles = []
        for _, connector, data in self.cp.store.profiles():
            if data.get("purpose") == "Tx":
                continue  # their transactions ended with the previous run
            try:
                profiles.append(parse_profile(data["raw"], connector, self.cp.to_sim,
                                              float(data.get("received", 0.0))))
            except (ProfileError, KeyError):
                continue
        self.profiles = profiles
        self.save()

    def connector_limits(self, conn: Connector) -> Limits:
        """The limits the charging profiles set for a connector now."""
        tx = self.cp.backend_transaction_id(conn.tx) if conn.tx else None
        start = conn.tx_data.get("start_t") if conn.tx else None
        return limits_at(self.profiles, float(self.cp.env.now), conn.number, tx, start,
                         float(self.cp.config["nominal_voltage_v"]), int(self.cp.config["phases"]))

    def update(self) -> None:
        self._limits_generation += 1
        now = float(self.cp.env.now)
        station = limits_at(self.profiles, now, 0, None, None,
                            float(self.cp.config["nominal_voltage_v"]),
                            int(self.cp.config["phases"])).station_a
        value = {"max_current_a": _round_down(station), "connectors": [
            {"connector": c.number, "max_current_a": _round_down(
                self.connector_limits(c).connector_a)} for c in self.cp.connectors.values()]}
        if value != self._published_limits:
            self._published_limits = value
            self.cp.publish("energy_limits", "limits", value)
        starts = [None] + [c.tx_data.get("start_t") for c in self.cp.connectors.values() if c.tx]
        changes = [x for x in (next_change(self.profiles, now, s) for s in starts)
                   if x is not None]
        if changes:
            self.cp.start(self._limits_at(min(changes), self._limits_generation))

    def _limits_at(self, when: float, generation: int) -> Generator:
        yield self.cp.env.timeout(max(0.0, when - float(self.cp.env.now)))
        if generation == self._limits_generation:
            self.update()

    def end_of_transaction(self, conn: Connector) -> None:
        """A connector's TxProfiles end with its transaction."""
        self.profiles = [p for p in self.profiles
                         if not (p.purpose == "Tx" and p.connector == conn.number)]
        self.save()
        self.update()


def _round_down(value: float | None) -> float | None:
    if value is None:
        return None
    return max(0.0, int(value * 10 + 1e-9) / 10)
