"""Recognising an EVerest file must not trip over a malformed one: refused (exit 2), never an
internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from evbench.cli import main as evbench_main
from evbench.filekind import everest_evidence


@pytest.mark.parametrize("module", [[], {}, 3, None])
def test_a_module_name_that_is_not_text_is_no_evidence(module: object) -> None:
    assert everest_evidence({"active_modules": {"x": {"module": module}}}) is None


def test_validate_refuses_a_module_name_that_is_not_text(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    station = tmp_path / "station.yaml"
    station.write_text("active_modules:\n  x:\n    module: []\n", encoding="utf-8")
    assert evbench_main(["validate", str(station)]) == 2
    assert "Traceback" not in capsys.readouterr().err
