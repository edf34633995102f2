"""Declarations of XML-schema types, from which both the typed model and the EXI grammar derive.

A schema complex type is declared once, as a dataclass decorated with :func:`complex_type`,
whose fields carry the schema metadata (element or attribute name, simple type and facets,
minOccurs/maxOccurs, order). A simple type is a :class:`SimpleType` value, or a ``StrEnum``
subclass for an enumeration. Global elements are :class:`GlobalElement` values collected in a
:class:`Schema`. Nothing here encodes or decodes: :mod:`charger.v2g.grammar` compiles these
declarations into EXI grammars once, on first use.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

UNBOUNDED: Final = None
"""maxOccurs="unbounded"."""

XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"


class Kind(enum.IntEnum):
    """How EXI represents a simple value (EXI 1.0 section 7.1)."""

    STRING = 0
    BOOLEAN = 1
    UNSIGNED = 2  # Unsigned Integer: 7-bit groups
    INTEGER = 3  # Integer: sign bit then Unsigned Integer
    NBIT = 4  # n-bit Unsigned Integer of (value - minimum), bounded ranges of <= 4096 values
    ENUM = 5  # n-bit index into the enumeration, in schema order
    HEX = 6  # hexBinary: length then bytes
    BASE64 = 7  # base64Binary: same representation as hexBinary


NBIT_RANGE_LIMIT: Final = 4096


@dataclass(frozen=True, slots=True, eq=False)
class SimpleType:
    """A simple type with the facets that matter for EXI and for validation."""

    name: str
    kind: Kind
    min_value: int | None = None
    max_value: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    enum: type[enum.StrEnum] | None = None
    bits: int = 0  # width for NBIT and ENUM

    def __repr__(self) -> str:
        return f"<SimpleType {self.name}>"


def integer_type(name: str, min_value: int | None, max_value: int | None) -> SimpleType:
    """An integer type; its EXI representation follows from its bounds (EXI 1.0 section 7.1.5)."""
    if min_value is not None and max_value is not None:
        span = max_value - min_value + 1
        if span <= NBIT_RANGE_LIMIT:
            return SimpleType(name, Kind.NBIT, min_value, max_value, bits=(span - 1).bit_length())
    if min_value is not None and min_value >= 0:
        return SimpleType(name, Kind.UNSIGNED, min_value, max_value)
    return SimpleType(name, Kind.INTEGER, min_value, max_value)


def string_type(
    name: str,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    length: int | None = None,
) -> SimpleType:
    if length is not None:
        min_length = max_length = length
    return SimpleType(name, Kind.STRING, min_length=min_length, max_length=max_length)


def binary_type(
    name: str,
    kind: Kind,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    length: int | None = None,
) -> SimpleType:
    if kind not in (Kind.HEX, Kind.BASE64):
        raise ValueError("a binary type is HEX or BASE64")
    if length is not None:
        min_length = max_length = length
    return SimpleType(name, kind, min_length=min_length, max_length=max_length)


_ENUM_TYPES: dict[type[enum.StrEnum], SimpleType] = {}


def enumeration_type(enum_class: type[enum.StrEnum]) -> SimpleType:
    """The simple type of a ``StrEnum`` declaration; members are indexed in declaration order."""
    found = _ENUM_TYPES.get(enum_class)
    if found is None:
        count = len(enum_class.__members__)
        found = SimpleType(enum_class.__name__, Kind.ENUM, enum=enum_class,
                           bits=(count - 1).bit_length())
        _ENUM_TYPES[enum_class] = found
    return found


# XML Schema built-in types used by the V2G schemas.
XS_STRING: Final = string_type("string")
XS_ANY_URI: Final = string_type("anyURI")
XS_ID: Final = string_type("ID")
XS_IDREF: Final = string_type("IDREF")
XS_NCNAME: Final = string_type("NCName")
XS_BOOLEAN: Final = SimpleType("boolean", Kind.BOOLEAN)
XS_BYTE: Final = integer_type("byte", -(2**7), 2**7 - 1)
XS_SHORT: Final = integer_type("short", -(2**15), 2**15 - 1)
XS_INT: Final = integer_type("int", -(2**31), 2**31 - 1)
XS_LONG: Final = integer_type("long", -(2**63), 2**63 - 1)
XS_INTEGER: Final = integer_type("integer", None, None)
XS_UNSIGNED_BYTE: Final = integer_type("unsignedByte", 0, 2**8 - 1)
XS_UNSIGNED_SHORT: Final = integer_type("unsignedShort", 0, 2**16 - 1)
XS_UNSIGNED_INT: Final = integer_type("unsignedInt", 0, 2**32 - 1)
XS_UNSIGNED_LONG: Final = integer_type("unsignedLong", 0, 2**64 - 1)
XS_HEX_BINARY: Final = binary_type("hexBinary", Kind.HEX)
XS_BASE64_BINARY: Final = binary_type("base64Binary", Kind.BASE64)


class GlobalElement:
    """A top-level element declaration, possibly the head or a member of a substitution group."""

    __slots__ = ("name", "ns", "type", "abstract", "substitution_group", "members")

    def __init__(
        self,
        name: str,
        ns: str,
        type_: Any,
        *,
        abstract: bool = False,
        substitution_group: GlobalElement | None = None,
    ) -> None:
        self.name = name
        self.ns = ns
        self.type = type_  # a complex_type class, a SimpleType or a StrEnum class
        self.abstract = abstract
        self.substitution_group = substitution_group
        self.members: list[GlobalElement] = []
        if substitution_group is not None:
            substitution_group.members.append(self)

    def substitutes(self) -> list[GlobalElement]:
        """This element and every element that may stand for it, sorted by local name then
        namespace as EXI orders them. Abstract elements are kept, as EXIficient keeps them:
        they take an event code although no valid document uses them."""
        found: list[GlobalElement] = []
        pending = [self]
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(current.members)
        return sorted(found, key=lambda e: (e.name, e.ns))

    def __repr__(self) -> str:
        return f"<GlobalElement {{{self.ns}}}{self.name}>"


class Schema:
    """The global elements of one schema set (e.g. ISO 15118-2 with xmldsig)."""

    def __init__(self, key: str, namespace: str, elements: Iterable[GlobalElement]) -> None:
        self.key = key
        self.namespace = namespace
        # EXI's DocContent lists every global element, sorted by local name then namespace.
        self.elements: list[GlobalElement] = sorted(elements, key=lambda e: (e.name, e.ns))

    def element(self, name: str) -> GlobalElement:
        for candidate in self.elements:
            if candidate.name == name:
                return candidate
        raise KeyError(name)


# ---------------------------------------------------------------- fields of complex types


class FieldSpec:
    """Schema metadata of one dataclass field: an element, an attribute or simple content."""

    __slots__ = ("role", "type", "min_occurs", "max_occurs", "ns", "ref", "choice", "name",
                 "exi_unbounded")

    def __init__(
        self,
        role: str,
        type_: Any,
        *,
        min_occurs: int = 1,
        max_occurs: int | None = 1,
        ns: str | None = None,
        ref: GlobalElement | None = None,
        choice: str | None = None,
        exi_unbounded: bool = False,
    ) -> None:
        self.role = role  # "element", "attribute" or "text"
        self.type = type_
        self.min_occurs = min_occurs
        self.max_occurs = max_occurs
        self.ns = ns
        self.ref = ref
        self.choice = choice
        # The reference grammar lets the element repeat without bound: maxOccurs is then
        # checked on its own rather than counted by the grammar (see grammar_max_occurs).
        self.exi_unbounded = exi_unbounded
        self.name = ""  # the field name, which is also the element or attribute local name

    @property
    def is_list(self) -> bool:
        return self.max_occurs is None or self.max_occurs > 1

    @property
    def grammar_max_occurs(self) -> int | None:
        return None if self.exi_unbounded else self.max_occurs

    @property
    def optional(self) -> bool:
        return self.min_occurs == 0


def _field(spec: FieldSpec) -> Any:
    if spec.is_list:
        return dataclasses.field(default_factory=list, metadata={"v2g": spec})
    if spec.optional:
        return dataclasses.field(default=None, metadata={"v2g": spec})
    return dataclasses.field(metadata={"v2g": spec})


def element(
    type_: Any = None,
    *,
    min_occurs: int = 1,
    max_occurs: int | None = 1,
    ref: GlobalElement | None = None,
    ns: str | None = None,
    choice: str | None = None,
    exi_unbounded: bool = False,
) -> Any:
    """A child element. ``ref`` points at a global element (and its substitution group);
    otherwise the element is local, in the namespace of the declaring type.
    Fields sharing a ``choice`` key form one xs:choice. ``exi_unbounded`` marks a bounded
    maxOccurs that the reference codec's grammar does not count (see iso2)."""
    if ref is not None:
        type_ = ref.type
        ns = ref.ns
    return _field(FieldSpec("element", type_, min_occurs=min_occurs, max_occurs=max_occurs,
                            ns=ns, ref=ref, choice=choice, exi_unbounded=exi_unbounded))


