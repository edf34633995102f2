"""Site KPIs of a run, from its recorded timeline and signals alone.

* **cars**: each car's stay on a connector, from the scenario's steps: ``plug_in`` (arrival),
  ``car_plan`` (its need and departure, as the energy manager was told), ``unplug`` (departure;
  none: still there at the end). The energy at departure is the connector's meter (the
  ``energy_wh`` signal) at the first sample at or after the departure less its value at the last
  sample at or before the arrival; the state of charge likewise.
* **unmet energy**: the sum over the cars that left with a need of
  ``max(0, need - energy at departure)`` (a car still plugged in at the end is not counted).
* **cost**: the import at the connection point times the price, over the run (samples as steps:
  each sample's import and price hold until the next). The import is the grid-side meter's
  (``site_import_w``) on a station with a simulated site, else the chargers' power.
* **peak import**: the highest sampled import.
* **fairness**: Jain's index over the cars' shares of their need met, ``min(1, energy / need)``:
  ``(sum x)^2 / (n * sum x^2)``, 1 when every car got the same share (and when every share is 0).
* **limit violations**: the samples at which the children's current of some energy-tree node
  (feeder, transformer, fuse, grid connection), on some phase, exceeds the node's limit. The limit
  allowed at a sample is the highest the node had in the settle window before it plus one
  sample interval (a car has 5 s to follow a lower offer, 3 s more to be cut off, and a meter's
  reading may be one interval old). It must be 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reports.model import parse_value

if TYPE_CHECKING:  # loaded where KPIs are computed: the scenario loader only needs KPI_KEYS
    import pandas as pd

SETTLE_S = 5.0 + 3.0  # a car follows a lower offer in 5 s; an over-drawing car is cut off in 3 s
AMPS_TOLERANCE = 0.05  # below the meters' resolution of a sum of currents
KPI_KEYS = ("cars", "energy_delivered_kwh", "energy_needed_kwh", "unmet_energy_kwh",
            "cars_unmet", "cost", "peak_import_kw", "fairness", "limit_violations")


@dataclass(frozen=True)
class CarStay:
    connector: int
    arrival_s: float
    departure_s: float | None  # None: still plugged in at the end of the run
    need_kwh: float | None  # None: no plan was given
    energy_kwh: float  # delivered by the departure (or the end)
    soc_arrival_pct: float
    soc_departure_pct: float

    @property
    def unmet_kwh(self) -> float:
        return 0.0 if self.need_kwh is None else max(0.0, self.need_kwh - self.energy_kwh)


def _steps(events: pd.DataFrame | None) -> list[tuple[float, str, dict]]:
    if events is None or not len(events):
        return []
    mask = (events["kind"] == "step") & events["name"].isin(("plug_in", "car_plan", "unplug"))
    out = []
    for t, name, value in zip(events.loc[mask, "t"].tolist(), events.loc[mask, "name"].tolist(),
                              events.loc[mask, "value"].tolist()):
        args = parse_value(value)
        if isinstance(args, dict) and isinstance(args.get("connector"), int):
            out.append((float(t), str(name), args))
    return out


def _at(frame: pd.DataFrame, column: str, t: float, after: bool) -> float:
    """The connector's ``column`` at the first sample at or after ``t`` (``after``), else at
    the last sample at or before it; NaN when there is none."""
    import numpy as np
    import pandas as pd

    times = frame["t"].to_numpy(dtype=float)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    if not len(times):
        return math.nan
    if after:
        i = int(np.searchsorted(times, t - 1e-9, side="left"))
        return float(values[min(i, len(values) - 1)])
    i = int(np.searchsorted(times, t + 1e-9, side="right")) - 1
    return float(values[i]) if i >= 0 else 0.0 if column == "energy_wh" else math.nan


def car_stays(events: pd.DataFrame | None, signals: pd.DataFrame | None) -> list[CarStay]:
    """Every car's stay, in the order of arrival."""

    by_connector: dict[int, pd.DataFrame] = {}
    if signals is not None and len(signals):
        ordered = signals.sort_values(["connector", "t"], kind="stable")
        by_connector = {int(c): f for c, f in ordered.groupby("connector", sort=False)}
    open_: dict[int, dict] = {}
    stays: list[dict] = []
    for t, name, args in _steps(events):
        c = args["connector"]
        if name == "plug_in":
            if c in open_:
                stays.append(open_.pop(c))
            open_[c] = {"connector": c, "arrival_s": t, "departure_s": None, "need": None}
        elif name == "car_plan" and c in open_:
            energy = args.get("energy_kwh")
            open_[c]["need"] = float(energy) if isinstance(energy, int | float) else None
        elif name == "unplug" and c in open_:
            open_[c]["departure_s"] = t
            stays.append(open_.pop(c))
    stays += open_.values()
    out = []
    for s in sorted(stays, key=lambda s: (s["arrival_s"], s["connector"])):
        frame = by_connector.get(s["connector"])
        end = s["departure_s"] if s["departure_s"] is not None else math.inf
        if frame is None or not len(frame):
            energy, soc0, soc1 = 0.0, math.nan, math.nan
        else:
            e0 = _at(frame, "energy_wh", s["arrival_s"], after=False)
            e1 = _at(frame, "energy_wh", end, after=True)
            soc0 = _at(frame, "soc_pct", s["arrival_s"], after=True)
            soc1 = _at(frame, "soc_pct", end, after=True)
            energy = max(0.0, e1 - e0) / 1000.0 if math.isfinite(e1 - e0) else 0.0
        out.append(CarStay(s["connector"], s["arrival_s"], s["departure_s"], s["need"],
                           energy, soc0, soc1))
    return out


