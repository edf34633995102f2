"""The OCPP-J endpoint on its own: routes built by @on/@after, snake_case arguments and typed
results, schema checks both ways, and one call in flight (a second call waits for the first)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import simpy
from ocpp.v16 import call_result

from charger.ocpp.endpoint import Endpoint, after, on, route_table


class Host:
    """Just enough of a module for an endpoint: a clock, processes, a log."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.sent: list[list] = []
        self.done: list[str] = []
        self.logs: list[str] = []
        self.exceptions: list[BaseException] = []
        self.endpoint = Endpoint(self, "1.6", self.transmit)

    def transmit(self, text: str) -> bool:
        self.sent.append(json.loads(text))
        return True

    def start(self, generator: Any) -> simpy.Process:
        return self.env.process(generator)

    def log(self, level: str, message: str) -> None:
        self.logs.append(f"{level}: {message}")

    def _record_exception(self, exc: BaseException) -> None:
        self.exceptions.append(exc)

    @on("ChangeConfiguration")
    def change(self, key: str, value: str) -> call_result.ChangeConfiguration:
        return call_result.ChangeConfiguration(status="Accepted" if key == "A" else "Rejected")

    @after("ChangeConfiguration")
    def changed(self, response: call_result.ChangeConfiguration, key: str, value: str) -> None:
        self.done.append(f"{key}={value} {response.status}")

    @on("ClearCache")
    def clear(self) -> dict:
        return {"status": "Maybe"}  # not in the schema: never sent


def test_requests_are_routed_with_snake_case_arguments_and_answered_checked() -> None:
    host = Host()
    host.endpoint.received('[2,"a","ChangeConfiguration",{"key":"A","value":"1"}]')
    host.endpoint.received('[2,"b","ClearCache",{}]')
    host.endpoint.received('[2,"c","Reset",{"type":"Soft"}]')  # known, not served
    host.endpoint.received('[2,"d","Teleport",{}]')  # not OCPP
    host.endpoint.received('[2,"e","ChangeConfiguration",{"key":1}]')  # bad payload
    host.env.run()
    replies = {m[1]: m for m in host.sent}
    assert replies["a"] == [3, "a", {"status": "Accepted"}]
    assert replies["b"] == [4, "b", "InternalError", "reply could not be built", {}]
    assert replies["c"] == [4, "c", "NotSupported", "Reset is not supported", {}]
    assert replies["d"] == [4, "d", "NotImplemented", "Teleport is not known", {}]
    assert replies["e"][:3] == [4, "e", "OccurenceConstraintViolation"]
    assert host.done == ["A=1 Accepted"]  # @after ran once, after the CallResult


def test_one_call_in_flight_and_replies_paired_by_id() -> None:
    host = Host()
    outcomes: list[Any] = []

    def caller(unique_id: str) -> Any:
        outcome = yield from host.endpoint.call(unique_id, "Heartbeat", {}, timeout_s=10)
        outcomes.append((unique_id, outcome.status, host.env.now))

    host.start(caller("1"))
    host.start(caller("2"))
    host.env.run(until=1)
    assert [m[1] for m in host.sent] == ["1"]  # the second waits for the first
    host.endpoint.received('[3,"2",{"currentTime":"2025-01-01T00:00:00Z"}]')  # not waited for
    host.endpoint.received('[3,"1",{"currentTime":"2025-01-01T00:00:00Z"}]')
    host.env.run(until=2)
    assert [m[1] for m in host.sent] == ["1", "2"]
    host.endpoint.received('[3,"2",{"bogus":1}]')
    host.env.run(until=30)
    assert outcomes == [("1", "result", 1), ("2", "invalid", 2)]
    assert any("no request of ours is waiting" in line for line in host.logs)


def test_two_handlers_for_one_action_are_a_definition_error() -> None:
    class Twice(Host):
        @on("ClearCache")
        def clear_again(self) -> dict:
            return {"status": "Accepted"}

    with pytest.raises(TypeError, match="two handlers for ClearCache"):
        route_table(Twice)
