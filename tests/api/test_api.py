"""The station's web API against a running station: bearer token, status, commands, the
simulated world's actions, limits, typed failures, the WebSocket stream, and the OpenAPI
description kept in docs/."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from charger.api.openapi import DOC, openapi_text

from .conftest import TOKEN, RunningStation, station_file


def connector(station: RunningStation, n: int) -> dict:
    return station.get(f"/connectors/{n}")


def charge(station: RunningStation, n: int = 1) -> dict:
    assert station.post(f"/connectors/{n}/plug_in").status_code == 200
    assert station.post("/readers/1/swipe", {"id_token": "AABBCCDD"}).status_code == 200
    return station.wait_for(lambda: (c := connector(station, n))["state"] == "Charging" and c,
                            "charging")


def test_every_request_needs_the_token(station: RunningStation) -> None:
    bare = httpx.Client(base_url=station.base + "/api/v1", timeout=30)
    for headers in ({}, {"Authorization": "Bearer wrong"},
                    {"Authorization": "Bearer ünï".encode("latin-1")}):
        response = bare.get("/status", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
    assert bare.post("/connectors/1/plug_in",
                     headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert connector(station, 1)["ev"]["state"] == "unplugged"  # nothing happened


def test_status_lists_every_connector_and_what_is_simulated(station: RunningStation) -> None:
    status = station.get("/status")
    assert [c["module"] for c in status["connectors"]] == ["evse1", "evse2"]
    assert all(c["simulated"] == {"car": True, "meter": True} for c in status["connectors"])
    assert status["readers"] == 1 and status["simulated_grid"] is True
    assert {c["state"] for c in status["connectors"]} == {"Idle"}


def test_plug_in_and_swipe_start_a_session_that_counts_energy(station: RunningStation) -> None:
    charging = charge(station)
    assert charging["session"]["id_token"] == "AABBCCDD"
    station.wait_for(lambda: connector(station, 1)["session"]["energy_wh"] > 10, "energy")
    sessions = station.get("/sessions")
    assert [s["connector"] for s in sessions["running"]] == [1]
    assert station.post("/connectors/1/stop").json() == {"result": True}
    station.wait_for(lambda: connector(station, 1)["state"] != "Charging", "the stop")
    assert station.post("/connectors/1/unplug").status_code == 200
    finished = station.wait_for(lambda: station.get("/sessions")["finished"], "a finished session")
    assert finished[0]["connector"] == 1 and finished[0]["energy_wh"] > 10


def test_pause_resume_and_a_limit_reach_the_evse_manager(station: RunningStation) -> None:
    charge(station)
    assert station.post("/connectors/1/pause").json() == {"result": True}
    station.wait_for(lambda: connector(station, 1)["state"] != "Charging", "a pause")
    assert station.post("/connectors/1/resume").json() == {"result": True}
    station.wait_for(lambda: connector(station, 1)["state"] == "Charging", "charging again")
    response = station.post("/connectors/1/limit", {"max_current_a": 10})
    assert response.json()["connectors"] == [{"connector": 1, "max_current_a": 10.0}]
    station.wait_for(lambda: connector(station, 1)["limits"]["max_current_a"] <= 10, "the limit")
    station.post("/connectors/1/limit", {"max_current_a": None})
    station.wait_for(lambda: connector(station, 1)["limits"]["max_current_a"] > 10, "no limit")


def test_an_injected_fault_shows_as_an_error(station: RunningStation) -> None:
    charge(station)
    assert station.post("/connectors/1/fault", {"fault": "diode_fail"}).status_code == 200
    errors = station.wait_for(lambda: station.get("/errors"), "an error")
    assert errors[0]["connector"] == 1 and errors[0]["type"] == "evse_manager/DiodeFault"
    assert connector(station, 1)["errors"][0]["type"] == "evse_manager/DiodeFault"


def test_bad_requests_get_typed_answers(station: RunningStation) -> None:
    assert station.post("/connectors/9/plug_in").status_code == 404
    assert "no connector 9" in station.post("/connectors/9/plug_in").json()["detail"]
    assert station.post("/readers/3/swipe", {"id_token": "X"}).status_code == 404
    assert station.post("/connectors/1/fault", {"fault": "melted"}).status_code == 422
    assert station.post("/connectors/1/limit", {"max_current_a": -1}).status_code == 422
    assert station.post("/readers/1/swipe", {"id_token": ""}).status_code == 422
    assert station.get("/status")["connectors"][0]["state"] == "Idle"  # still serving


def test_a_connector_without_a_car_refuses_the_simulated_actions(tmp_path: Path) -> None:
    def one_car(doc: dict) -> None:
        del doc["active_modules"]["car2"]
        doc["active_modules"]["api"]["connections"]["car"] = ["car1.car"]

    running = RunningStation(station_file(tmp_path, one_car))
    try:
        response = running.post("/connectors/2/plug_in")
        assert response.status_code == 409
        assert "no simulated car" in response.json()["detail"]
        assert running.get("/connectors/2")["simulated"]["car"] is False
    finally:
        running.stop()


def test_the_stream_sends_a_snapshot_then_events_and_telemetry(station: RunningStation) -> None:
    url = station.base.replace("http", "ws") + "/api/v1/stream"
    with pytest.raises((InvalidStatus, ConnectionClosed)), \
            connect(f"{url}?token=wrong", open_timeout=10) as refused:
        refused.recv(timeout=10)
    with connect(f"{url}?token={TOKEN}", open_timeout=10) as stream:
        first = json.loads(stream.recv(timeout=30))
        assert first["kind"] == "snapshot" and len(first["value"]["connectors"]) == 2
        charge(station)
        seen: set[str] = set()
        events: list[str] = []
        while not {"session_event", "meter", "ev", "state"} <= seen or \
                "ChargingStarted" not in events:
            item = json.loads(stream.recv(timeout=30))
            seen.add(item["kind"])
            if item["kind"] == "session_event":
                events.append(item["value"]["event"])
        assert events.index("SessionStarted") < events.index("ChargingStarted")


def test_the_openapi_description_in_docs_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == openapi_text(), (
        "run: python -m charger.api.openapi --write")
    paths = json.loads(openapi_text())["paths"]
    assert "/api/v1/connectors/{connector}/plug_in" in paths
    assert all(operation.get("responses", {}).get("401")
               for methods in paths.values() for operation in methods.values())


def test_more_cars_than_evse_managers_is_refused(tmp_path: Path) -> None:
    from evbench.cli import main as evbench_main

    def three_cars(doc: dict) -> None:
        doc["active_modules"]["api"]["connections"]["car"] = ["car1.car", "car2.car", "car1.car"]

    path = station_file(tmp_path, three_cars)
    assert evbench_main(["validate", str(path)]) == 2


@pytest.mark.mqtt
@pytest.mark.slow
def test_the_same_endpoints_work_on_the_mqtt_bus(tmp_path: Path) -> None:
    """Every module in its own process (the API too), through a private Mosquitto."""
    running = RunningStation(station_file(tmp_path), bus="mqtt", factor=0.2)
    try:
        assert [c["module"] for c in running.get("/status")["connectors"]] == ["evse1", "evse2"]
        charging = charge(running, 2)
        assert charging["session"]["id_token"] == "AABBCCDD"
        running.wait_for(lambda: connector(running, 2)["meter"]["power_w"]["total"] > 0, "power")
        assert running.post("/connectors/9/unplug").status_code == 404
    finally:
        running.stop()


def test_the_docs_list_every_action() -> None:
    from charger.api.actions import ACTIONS

    page = (DOC.parent / "api.md").read_text(encoding="utf-8")
    table = page[page.index("Actions ("):page.index("Failures:")]
    for action in ACTIONS:
        assert f"`{action.name}`" in table and f"`{action.cmd}`" in table, action.name
