"""Interfaces and types declared as YAML data, and the JSON-schema checks built from them.

A type file (``charger/types/NAME.yaml``) holds ``types: {TypeName: <json schema>}``; a schema
anywhere may say ``$ref: /NAME#/TypeName``. An interface file
(``charger/interfaces/NAME.yaml``) declares ``cmds`` (arguments and result), ``vars`` and
``errors``. References are inlined once at load, so every schema checked on the bus is
self-contained, and checks are compiled once (fastjsonschema) because they sit on the hot path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from charger.framework.errors import ConfigError, Problem
from charger.framework.yamlio import line_at, load_yaml

BUILTIN_DIR = Path(__file__).resolve().parent.parent
# Keys that document a schema but are not JSON-schema keywords we want checked.
_DOC_ONLY = {"description"}


def document_problems(document: Any, schema: dict, path: str) -> list[Problem]:
    """Check ``document`` against ``schema``; every violation with the line it is on."""
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        where = "/".join(str(p) for p in error.absolute_path)
        mapping = list(error.absolute_path)
        # The error's path ends at the mapping; a wrong key is reported on the key's own line.
        for key, reason in _by_key(error):
            line = line_at(document, mapping if key is None else [*mapping, key])
            problems.append(Problem(path, line, f"{where}: {reason}" if where else reason))
    return problems


def _by_key(error: jsonschema.ValidationError) -> list[tuple[Any, str]]:
    """(offending key or None, reason) for each problem ``error`` stands for."""
    instance = error.instance
    if error.validator == "additionalProperties" and error.validator_value is False \
            and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        unknown = [k for k in instance if k not in known
                   and not (isinstance(k, str) and any(re.search(p, k) for p in patterns))]
        if unknown:
            return [(k, f"unknown key(s) ({k!r} was unexpected)") for k in unknown]
    if "propertyNames" in error.relative_schema_path:
        return [(instance, _readable(error))]  # the instance is the key itself
    return [(None, _readable(error))]


def _readable(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    explained = _explained(error)
    if explained:
        return explained
    if error.validator == "oneOf" and error.context:
        # Explain the branch the document meant (the one whose required keys are all there).
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [subs for subs in branches.values()
                 if not any(s.validator == "required" and not s.relative_path for s in subs)]
        candidates = meant[0] if len(meant) == 1 else error.context
        top = max(candidates, key=jsonschema.exceptions.relevance)
        explained = _explained(top)
        if explained:
            inside = "/".join(str(p) for p in top.relative_path)
            return f"{inside}: {explained}" if inside else explained
        return _readable(jsonschema.exceptions.best_match(candidates))
    return error.message


def _explained(error: jsonschema.ValidationError) -> str | None:
    """A schema may say what it accepts (``errorMessage``) better than "not valid under any of
    the given schemas"."""
    message = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if error.validator in ("anyOf", "oneOf") and isinstance(message, str):
        return f"{error.instance!r} is not valid: {message}"
    return None


class SchemaCheck:
    """A compiled check of one value against one schema; ``__call__`` returns an error or None."""

    __slots__ = ("schema", "_compiled")

    def __init__(self, schema: dict):
        self.schema = schema
        self._compiled: Callable[[Any], Any] | None = None

    def __call__(self, value: Any) -> str | None:
        if self._compiled is None:
            self._compiled = fastjsonschema.compile(self.schema, use_default=False)
        try:
            self._compiled(value)
        except fastjsonschema.JsonSchemaValueException as exc:
            return exc.message
        except fastjsonschema.JsonSchemaException as exc:  # pragma: no cover - bad schema
            return f"schema cannot be checked: {exc}"
        return None


@dataclass
class CommandSpec:
    name: str
    description: str
    arguments: dict[str, dict]
    result: dict | None

    @cached_property
    def check_arguments(self) -> SchemaCheck:
        required = [n for n, s in self.arguments.items() if "default" not in s]
        return SchemaCheck({"type": "object", "properties": self.arguments,
                            "required": required, "additionalProperties": False})

    @cached_property
    def check_result(self) -> SchemaCheck:
        return SchemaCheck(self.result if self.result is not None else {"type": "null"})

    def defaults(self) -> dict[str, Any]:
        return {n: copy.deepcopy(s["default"]) for n, s in self.arguments.items() if "default" in s}


@dataclass
class VariableSpec:
    name: str
    schema: dict
    # A periodic reading that the next one supersedes (a meter value): a network bus may send
    # it without per-message acknowledgement. Events and state are never telemetry.
    telemetry: bool = False

    @cached_property
    def check(self) -> SchemaCheck:
        return SchemaCheck(self.schema)


@dataclass
class InterfaceSpec:
    name: str
    description: str
    cmds: dict[str, CommandSpec] = field(default_factory=dict)
    vars: dict[str, VariableSpec] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def error_type(self, name: str) -> str:
        return f"{self.name}/{name}"


