"""SimGrid: the supply a station is connected to, and what else the site sees of the grid.

It publishes the supply (voltage, frequency, the connection's limit, outages), changed by a
scenario's commands or timed events. With a site configured it also publishes, every
``update_s``: PV production (clear sky through seeded clouds), the site's base load, the price,
and a grid-side meter at the connection point (the chargers' meters plus base load less PV);
and once, a forecast of prices, PV and base load for an optimiser, and demand-response events
when they are announced.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from charger.framework import Module, command
from sim.grid.profiles import Tariff, base_load, clear_sky, cloud_factor

PHASE_SHARES = (1 / 3, 1 / 3, 1 / 3)  # base load and PV spread over the three phases
EVENT_KINDS = ("voltage", "frequency", "outage")


class SimGrid(Module):
    def init(self) -> None:
        self.supply = {key: self.config[key]
                       for key in ("voltage_v", "frequency_hz", "max_current_a", "available")}
        for key in ("voltage_v", "frequency_hz", "max_current_a"):
            self.supply[key] = float(self.supply[key])
        self.connection_a = self.supply["max_current_a"]
        self.supply["max_current_a"] = self._capped(self.connection_a)
        self.site_configured = bool(self.config["pv_peak_kw"] or self.config["base_load_kw"]
                                    or self.config["time_of_use"] or self.config["day_ahead"])
        self.loads: dict[int, float] = {}  # index of a load's meter -> its latest power (W)
        self._loads_w = 0.0  # their sum
        self.import_wh = 0.0
        self._metered_at = 0.0
        self._import_w = 0.0
        self.events: list[dict] = []
        self._event_generation = {kind: 0 for kind in EVENT_KINDS}
        self._build_profiles()
        for index, meter in enumerate(self.requirements("loads")):
            meter.subscribe("powermeter", lambda v, i=index: self._on_load(i, v))

    def ready(self) -> None:
        self.publish("supply", "supply", dict(self.supply))
        if self.site_configured:
            self.publish("supply", "forecast", self._forecast())
            self.start(self._site_updates())

    # --- scenario control ----------------------------------------------------------------------
    @command("control", "set_supply")
    def set_supply(self, voltage_v: float | None, frequency_hz: float | None,
                   max_current_a: float | None, available: bool | None) -> None:
        changes = {"voltage_v": voltage_v, "frequency_hz": frequency_hz,
                   "max_current_a": max_current_a, "available": available}
        for key, value in changes.items():
            if value is not None:
                self.supply[key] = float(value) if key != "available" else value
        if max_current_a is not None:
            self.connection_a = float(max_current_a)
            self.supply["max_current_a"] = self._capped(self.connection_a)
        self.publish("supply", "supply", dict(self.supply))

    @command("control", "grid_event")
    def grid_event(self, kind: str, value: float | None, duration_s: float) -> None:
        """A voltage or frequency excursion, or an outage, that ends by itself."""
        key = {"voltage": "voltage_v", "frequency": "frequency_hz", "outage": "available"}[kind]
        before = self.supply[key]
        self._event_generation[kind] += 1
        self._apply(key, False if kind == "outage" else float(value or 0.0))
        self.start(self._restore(kind, key, before, duration_s, self._event_generation[kind]))

    @command("control", "announce_demand_response")
    def announce_demand_response(self, notice_s: float, duration_s: float,
                                 max_import_kw: float) -> None:
        start = self.env.now + notice_s
        self.events = [e for e in self.events if e["end_s"] > self.env.now]
        self.events.append({"start_s": start, "end_s": start + duration_s,
                            "max_import_w": max_import_kw * 1000.0})
        self.publish("supply", "demand_response", {"events": list(self.events)})

    def _apply(self, key: str, value: object) -> None:
        self.supply[key] = value
        self.publish("supply", "supply", dict(self.supply))

    def _restore(self, kind: str, key: str, before: object, duration_s: float,
                 generation: int) -> Generator:
        yield self.env.timeout(duration_s)
        if self._event_generation[kind] == generation:  # a later event of the kind owns it now
            self._apply(key, before)

    def _capped(self, connection_a: float) -> float:
        kva = self.config["transformer_kva"]
        if kva is None:
            return connection_a
        volts = float(self.config["voltage_v"]) or 230.0
        return min(connection_a, kva * 1000.0 / (3 * volts))

    # --- the site ------------------------------------------------------------------------------
    def _build_profiles(self) -> None:
        """Every site value for the whole horizon at once, from the run's seed: the same seed
        gives the same clouds, loads and prices."""
        step = float(self.config["update_s"])
        steps = int(np.ceil(self.config["horizon_h"] * 3600.0 / step)) + 1
        rng = np.random.default_rng(self.rng.getrandbits(64))
        self.step_s = step
        self.hours = self.config["start_hour"] + np.arange(steps) * step / 3600.0
        clear = clear_sky(self.hours, self.config["pv_peak_kw"] * 1000.0)
        self.pv_clear_w = clear
        self.pv_w = clear * cloud_factor(steps, self.config["cloudiness"], rng)
        self.base_w = base_load(self.hours, self.config["base_load_kw"] * 1000.0, rng)
        self.base_expected_w = base_load(self.hours, self.config["base_load_kw"] * 1000.0, None)
        tou = tuple(sorted((float(r["from_hour"]), float(r["price"]))
                           for r in self.config["time_of_use"]))
        day_ahead = self.config["day_ahead"] or {}
        tariff = Tariff(tou, day_ahead.get("mean"), day_ahead.get("spread", 0.0),
                        self.config["price_per_kwh"])
        self.price = tariff.prices(self.hours, rng)

    def _index(self) -> int:
        return min(int(self.env.now // self.step_s), len(self.hours) - 1)

    def _forecast(self) -> dict:
        """Prices as known (day-ahead prices are published a day ahead), PV as clear sky
        through the average cloud, base load as its expected shape."""
        mean_cloud = 1.0 - self.config["cloudiness"] * 0.8
        return {"start_s": 0.0, "period_s": self.step_s,
                "price_per_kwh": [round(float(p), 5) for p in self.price],
                "pv_w": [round(float(w), 1) for w in self.pv_clear_w * mean_cloud],
                "base_load_w": [round(float(w), 1) for w in self.base_expected_w]}

    def _on_load(self, index: int, value: dict) -> None:
        self._meter()
        power = float(value["power_w"]["total"])
        self._loads_w += power - self.loads.get(index, 0.0)  # a running sum: a meter per charger
        self.loads[index] = power

    def _meter(self) -> None:
        """Integrate the import at the connection point up to now."""
        hours = (self.env.now - self._metered_at) / 3600.0
        self._metered_at = self.env.now
        self.import_wh += max(self._import_w, 0.0) * hours
        i = self._index()
        self._import_w = self._loads_w + float(self.base_w[i] - self.pv_w[i])

    def _site_updates(self) -> Generator:
        while True:
            self._meter()
            i = self._index()
            volts = self.supply["voltage_v"] or 230.0
            net_a = [float(self.base_w[i] - self.pv_w[i]) * share / volts
                     for share in PHASE_SHARES]
            self.publish("supply", "site", {
                "pv_w": round(float(self.pv_w[i]), 1),
                "base_load_w": round(float(self.base_w[i]), 1),
                "site_load_a": [round(a, 3) for a in net_a],
                "price_per_kwh": round(float(self.price[i]), 5),
                "import_w": round(self._import_w, 1), "energy_import_wh": round(self.import_wh, 3)})
            self.publish("meter", "powermeter", {
                "meter_id": "grid", "power_w": {"total": round(self._import_w, 1)},
                "energy_wh_import": {"total": round(self.import_wh, 3)},
                "frequency_hz": float(self.supply["frequency_hz"])})
            yield self.env.timeout(self.step_s)

    @command("meter", "read")
    def read(self) -> dict:
        self._meter()
        return {"meter_id": "grid", "power_w": {"total": round(self._import_w, 1)},
                "energy_wh_import": {"total": round(self.import_wh, 3)}}
