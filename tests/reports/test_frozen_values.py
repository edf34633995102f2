"""A value published again unchanged (a repeated V2G message) has its JSON made once, and the
timeline reads exactly as if it had been a new dict each time."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charger.framework.values import FrozenValue
from reports.recorder import to_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=12)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_a_frozen_value_reads_as_the_dict_it_holds(value):
    frozen = FrozenValue(value)
    assert frozen == value
    assert to_json(frozen) == to_json(value)
    assert to_json(frozen) == to_json(frozen)  # the second time from its memo
    assert to_json({"outer": frozen}) == to_json({"outer": value})


def test_a_frozen_value_refuses_changes_but_copies_and_pickles():
    frozen = FrozenValue(a=1, b={"c": 2})
    for change in (lambda v: v.__setitem__("a", 2), lambda v: v.update(a=2),
                   lambda v: v.pop("a"), lambda v: v.clear(), lambda v: v.setdefault("d", 1),
                   lambda v: v.__delitem__("a"), lambda v: v.popitem()):
        with pytest.raises(TypeError):
            change(frozen)
    assert frozen == {"a": 1, "b": {"c": 2}}
    for copied in (copy.deepcopy(frozen), pickle.loads(pickle.dumps(frozen)), dict(frozen)):
        assert copied == frozen
