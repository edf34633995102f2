"""The vocabulary tables are the only declaration of each word: the docs are written from them,
and every part that acts on a word finds it there."""

from __future__ import annotations

from pathlib import Path

import pytest

from evbench.scenario import vocabulary
from evbench.scenario.actions import ACTIONS, Action
from evbench.scenario.expectations import EXPECTATIONS
from evbench.scenario.loader import _SCENARIO_SCHEMA
from evbench.scenario.selectors import CONDITIONS, SELECTOR_SCHEMA
from evbench.scenario.world import NEEDS
from reports.figures import panels
from reports.model import SIGNAL_COLUMNS, SIGNALS, Signal

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "docs" / "scenarios.md", REPO / "docs" / "reports.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_committed_docs_are_what_the_tables_say(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "<!-- vocabulary:" in text
    assert vocabulary.rewrite(text) == text, (
        f"{page.name} is out of date: python -m evbench.scenario.vocabulary --write {page}")


def test_every_table_appears_in_the_docs() -> None:
    text = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    for name in vocabulary.TABLES:
        assert f"<!-- vocabulary:{name} -->" in text, name


def test_the_loader_schema_is_built_from_the_tables() -> None:
    steps = _SCENARIO_SCHEMA["properties"]["steps"]["items"]["properties"]
    assert steps["do"]["enum"] == sorted(ACTIONS)
    kinds = _SCENARIO_SCHEMA["properties"]["expect"]["items"]["oneOf"]
    assert [k["required"][0] for k in kinds] == list(EXPECTATIONS)
    assert set(CONDITIONS) <= set(SELECTOR_SCHEMA["properties"])


def test_every_action_can_be_checked_and_carried_out() -> None:
    for action in ACTIONS.values():
        assert action.needs is None or action.needs in NEEDS, action.name
        assert action.command is not None or action.name == "end", action.name


def test_a_new_action_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ACTIONS, "honk", Action("honk", {}, (), "the car honks", "car", None))
    assert "| `honk` |" in vocabulary.actions_table()


def test_a_new_signal_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal added to the table is a column, a docs row and a plot, with nothing else to
    change (SIGNAL_COLUMNS is computed at import, so it is checked on the table itself)."""
    extra = Signal("temperature_c", "°C", "temperature", "connector temperature", "meter",
                   "powermeter", lambda v: v.get("temperature_c", 20.0))
    monkeypatch.setattr("reports.figures.SIGNALS", (*SIGNALS, extra))
    monkeypatch.setattr("evbench.scenario.vocabulary.SIGNALS", (*SIGNALS, extra))
    assert "| `temperature_c` |" in vocabulary.signals_csv_table()
    assert ("temperature_c", ["temperature_c"]) in panels()
    assert SIGNAL_COLUMNS[2:] == tuple(s.name for s in SIGNALS)