def jain_index(shares: list[float]) -> float | None:
    if not shares:
        return None
    squares = sum(x * x for x in shares)
    return 1.0 if squares == 0 else sum(shares) ** 2 / (len(shares) * squares)


def has_site(events: pd.DataFrame | None) -> bool:
    """Whether a simulated site (PV, base load, prices) published during the run."""
    return events is not None and len(events) > 0 and bool(
        ((events["kind"] == "var") & (events["name"] == "site")).any())


def _site_series(events: pd.DataFrame | None, signals: pd.DataFrame) -> pd.DataFrame:
    """Per sample time: import (W) and price."""
    import numpy as np
    import pandas as pd

    if has_site(events):
        first = signals.groupby("t", sort=True)[["site_import_w", "price_per_kwh"]].first()
        return pd.DataFrame({"import_w": first["site_import_w"].astype(float),
                             "price": first["price_per_kwh"].astype(float)})
    power = signals.groupby("t", sort=True)["power_w"].sum(min_count=1).astype(float)
    return pd.DataFrame({"import_w": power, "price": np.zeros(len(power))})


def limit_violations(events: pd.DataFrame | None, signals: pd.DataFrame | None
                     ) -> list[tuple[float, str, float, float]]:
    """(t, node, amperes, limit) of every sample at which a node of the energy tree carried
    more than its limit (see the module's description)."""
    import numpy as np

    from reports.energy_tree import PHASE_SIGNALS, children_current, evse_connectors, tree_nodes
    nodes = tree_nodes(events)
    if not nodes or signals is None or not len(signals):
        return []
    connectors = evse_connectors(events)
    times = np.unique(signals["t"].to_numpy(dtype=float))
    interval = float(np.diff(times).max(initial=0.0)) if len(times) > 1 else 0.0
    found = []
    for node in nodes:
        below = sorted(connectors[e] for e in node.evses if e in connectors)
        sums = children_current(signals, below)
        if not len(sums) or not node.limit_t:
            continue
        t = sums["t"].to_numpy(dtype=float)
        amps = np.nanmax(sums[list(PHASE_SIGNALS)].to_numpy(dtype=float), axis=1)
        limit_t = np.array(node.limit_t)
        limit_a = np.where(np.isnan(node.limit_a), np.inf, np.array(node.limit_a))
        for when, a in zip(t, amps):
            if not a > 0:
                continue
            first = int(np.searchsorted(limit_t, when - SETTLE_S - interval, side="right")) - 1
            last = int(np.searchsorted(limit_t, when, side="right")) - 1
            if last < 0:
                continue  # no limit known yet
            allowed = float(limit_a[max(first, 0):last + 1].max())
            if a > allowed + AMPS_TOLERANCE:
                found.append((float(when), node.uuid, float(a), allowed))
    return sorted(found)


def site_kpis(events: pd.DataFrame | None, signals: pd.DataFrame | None) -> dict | None:
    """The site's KPIs (``KPI_KEYS``), or None for a run with neither cars that came and went
    by steps nor an energy tree."""
    import numpy as np

    from reports.energy_tree import tree_nodes
    stays = car_stays(events, signals)
    if not stays and not tree_nodes(events):
        return None
    # Judged at their departure: cars still plugged in at the end are not (yet) short.
    planned = [s for s in stays if s.need_kwh is not None and s.departure_s is not None]
    shares = [min(1.0, s.energy_kwh / s.need_kwh) if s.need_kwh > 0 else 1.0 for s in planned]
    cost = peak = None
    if signals is not None and len(signals):
        series = _site_series(events, signals)
        t = series.index.to_numpy(dtype=float)
        hours = np.diff(t, append=t[-1]) / 3600.0
        import_w = np.maximum(series["import_w"].to_numpy(dtype=float), 0.0)
        price = np.nan_to_num(series["price"].to_numpy(dtype=float))
        cost = float(np.nansum(import_w * price * hours) / 1000.0)
        peak = float(np.nanmax(import_w, initial=0.0) / 1000.0)
    fairness = jain_index(shares)
    cost = cost if cost is not None and math.isfinite(cost) else None
    peak = peak if peak is not None and math.isfinite(peak) else None
    return {
        "cars": len(stays),
        "energy_delivered_kwh": round(sum(s.energy_kwh for s in stays), 3),
        "energy_needed_kwh": round(sum(s.need_kwh for s in planned), 3),
        "unmet_energy_kwh": round(sum(s.unmet_kwh for s in planned), 3),
        "cars_unmet": sum(1 for s in planned if s.unmet_kwh > 0.01),
        "cost": None if cost is None else round(cost, 4),
        "peak_import_kw": None if peak is None else round(peak, 3),
        "fairness": None if fairness is None else round(fairness, 4),
        "limit_violations": len(limit_violations(events, signals)),
    }