def attribute(type_: Any, *, required: bool = False, ns: str = "") -> Any:
    """An attribute; ``ns`` is empty for unqualified attributes."""
    return _field(FieldSpec("attribute", type_, min_occurs=1 if required else 0, ns=ns))


def text(type_: Any) -> Any:
    """The simple content of a complex type with simple content."""
    return _field(FieldSpec("text", type_))


# ---------------------------------------------------------------- content models


@dataclass(frozen=True, slots=True)
class Particle:
    """A node of a content model: "element" (by field name), "any", "sequence" or "choice"."""

    kind: str
    min_occurs: int = 1
    max_occurs: int | None = 1
    field: str = ""
    children: tuple[Particle, ...] = ()
    namespaces: tuple[str, ...] | None = None  # for "any": None means any namespace


def el(field: str, *, min_occurs: int = 1, max_occurs: int | None = 1) -> Particle:
    """An element particle, by field name, with its own occurrence bounds."""
    return Particle("element", min_occurs, max_occurs, field=field)


def seq(*children: Particle | str, min_occurs: int = 1, max_occurs: int | None = 1) -> Particle:
    return Particle("sequence", min_occurs, max_occurs, children=_particles(children))


def choice(*children: Particle | str, min_occurs: int = 1, max_occurs: int | None = 1) -> Particle:
    return Particle("choice", min_occurs, max_occurs, children=_particles(children))


