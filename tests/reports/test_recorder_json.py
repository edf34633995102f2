"""The recorder's canonical JSON is exactly json.dumps with sorted keys and no spaces, for every
value a bus message may carry and for the odd ones (enums, NaN, bytes) the fallback str() takes."""

import enum
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.recorder import Row, to_json


def reference(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class Phase(enum.IntEnum):
    ONE = 1


class Mode(enum.StrEnum):
    EXPORT = "Export"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4)
    | st.dictionaries(st.integers(-5, 5), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_matches_json_dumps(value):
    assert to_json(value) == reference(value)


def test_odd_scalars_match_json_dumps():
    for value in (math.nan, math.inf, -math.inf, -0.0, 2**80, "é\n\"", Phase.ONE, Mode.EXPORT,
                  b"raw", (1, 2.5), {"b": [Phase.ONE], "a": None}):
        assert to_json(value) == reference(value), value


def test_circular_values_are_refused_as_json_dumps_refuses_them():
    loop: dict = {"a": 1}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        reference(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        to_json(loop)


def test_rows_are_immutable():
    row = Row(1.0, "car", "var", "ev_state", {"soc": 10}, '{"soc":10}')
    with pytest.raises(AttributeError):
        row.t = 2.0  # type: ignore[misc]
    assert row.text == '{"soc":10}'
