"""Fleet scenarios: N chargers and a population of cars described by distributions.

A scenario with a ``fleet:`` block instead of a ``station:`` file describes a site in a few
lines: how many chargers, the feeders and the transformer they sit under, the energy manager's
policy, and the cars as distributions (arrival and departure times, the profile mix from
``sim/car/profiles.yaml``, state of charge on arrival, energy needed). Expanding it, seeded by the
run's seed, gives

* the station: a simulated grid, a grid connection node, a transformer node (with a rating), one
  breaker node per feeder, and per charger a simulated board, an EVSE manager and (one per 64
  EVSE managers) a free-charging auth module, under one energy manager;
* one simulated car per charger that has a visit (a depot: each car its own charger);
* the cars' steps: ``plug_in`` at the arrival, ``car_plan`` at once (departure and need, for the
  energy manager and the site KPIs), ``unplug`` at the departure.

``load_fleet`` checks the block when the scenario loads (every problem with file and line);
``population`` and ``station_document`` are pure functions of the block and the seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from charger.framework.errors import Problem
from charger.framework.schema import document_problems
from charger.framework.yamlio import line_at
from evbench.scenario.durations import DURATION_SCHEMA, parse_duration
from evbench.scenario.model import CarSpec, Scenario, Step

AUTH_GROUP = 64  # an Auth module serves at most this many EVSE managers (its manifest)
MAX_CHARGERS = 4000  # the simulated grid's meter adds up at most 4,096 loads

_NUMBER = {"type": "number"}
_PAIR = {"type": "array", "minItems": 2, "maxItems": 2}
# A value drawn per car: fixed (a number or, for times, a duration), uniform between two
# values, or normal (mean, standard deviation), clipped to what the quantity allows.
DISTRIBUTION_SCHEMA = {"oneOf": [
    {"type": ["number", "string"]},
    {"type": "object", "required": ["uniform"], "additionalProperties": False,
     "properties": {"uniform": _PAIR}},
    {"type": "object", "required": ["normal"], "additionalProperties": False,
     "properties": {"normal": _PAIR}},
], "errorMessage": "a value (number or duration), {uniform: [low, high]} or "
                   "{normal: [mean, standard deviation]}"}

FLEET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["chargers", "cars"],
    "additionalProperties": False,
    "properties": {
        "chargers": {"type": "integer", "minimum": 1, "maximum": MAX_CHARGERS},
        "charger": {"type": "object", "additionalProperties": False, "properties": {
            "max_current_a": {"type": "number", "minimum": 6, "maximum": 80},
        }},
        "connection_a": {"type": "number", "exclusiveMinimum": 0},
        "transformer_kva": {"type": "number", "exclusiveMinimum": 0},
        "feeders": {"type": "object", "additionalProperties": False, "required": ["count"],
                    "properties": {"count": {"type": "integer", "minimum": 1},
                                   "limit_a": {"type": "number", "exclusiveMinimum": 0}}},
        "energy_manager": {"type": "object"},
        "metering": DURATION_SCHEMA,
        "cars": {"type": "object", "additionalProperties": False,
                 "required": ["arrival", "departure", "energy_kwh"],
                 "properties": {
                     "count": {"type": "integer", "minimum": 0},
                     "profiles": {"oneOf": [
                         {"type": "array", "minItems": 1, "items": {"type": "string"}},
                         {"type": "object", "minProperties": 1,
                          "additionalProperties": {"type": "number", "exclusiveMinimum": 0}}]},
                     "arrival": DISTRIBUTION_SCHEMA,
                     "departure": DISTRIBUTION_SCHEMA,
                     "min_stay": DURATION_SCHEMA,
                     "energy_kwh": DISTRIBUTION_SCHEMA,
                     "soc_pct": DISTRIBUTION_SCHEMA,
                 }},
    },
}


@dataclass(frozen=True)
class Distribution:
    kind: str  # "fixed", "uniform" or "normal"
    a: float
    b: float = 0.0

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b, count)
        if self.kind == "normal":
            return rng.normal(self.a, self.b, count)
        return np.full(count, self.a)


@dataclass(frozen=True)
class Fleet:
    """A checked ``fleet:`` block."""

    path: str
    line: int | None  # of the block: generated modules and steps point here
    chargers: int
    max_current_a: float
    connection_a: float
    transformer_kva: float | None
    feeders: int
    feeder_limit_a: float
    energy_manager: dict[str, Any]
    energy_manager_line: int | None
    metering_s: float
    cars: int
    profiles: tuple[tuple[str, float], ...]  # name, weight
    arrival: Distribution
    departure: Distribution
    min_stay_s: float
    energy_kwh: Distribution
    soc_pct: Distribution


@dataclass(frozen=True)
class Visit:
    """One car's day at its charger."""

    connector: int
    profile: str
    soc_pct: float
    target_soc_pct: float
    need_kwh: float  # at the meter, by the departure
    arrival_s: float
    departure_s: float  # may be after the end of the run: the car is still there at the end
    max_current_a: float  # the car's own limit per phase
    phases: int  # the phases the car draws on


