"""Fuzzing what users hand to evbench: random text and bytes through the YAML loader, good files
mutated line by line through ``evbench validate`` and ``evbench run``, and random command lines.
Whatever comes in, the loader raises only ConfigError, and evbench exits 0, 1 or 2 with no
traceback (2 with ``error:`` lines naming the file, or a usage message)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.framework import yamlio
from charger.framework.errors import ConfigError
from charger.framework.yamlio import parse_yaml
from evbench.cli import main
from tests.inputs.corpus import GOOD_SCENARIO, ONE_CONNECTOR, TWO_CONNECTORS, prepare

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.function_scoped_fixture])
YAML_PIECES = ["a", "b: ", "- ", "  ", "\n", "{", "}", "[", "]", ", ", ": ", "&x ", "*x", "&y ",
               "*y", "<<: ", "? ", "!!str ", "!!int ", "!!binary ", "!!timestamp ", "!!set ",
               "!!python/tuple ", "!local ", "'", '"', "|", ">", "#", "---\n", "...\n", "\t",
               "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "2020-13-45", "0x", "1e999", ".nan", "~",
               "\x00", "\x07", "\ufeff", "\u2028", "é", "\\"]
yaml_text = st.one_of(st.text(max_size=300),
                      st.lists(st.sampled_from(YAML_PIECES), max_size=60).map("".join))


def _only_config_errors(text: str) -> None:
    try:
        parse_yaml(text, "fuzz.yaml")
    except ConfigError as error:
        assert [p.path for p in error.problems] == ["fuzz.yaml"]
        assert all(p.line is None or p.line >= 1 for p in error.problems)


@settings(FUZZ, max_examples=400)
@given(text=yaml_text)
def test_the_yaml_loader_raises_only_config_error(text: str) -> None:
    _only_config_errors(text)


@settings(FUZZ, max_examples=150)
@given(text=yaml_text, values=st.integers(min_value=1, max_value=20),
       depth=st.integers(min_value=1, max_value=6))
def test_the_yaml_limits_hold_whatever_the_document(text: str, values: int, depth: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiny limits every document hits them, and still only ConfigError comes out."""
    monkeypatch.setattr(yamlio, "MAX_VALUES", values)
    monkeypatch.setattr(yamlio, "MAX_DEPTH", depth)
    _only_config_errors(text)


@settings(FUZZ, max_examples=150)
@given(data=st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(data: bytes, tmp_path: Path,
                                          cached_cli_registries: None) -> None:
    path = tmp_path / "bytes.yaml"
    path.write_bytes(data)
    code, out, err = _evbench(["validate", str(path)])
    _check(code, out, err, path)


@st.composite
def mutated_lines(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few lines deleted, duplicated, re-indented, cut short or spliced with a
    piece of YAML."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "cut",
                                       "splice", "swap"]))
        line = lines[index]
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, line)
        elif action == "indent":
            lines[index] = "  " + line
        elif action == "dedent":
            lines[index] = line[2:] if line.startswith("  ") else line
        elif action == "cut":
            lines[index] = line[:draw(st.integers(min_value=0, max_value=len(line)))]
        elif action == "splice":
            at = draw(st.integers(min_value=0, max_value=len(line)))
            lines[index] = line[:at] + draw(st.sampled_from(YAML_PIECES)) + line[at:]
        else:
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], line
    return "\n".join(lines) + "\n"


@settings(FUZZ, max_examples=200)
@given(text=st.one_of(mutated_lines(GOOD_SCENARIO), mutated_lines(ONE_CONNECTOR),
                      mutated_lines(TWO_CONNECTORS)))
def test_mutated_good_files_validate_to_0_or_2(text: str, tmp_path: Path,
                                               cached_cli_registries: None) -> None:
    prepare(tmp_path)
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _evbench(["validate", str(path)])
    _check(code, out, err, path)


@settings(FUZZ, max_examples=60)
@given(text=mutated_lines(GOOD_SCENARIO))
def test_mutated_scenarios_run_to_a_verdict_or_exit_2(text: str, tmp_path: Path,
                                                      cached_cli_registries: None) -> None:
    prepare(tmp_path)
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = _evbench(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    _check(code, out, err, path, ran=True)


# (no "--bus mqtt": a good scenario would then run on the wall clock with a broker)
OPTIONS = ["--out", "--seed", "--factor", "--bus", "--quiet", "--until", "--logs", "--config",
           "-h", "--", "-"]
VALUES = ["0", "-1", "1", "0.5", "1e400", "nan", "inf", "-inf", "x", "", " ",
          "mqtt://localhost:0", "mqtt://h:70000", "inproc", "{dir}", "{dir}/out", "{good}",
          "{good}/x", "/proc/evbench-fuzz", "\x00", "é"]


@settings(FUZZ, max_examples=150)
@given(command=st.sampled_from(["run", "validate", "modules", "station", "module", "monitor",
                                "nope", "RUN", ""]),
       args=st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES),
                               st.text(max_size=6)), max_size=6))
def test_random_command_lines_exit_cleanly(command: str, args: list[str], tmp_path: Path,
                                           cached_cli_registries: None) -> None:
    prepare(tmp_path)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD_SCENARIO.replace("duration: 2 min", "duration: 20 s"), "utf-8")
    argv = [command, *(a.replace("{dir}", str(tmp_path)).replace("{good}", str(good))
                       for a in args)]
    if command in ("station", "module", "monitor") and "-h" not in argv:
        # These would start a wall-clock station or connect to a broker when the arguments are
        # good: only their argument checking is fuzzed here (argparse exits before anything).
        argv.append("--factor=0")
    code, out, err = _evbench(argv)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in out + err, (argv, err)
    if code == 2:
        assert err.startswith(("usage: ", "error: ")), (argv, err)


def _evbench(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _check(code: int, out: str, err: str, path: Path, ran: bool = False) -> None:
    assert "Traceback" not in out + err, err
    assert code in ((0, 1, 2) if ran else (0, 2)), (code, err)
    if code == 2:
        lines = err.splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), err
        assert any(f"{path}" in line or ".yaml" in line for line in lines), err
    elif not ran:
        assert f"{path}: ok" in out and err == ""
