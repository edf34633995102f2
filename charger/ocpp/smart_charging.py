"""Charging profiles: parsing (1.6 and 2.0.1), checks, stacking and composite schedules.

Pure functions on simulated seconds: the caller converts OCPP date-times with its clock
(simulated t=0 is a configured date-time, so absolute schedules run deterministically).

Stacking, as OCPP 1.6 section 3.13 and 2.0.1 K describe it:

* within one purpose, the valid profile with the highest stack level whose schedule covers the
  instant sets the limit; beyond its schedule's duration (or before its first period) the next
  lower one does;
* on a connector, a TxProfile of its running transaction overrides TxDefaultProfiles; a
  TxDefaultProfile set on the connector overrides one set on connector 0 (the whole station);
* the ChargePointMaxProfile (2.0.1: ChargingStationMaxProfile) on connector 0 limits the whole
  station; a connector's composite schedule is the minimum of both levels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

PURPOSES = {  # OCPP purpose name -> ours
    "ChargePointMaxProfile": "ChargePointMax", "ChargingStationMaxProfile": "ChargePointMax",
    "TxDefaultProfile": "TxDefault", "TxProfile": "Tx",
    "ChargingStationExternalConstraints": "External",
}
RECURRENCE_S = {"Daily": 86400.0, "Weekly": 7 * 86400.0}
EPS = 1e-6  # seconds: instants this close count as equal (date-times carry milliseconds)
MAX_STACK_LEVEL = 10
MAX_PERIODS = 24
MAX_PROFILES = 20


@dataclass
class Period:
    start_s: float
    limit: float
    phases: int | None = None


@dataclass
class Profile:
    """A charging profile in the charger's own terms, on one connector (0: the station)."""

    id: int
    connector: int
    stack_level: int
    purpose: str  # ChargePointMax | TxDefault | Tx | External
    kind: str  # Absolute | Relative | Recurring
    unit: str  # A | W
    periods: list[Period]
    start: float | None = None  # schedule start (simulated s) for Absolute and Recurring
    duration: float | None = None
    recurrency: str | None = None
    valid_from: float | None = None
    valid_to: float | None = None
    transaction: str | None = None  # the backend's transaction id (Tx profiles)
    received: float = 0.0  # when it was installed (start of an Absolute without a start)
    raw: dict = field(default_factory=dict)


class ProfileError(ValueError):
    """A profile the charge point rejects, with the reason."""


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def iso(when: datetime) -> str:
    """An OCPP date-time (UTC, milliseconds, "Z")."""
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_profile(raw: dict, connector: int, to_sim: Callable[[datetime], float],
                  received: float) -> Profile:
    """A 1.6 ``csChargingProfiles`` or 2.0.1 ``chargingProfile`` object as a :class:`Profile`."""
    schedules = raw.get("chargingSchedule")
    schedule = schedules[0] if isinstance(schedules, list) else schedules
    if not isinstance(schedule, dict):
        raise ProfileError("no charging schedule")
    try:
        periods = [Period(float(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
                   for p in schedule["chargingSchedulePeriod"]]

        def when(key: str, where: dict) -> float | None:
            return to_sim(parse_time(where[key])) if where.get(key) else None

        transaction = raw.get("transactionId")
        return Profile(
            id=int(raw.get("chargingProfileId", raw.get("id"))), connector=connector,
            stack_level=int(raw["stackLevel"]),
            purpose=PURPOSES[raw["chargingProfilePurpose"]],
            kind=raw["chargingProfileKind"], unit=schedule["chargingRateUnit"],
            periods=periods, start=when("startSchedule", schedule),
            duration=float(schedule["duration"]) if schedule.get("duration") is not None
            else None,
            recurrency=raw.get("recurrencyKind"), valid_from=when("validFrom", raw),
            valid_to=when("validTo", raw),
            transaction=str(transaction) if transaction is not None else None,
            received=received, raw=raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"malformed profile: {exc!r}") from None


def check_profile(profile: Profile, connectors: int, tx_on_connector: str | None) -> None:
    """Raise :class:`ProfileError` when the charge point must reject the profile."""
    if not 0 <= profile.connector <= connectors:
        raise ProfileError(f"no connector {profile.connector}")
    if profile.stack_level > MAX_STACK_LEVEL:
        raise ProfileError(f"stack level above {MAX_STACK_LEVEL}")
    if profile.purpose == "External":
        raise ProfileError("ChargingStationExternalConstraints is set by the station itself")
    if profile.purpose == "ChargePointMax" and profile.connector != 0:
        raise ProfileError("a ChargePointMaxProfile applies to connector 0 only")
    if profile.purpose == "Tx":
        if profile.connector == 0:
            raise ProfileError("a TxProfile needs a connector")
        if tx_on_connector is None:
            raise ProfileError("no transaction on the connector")
        if profile.transaction is not None and profile.transaction != tx_on_connector:
            raise ProfileError("the transaction id is not the connector's transaction")
    if profile.unit not in ("A", "W"):
        raise ProfileError(f"unknown rate unit {profile.unit!r}")
    if not profile.periods or len(profile.periods) > MAX_PERIODS:
        raise ProfileError(f"a schedule needs 1 to {MAX_PERIODS} periods")
    starts = [p.start_s for p in profile.periods]
    if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:])):
        raise ProfileError("periods must start at 0 and increase")
    if profile.kind == "Recurring" and (profile.recurrency not in RECURRENCE_S
                                        or profile.start is None):
        raise ProfileError("a Recurring profile needs recurrencyKind and startSchedule")
    if profile.kind not in ("Absolute", "Relative", "Recurring"):
        raise ProfileError(f"unknown profile kind {profile.kind!r}")


