"""Charging profiles: stacking, kinds, units, checks and composite schedules (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from charger.ocpp.smart_charging import (
    ProfileError,
    check_profile,
    composite,
    install,
    limits_at,
    matches_clear,
    next_change,
    parse_profile,
)

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def to_sim(when: datetime) -> float:
    return (when - EPOCH).total_seconds()


def at(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def profile16(pid: int, purpose: str, stack: int, periods: list[tuple[int, float]],
              connector: int = 1, kind: str = "Absolute", start: float | None = 0.0,
              unit: str = "A", duration: int | None = None, **extra):
    schedule = {"chargingRateUnit": unit, "chargingSchedulePeriod": [
        {"startPeriod": s, "limit": lim} for s, lim in periods]}
    if start is not None and kind != "Relative":
        schedule["startSchedule"] = at(start)
    if duration is not None:
        schedule["duration"] = duration
    raw = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
           "chargingProfileKind": kind, "chargingSchedule": schedule, **extra}
    return parse_profile(raw, connector, to_sim, received=0.0)


def test_highest_stack_level_wins_until_its_schedule_ends() -> None:
    low = profile16(1, "TxDefaultProfile", 0, [(0, 16)])
    high = profile16(2, "TxDefaultProfile", 1, [(0, 10)], duration=100)
    profiles = [low, high]
    assert limits_at(profiles, 50, 1, None, None).connector_a == 10
    assert limits_at(profiles, 150, 1, None, None).connector_a == 16
    assert next_change(profiles, 50, None) == pytest.approx(100)


def test_tx_profile_overrides_tx_default_and_station_max_caps_both() -> None:
    profiles = [profile16(1, "TxDefaultProfile", 5, [(0, 16)]),
                profile16(2, "TxProfile", 0, [(0, 20), (60, 8)], kind="Relative", start=None),
                profile16(3, "ChargePointMaxProfile", 0, [(0, 10)], connector=0)]
    limits = limits_at(profiles, 30, 1, "7", tx_start=10)
    assert (limits.connector_a, limits.station_a, limits.combined_a) == (20, 10, 10)
    assert limits_at(profiles, 75, 1, "7", tx_start=10).combined_a == 8
    assert limits_at(profiles, 30, 1, None, None).connector_a == 16  # no transaction: TxDefault


def test_connector_tx_default_overrides_the_station_wide_one() -> None:
    profiles = [profile16(1, "TxDefaultProfile", 3, [(0, 12)], connector=0),
                profile16(2, "TxDefaultProfile", 0, [(0, 20)], connector=1)]
    assert limits_at(profiles, 1, 1, None, None).connector_a == 20
    assert limits_at(profiles, 1, 2, None, None).connector_a == 12


def test_watts_become_amperes_per_phase() -> None:
    p = profile16(1, "ChargePointMaxProfile", 0, [(0, 6900)], connector=0, unit="W")
    assert limits_at([p], 0, 1, None, None, voltage_v=230, phases=3).station_a == \
        pytest.approx(10)


def test_recurring_daily_profile_repeats() -> None:
    p = profile16(1, "TxDefaultProfile", 0, [(0, 6), (3600, 16)], kind="Recurring",
                  recurrencyKind="Daily")
    assert limits_at([p], 86400 + 100, 1, None, None).connector_a == 6
    assert limits_at([p], 86400 + 4000, 1, None, None).connector_a == 16


def test_valid_from_and_to_bound_a_profile() -> None:
    p = profile16(1, "TxDefaultProfile", 0, [(0, 6)], validFrom=at(100), validTo=at(200))
    assert [limits_at([p], t, 1, None, None).connector_a for t in (50, 150, 250)] == \
        [None, 6, None]


def test_composite_schedule_merges_levels_and_the_hardware_maximum() -> None:
    profiles = [profile16(1, "TxProfile", 0, [(0, 40), (60, 8)], kind="Relative", start=None),
                profile16(2, "ChargePointMaxProfile", 0, [(0, 10)], connector=0, duration=120)]
    periods = composite(profiles, 0, 300, 1, "7", 0, max_current_a=32)
    assert periods == [(0, 10), (60, 8)]
    assert composite([], 0, 300, 1, None, None, max_current_a=32) == [(0, 32)]


@pytest.mark.parametrize(("profile", "connector", "tx", "reason"), [
    (dict(purpose="TxProfile", stack=0, periods=[(0, 6)]), 1, None, "no transaction"),
    (dict(purpose="TxProfile", stack=0, periods=[(0, 6)], transactionId=3), 1, "4",
     "not the connector's transaction"),
    (dict(purpose="ChargePointMaxProfile", stack=0, periods=[(0, 6)]), 1, None,
     "connector 0 only"),
    (dict(purpose="TxDefaultProfile", stack=11, periods=[(0, 6)]), 1, None, "stack level"),
    (dict(purpose="TxDefaultProfile", stack=0, periods=[(5, 6)]), 1, None, "start at 0"),
    (dict(purpose="TxDefaultProfile", stack=0, periods=[(0, 6)]), 3, None, "no connector 3"),
])
def test_profiles_the_charge_point_rejects(profile: dict, connector: int, tx: str | None,
                                           reason: str) -> None:
    p = profile16(1, profile.pop("purpose"), profile.pop("stack"), profile.pop("periods"),
                  connector=connector, **profile)
    with pytest.raises(ProfileError, match=reason):
        check_profile(p, connectors=1, tx_on_connector=tx)


def test_same_purpose_and_stack_level_replaces_and_clear_matches() -> None:
    a = profile16(1, "TxDefaultProfile", 0, [(0, 6)])
    b = profile16(2, "TxDefaultProfile", 0, [(0, 8)])
    c = profile16(3, "TxDefaultProfile", 1, [(0, 9)])
    profiles = install(install(install([], a), b), c)
    assert [p.id for p in profiles] == [2, 3]
    assert [p.id for p in profiles if matches_clear(p, None, None, "TxDefault", 1)] == [3]
    assert [p.id for p in profiles if matches_clear(p, 2, 99, None, None)] == [2]


def test_a_2_0_1_profile_parses_the_same_way() -> None:
    raw = {"id": 4, "stackLevel": 0, "chargingProfilePurpose": "ChargingStationMaxProfile",
           "chargingProfileKind": "Absolute", "chargingSchedule": [{
               "id": 1, "startSchedule": at(0), "chargingRateUnit": "A",
               "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11.0}]}]}
    p = parse_profile(raw, 0, to_sim, 0.0)
    assert (p.id, p.purpose, p.periods[0].limit) == (4, "ChargePointMax", 11.0)


def test_a_zero_duration_composite_still_has_a_period() -> None:
    assert composite([], 0, 0, 1, None, None, max_current_a=16) == [(0, 16)]
