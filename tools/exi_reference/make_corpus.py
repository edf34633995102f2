"""Write the EXI reference corpus (app.json, din.json, iso2.json) using Josev's EXIficient codec.

Run inside the test-only environment (see README.md beside this file):

    VENV/bin/python tools/exi_reference/make_corpus.py --out tests/v2g/corpus

Every case is generated from a fixed seed, checked against the schema facets, encoded, and kept
only if it verifies: encoding is deterministic, EXIficient decodes the bytes back to exactly the
same infoset (key order included), and the stream needs no schema deviation (EXIficient in
strict mode re-encodes its events).  Where Josev's pydantic models accept the message,
``EXI().to_exi`` must give the same bytes; ``EXI().from_exi`` is compared too, and differences
there are reported.  Re-running rewrites the files byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cases_app
import cases_din
import cases_iso2
from josev_codec import KNOWN_VECTORS, JosevCodec
from schema_facts import check_facets

SEED = 15118

GENERATORS = {"app": cases_app.cases, "din": cases_din.cases, "iso2": cases_iso2.cases}


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Path of the first place two infosets differ (key order counts), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(a) is not type(b) or a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


def sort_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: sort_keys(node[k]) for k in sorted(node)}
    if isinstance(node, list):
        return [sort_keys(item) for item in node]
    return node


def message_type(namespace: str, message: dict[str, Any]) -> str:
    if namespace == "app":
        return next(iter(message))
    return next(iter(message["V2G_Message"]["Body"]))


class Verifier:
    def __init__(self, codec: JosevCodec) -> None:
        self.codec = codec
        self.dropped: list[tuple[str, str]] = []
        self.model_skipped: list[tuple[str, str]] = []
        self.model_disagrees: list[tuple[str, str]] = []
        self.model_verified = 0

    def entry(self, namespace: str, name: str, message: dict[str, Any]) -> dict[str, Any] | None:
        check_facets(namespace, message)
        try:
            exi = self.codec.encode(namespace, message)
        except Exception as exc:  # the JVM's error text is all we get
            return self._drop(name, f"EXIficient cannot encode it: {_short(exc)}")
        if self.codec.encode(namespace, message) != exi:
            return self._drop(name, "encoding is not deterministic")
        diff = first_difference(message, self.codec.decode(namespace, exi))
        if diff:
            return self._drop(name, f"EXIficient decodes it differently at {diff}")
        deviation = self.codec.deviation(namespace, exi)
        if deviation:
            return self._drop(name, f"EXIficient encodes it with a schema deviation: {deviation}")
        if self._to_exi_differs(namespace, name, message, exi):
            return self._drop(name, "Josev's EXI().to_exi gives different bytes")
        return {"name": name, "namespace": namespace, "message": message, "exi": exi.hex()}

    def _to_exi_differs(
        self, namespace: str, name: str, message: dict[str, Any], exi: bytes
    ) -> bool:
        """Cross-check through Josev's message layer (pydantic models), where it applies.

        Different bytes from ``EXI().to_exi`` would mean the JSON conversion is wrong.  A
        different result from ``EXI().from_exi`` is a limitation of Josev's Python layer, not
        of EXIficient: it is recorded, and the entry kept.
        """
        try:
            model = self.codec.model(namespace, message)
        except Exception as exc:  # pydantic ValidationError or Josev's own validation errors
            self.model_skipped.append((name, _short(exc)))
            return False
        if self.codec.to_exi(namespace, model) != exi:
            return True
        try:
            decoded = self.codec.from_exi(namespace, exi)
        except Exception as exc:
            self.model_disagrees.append((name, f"EXI().from_exi fails: {_short(exc)}"))
            return False
        diff = first_difference(sort_keys(message), sort_keys(decoded))
        if diff:
            self.model_disagrees.append((name, f"EXI().from_exi differs at {diff}"))
        else:
            self.model_verified += 1
        return False

    def _drop(self, name: str, reason: str) -> None:
        self.dropped.append((name, reason))
        return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def generate(verifier: Verifier) -> Iterator[tuple[str, dict[str, Any]]]:
    for namespace, generator in GENERATORS.items():
        names: set[str] = set()
        for name, message in generator(SEED):
            if name in names:
                raise ValueError(f"duplicate case name {name}")
            names.add(name)
            entry = verifier.entry(namespace, name, message)
            if entry is not None:
                yield namespace, entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="corpus directory")
    args = parser.parse_args()

    verifier = Verifier(JosevCodec())
    corpus: dict[str, list[dict[str, Any]]] = {ns: [] for ns in GENERATORS}
    for namespace, entry in generate(verifier):
        corpus[namespace].append(entry)

    failures = 0
    by_name = {e["name"]: e for entries in corpus.values() for e in entries}
    for name, (_, message, expected) in KNOWN_VECTORS.items():
        entry = by_name.get(name, {})
        if entry.get("message") != message or entry.get("exi") != expected:
            print(f"known vector {name} not reproduced: {entry.get('exi')}", file=sys.stderr)
            failures += 1

    args.out.mkdir(parents=True, exist_ok=True)
    for namespace, entries in corpus.items():
        (args.out / f"{namespace}.json").write_text(dump(entries), encoding="utf-8")

    report(corpus, verifier)
    return 1 if failures else 0


def dump(entries: list[dict[str, Any]]) -> str:
    """A JSON list with one entry per line: greppable, and diffs stay per entry."""
    lines = [json.dumps(e, ensure_ascii=False) for e in entries]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def report(corpus: dict[str, list[dict[str, Any]]], verifier: Verifier) -> None:
    for namespace, entries in corpus.items():
        types = Counter(message_type(namespace, e["message"]) for e in entries)
        print(f"{namespace}: {len(entries)} entries")
        for msg_type, n in sorted(types.items()):
            print(f"  {msg_type:32} {n}")
    print(f"dropped: {len(verifier.dropped)}")
    for name, reason in verifier.dropped:
        print(f"  {name}: {reason}")
    print(f"also verified through Josev's pydantic models: {verifier.model_verified}")
    print(f"Josev's pydantic layer decodes differently: {len(verifier.model_disagrees)}")
    for name, reason in verifier.model_disagrees:
        print(f"  {name}: {reason}")
    print(f"not representable in Josev's pydantic models: {len(verifier.model_skipped)}")
    for name, reason in verifier.model_skipped:
        print(f"  {name}: {reason}")


if __name__ == "__main__":
    sys.exit(main())