def load_fleet(block: Any, path: str, duration_s: float, profiles: dict[str, dict]
               ) -> tuple[Fleet | None, list[Problem]]:
    """The checked block, or None and the problems (file and line each)."""
    problems = document_problems(block, FLEET_SCHEMA, path)
    if problems:
        return None, problems

    def where(*keys: str | int) -> int | None:
        return line_at(block, list(keys))

    def duration(value: Any, *keys: str | int) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            problems.append(Problem(path, where(*keys), str(exc)))
            return 0.0

    def distribution(key: str, is_time: bool) -> Distribution:
        spec = block["cars"].get(key)
        if spec is None:
            return Distribution("uniform", 20.0, 60.0)  # soc_pct's default
        keys = ("cars", key)
        if isinstance(spec, dict):
            kind = next(iter(spec))
            values = []
            for i, v in enumerate(spec[kind]):
                if is_time:
                    values.append(duration(v, *keys, kind, i))
                elif isinstance(v, int | float) and not isinstance(v, bool):
                    values.append(float(v))
                else:
                    problems.append(Problem(path, where(*keys, kind, i),
                                            f"cars.{key}: {v!r} is not a number"))
                    values.append(0.0)
            low, high = values
            if kind == "uniform" and low > high:
                problems.append(Problem(path, where(*keys), f"cars.{key}: uniform low "
                                        f"{low:g} is greater than high {high:g}"))
            if kind == "normal" and high < 0:
                problems.append(Problem(path, where(*keys), f"cars.{key}: a standard "
                                        "deviation cannot be negative"))
            return Distribution(kind, low, high)
        if is_time:
            return Distribution("fixed", duration(spec, *keys))
        if isinstance(spec, str):
            problems.append(Problem(path, where(*keys), f"cars.{key}: {spec!r} is not a "
                                    "number"))
            return Distribution("fixed", 0.0)
        return Distribution("fixed", float(spec))

    cars_block = block["cars"]
    chosen = cars_block.get("profiles", ["sedan-3ph-11kw"])
    mix = ([(name, 1.0) for name in chosen] if isinstance(chosen, list)
           else [(name, float(w)) for name, w in chosen.items()])
    for name, _ in mix:
        if name not in profiles:
            problems.append(Problem(path, where("cars", "profiles", *(
                [chosen.index(name)] if isinstance(chosen, list) else [name])),
                f"unknown car profile {name!r} (known: {', '.join(sorted(profiles))})"))
    chargers = int(block["chargers"])
    count = int(cars_block.get("count", chargers))
    if count > chargers:
        problems.append(Problem(path, where("cars", "count"), f"{count} cars for {chargers} "
                                "chargers: each car has its own charger for its stay"))
    max_current = float(block.get("charger", {}).get("max_current_a", 32.0))
    feeders = block.get("feeders", {})
    feeder_count = int(feeders.get("count", 1))
    if feeder_count > chargers:
        problems.append(Problem(path, where("feeders", "count"),
                                f"{feeder_count} feeders for {chargers} chargers"))
    connection = float(block.get("connection_a", max_current * chargers))
    energy_limits = {k: v for k, v in block.get("energy_manager", {}).items()}
    fleet = Fleet(
        path=path, line=getattr(block, "line", None), chargers=chargers,
        max_current_a=max_current, connection_a=connection,
        transformer_kva=(float(block["transformer_kva"]) if "transformer_kva" in block
                         else None),
        feeders=feeder_count,
        feeder_limit_a=float(feeders.get("limit_a", connection)),
        energy_manager=energy_limits, energy_manager_line=where("energy_manager"),
        metering_s=duration(block.get("metering", 60.0), "metering"),
        cars=min(count, chargers), profiles=tuple(mix),
        arrival=distribution("arrival", True), departure=distribution("departure", True),
        min_stay_s=duration(cars_block.get("min_stay", "15 min"), "cars", "min_stay"),
        energy_kwh=distribution("energy_kwh", False), soc_pct=distribution("soc_pct", False))
    if fleet.metering_s <= 0 and "metering" in block:
        problems.append(Problem(path, where("metering"), "metering must be greater than 0"))
    arrival = fleet.arrival
    earliest = arrival.a if arrival.kind != "normal" else arrival.a - 3 * arrival.b
    if earliest >= duration_s:
        problems.append(Problem(path, where("cars", "arrival"), "cars.arrival: the cars would "
                                f"come after the end of the run ({duration_s:g} s)"))
    return (None if problems else fleet), problems


