"""docs/slac.md shows the message and timing tables as the code declares them."""

from __future__ import annotations

from pathlib import Path

from charger.slac import doc
from charger.slac.frames import MESSAGES
from charger.slac.timing import SLAC_PARAMETERS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "slac.md"


def test_the_committed_page_is_what_the_tables_say() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert doc.rewrite(text) == text, "python -m charger.slac.doc --write docs/slac.md"


def test_every_message_and_parameter_is_on_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name in [m.name for m in MESSAGES] + [p.name for p in SLAC_PARAMETERS]:
        assert f"`{name}`" in text, name


def test_a_stale_table_is_rewritten() -> None:
    stale = "<!-- slac:timing -->\n| old |\n<!-- /slac:timing -->"
    assert "TT_match_join" in doc.rewrite(stale)
