"""The reference corpus written by EXIficient: byte-exact encoding, exact decoding.

Each entry of tests/v2g/corpus/{app,din,iso2}.json is
{"name", "namespace", "message": infoset dict, "exi": lowercase hex}.
"""

import json
from pathlib import Path

import pytest

from charger.v2g import exi

CORPUS = Path(__file__).parent / "corpus"


def _entries():
    found = []
    for path in sorted(CORPUS.glob("*.json")):
        for entry in json.loads(path.read_text("utf-8")):
            found.append(pytest.param(entry, id=f"{path.stem}:{entry['name']}"))
    return found


ENTRIES = _entries()
needs_corpus = pytest.mark.skipif(not ENTRIES, reason="no reference corpus in tests/v2g/corpus")


@needs_corpus
@pytest.mark.parametrize("entry", ENTRIES or [None])
def test_encoding_is_byte_exact(entry):
    message = exi.from_dict(entry["namespace"], entry["message"])
    assert exi.encode(entry["namespace"], message).hex() == entry["exi"]


@needs_corpus
@pytest.mark.parametrize("entry", ENTRIES or [None])
def test_decoding_gives_the_infoset(entry):
    decoded = exi.decode(entry["namespace"], bytes.fromhex(entry["exi"]))
    assert exi.to_dict(decoded, entry["namespace"]) == entry["message"]


@needs_corpus
def test_corpus_covers_every_namespace():
    assert {p.values[0]["namespace"] for p in ENTRIES} == {"app", "din", "iso2"}