def any_element(
    namespaces: Sequence[str] | None = None, *, min_occurs: int = 1, max_occurs: int | None = 1
) -> Particle:
    """A wildcard (xs:any). It shapes the grammar; content matching it is reported as
    unsupported when decoding and cannot be given when encoding."""
    return Particle("any", min_occurs, max_occurs,
                    namespaces=None if namespaces is None else tuple(namespaces))


def _particles(children: Iterable[Particle | str]) -> tuple[Particle, ...]:
    return tuple(Particle("element", field=c) if isinstance(c, str) else c for c in children)


# ---------------------------------------------------------------- complex types


class TypeInfo:
    """What the grammar builder and the codec need to know about one complex type."""

    __slots__ = ("cls", "ns", "mixed", "abstract", "fields", "attributes", "elements",
                 "text", "own_content", "grammar")

    def __init__(self, cls: type, ns: str, mixed: bool, abstract: bool,
                 own_content: Particle | None) -> None:
        self.cls = cls
        self.ns = ns
        self.mixed = mixed
        self.abstract = abstract
        self.own_content = own_content
        self.fields: list[FieldSpec] = []
        self.attributes: list[FieldSpec] = []
        self.elements: list[FieldSpec] = []
        self.text: FieldSpec | None = None
        self.grammar: Any = None  # compiled lazily by charger.v2g.grammar

    def content(self) -> Particle:
        """The full content model: the base type's content followed by this type's own."""
        own = self.own_content
        if own is None:
            own = _default_content(self.cls)
        base = _base_info(self.cls)
        if base is None:
            return own
        return seq(base.content(), own)


def _base_info(cls: type) -> TypeInfo | None:
    for base in cls.__mro__[1:]:
        info = base.__dict__.get("__v2g__")
        if info is not None:
            return info
    return None


def _default_content(cls: type) -> Particle:
    """Own element fields in declaration order; consecutive fields with one choice key form a
    choice."""
    info: TypeInfo = cls.__dict__["__v2g__"]
    base = _base_info(cls)
    inherited = {spec.name for spec in base.elements} if base else set()
    items: list[Particle] = []
    current_choice: str | None = None
    alternatives: list[Particle] = []
    for spec in info.elements:
        if spec.name in inherited:
            continue
        particle = Particle("element", spec.min_occurs, spec.grammar_max_occurs, field=spec.name)
        if spec.choice is not None and spec.choice == current_choice:
            alternatives.append(Particle("element", field=spec.name))
            continue
        if alternatives:
            items.append(Particle("choice", children=tuple(alternatives)))
            alternatives = []
        current_choice = spec.choice
        if spec.choice is not None:
            alternatives = [Particle("element", field=spec.name)]
        else:
            items.append(particle)
    if alternatives:
        items.append(Particle("choice", children=tuple(alternatives)))
    return Particle("sequence", children=tuple(items))


T = TypeVar("T")


def complex_type(
    ns: str, *, mixed: bool = False, abstract: bool = False, content: Particle | None = None
) -> Callable[[type[T]], type[T]]:
    """Declare a schema complex type. Local elements are in namespace ``ns``.

    ``content`` is given only where the content model is not the fields in order
    (nested groups, wildcards); it then names the fields it places."""

    def wrap(cls: type[T]) -> type[T]:
        data_cls = dataclass(kw_only=True, eq=True, repr=True)(cls)
        info = TypeInfo(data_cls, ns, mixed, abstract, content)
        for field in dataclasses.fields(data_cls):
            spec: FieldSpec | None = field.metadata.get("v2g")
            if spec is None:
                raise TypeError(f"{cls.__name__}.{field.name} lacks schema metadata")
            if not spec.name:
                spec.name = field.name
                if spec.role == "element" and spec.ns is None:
                    spec.ns = ns
            info.fields.append(spec)
            if spec.role == "attribute":
                info.attributes.append(spec)
            elif spec.role == "element":
                info.elements.append(spec)
            else:
                info.text = spec
        # EXI orders attribute productions by local name, then namespace.
        info.attributes.sort(key=lambda s: (s.name, s.ns or ""))
        data_cls.__v2g__ = info  # type: ignore[attr-defined]
        return data_cls

    return wrap


def type_info(cls: type) -> TypeInfo:
    info = cls.__dict__.get("__v2g__")
    if info is None:
        raise TypeError(f"{cls!r} is not a declared complex type")
    return info


def is_complex(type_: Any) -> bool:
    return isinstance(type_, type) and "__v2g__" in type_.__dict__


def simple_type_of(type_: Any) -> SimpleType:
    if isinstance(type_, SimpleType):
        return type_
    if isinstance(type_, type) and issubclass(type_, enum.StrEnum):
        return enumeration_type(type_)
    raise TypeError(f"{type_!r} is not a simple type")