def population(fleet: Fleet, seed: int, duration_s: float,
               profiles: dict[str, dict]) -> list[Visit]:
    """Every car's visit, drawn from the fleet's distributions with ``seed`` (the same seed,
    the same cars). Times are whole seconds; an arrival is at the earliest 1 s into the run,
    a stay at least ``min_stay``; a car needs at most what its battery takes from its state
    of charge on arrival."""
    rng = np.random.default_rng([seed, 0xF1EE7])
    n = fleet.cars
    names = [name for name, _ in fleet.profiles]
    weights = np.array([w for _, w in fleet.profiles], dtype=float)
    # Every quantity drawn for all cars at once, always in this order: reproducible.
    chosen = rng.choice(len(names), size=n, p=weights / weights.sum())
    arrival = np.clip(np.round(fleet.arrival.draw(rng, n)), 1.0, max(1.0, duration_s - 1))
    departure = np.round(fleet.departure.draw(rng, n))
    departure = np.maximum(departure, arrival + max(fleet.min_stay_s, 1.0))
    soc = np.clip(fleet.soc_pct.draw(rng, n), 0.0, 100.0)
    need = np.maximum(fleet.energy_kwh.draw(rng, n), 0.0)
    visits = []
    for i in range(n):
        profile = profiles[names[chosen[i]]]
        battery = float(profile["battery_kwh"])
        efficiency = float(profile.get("efficiency", 1.0))
        room = battery * (100.0 - soc[i]) / 100.0 / efficiency  # kWh at the meter
        need_kwh = round(float(min(need[i], room)), 3)
        target = min(100.0, float(soc[i]) + need_kwh * efficiency / battery * 100.0)
        visits.append(Visit(i + 1, names[chosen[i]], round(float(soc[i]), 2),
                            round(math.ceil(target * 100.0) / 100.0, 2), need_kwh,
                            float(arrival[i]), float(departure[i]),
                            min(float(profile["max_current_a"]), fleet.max_current_a),
                            int(profile.get("phases", 3))))
    return visits


