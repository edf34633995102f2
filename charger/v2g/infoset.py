"""Conversion between typed messages and the plain "infoset dict" form.

Conventions: the root is ``{element name: content}``; complex content is a dict of child element
local name to value, absent optional elements are absent keys, and an element that may repeat
is always a list; attributes are keys with an "@" prefix; a type with simple content holds its
value under "#text". Simple values are int for every integer type, bool, str for strings and
enumerations (the schema literal), and hexBinary/base64Binary as uppercase hex strings.
"""

from __future__ import annotations

import binascii
from typing import Any

from charger.v2g import compiled
from charger.v2g.errors import V2GEncodeError
from charger.v2g.grammar import ElementUse, Grammar, compile_type, document_grammar
from charger.v2g.namespaces import SCHEMAS, schema_of
from charger.v2g.schema import FieldSpec, Kind, SimpleType, TypeInfo

# ---------------------------------------------------------------- typed -> dict


def simple_to_plain(value: Any, stype: SimpleType) -> Any:
    kind = stype.kind
    if kind == Kind.HEX or kind == Kind.BASE64:
        return bytes(value).hex().upper()
    if kind == Kind.ENUM or kind == Kind.STRING:
        return str(value.value) if hasattr(value, "value") else str(value)
    return value


def element_to_plain(use: ElementUse, value: Any) -> Any:
    if use.simple:
        return simple_to_plain(value, use.stype)  # type: ignore[arg-type]
    return complex_to_plain(value, use.info)  # type: ignore[arg-type]


def complex_to_plain(obj: Any, info: TypeInfo) -> dict[str, Any]:
    grammar: Grammar = info.grammar or compile_type(info)
    out: dict[str, Any] = {}
    for attr in grammar.attributes:
        value = getattr(obj, attr.name)
        if value is not None:
            out["@" + attr.name] = simple_to_plain(value, attr.stype)
    if grammar.text is not None:
        out["#text"] = simple_to_plain(obj.value, grammar.text)
    for plan in grammar.fields:
        value = getattr(obj, plan.name)
        if value is None:
            continue
        items = value if plan.is_list else (value,)
        for item in items:
            use = plan.single or plan.by_class.get(type(item))
            if use is None:
                raise V2GEncodeError(f"{info.cls.__name__}.{plan.name}: no element takes a "
                                     f"{type(item).__name__}")
            plain = element_to_plain(use, item)
            if plan.is_list:
                out.setdefault(use.name, []).append(plain)
            else:
                out[use.name] = plain
    return out


def root_use(message: Any, namespace: str | None = None) -> tuple[str, ElementUse]:
    """The namespace key and global element of a typed root message."""
    keys = [namespace] if namespace is not None else list(SCHEMAS)
    for key in keys:
        schema = schema_of(key)
        found = document_grammar(schema).by_class.get(type(message))
        if found is not None:
            return schema.key, found[1]
    raise V2GEncodeError(f"{type(message).__name__} is not the type of a global element"
                         + (f" of {namespace!r}" if namespace else ""))


def to_dict(message: Any, namespace: str | None = None) -> dict[str, Any]:
    """The infoset dict of a typed root message (V2G_Message, supportedAppProtocolReq, ...)."""
    _, use = root_use(message, namespace)
    return {use.name: root_to_plain(use, message)}


def root_to_plain(use: ElementUse, message: Any) -> Any:
    """``element_to_plain`` through the compiled conversion when it handles the message."""
    try:
        return compiled.to_plain(use, message)
    except compiled.Fallback:  # element_to_plain decides: the same dict or the error
        return element_to_plain(use, message)


def reference_to_dict(message: Any, namespace: str | None = None) -> dict[str, Any]:
    """``to_dict`` by the reference conversion alone (for tests)."""
    _, use = root_use(message, namespace)
    return {use.name: element_to_plain(use, message)}


# ---------------------------------------------------------------- dict -> typed


