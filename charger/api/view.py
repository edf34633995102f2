"""What the API knows of the station: the last word of every connector, car, meter and error,
and a bounded history for the dashboard's plots.

Plain data, updated on the simulation thread by the module and read there too (the web server
asks the simulation thread for a snapshot), so it needs no lock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

FINISHED_SESSIONS_KEPT = 200  # sessions listed after they finished
EVENTS_KEPT = 500  # recent events a newly connected client is given


@dataclass
class ConnectorView:
    """One connector as the API shows it: its EVSE manager, and what is wired beside it."""

    connector: int  # 1-based position among the API's EVSE managers
    module: str  # the EVSE manager's module id
    state: str = "unknown"
    enabled: bool = True
    session: dict | None = None  # the running session: id, token, start, energy
    limits: dict | None = None  # the EVSE manager's published limits
    meter: dict | None = None  # the last power meter reading
    ev: dict | None = None  # the simulated car's own report (SoC, current), if any
    errors: dict[str, dict] = field(default_factory=dict)  # active errors by type
    simulated: dict[str, bool] = field(default_factory=dict)  # which simulated parts exist

    def as_dict(self) -> dict[str, Any]:
        return {"connector": self.connector, "module": self.module, "state": self.state,
                "enabled": self.enabled, "session": self.session, "limits": self.limits,
                "meter": self.meter, "ev": self.ev, "errors": sorted(self.errors.values(),
                                                                     key=lambda e: e["type"]),
                "simulated": self.simulated}


class StationView:
    """Connectors, sessions, errors and energy-tree requests, as last reported on the bus."""

    def __init__(self, connectors: list[ConnectorView], history_s: float):
        self.connectors = {c.connector: c for c in connectors}
        self.history_s = history_s
        self.finished: deque[dict] = deque(maxlen=FINISHED_SESSIONS_KEPT)
        self.events: deque[dict] = deque(maxlen=EVENTS_KEPT)
        self.energy: dict[str, Any] = {}  # energy node module id -> its last request
        self.grid: dict[str, Any] | None = None
        # (t, connector, current A, power W, SoC %) samples for the plots, oldest first.
        self.samples: deque[tuple[float, int, float | None, float | None, float | None]] = deque()

    # --- updates (simulation thread) -------------------------------------------------------------
    def session_event(self, connector: int, t: float, event: dict) -> dict:
        view = self.connectors[connector]
        name = event["event"]
        if name == "SessionStarted":
            view.session = {"session_id": event.get("session_id"), "started_s": t,
                            "id_token": None, "energy_wh": 0.0, "events": [],
                            "meter_start_wh": _register(view.meter)}
        if view.session is not None:
            if event.get("id_token"):
                view.session["id_token"] = event["id_token"]
            if "energy_wh" in event:
                view.session["energy_wh"] = event["energy_wh"]
            view.session["events"].append({"t": t, "event": name})
        if name == "SessionFinished" and view.session is not None:
            self.finished.append({**view.session, "connector": connector, "finished_s": t})
            view.session = None
        if name in ("Enabled", "Disabled"):
            view.enabled = name == "Enabled"
        return self._event(t, "session_event", connector, event)

    def state(self, connector: int, t: float, state: str) -> dict:
        self.connectors[connector].state = state
        return self._event(t, "state", connector, state)

    def limits(self, connector: int, t: float, limits: dict) -> dict:
        self.connectors[connector].limits = limits
        return self._event(t, "limits", connector, limits)

    def meter(self, connector: int, t: float, reading: dict) -> dict:
        view = self.connectors[connector]
        view.meter = reading
        session = view.session
        if session is not None and session["meter_start_wh"] is not None:
            # Between the EVSE manager's events, the session's energy is the meter's count.
            session["energy_wh"] = _register(reading) - session["meter_start_wh"]
        elif session is not None:
            session["meter_start_wh"] = _register(reading)
        self._sample(t, view)
        return {"t": t, "kind": "meter", "connector": connector, "value": reading}

    def ev_state(self, connector: int, t: float, ev: dict) -> dict:
        view = self.connectors[connector]
        view.ev = ev
        self._sample(t, view)
        return {"t": t, "kind": "ev", "connector": connector, "value": ev}

    def error(self, connector: int, t: float, report: dict) -> dict:
        errors = self.connectors[connector].errors
        if report["active"]:
            errors[report["type"]] = {**report, "since_s": t}
        else:
            errors.pop(report["type"], None)
        return self._event(t, "error", connector, report)

    def energy_request(self, node: str, t: float, request: Any) -> dict:
        self.energy[node] = request
        return {"t": t, "kind": "energy", "node": node, "value": request}

    def _event(self, t: float, kind: str, connector: int, value: Any) -> dict:
        item = {"t": t, "kind": kind, "connector": connector, "value": value}
        self.events.append(item)
        return item

    def _sample(self, t: float, view: ConnectorView) -> None:
        meter, ev = view.meter or {}, view.ev or {}
        current = (meter.get("current_a") or {}).get("L1", ev.get("current_a"))
        power = (meter.get("power_w") or {}).get("total")
        self.samples.append((t, view.connector, current, power, ev.get("soc_pct")))
        while self.samples and self.samples[0][0] < t - self.history_s:
            self.samples.popleft()

    # --- snapshots (simulation thread, handed to the web server) ---------------------------------
    def snapshot(self, now: float) -> dict[str, Any]:
        return {"t": now, "connectors": [c.as_dict() for c in self.connectors.values()],
                "grid": self.grid, "energy": dict(self.energy)}

    def history(self) -> dict[str, Any]:
        columns = ("t", "connector", "current_a", "power_w", "soc_pct")
        return {name: [sample[i] for sample in self.samples] for i, name in enumerate(columns)}


def _register(reading: dict | None) -> float | None:
    """The meter's imported-energy register (Wh), if there is a reading."""
    if not reading:
        return None
    return float((reading.get("energy_wh_import") or {}).get("total", 0.0))
