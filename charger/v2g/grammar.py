"""EXI 1.0 schema-informed grammars compiled from the type declarations of charger.v2g.schema.

Construction follows EXI 1.0 section 8.5.4: one grammar per particle (element terms with their
substitution groups, wildcards, sequences, choices, min/maxOccurs unrolled), concatenated after
the attribute uses sorted by qname; then epsilon productions are eliminated and productions with
the same terminal merged (a subset construction). Event codes are assigned in each state as EXI
orders them: AT sorted by qname, SE in schema order, SE(*), EE, CH. A substitution group offers
its head and all members sorted by local name, abstract ones included, as EXIficient does.

V2G streams use the EXI default options, which are not strict: every element grammar state then
has second-level productions (xsi:type, xsi:nil, undeclared content), so each state's first level
has one code more than its schema productions, the escape. The codec uses the second level only
where EXIficient does for valid messages (an element with empty content) and reads untyped values;
other second-level events are reported as unsupported.

A grammar is compiled once per type, on first use, and cached on its TypeInfo.
"""

from __future__ import annotations

from typing import Any

from charger.v2g.schema import (
    FieldSpec,
    Particle,
    Schema,
    SimpleType,
    TypeInfo,
    is_complex,
    simple_type_of,
    type_info,
)

# Production kinds, as stored in State.prods for decoding.
AT = 0
SE = 1
EE = 2
CH = 3  # typed simple content
SE_ANY = 4  # wildcard element: content not supported
CH_UNTYPED = 5  # mixed content characters: not supported

_ORDER = {AT: 0, SE: 1, SE_ANY: 2, EE: 3, CH: 4, CH_UNTYPED: 5}