_INTERFACE_SCHEMA = {
    "type": "object",
    "required": ["description"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "cmds": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False,
            "required": ["description"],
            "properties": {"description": {"type": "string"},
                           "arguments": {"type": "object",
                                         "additionalProperties": {"type": "object"}},
                           "result": {"type": "object"}}}},
        "vars": {"type": "object", "additionalProperties": {"type": "object"}},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_TYPES_SCHEMA = {
    "type": "object", "required": ["types"], "additionalProperties": False,
    "properties": {"description": {"type": "string"},
                   "types": {"type": "object", "additionalProperties": {"type": "object"}}},
}


class SchemaRegistry:
    """Every interface and type known to a station, loaded from YAML directories."""

    def __init__(self, directories: Iterable[Path] = (BUILTIN_DIR,)):
        self._types: dict[str, dict[str, Any]] = {}
        self._type_files: dict[str, str] = {}
        self.interfaces: dict[str, InterfaceSpec] = {}
        problems: list[Problem] = []
        interface_docs = []
        for base in directories:
            for file in sorted((base / "types").glob("*.yaml")):
                doc = load_yaml(file)
                found = document_problems(doc, _TYPES_SCHEMA, str(file))
                problems += found
                if not found:
                    self._types[file.stem] = doc["types"]
                    self._type_files[file.stem] = str(file)
            for file in sorted((base / "interfaces").glob("*.yaml")):
                doc = load_yaml(file)
                found = document_problems(doc, _INTERFACE_SCHEMA, str(file))
                problems += found
                if not found:
                    interface_docs.append((file, doc))
        for file, doc in interface_docs:
            try:
                self.interfaces[file.stem] = self._build_interface(file.stem, doc, str(file))
            except ConfigError as exc:
                problems += exc.problems
        if problems:
            raise ConfigError(problems)

    def _build_interface(self, name: str, doc: dict, path: str) -> InterfaceSpec:
        spec = InterfaceSpec(name, doc["description"], errors=dict(doc.get("errors", {})))
        for cmd_name, cmd in doc.get("cmds", {}).items():
            where = ["cmds", cmd_name]
            args = {arg: self.resolve(s, path, line_at(doc, [*where, "arguments", arg]))
                    for arg, s in cmd.get("arguments", {}).items()}
            result = cmd.get("result")
            spec.cmds[cmd_name] = CommandSpec(
                cmd_name, cmd["description"], args,
                self.resolve(result, path, line_at(doc, [*where, "result"])) if result else None)
        for var_name, schema in doc.get("vars", {}).items():
            schema = dict(schema)
            telemetry = schema.pop("telemetry", False) is True
            spec.vars[var_name] = VariableSpec(
                var_name, self.resolve(schema, path, line_at(doc, ["vars", var_name])),
                telemetry)
        return spec

    def resolve(self, schema: Any, path: str, line: int | None, _seen: tuple = ()) -> Any:
        """Inline every ``$ref: /file#/Type`` and drop documentation-only keys."""
        if isinstance(schema, list):
            return [self.resolve(s, path, line, _seen) for s in schema]
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            ref = schema["$ref"]
            target = self._lookup(ref, path, line)
            if ref in _seen:
                raise ConfigError.single(path, line, f"recursive type reference {ref}")
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            merged = {**self.resolve(target, path, line, (*_seen, ref)),
                      **self.resolve(merged, path, line, _seen)}
            return merged
        out = {}
        for key, value in schema.items():
            if key in _DOC_ONLY and not isinstance(value, dict):
                continue
            # Nested schemas live under these keys; other values (enum lists, defaults) are data.
            if key in ("properties", "patternProperties", "$defs", "definitions"):
                out[key] = {k: self.resolve(v, path, line, _seen) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not", "if", "then", "else",
                         "contains", "propertyNames", "anyOf", "allOf", "oneOf", "prefixItems"):
                out[key] = self.resolve(value, path, line, _seen)
            else:
                out[key] = copy.deepcopy(value)
        return out

    def _lookup(self, ref: Any, path: str, line: int | None) -> dict:
        if not isinstance(ref, str) or not ref.startswith("/") or "#/" not in ref:
            raise ConfigError.single(path, line, f"bad type reference {ref!r}: "
                                     "expected '/<types file>#/<TypeName>'")
        file, type_name = ref[1:].split("#/", 1)
        if file not in self._types:
            raise ConfigError.single(path, line, f"unknown types file {file!r} in {ref}")
        if type_name not in self._types[file]:
            known = ", ".join(sorted(self._types[file]))
            raise ConfigError.single(path, line, f"unknown type {type_name!r} in {ref} "
                                     f"(known: {known})")
        return self._types[file][type_name]

    def interface(self, name: str) -> InterfaceSpec:
        return self.interfaces[name]
