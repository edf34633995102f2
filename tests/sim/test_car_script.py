"""The EVerest car-simulator command strings: every valid command parses to what it says, and
any other text is refused with ScriptError (never another exception)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.car.script import COMMANDS, SCRIPT_COMMANDS, ScriptCommand, ScriptError, parse_script

# Commands with a fixed list of numbers (iso_start_v2g_session's words are tested in tests/hlc).
NUMERIC = sorted(name for name, spec in SCRIPT_COMMANDS.items() if spec.parse is None)

EVEREST_EXAMPLE = "sleep 1;iec_wait_pwr_ready;sleep 1;draw_power_regulated 16,3;sleep 30;unplug"


def test_the_everest_example() -> None:
    commands = parse_script(EVEREST_EXAMPLE)
    assert [(c.name, c.args) for c in commands] == [
        ("sleep", (1.0,)), ("iec_wait_pwr_ready", ()), ("sleep", (1.0,)),
        ("draw_power_regulated", (16.0, 3)), ("sleep", (30.0,)), ("unplug", ())]
    assert commands[3].text == "draw_power_regulated 16,3"
    assert isinstance(commands[3].args[1], int)


def test_blank_commands_are_skipped() -> None:
    assert [c.name for c in parse_script(" ; unplug ;; ")] == ["unplug"]
    assert parse_script("") == []


def _argument(kind: type, name: str, position: int) -> st.SearchStrategy:
    if name in ("draw_power_regulated", "draw_power_fixed", "iso_draw_power_regulated") \
            and position == 1:
        return st.sampled_from([1, 2, 3])
    if name == "set_soc":
        return st.floats(min_value=0, max_value=100)
    if kind is int:
        return st.integers(min_value=0, max_value=10**6)
    return st.one_of(st.integers(min_value=0, max_value=10**6),
                     st.floats(min_value=0, max_value=1e6))


@st.composite
def valid_command(draw: st.DrawFn) -> tuple[str, tuple, str]:
    name = draw(st.sampled_from(NUMERIC))
    args = tuple(draw(_argument(kind, name, i)) for i, kind in enumerate(COMMANDS[name]))
    spaces = st.sampled_from(["", " ", "  "])
    text = name
    if args:
        text += " " + ",".join(f"{draw(spaces)}{a}{draw(spaces)}" for a in args)
    return name, args, f"{draw(spaces)}{text}{draw(spaces)}"


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_command(), max_size=8))
def test_every_valid_command_string_is_accepted(commands: list[tuple[str, tuple, str]]) -> None:
    parsed = parse_script(";".join(text for _, _, text in commands))
    assert [(c.name, c.args) for c in parsed] == [
        (name, tuple(kind(a) for kind, a in zip(COMMANDS[name], args)))
        for name, args, _ in commands]
    assert all(isinstance(c, ScriptCommand) for c in parsed)


@pytest.mark.parametrize(("script", "reason"), [
    ("fly", "command 1 ('fly'): unknown command 'fly'"),
    ("sleep 1;fly 2", "command 2 ('fly 2'): unknown command 'fly'"),
    ("sleep", "sleep takes 1 argument(s), got 0"),
    ("sleep 1,2", "sleep takes 1 argument(s), got 2"),
    ("unplug now", "unplug takes 0 argument(s), got 1"),
    ("draw_power_regulated 16", "takes 2 argument(s), got 1"),
    ("draw_power_regulated 16,4", "phases must be 1, 2 or 3"),
    ("draw_power_regulated 16,2.5", "arguments must be numbers"),
    ("draw_power_fixed 16,0", "phases must be 1, 2 or 3"),
    ("sleep -1", "must not be negative"),
    ("rcd_current -5", "must not be negative"),
    ("sleep soon", "arguments must be numbers"),
    ("set_soc 101", "state of charge must be 0-100 %"),
    ("iso_wait_slac_matched 1", "takes 0 argument(s), got 1"),
    ("iso_start_v2g_session", "takes MODE[,PAYMENT][,DEPARTURE,EAMOUNT]"),
    ("iso_start_v2g_session HVDC", "mode 'HVDC' is not one of"),
    ("din_draw_power 10", "is not supported by the simulated car"),
    ("wait_for_real_plugin", "is not supported by the simulated car"),
    ("Sleep 1", "unknown command 'Sleep'"),
    ("sleep\t1", "unknown command"),
])
def test_malformed_strings_are_refused_with_the_reason(script: str, reason: str) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(script)
    assert reason in str(caught.value)


ALPHABET = st.sampled_from([*sorted(COMMANDS), "iso_", ";", ",", " ", "\t", "-", ".", "e",
                            "1", "3", "16", "100", "1e999", "nan", "inf", "_", "x", "\n"])


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(ALPHABET, max_size=12).map("".join)))
def test_arbitrary_text_parses_or_raises_script_error(script: str) -> None:
    try:
        commands = parse_script(script)
    except ScriptError as error:
        assert str(error).startswith("command ")
        return
    for command in commands:
        assert command.name in COMMANDS
        assert len(command.args) == len(COMMANDS[command.name])
        assert all(a >= 0 for a in command.args)


@pytest.mark.parametrize("script", ["sleep nan", "sleep inf", "draw_power_regulated nan,3",
                                    "set_soc nan", "rcd_current inf"])
def test_non_finite_numbers_are_refused(script: str) -> None:
    with pytest.raises(ScriptError):
        parse_script(script)


def test_the_car_carries_out_every_declared_command_and_no_other() -> None:
    """The parser's table and the car's steps are one vocabulary: a command added to one and
    not the other would parse and then do nothing (or never parse)."""
    import inspect

    from sim.car.car import SCRIPT_STEPS
    from sim.car.script import SCRIPT_COMMANDS

    assert set(SCRIPT_STEPS) == set(SCRIPT_COMMANDS)
    for name, step in SCRIPT_STEPS.items():
        # the car itself, then the command's declared arguments
        parameters = list(inspect.signature(step).parameters.values())
        required = [p for p in parameters if p.default is inspect.Parameter.empty]
        assert len(required) == 1 + len(SCRIPT_COMMANDS[name].arguments), name