def qname_key(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


class ElementUse:
    """An element that may appear at a given place: its qname, the field it fills, its type."""

    __slots__ = ("name", "ns", "key", "field", "is_list", "simple", "stype", "info", "max_items")

    def __init__(self, name: str, ns: str, type_: Any, field: str, is_list: bool,
                 max_items: int | None = None) -> None:
        self.name = name
        self.ns = ns
        self.key = qname_key(ns, name)
        self.field = field
        self.is_list = is_list
        self.simple = not is_complex(type_)
        self.stype: SimpleType | None = simple_type_of(type_) if self.simple else None
        self.info: TypeInfo | None = None if self.simple else type_info(type_)
        # A bound the grammar does not count, checked by the codec instead.
        self.max_items = max_items

    def __repr__(self) -> str:
        return f"<ElementUse {self.key}>"


class AttributeUse:
    __slots__ = ("name", "key", "stype", "required")

    def __init__(self, spec: FieldSpec) -> None:
        self.name = spec.name
        self.key = qname_key(spec.ns or "", spec.name)
        self.stype = simple_type_of(spec.type)
        self.required = not spec.optional


class State:
    """One grammar state. ``prods`` is indexed by event code; the encoder looks productions up by
    element or attribute key in ``se``/``at`` and finds EE's code in ``ee``."""

    __slots__ = ("width", "prods", "se", "at", "ee", "ch")

    def __init__(self) -> None:
        self.width = 0
        self.prods: list[tuple[int, Any, State | None]] = []
        self.se: dict[str, tuple[int, State]] = {}
        self.at: dict[str, tuple[int, AttributeUse, State]] = {}
        self.ee: int | None = None
        self.ch: tuple[int, State] | None = None


class FieldPlan:
    """How the encoder emits one element field: the element to use for each value's class."""

    __slots__ = ("name", "is_list", "single", "by_class", "max_items")

    def __init__(self, name: str, is_list: bool, uses: list[ElementUse]) -> None:
        self.name = name
        self.is_list = is_list
        self.max_items = uses[0].max_items
        self.single = uses[0] if len(uses) == 1 else None
        self.by_class: dict[type, ElementUse] = {}
        for use in uses:
            if use.info is not None:
                self.by_class.setdefault(use.info.cls, use)


class Grammar:
    __slots__ = ("start", "attributes", "text", "fields", "cls", "states", "by_name")

    def __init__(self, info: TypeInfo) -> None:
        self.cls = info.cls
        self.attributes = [AttributeUse(spec) for spec in info.attributes]
        self.text: SimpleType | None = simple_type_of(info.text.type) if info.text else None
        self.fields: list[FieldPlan] = []
        self.states: list[State] = []
        self.start: State = State()
        # Element local name -> (field plan, element use): the infoset-dict keys.
        self.by_name: dict[str, tuple[FieldPlan, ElementUse]] = {}


def element_uses(spec: FieldSpec) -> list[ElementUse]:
    """The elements a field's particle matches: with a substitution group, the head (unless
    abstract) and every member, sorted by local name then namespace."""
    max_items = spec.max_occurs if spec.exi_unbounded else None
    if spec.ref is not None:
        return [ElementUse(e.name, e.ns, e.type, spec.name, spec.is_list, max_items)
                for e in spec.ref.substitutes()]
    return [ElementUse(spec.name, spec.ns or "", spec.type, spec.name, spec.is_list, max_items)]


# ---------------------------------------------------------------- NFA construction


class _Nfa:
    """States hold ordered edges (kind, payload, target); kind None is an epsilon edge."""

    def __init__(self) -> None:
        self.edges: list[list[tuple[int | None, Any, int | None]]] = []

    def new(self) -> int:
        self.edges.append([])
        return len(self.edges) - 1


class _Fragment:
    __slots__ = ("start", "states")

    def __init__(self, start: int, states: list[int]) -> None:
        self.start = start
        self.states = states


def _terminal(nfa: _Nfa, kind: int, payloads: list[Any]) -> _Fragment:
    s0, s1 = nfa.new(), nfa.new()
    nfa.edges[s0].extend((kind, p, s1) for p in payloads)
    nfa.edges[s1].append((EE, None, None))
    return _Fragment(s0, [s0, s1])


def _empty(nfa: _Nfa) -> _Fragment:
    s0 = nfa.new()
    nfa.edges[s0].append((EE, None, None))
    return _Fragment(s0, [s0])


def _concat(nfa: _Nfa, parts: list[_Fragment]) -> _Fragment:
    if not parts:
        return _empty(nfa)
    for left, right in zip(parts, parts[1:]):
        for s in left.states:
            nfa.edges[s] = [(None, None, right.start) if e[0] == EE else e
                            for e in nfa.edges[s]]
    return _Fragment(parts[0].start, [s for p in parts for s in p.states])


class _Builder:
    def __init__(self, info: TypeInfo, grammar: Grammar) -> None:
        self.info = info
        self.grammar = grammar
        self.nfa = _Nfa()
        self.fields = {spec.name: spec for spec in info.elements}
        self.uses: dict[str, list[ElementUse]] = {}

    def uses_of(self, field: str) -> list[ElementUse]:
        found = self.uses.get(field)
        if found is None:
            spec = self.fields.get(field)
            if spec is None:
                raise TypeError(f"{self.info.cls.__name__}: content names unknown field {field}")
            found = self.uses[field] = element_uses(spec)
        return found

    def term(self, particle: Particle) -> _Fragment:
        nfa = self.nfa
        if particle.kind == "element":
            return _terminal(nfa, SE, list(self.uses_of(particle.field)))
        if particle.kind == "any":
            return _terminal(nfa, SE_ANY, [particle.namespaces])
        children = [self.particle(c) for c in particle.children]
        if particle.kind == "sequence":
            return _concat(nfa, children)
        if not children:
            return _empty(nfa)
        s0 = nfa.new()
        nfa.edges[s0].extend((None, None, c.start) for c in children)
        return _Fragment(s0, [s0] + [s for c in children for s in c.states])

    def particle(self, particle: Particle) -> _Fragment:
        """EXI 1.0 8.5.4.1.7: minOccurs copies, then optional copies or one looping copy."""
        nfa = self.nfa
        parts = [self.term(particle) for _ in range(particle.min_occurs)]
        if particle.max_occurs is None:
            loop = self.term(particle)
            for s in loop.states:
                nfa.edges[s] = [(None, None, loop.start) if e[0] == EE and s != loop.start else e
                                for e in nfa.edges[s]]
            if not any(e[0] == EE for e in nfa.edges[loop.start]):
                nfa.edges[loop.start].append((EE, None, None))
            parts.append(loop)
        elif particle.max_occurs > particle.min_occurs:
            parts.append(self.optional_copies(particle, particle.max_occurs - particle.min_occurs))
        return _concat(nfa, parts)

    def optional_copies(self, particle: Particle, count: int) -> _Fragment:
        """``count`` optional copies, nested (X (X (...)?)?)? rather than chained: the same
        language and productions as EXI's chain of optional copies, but each copy's start
        leaves straight to what follows, so states stay small even for maxOccurs 1024."""
        nfa = self.nfa
        tail = _empty(nfa)
        for _ in range(count):
            copy = self.term(particle)
            for s in copy.states:
                nfa.edges[s] = [(None, None, tail.start) if e[0] == EE else e
                                for e in nfa.edges[s]]
            nfa.edges[copy.start].append((EE, None, None))
            tail = _Fragment(copy.start, copy.states + tail.states)
        return tail

    def build(self) -> int:
        nfa = self.nfa
        parts: list[_Fragment] = []
        for use in self.grammar.attributes:
            fragment = _terminal(nfa, AT, [use])
            if not use.required:
                nfa.edges[fragment.start].append((EE, None, None))
            parts.append(fragment)
        if self.grammar.text is not None:
            parts.append(_terminal(nfa, CH, [self.grammar.text]))
        else:
            content = self.particle(self.info.content())
            if self.info.mixed:
                for s in content.states:
                    nfa.edges[s].append((CH_UNTYPED, None, s))
            parts.append(content)
        return _concat(nfa, parts).start


# ---------------------------------------------------------------- normalisation


def _closure(nfa: _Nfa, kernel: tuple[int, ...]) -> list[tuple[int, Any, int | None]]:
    """The terminal edges reachable through epsilon edges, in depth-first (schema) order."""
    seen: set[int] = set()
    out: list[tuple[int, Any, int | None]] = []
    # Iterative depth-first walk: a stack of edge lists with their next index.
    for start in kernel:
        if start in seen:
            continue
        seen.add(start)
        stack = [(nfa.edges[start], 0)]
        while stack:
            edges, index = stack.pop()
            if index == len(edges):
                continue
            stack.append((edges, index + 1))
            kind, payload, target = edges[index]
            if kind is not None:
                out.append((kind, payload, target))
            elif target not in seen:
                assert target is not None
                seen.add(target)
                stack.append((nfa.edges[target], 0))
    return out


def _terminal_key(kind: int, payload: Any) -> Any:
    if kind in (SE, AT):
        return (kind, payload.key)
    if kind == SE_ANY:
        return (kind, payload)
    return (kind,)


def compile_type(info: TypeInfo) -> Grammar:
    """Build (once) and return the grammar of a complex type."""
    if info.grammar is not None:
        return info.grammar
    grammar = Grammar(info)
    builder = _Builder(info, grammar)
    nfa_start = builder.build()
    nfa = builder.nfa

    states: dict[tuple[int, ...], State] = {}
    pending: list[tuple[tuple[int, ...], State]] = []

    def state_for(kernel: tuple[int, ...]) -> State:
        found = states.get(kernel)
        if found is None:
            found = states[kernel] = State()
            pending.append((kernel, found))
        return found

    grammar.start = state_for((nfa_start,))
    while pending:
        kernel, state = pending.pop()
        # Merge productions with the same terminal (EXI 8.5.4.2.2), keeping first-seen order.
        merged: dict[Any, tuple[int, Any, list[int]]] = {}
        for kind, payload, target in _closure(nfa, kernel):
            key = _terminal_key(kind, payload)
            entry = merged.get(key)
            if entry is None:
                entry = merged[key] = (kind, payload, [])
            if target is not None and target not in entry[2]:
                entry[2].append(target)
        ordered = sorted(merged.values(), key=lambda e: _ORDER[e[0]])
        attrs = sorted((e for e in ordered if e[0] == AT),
                       key=lambda e: (e[1].name, e[1].key))
        ordered = attrs + [e for e in ordered if e[0] != AT]
        for code, (kind, payload, targets) in enumerate(ordered):
            target = state_for(tuple(sorted(targets))) if targets else None
            state.prods.append((kind, payload, target))
            if kind == SE:
                state.se[payload.key] = (code, target)
            elif kind == AT:
                state.at[payload.key] = (code, payload, target)
            elif kind == EE:
                state.ee = code
            elif kind == CH:
                state.ch = (code, target)
        # Non-strict: one more first-level code, the escape to the second level.
        state.width = len(state.prods).bit_length()
    grammar.states = list(states.values())
    for spec in info.elements:
        uses = builder.uses_of(spec.name)
        plan = FieldPlan(spec.name, spec.is_list, uses)
        grammar.fields.append(plan)
        for use in uses:
            grammar.by_name[use.name] = (plan, use)
    info.grammar = grammar
    return grammar


class DocumentGrammar:
    """DocContent: SE for every global element sorted by qname, then SE(*); no second level since
    comments and processing instructions are not preserved."""

    __slots__ = ("schema", "width", "uses", "by_key", "by_class")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.uses = [ElementUse(e.name, e.ns, e.type, e.name, False) for e in schema.elements]
        self.width = len(self.uses).bit_length()
        self.by_key = {use.name: (code, use) for code, use in enumerate(self.uses)}
        self.by_class: dict[type, tuple[int, ElementUse]] = {}
        for code, use in enumerate(self.uses):
            if use.info is not None:
                self.by_class.setdefault(use.info.cls, (code, use))


_DOCUMENTS: dict[str, DocumentGrammar] = {}


def document_grammar(schema: Schema) -> DocumentGrammar:
    found = _DOCUMENTS.get(schema.key)
    if found is None:
        found = _DOCUMENTS[schema.key] = DocumentGrammar(schema)
    return found

