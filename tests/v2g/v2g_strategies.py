"""Hypothesis strategies that build valid typed V2G messages from the schema declarations.

The generator walks each type's content model (sequences, choices, occurrence bounds,
substitution groups), so every drawn object is one the codec must be able to encode.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from charger.v2g.grammar import compile_type, element_uses
from charger.v2g.schema import (
    XS_ANY_URI,
    XS_ID,
    XS_IDREF,
    XS_NCNAME,
    Kind,
    Particle,
    SimpleType,
    TypeInfo,
    is_complex,
    simple_type_of,
    type_info,
)

MAX_REPEAT = 2  # list sizes are capped so that drawn messages stay small
NAME_TYPES = (XS_ID, XS_IDREF, XS_NCNAME)

_TEXT = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + " -_.:/äöüé€"), max_size=24
)


def simple_values(stype: SimpleType) -> st.SearchStrategy[Any]:
    kind = stype.kind
    if kind == Kind.ENUM:
        assert stype.enum is not None
        return st.sampled_from(list(stype.enum))
    if kind == Kind.BOOLEAN:
        return st.booleans()
    if kind in (Kind.NBIT, Kind.UNSIGNED, Kind.INTEGER):
        low = stype.min_value if stype.min_value is not None else -(2**70)
        high = stype.max_value if stype.max_value is not None else 2**70
        return st.integers(low, high)
    if kind in (Kind.HEX, Kind.BASE64):
        low = stype.min_length or 0
        high = min(stype.max_length if stype.max_length is not None else 64, 64)
        return st.binary(min_size=low, max_size=max(low, high))
    if stype in NAME_TYPES:
        return st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_.-]{0,10}\Z")
    low = stype.min_length or 0
    high = stype.max_length if stype.max_length is not None else 24
    if stype is XS_ANY_URI or stype.name.endswith("URIType") or "Namespace" in stype.name:
        return st.text(alphabet=string.ascii_letters + string.digits + ":/.#-",
                       min_size=low, max_size=min(high, 40))
    return st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + " -_.äé€"),
                   min_size=low, max_size=max(low, min(high, 24)))


def _is_abstract(type_: Any) -> bool:
    return is_complex(type_) and type_info(type_).abstract


def _drawable(particle: Particle) -> bool:
    """False where the particle needs wildcard content, which the codec does not support."""
    if particle.kind == "any":
        return False
    if particle.kind == "sequence":
        return all(_drawable(c) or c.min_occurs == 0 for c in particle.children)
    if particle.kind == "choice":
        return any(_drawable(c) for c in particle.children)
    return True


def _particle(draw: st.DrawFn, particle: Particle, info: TypeInfo,
              out: dict[str, Any]) -> None:
    """Draw occurrences of one particle into ``out`` (field name -> value or list)."""
    low = particle.min_occurs
    high = particle.max_occurs if particle.max_occurs is not None else low + MAX_REPEAT
    high = max(low, min(high, low + MAX_REPEAT))
    if not _drawable(particle):
        if low:
            raise ValueError("a mandatory wildcard cannot be drawn")
        return
    count = draw(st.integers(low, high))
    specs = {spec.name: spec for spec in info.elements}
    for _ in range(count):
        if particle.kind == "element":
            spec = specs[particle.field]
            uses = [u for u in element_uses(spec)
                    if not (u.info is not None and u.info.abstract)]
            use = draw(st.sampled_from(uses))
            value = draw(instances(use.info.cls) if use.info else simple_values(use.stype))
            if spec.is_list:
                out.setdefault(spec.name, []).append(value)
            else:
                out[spec.name] = value
        elif particle.kind == "sequence":
            for child in particle.children:
                _particle(draw, child, info, out)
        else:
            drawable = [c for c in particle.children if _drawable(c)]
            _particle(draw, draw(st.sampled_from(drawable)), info, out)


@st.composite
def instances(draw: st.DrawFn, cls: type) -> Any:
    """A valid instance of a declared complex type."""
    info = type_info(cls)
    grammar = compile_type(info)
    kwargs: dict[str, Any] = {}
    for attr in grammar.attributes:
        if attr.required or draw(st.booleans()):
            kwargs[attr.name] = draw(simple_values(attr.stype))
    if grammar.text is not None:
        kwargs["value"] = draw(simple_values(grammar.text))
    else:
        _particle(draw, info.content(), info, kwargs)
    return cls(**kwargs)


def body_types(module: Any) -> list[type]:
    """The concrete classes of every body element of a DIN or ISO 15118-2 module."""
    head = module.BodyElement_element
    return [e.type for e in head.substitutes() if not _is_abstract(e.type)]


@st.composite
def v2g_messages(draw: st.DrawFn, module: Any, body_cls: type | None = None) -> Any:
    """A V2G_Message whose body is ``body_cls`` (or any body element)."""
    header = draw(instances(module.MessageHeaderType))
    if body_cls is None:
        body_cls = draw(st.sampled_from(body_types(module)))
    body = module.BodyType(BodyElement=draw(instances(body_cls)))
    return module.V2G_Message(Header=header, Body=body)


__all__ = ["body_types", "instances", "simple_type_of", "simple_values", "v2g_messages"]
