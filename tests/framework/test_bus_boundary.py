"""Schema checks at the bus boundary: a wrong argument is a typed CommandError, never a crash
deep inside a module; a module's own mistakes (bad publish, missing handler) are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from charger.framework import CommandError, CommandErrorType
from charger.framework.module import ModuleDefinitionError
from charger.framework.registry import ModuleRegistry

STATION = """\
active_modules:
  grid:
    module: SimGrid
  board1:
    module: SimBoard
    config: {phases: 3}
    connections:
      grid: grid.supply
  probe:
    module: Probe
"""
TOKEN = {"id_token": "AABBCCDD", "type": "RFID"}


def token(id_token: str) -> dict:
    return {"provided_token": {"id_token": id_token, "type": "RFID"}}


@pytest.fixture
def station(harness: Callable[..., Any]) -> Any:
    h = harness(STATION)
    h.advance(0.5)
    return h


def _fails(h: Any, module: str, impl: str, cmd: str, args: Any) -> CommandError:
    with pytest.raises(CommandError) as caught:
        h.call(module, impl, cmd, args)
    return caught.value


def test_a_correct_call_returns_the_handler_result(station: Any) -> None:
    assert station.call("probe", "validator", "validate_token", token("ok")) == {
        "authorization_status": "Accepted"}
    assert station.call("board1", "board", "pwm_on", {"duty_cycle_pct": 50}) is None


def test_default_arguments_are_filled_in(station: Any) -> None:
    station.call("board1", "board", "allow_power_on", {"value": True})
    station.advance(1.0)
    board = station.station.modules["board1"]
    assert board.relays_closed and board.relay_phases == 3


BAD_ARGUMENTS = [
    ("missing argument", "probe", "validator", "validate_token", {}),
    ("missing nested field", "probe", "validator", "validate_token",
     {"provided_token": {"id_token": "x"}}),
    ("wrong type", "probe", "validator", "validate_token", {"provided_token": "AABBCCDD"}),
    ("nested enum", "probe", "validator", "validate_token",
     {"provided_token": {"id_token": "x", "type": "Magic"}}),
    ("unknown argument", "probe", "validator", "validate_token", {**token("x"), "colour": 1}),
    ("string for number", "board1", "board", "pwm_on", {"duty_cycle_pct": "50"}),
    ("above maximum", "board1", "board", "pwm_on", {"duty_cycle_pct": 150}),
    ("not in enum", "board1", "board", "allow_power_on", {"value": True, "phase_count": 2}),
    ("bool for number", "board1", "board", "pwm_on", {"duty_cycle_pct": True}),
    ("null for bool", "board1", "board", "enable", {"value": None}),
    ("arguments for a command without any", "board1", "board", "pwm_off", {"x": 1}),
    ("list instead of object", "probe", "validator", "validate_token", [TOKEN]),
    ("string instead of object", "board1", "board", "pwm_off", "now"),
    ("null instead of object", "board1", "board", "pwm_off", None),
    ("number instead of object", "board1", "board", "pwm_on", 50),
]


@pytest.mark.parametrize(("label", "module", "impl", "cmd", "args"), BAD_ARGUMENTS,
                         ids=[c[0] for c in BAD_ARGUMENTS])
def test_bad_arguments_are_a_schema_violation(station: Any, label: str, module: str, impl: str,
                                             cmd: str, args: Any) -> None:
    board = station.station.modules["board1"]
    before = (board.pilot, board._relay_target)
    error = _fails(station, module, impl, cmd, args)
    assert error.type is CommandErrorType.SCHEMA_VIOLATION
    assert f"{module}.{cmd}" in error.message
    # the handler never ran, nothing recorded as a module bug
    assert (board.pilot, board._relay_target) == before
    assert station.station.exceptions == []
    # the failure is on the timeline with its type
    rows = station.rows("cmd_error", f"{module}.{impl}.{cmd}")
    assert rows[-1].value["error"]["type"] == "SchemaValidationError"


@pytest.mark.parametrize(("module", "impl", "cmd"), [
    ("probe", "validator", "revoke_token"),  # no such command
    ("probe", "nowhere", "validate_token"),  # no such implementation
    ("ghost", "validator", "validate_token"),  # no such module
])
def test_unknown_command(station: Any, module: str, impl: str, cmd: str) -> None:
    error = _fails(station, module, impl, cmd, token("x"))
    assert error.type is CommandErrorType.UNKNOWN_COMMAND
    assert f"{module}.{impl}.{cmd}" in error.message


def test_calls_before_ready_are_refused_then_served(harness: Callable[..., Any]) -> None:
    h = harness(STATION, start=False)
    error = _fails(h, "probe", "validator", "validate_token", token("ok"))
    assert error.type is CommandErrorType.NOT_READY
    assert "probe" in error.message
    h.station.start()
    assert h.call("probe", "validator", "validate_token", token("ok")) == {
        "authorization_status": "Accepted"}


def test_a_raising_handler_is_a_handler_exception_and_the_run_goes_on(station: Any) -> None:
    meter_rows = len(station.rows("var", "powermeter"))
    error = _fails(station, "probe", "validator", "validate_token", token("boom"))
    assert error.type is CommandErrorType.HANDLER_EXCEPTION
    assert "probe exploded" in error.message
    assert station.station.exceptions == [("probe", "RuntimeError: probe exploded")]
    assert any(r.kind == "log" and r.name == "exception" and "probe exploded" in r.value
               for r in station.recorder.rows)
    # the same module still serves, and the rest of the station keeps running
    assert station.call("probe", "validator", "validate_token", token("ok"))
    station.advance(5.0)
    assert len(station.rows("var", "powermeter")) >= meter_rows + 5


def test_a_waiting_handler_replies_later(station: Any) -> None:
    t0 = station.env.now
    assert station.call("probe", "validator", "validate_token", token("slow")) == {
        "authorization_status": "Accepted"}
    assert station.env.now == pytest.approx(t0 + 2.0)


def test_a_waiting_handler_that_raises_is_a_handler_exception(station: Any) -> None:
    t0 = station.env.now
    error = _fails(station, "probe", "validator", "validate_token", token("slow-boom"))
    assert error.type is CommandErrorType.HANDLER_EXCEPTION
    assert "probe exploded later" in error.message
    assert station.env.now == pytest.approx(t0 + 2.0)
    assert station.station.exceptions == [("probe", "ValueError: probe exploded later")]


@pytest.mark.parametrize("which", ["bad-result", "slow-bad-result"])
def test_a_result_violating_its_schema_is_a_schema_violation(station: Any, which: str) -> None:
    error = _fails(station, "probe", "validator", "validate_token", token(which))
    assert error.type is CommandErrorType.SCHEMA_VIOLATION
    assert "result of probe.validate_token violates its schema" in error.message


def test_a_result_where_none_is_declared_is_a_schema_violation(station: Any) -> None:
    error = _fails(station, "probe", "control", "present_token", {"id_token": "answer"})
    assert error.type is CommandErrorType.SCHEMA_VIOLATION
    assert "result of probe.present_token violates its schema" in error.message


def test_a_call_timeout_is_a_typed_error(station: Any) -> None:
    event = station.bus.call("test", "probe", "validator", "validate_token", token("slow"),
                             timeout=0.5)
    with pytest.raises(CommandError) as caught:
        station.env.run(until=event)
    assert caught.value.type is CommandErrorType.TIMEOUT
    station.advance(3.0)  # the late reply is dropped, nothing breaks
    assert station.station.exceptions == []


def test_command_errors_cross_the_bus_intact() -> None:
    error = CommandError(CommandErrorType.NOT_READY, "x is not ready")
    again = CommandError.from_json(error.to_json())
    assert (again.type, again.message) == (CommandErrorType.NOT_READY, "x is not ready")
    assert str(again) == "NotReady: x is not ready"
    with pytest.raises(ValueError):
        CommandError.from_json({"type": "Whatever", "message": ""})


# --- a module's own mistakes -------------------------------------------------------------------
def test_publishing_a_value_violating_its_schema_is_refused(station: Any) -> None:
    probe = station.station.modules["probe"]
    published = len(station.rows("var", "provided_token"))
    with pytest.raises(ModuleDefinitionError, match="violates its schema"):
        probe.publish("tokens", "provided_token", {"id_token": "x", "type": "Magic"})
    with pytest.raises(ModuleDefinitionError, match="violates its schema"):
        probe.publish("tokens", "provided_token", {"id_token": "", "type": "RFID"})
    with pytest.raises(ModuleDefinitionError, match="no variable 'token'"):
        probe.publish("tokens", "token", TOKEN)
    with pytest.raises(ModuleDefinitionError, match="no implementation 'reader'"):
        probe.publish("reader", "provided_token", TOKEN)
    assert len(station.rows("var", "provided_token")) == published
    probe.publish("tokens", "provided_token", TOKEN)
    assert len(station.rows("var", "provided_token")) == published + 1


def test_a_bad_publish_inside_a_handler_fails_that_command(station: Any) -> None:
    error = _fails(station, "probe", "control", "present_token", {"id_token": "bad-publish"})
    assert error.type is CommandErrorType.HANDLER_EXCEPTION
    assert "violates its schema" in error.message
    assert station.rows("var", "provided_token") == []
    station.call("probe", "control", "present_token", {"id_token": "AABBCCDD"})
    assert [r.value for r in station.rows("var", "provided_token")] == [TOKEN]


def test_raising_an_undeclared_error_is_refused(station: Any) -> None:
    board = station.station.modules["board1"]
    with pytest.raises(ModuleDefinitionError, match="declares no error 'Melted'"):
        board.raise_error("board", "Melted")
    board.raise_error("board", "ContactorFault", "stuck")
    assert station.rows("error_raised")[-1].name == "evse_board_support/ContactorFault"


def test_calling_an_undeclared_command_of_a_requirement_is_refused(station: Any) -> None:
    board = station.station.modules["board1"]
    with pytest.raises(ModuleDefinitionError, match="has no command 'switch_off'"):
        board.require("grid").call("switch_off")
    with pytest.raises(ModuleDefinitionError, match="has no variable 'voltage'"):
        board.require("grid").subscribe("voltage", lambda value: None)


@pytest.mark.parametrize(("name", "reason"), [
    ("MissingHandler", "module MissingHandler: no handler for validator.validate_token"),
    ("ExtraHandler", "handler for validator.revoke_token, which the manifest does not provide"),
])
def test_a_class_not_matching_its_manifest_is_refused_at_load(
        registry: ModuleRegistry, name: str, reason: str) -> None:
    with pytest.raises(ModuleDefinitionError) as caught:
        registry.get(name)
    assert reason in str(caught.value)


def test_test_modules_are_found_with_their_manifests(registry: ModuleRegistry) -> None:
    probe = registry.get("Probe")
    assert set(probe.manifest.provides) == {"validator", "tokens", "control"}
    assert registry.get("Probe") is probe  # loaded once per registry


def test_a_one_way_call_runs_the_handler_and_records_only_the_command(station: Any) -> None:
    from charger.framework.bus import Bus

    errors: list[CommandError] = []
    board = station.station.modules["board1"]
    station.bus.notify("test", "board1", "board", "pwm_on", {"duty_cycle_pct": 40},
                       errors.append)
    station.bus.notify("test", "board1", "board", "pwm_on", {"duty_cycle_pct": "x"},
                       errors.append)
    station.advance(0.1)
    assert board.pilot == 40.0
    assert [e.type for e in errors] == [CommandErrorType.SCHEMA_VIOLATION]
    sent = station.rows("cmd", "board1.board.pwm_on")
    assert [r.value for r in sent] == [{"args": {"duty_cycle_pct": 40}},
                                       {"args": {"duty_cycle_pct": "x"}}]
    assert station.rows("result", "board1.board.pwm_on") == []
    # A bus without a one-way path (MQTT) makes it a call whose result is dropped.
    Bus.notify(station.bus, "test", "board1", "board", "pwm_on", {"duty_cycle_pct": 30},
               errors.append)
    Bus.notify(station.bus, "test", "board1", "board", "pwm_on", {}, errors.append)
    station.advance(0.1)
    assert board.pilot == 30.0
    assert [e.type for e in errors] == [CommandErrorType.SCHEMA_VIOLATION] * 2
