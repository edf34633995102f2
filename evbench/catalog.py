"""What ``evbench modules`` shows: each module's requirements, parameters and error types, read
from its manifest and the interfaces it provides, and the interfaces themselves."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator

from charger.framework.errors import EvbenchError
from charger.framework.manifest import Manifest, Required
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry

WIDTH = 100
INDENT = " " * 4


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value) if value is None or isinstance(value, bool | str) else str(value)


def parameter_text(schema: dict) -> str:
    """A configuration parameter's JSON schema, as a person reads it: ``number 6..80, default
    32``."""
    kinds = schema.get("type", "any")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    nullable = "null" in kinds
    words = [" or ".join(k for k in kinds if k != "null") or "null"]
    if "enum" in schema:
        words = ["one of " + ", ".join(_value(v) for v in schema["enum"] if v is not None)]
    words += _bounds(schema)
    if "maxLength" in schema:
        words.append(f"{schema.get('minLength', 0)}..{schema['maxLength']} characters")
    elif "minLength" in schema:
        words.append(f"at least {schema['minLength']} characters")
    text = " ".join(words)
    if "default" in schema:
        text += f", default {_value(schema['default'])}"
        if schema["default"] is None and nullable:
            text += " (from the profile or the module)"
    else:
        text += ", required"
    if schema.get("description"):
        text += f": {schema['description']}"
    return text


def _bounds(schema: dict) -> list[str]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return [f"{_value(low)}..{_value(high)}"]
    bounds = [f">= {_value(low)}"] if low is not None else []
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {_value(schema['exclusiveMinimum'])}")
    if high is not None:
        bounds.append(f"<= {_value(high)}")
    return [", ".join(bounds)] if bounds else []


def connections_text(required: Required) -> str:
    low, high = required.min_connections, required.max_connections
    if (low, high) == (1, 1):
        return "exactly one"
    if (low, high) == (0, 1):
        return "optional"
    return f"{low} to {high}"


def module_lines(manifest: Manifest, schemas: SchemaRegistry) -> Iterator[str]:
    """The description of one module, as lines."""
    yield manifest.name + ("  (wall clock only)" if manifest.clock == "wall" else "")
    yield from textwrap.wrap(manifest.description, WIDTH, initial_indent=INDENT,
                             subsequent_indent=INDENT)
    yield from _section("provides", [
        (impl, p.interface + (f": {p.description}" if p.description else ""))
        for impl, p in manifest.provides.items()])
    yield from _section("requires", [
        (name, f"{r.interface} ({connections_text(r)})"
         + (f": {r.description}" if r.description else ""))
        for name, r in manifest.requires.items()])
    yield from _section("parameters", [
        (name, parameter_text(schema)) for name, schema in manifest.config.items()])
    errors = []
    for provided in manifest.provides.values():
        spec = schemas.interfaces.get(provided.interface)
        if spec is not None:
            errors += [(spec.error_type(name), text) for name, text in spec.errors.items()]
    yield from _section("errors", errors)


def _section(title: str, items: list[tuple[str, str]]) -> Iterator[str]:
    if not items:
        yield f"  {title}: none"
        return
    yield f"  {title}:"
    width = min(max(len(name) for name, _ in items), 40)
    for name, text in items:
        lead = f"{INDENT}{name:<{width}}  "
        yield from textwrap.wrap(text, WIDTH, initial_indent=lead,
                                 subsequent_indent=" " * len(lead)) or [lead.rstrip()]


def interface_lines(schemas: SchemaRegistry) -> Iterator[str]:
    yield "interfaces:"
    for name, spec in sorted(schemas.interfaces.items()):
        yield (f"  {name:26} {len(spec.cmds)} cmds, {len(spec.vars)} vars, "
               f"{len(spec.errors)} errors")


def catalog(names: list[str] | None = None) -> Iterator[str]:
    """Every module (or those named), then the interfaces; an unknown name raises the
    registry's error, which lists the known ones."""
    schemas = SchemaRegistry()
    registry = ModuleRegistry(schemas)
    unknown = [name for name in names or () if name not in registry.names()]
    if unknown:
        raise EvbenchError(f"unknown module {', '.join(map(repr, unknown))}; the modules are "
                           + ", ".join(registry.names()))
    for index, name in enumerate(names or registry.names()):
        if index:
            yield ""
        yield from module_lines(registry.get(name).manifest, schemas)
    if not names:
        yield ""
        yield from interface_lines(schemas)
