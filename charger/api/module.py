"""Api: a module that serves a running station over HTTP (EVerest's API module plays this
part). It requires what it exposes: the EVSE managers, and beside them the meters and, in a
simulated world, the cars, readers and grid. The web server (FastAPI on uvicorn) runs on a
thread of its own; everything it asks runs on the simulation thread (see bridge.py).
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import Future
from typing import Any

from charger.api.actions import ACTION_NAMES
from charger.api.bridge import ApiError, StreamHub, on_simulation
from charger.api.view import ConnectorView, StationView
from charger.framework import ErrorReport, Module
from charger.framework.errors import Problem

POSITIONAL = ("powermeter", "car")  # the i-th of these belongs to the i-th EVSE manager


class Api(Module):
    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """Cars and meters are matched to EVSE managers by position: never more of them."""
        evses = len(instance.connections.get("evse_manager", []))
        return [Problem(instance.path, instance.line("connections", name) or instance.line(),
                        f"{instance.id}: {len(instance.connections[name])} {name} connections "
                        f"for {evses} EVSE managers; the i-th {name} belongs to the i-th EVSE "
                        f"manager, so list at most one per EVSE manager, in the same order")
                for name in POSITIONAL if len(instance.connections.get(name, [])) > evses]

    def init(self) -> None:
        self.evses = self.requirements("evse_manager")
        self.meters = self.requirements("powermeter")
        self.cars = self.requirements("car")
        self.readers = self.requirements("rfid")
        self.grid = self.optional("grid")
        self.view = StationView(
            [ConnectorView(i, evse.module_id,
                           simulated={"car": i <= len(self.cars), "meter": i <= len(self.meters)})
             for i, evse in enumerate(self.evses, 1)],
            self.config["history_s"])
        self.hub = StreamHub()
        self.external_limits: dict[int, float] = {}
        self.token = self._token()
        self.server: Any = None
        for i, evse in enumerate(self.evses, 1):
            evse.subscribe("session_event",
                           lambda v, c=i: self._emit(self.view.session_event(c, self.env.now, v)))
            evse.subscribe("state", lambda v, c=i: self._emit(self.view.state(c, self.env.now, v)))
            evse.subscribe("limits",
                           lambda v, c=i: self._emit(self.view.limits(c, self.env.now, v)))
            evse.on_error(lambda report, c=i: self._emit(self.view.error(
                c, self.env.now, _error_dict(report))))
        for i, meter in enumerate(self.meters, 1):
            meter.subscribe("powermeter",
                            lambda v, c=i: self._emit(self.view.meter(c, self.env.now, v)))
        for i, car in enumerate(self.cars, 1):
            car.subscribe("ev_state",
                          lambda v, c=i: self._emit(self.view.ev_state(c, self.env.now, v)))
        for node in self.requirements("energy"):
            node.subscribe("energy_flow_request", lambda v, n=node.module_id: self._emit(
                self.view.energy_request(n, self.env.now, v)))

    def ready(self) -> None:
        from charger.api.server import ApiServer

        self._publish_limits()
        self.server = ApiServer(self, self.config["host"], self.config["port"])
        url = self.server.start()
        endpoint = {"url": f"{url}/api/v1", "dashboard": f"{url}/#token={self.token}"}
        self.publish("main", "endpoint", endpoint)
        self.log("info", f"dashboard at {endpoint['dashboard']}")

    def shutdown(self) -> None:
        if self.server is not None:
            self.server.stop()

    # --- asked by the web server (any thread): each runs on the simulation thread --------------
    def ask(self, action: Any) -> Future:
        return on_simulation(self.env, action)

    def snapshot(self) -> dict:
        return {**self.view.snapshot(self.env.now), "readers": len(self.readers),
                "simulated_grid": self.grid is not None}

    def connector(self, connector: int) -> ConnectorView:
        if connector not in self.view.connectors:
            raise ApiError(404, f"no connector {connector} (this station has "
                                f"{len(self.view.connectors)})")
        return self.view.connectors[connector]

    def act(self, connector: int, name: str, args: dict) -> Any:
        """Start action ``name`` on a connector; returns the command's reply event."""
        self.connector(connector)
        action = ACTION_NAMES[name]
        targets = self.evses if action.requirement == "evse_manager" else self.cars
        if connector > len(targets):
            raise ApiError(409, f"connector {connector} has no simulated car: {name} works "
                                "only in a simulated world")
        self.log("info", f"api: {name} on connector {connector}")
        return targets[connector - 1].call(action.cmd, **action.fixed, **args)

    def swipe(self, reader: int, id_token: str) -> Any:
        if not 1 <= reader <= len(self.readers):
            raise ApiError(404 if self.readers else 409,
                           f"no simulated reader {reader} (this station has "
                           f"{len(self.readers)})")
        self.log("info", f"api: card {id_token} at reader {reader}")
        return self.readers[reader - 1].call("present_token", id_token=id_token)

    def set_grid(self, supply: dict) -> Any:
        if self.grid is None:
            raise ApiError(409, "this station has no simulated grid")
        self.view.grid = {**(self.view.grid or {}), **{k: v for k, v in supply.items()
                                                       if v is not None}}
        return self.grid.call("set_supply", **supply)

    def set_limit(self, connector: int, max_current_a: float | None) -> dict:
        self.connector(connector)
        if max_current_a is None:
            self.external_limits.pop(connector, None)
        else:
            self.external_limits[connector] = max_current_a
        return self._publish_limits()

    # --- to the WebSocket clients ----------------------------------------------------------------
    def _emit(self, item: dict) -> None:
        self.hub.publish(item)

    def _publish_limits(self) -> dict:
        limits = {"max_current_a": None,
                  "connectors": [{"connector": c, "max_current_a": a}
                                 for c, a in sorted(self.external_limits.items())]}
        self.publish("limits", "limits", limits)
        return limits

    def _token(self) -> str:
        if self.config["token_env"]:
            token = os.environ.get(self.config["token_env"], "")
            if not token:
                self.log("warning", f"environment variable {self.config['token_env']} is "
                                    "empty: a random token is used")
            return token or secrets.token_urlsafe(18)
        return self.config["token"] or secrets.token_urlsafe(18)


def _error_dict(report: ErrorReport) -> dict:
    return {"type": report.type, "message": report.message, "severity": report.severity,
            "origin": report.origin, "active": report.active}
