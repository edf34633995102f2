"""Every argument of every command has help, each command's help lists its exit codes, and
docs/cli.md names every command."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from evbench.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, build_parser, main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


COMMANDS = _commands()


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", ["(top)", *COMMANDS])
def test_every_argument_has_help(name: str) -> None:
    parser = build_parser() if name == "(top)" else COMMANDS[name]
    missing = [action.dest for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction)
               and (not action.help or action.help == argparse.SUPPRESS)]
    assert not missing, f"evbench {name}: arguments without help: {missing}"


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_help_lists_its_exit_codes(name: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([name, "--help"], capsys)
    codes = text[text.index("exit codes:"):]
    listed = [int(code) for code in re.findall(r"^  (\d)  ", codes, re.MULTILINE)]
    assert listed[0] == EXIT_OK and listed[-2:] == [EXIT_BAD_INPUT, EXIT_INTERNAL], codes
    assert "--debug" in codes


def test_commands_that_judge_say_what_exit_1_means(capsys: pytest.CaptureFixture[str]) -> None:
    assert f"  {EXIT_FAILED}  an expectation failed" in _help(["run", "--help"], capsys)
    assert f"  {EXIT_FAILED}  an invariant was violated" in _help(["fuzz", "--help"], capsys)
    assert f"  {EXIT_FAILED}  " not in _help(["validate", "--help"], capsys)


def test_the_docs_name_every_command() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"| `evbench {name}" in text, f"docs/cli.md does not describe evbench {name}"


def test_version_comes_from_the_package_metadata() -> None:
    done = subprocess.run([sys.executable, "-m", "evbench.cli", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"evbench {version('evbench')}"