def install(profiles: list[Profile], new: Profile) -> list[Profile]:
    """The profiles after installing ``new``: it replaces one with the same id, or with the
    same connector, purpose and stack level."""
    kept = [p for p in profiles if p.id != new.id and not (
        p.connector == new.connector and p.purpose == new.purpose
        and p.stack_level == new.stack_level)]
    return [*kept, new]


def matches_clear(p: Profile, profile_id: int | None, connector: int | None,
                  purpose: str | None, stack_level: int | None) -> bool:
    if profile_id is not None:
        return p.id == profile_id
    return ((connector is None or p.connector == connector)
            and (purpose is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level))


# --- evaluation ------------------------------------------------------------------------------
def _start(p: Profile, t: float, tx_start: float | None) -> float:
    if p.kind == "Relative":
        return tx_start if tx_start is not None else t
    base = p.start if p.start is not None else p.received
    if p.kind == "Recurring" and p.recurrency in RECURRENCE_S:
        cycle = RECURRENCE_S[p.recurrency]
        return base + math.floor((t - base + EPS) / cycle) * cycle if t >= base - EPS else base
    return base


def period_at(p: Profile, t: float, tx_start: float | None) -> Period | None:
    """The period of ``p`` in force at ``t``, or None when it sets no limit then."""
    if (p.valid_from is not None and t < p.valid_from - EPS) or \
            (p.valid_to is not None and t >= p.valid_to - EPS):
        return None
    offset = t - _start(p, t, tx_start)
    if offset < -EPS or (p.duration is not None and offset >= p.duration - EPS):
        return None
    current = None
    for period in p.periods:
        if period.start_s <= offset + EPS:
            current = period
    return current


def _changes(p: Profile, t: float, tx_start: float | None) -> list[float]:
    times = [x for x in (p.valid_from, p.valid_to) if x is not None]
    start = _start(p, t, tx_start)
    starts = [start]
    if p.kind == "Recurring" and p.recurrency in RECURRENCE_S:
        starts.append(start + RECURRENCE_S[p.recurrency])
    for s in starts:
        times += [s + period.start_s for period in p.periods]
        if p.duration is not None:
            times.append(s + p.duration)
    return times


def to_amps(limit: float, unit: str, phases: int | None, voltage_v: float,
            default_phases: int) -> float:
    if unit == "A":
        return limit
    return limit / (voltage_v * (phases or default_phases))


@dataclass
class Limits:
    station_a: float | None  # ChargePointMax level
    connector_a: float | None  # Tx / TxDefault level

    @property
    def combined_a(self) -> float | None:
        values = [v for v in (self.station_a, self.connector_a) if v is not None]
        return min(values) if values else None


def _best(candidates: list[Profile], t: float, tx_start: float | None,
          voltage_v: float, phases: int) -> float | None:
    for p in sorted(candidates, key=lambda p: -p.stack_level):
        period = period_at(p, t, tx_start)
        if period is not None:
            return to_amps(period.limit, p.unit, period.phases, voltage_v, phases)
    return None


def limits_at(profiles: list[Profile], t: float, connector: int, tx_id: str | None,
              tx_start: float | None, voltage_v: float = 230.0, phases: int = 3) -> Limits:
    """The station and connector limits (A per phase) the profiles set at ``t``."""
    station = _best([p for p in profiles if p.purpose == "ChargePointMax"], t, tx_start,
                     voltage_v, phases)
    level = None
    if connector > 0:
        if tx_id is not None:
            level = _best([p for p in profiles if p.purpose == "Tx" and p.connector == connector
                           and p.transaction in (None, tx_id)], t, tx_start, voltage_v, phases)
        if level is None:
            level = _best([p for p in profiles if p.purpose == "TxDefault"
                           and p.connector == connector], t, tx_start, voltage_v, phases)
        if level is None:
            level = _best([p for p in profiles if p.purpose == "TxDefault"
                           and p.connector == 0], t, tx_start, voltage_v, phases)
    return Limits(station, level)


def next_change(profiles: list[Profile], t: float, tx_start: float | None) -> float | None:
    """The next instant after ``t`` at which some profile's limit may change."""
    later = [x for p in profiles for x in _changes(p, t, tx_start) if x > t + EPS]
    return min(later) if later else None


def composite(profiles: list[Profile], t0: float, duration: float, connector: int,
              tx_id: str | None, tx_start: float | None, max_current_a: float,
              voltage_v: float = 230.0, phases: int = 3) -> list[tuple[float, float]]:
    """The composite schedule from ``t0`` for ``duration`` s as (offset s, limit A) periods:
    the minimum of every level and the connector's own maximum, merged where equal."""
    out: list[tuple[float, float]] = []
    t, end = t0, t0 + max(duration, 0.0)
    while t < end or not out:  # at least one period, even for a zero duration
        limits = limits_at(profiles, t, connector, tx_id, tx_start, voltage_v, phases)
        value = limits.combined_a
        if connector == 0:
            value = limits.station_a
        value = max_current_a if value is None else min(value, max_current_a)
        value = math.floor(value * 10 + 1e-9) / 10
        if not out or out[-1][1] != value:
            out.append((round(t - t0, 3), value))
        following = next_change(profiles, t, tx_start)
        t = end if following is None else min(following, end)
    return out
