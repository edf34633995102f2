"""Errors print no traceback unless --debug is given; an internal error is one line, exit 3."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.cli import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, main


@pytest.fixture
def broken_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a command: the module catalog fails with an unexpected exception."""
    def catalog(names):
        raise KeyError("interfaces\nsecond line")
    monkeypatch.setattr("evbench.catalog.catalog", catalog)


def test_an_internal_error_is_one_line_and_exit_3(broken_catalog: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modules"]) == EXIT_INTERNAL
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: internal error (KeyError: ")
    assert "--debug" in lines[0] and "Traceback" not in captured.err


@pytest.mark.parametrize("argv", [["--debug", "modules"], ["modules", "--debug"]])
def test_debug_shows_the_traceback(argv: list[str], broken_catalog: None,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert 'raise KeyError("interfaces\\nsecond line")' in err
    assert err.splitlines()[-1].startswith("error: internal error (KeyError: ")


def test_bad_input_has_no_traceback_unless_debug(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert main(["validate", str(missing)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(missing) in err and "Traceback" not in err
    assert main(["validate", str(missing), "--debug"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err and str(missing) in err


def test_an_unknown_module_is_bad_input_listing_the_modules(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["modules", "EvseManager", "Nope"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    names = ModuleRegistry(SchemaRegistry()).names()
    assert captured.err == f"error: unknown module 'Nope'; the modules are {', '.join(names)}\n"


def test_output_cut_short_by_its_reader_ends_quietly() -> None:
    with subprocess.Popen([sys.executable, "-m", "evbench.cli", "modules"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        # A one-page pipe: the listing (about 15 kB) cannot all be written before it is closed.
        fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
        first = process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        err = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert first.split()[0].decode() == ModuleRegistry(SchemaRegistry()).names()[0]
    assert code == EXIT_OK and err == "", err