def station_document(fleet: Fleet) -> dict[str, Any]:
    """The station the fleet describes, as a station file's document."""
    n = fleet.chargers
    modules: dict[str, Any] = {
        "grid": {"module": "SimGrid", "config": {"max_current_a": fleet.connection_a},
                 "connections": {"loads": [f"board{i}.meter" for i in range(1, n + 1)]}},
    }
    feeders = [f"feeder{k}" for k in range(1, fleet.feeders + 1)]
    members: dict[str, list[str]] = {f: [] for f in feeders}
    for i in range(1, n + 1):
        feeder = feeders[(i - 1) * fleet.feeders // n]  # consecutive chargers share a feeder
        members[feeder].append(f"evse{i}.energy")
        modules[f"board{i}"] = {
            "module": "SimBoard",
            "config": {"max_current_a": fleet.max_current_a, "phases": 3,
                       "meter_id": f"meter-{i}", "meter_interval_s": fleet.metering_s},
            "connections": {"grid": "grid.supply"}}
        modules[f"evse{i}"] = {
            "module": "EvseManager",
            "config": {"connector_id": i, "max_current_a": fleet.max_current_a, "phases": 3,
                       "energy_managed": True},
            "connections": {"board": f"board{i}.board", "rcd": f"board{i}.rcd",
                            "lock": f"board{i}.lock", "powermeter": f"board{i}.meter"}}
    for k, start in enumerate(range(1, n + 1, AUTH_GROUP), start=1):
        modules[f"auth{k}"] = {
            "module": "Auth", "config": {"free_charging": True},
            "connections": {"evse_manager": [f"evse{i}" for i in
                                             range(start, min(n, start + AUTH_GROUP - 1) + 1)]}}
    for feeder in feeders:
        modules[feeder] = {"module": "EnergyNode",
                           "config": {"node_type": "Breaker", "fuse_limit_a": fleet.feeder_limit_a},
                           "connections": {"children": members[feeder]}}
    top = [f"{f}.energy" for f in feeders]
    if fleet.transformer_kva is not None:
        modules["transformer"] = {
            "module": "EnergyNode",
            "config": {"node_type": "Transformer", "fuse_limit_a": fleet.connection_a,
                       "rating_kva": fleet.transformer_kva},
            "connections": {"children": top, "supply": "grid.supply"}}
        top = ["transformer.energy"]
    modules["grid_connection"] = {
        "module": "EnergyNode",
        "config": {"node_type": "Grid", "fuse_limit_a": fleet.connection_a},
        "connections": {"children": top, "supply": "grid.supply"}}
    modules["energy_manager"] = {  # it counts each car's energy from its charger's meter
        "module": "EnergyManager",
        "config": {**fleet.energy_manager, "metered_evses": [f"evse{i}" for i in range(1, n + 1)]},
        "connections": {"root": "grid_connection", "grid": "grid.supply",
                        "meters": [f"board{i}.meter" for i in range(1, n + 1)]}}
    return {"description": f"A fleet site: {n} chargers of {fleet.max_current_a:g} A under "
            f"{fleet.feeders} feeders", "active_modules": modules}


def cars_and_steps(fleet: Fleet, visits: list[Visit], duration_s: float, bms_interval_s: float
                   ) -> tuple[list[CarSpec], list[Step]]:
    """A simulated car per visit, and the steps of every visit in time order: plug in at the
    arrival, the car's plan (departure and need) for the energy manager at once, unplug at the
    departure when it is within the run."""
    cars = []
    timed: list[tuple[float, int, int, str, dict[str, Any]]] = []
    for v in visits:
        config = {"profile": v.profile, "soc_pct": v.soc_pct, "target_soc_pct": v.target_soc_pct,
                  "bms_interval_s": bms_interval_s}
        cars.append(CarSpec(v.connector, config, {"connector": v.connector, **config}))
        timed.append((v.arrival_s, 0, v.connector, "plug_in", {}))
        timed.append((v.arrival_s, 1, v.connector, "car_plan", {
            "departure_in_s": v.departure_s - v.arrival_s, "energy_kwh": v.need_kwh,
            "max_current_a": v.max_current_a, "phases": v.phases}))
        if v.departure_s < duration_s:
            timed.append((v.departure_s, 2, v.connector, "unplug", {}))
    timed.sort(key=lambda e: e[:3])
    steps = [Step(index=i, action=action, args=args, connector=connector, at=t,
                  line=fleet.line)
             for i, (t, _, connector, action, args) in enumerate(timed, start=1)]
    return cars, steps


def with_fleet(scenario: Scenario, seed: int) -> Scenario:
    """The scenario with its fleet's cars and steps for ``seed`` (unchanged without a fleet)."""
    fleet = scenario.fleet
    if fleet is None:
        return scenario
    from sim.car.profiles import car_profiles

    visits = population(fleet, seed, scenario.duration_s, car_profiles())
    cars, steps = cars_and_steps(fleet, visits, scenario.duration_s, fleet.metering_s)
    return replace(scenario, cars=[*scenario.cars, *cars], fleet_steps=steps)
