"""Hypothesis strategies that draw OCPP requests from the ``ocpp`` package's own JSON schemas:
payloads that satisfy the schema (to reach the charge point's handlers with every shape the
backend may legally send) and payloads with one field broken (to reach its checks).

The schemas are simple (objects, enums, strings with lengths, integers, numbers, arrays, local
``$ref``s), so a small translation is enough. Numbers stay small, so that connector and
reservation ids hit both existing and missing ones, and date-times fall near simulated t=0.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ocpp
from hypothesis import strategies as st

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
DATES = st.integers(-600, 7200).map(
    lambda s: (EPOCH + timedelta(seconds=s)).isoformat().replace("+00:00", "Z"))


def schema_of(action: str, version: str) -> dict:
    """The request schema as the package ships it (read from its file: going through
    ``get_validator`` would cache a validator whose float parsing differs from the one the
    package and the charge point use for the 1.6 schemas with decimals)."""
    folder = Path(ocpp.__file__).parent / ("v16" if version == "1.6" else "v201") / "schemas"
    name = action if version == "1.6" else f"{action}Request"
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8-sig"))


def from_schema(schema: dict, root: dict, depth: int = 0) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return from_schema(root["definitions"][name], root, depth)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = {k: v for k, v in schema.get("properties", {}).items()
                      if k != "customData"}
        required = set(schema.get("required", []))
        if depth > 4:
            properties = {k: v for k, v in properties.items() if k in required}
        return st.fixed_dictionaries(
            {k: from_schema(v, root, depth + 1) for k, v in properties.items() if k in required},
            optional={k: from_schema(v, root, depth + 1) for k, v in properties.items()
                      if k not in required})
    if kind == "array":
        low = schema.get("minItems", 0)
        high = max(low, min(schema.get("maxItems", 3), 3))
        return st.lists(from_schema(schema.get("items", {}), root, depth + 1), min_size=low,
                        max_size=high)
    if kind == "string":
        if schema.get("format") == "date-time":
            return DATES
        high = min(schema.get("maxLength", 12), 12)
        return st.text(alphabet="ABCDEF0123456789", min_size=1, max_size=max(1, high))
    if kind == "integer":
        return st.integers(max(schema.get("minimum", -1), -1), 9)
    if kind == "number":
        return st.integers(0, 400).map(lambda n: n / 10)
    if kind == "boolean":
        return st.booleans()
    return st.none()


GARBAGE = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=5), st.lists(st.none()),
                    st.just({"unexpected": 1}), st.just("x" * 600))


def broken(payload: dict, draw_key: int, garbage: Any) -> dict:
    """The payload with one field (chosen by ``draw_key``) replaced, or one added."""
    out = dict(payload)
    keys = sorted(out)
    if keys and draw_key % (len(keys) + 1) < len(keys):
        out[keys[draw_key % (len(keys) + 1)]] = garbage
    else:
        out["notInTheSchema"] = garbage
    return out


def requests(version: str, actions: list[str]) -> st.SearchStrategy[str]:
    """Call frames of the given actions: mostly valid, some with one field broken."""
    choices = []
    for action in actions:
        payloads = from_schema(schema_of(action, version), schema_of(action, version))
        valid = payloads.map(lambda p, a=action: (a, p))
        bad = st.tuples(payloads, st.integers(0, 20), GARBAGE).map(
            lambda t, a=action: (a, broken(*t)))
        choices += [valid, valid, bad]
    ids = st.from_regex(r"fz-[a-z0-9]{1,8}", fullmatch=True)
    return st.tuples(ids, st.one_of(choices)).map(
        lambda t: json.dumps([2, t[0], t[1][0], t[1][1]]))