def simple_from_plain(value: Any, stype: SimpleType, where: str) -> Any:
    kind = stype.kind
    if kind == Kind.HEX or kind == Kind.BASE64:
        if not isinstance(value, str):
            raise V2GEncodeError(f"{where}: expected a hex string, got {type(value).__name__}")
        try:
            return binascii.unhexlify(value)
        except (binascii.Error, ValueError):
            raise V2GEncodeError(f"{where}: {value!r} is not a hex string") from None
    if kind == Kind.ENUM:
        assert stype.enum is not None
        try:
            return stype.enum(value)
        except ValueError:
            raise V2GEncodeError(f"{where}: {value!r} is not a {stype.name} value") from None
    if kind == Kind.STRING:
        if not isinstance(value, str):
            raise V2GEncodeError(f"{where}: expected a string, got {type(value).__name__}")
        return value
    if kind == Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise V2GEncodeError(f"{where}: expected a bool, got {type(value).__name__}")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise V2GEncodeError(f"{where}: expected an int, got {type(value).__name__}")
    return value


def element_from_plain(use: ElementUse, value: Any, where: str) -> Any:
    if use.simple:
        return simple_from_plain(value, use.stype, where)  # type: ignore[arg-type]
    return complex_from_plain(value, use.info, where)  # type: ignore[arg-type]


def complex_from_plain(content: Any, info: TypeInfo, where: str) -> Any:
    grammar: Grammar = info.grammar or compile_type(info)
    if not isinstance(content, dict):
        if grammar.text is not None and not any(a.required for a in grammar.attributes):
            content = {"#text": content}
        else:
            raise V2GEncodeError(f"{where}: expected a dict, got {type(content).__name__}")
    kwargs: dict[str, Any] = {}
    attributes = {a.name: a for a in grammar.attributes}
    for key, value in content.items():
        inner = f"{where}/{key}"
        if key.startswith("@"):
            attr = attributes.get(key[1:])
            if attr is None:
                raise V2GEncodeError(f"{inner}: no such attribute")
            kwargs[attr.name] = simple_from_plain(value, attr.stype, inner)
        elif key == "#text":
            if grammar.text is None:
                raise V2GEncodeError(f"{inner}: this element has no simple content")
            kwargs["value"] = simple_from_plain(value, grammar.text, inner)
        else:
            found = grammar.by_name.get(key)
            if found is None:
                raise V2GEncodeError(f"{inner}: no such element in {info.cls.__name__}")
            plan, use = found
            if plan.is_list:
                if not isinstance(value, list):
                    raise V2GEncodeError(f"{inner}: expected a list")
                items = kwargs.setdefault(plan.name, [])
                items.extend(element_from_plain(use, v, f"{inner}[{i}]")
                             for i, v in enumerate(value))
            else:
                if plan.name in kwargs:
                    raise V2GEncodeError(f"{inner}: more than one element for {plan.name}")
                kwargs[plan.name] = element_from_plain(use, value, inner)
    for spec in info.fields:
        if spec.min_occurs and spec.name not in kwargs:
            raise V2GEncodeError(f"{where}: missing required {_describe(spec)}")
    return info.cls(**kwargs)


def _describe(spec: FieldSpec) -> str:
    if spec.role == "attribute":
        return f"attribute @{spec.name}"
    if spec.role == "text":
        return "#text"
    if spec.ref is not None and spec.ref.members:
        names = [e.name for e in spec.ref.substitutes() if e.name != spec.name]
        return f"element {spec.name} (or one of {', '.join(names)})"
    return f"element {spec.name}"


def from_dict(namespace: str, infoset: dict[str, Any]) -> Any:
    """The typed message of an infoset dict ``{root element name: content}``."""
    if not isinstance(infoset, dict) or len(infoset) != 1:
        raise V2GEncodeError("an infoset dict has exactly one key, the root element's name")
    ((name, content),) = infoset.items()
    document = document_grammar(schema_of(namespace))
    found = document.by_key.get(name)
    if found is None:
        raise V2GEncodeError(f"{name!r} is not a global element of {namespace!r}")
    return element_from_plain(found[1], content, name)
