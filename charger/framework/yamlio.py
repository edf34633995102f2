"""YAML loading that remembers where every value came from, for errors with line numbers.

Input files come from users, so loading is bounded before memory is spent: the file size, the
nesting depth and the size of the document once every alias is expanded (an "alias bomb" of a
few lines otherwise expands to billions of values in whatever walks it, such as schema checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from charger.framework.errors import ConfigError


class LineDict(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


# Limits, far above any real scenario or station (the shipped ones have under a thousand
# values, nested at most 12 deep) and far below what hurts.
MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 64  # also keeps the recursive composer and schema checks far from Python's limit
MAX_VALUES = 100_000  # values in the document with every alias expanded


# What PyYAML's scalar constructors raise on a malformed value (found by fuzzing).
_CONSTRUCTION_FAILURES = (ValueError, OverflowError, TypeError, IndexError, KeyError,
                          AttributeError)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that builds LineDict/LineList, refuses duplicate keys, and bounds the nesting
    depth and the expanded size of the document while it is composed (before anything is built
    from it)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._values = 0  # values composed so far, each alias counted as what it expands to
        self._anchor_sizes: dict[str, int] = {}
        self._open_anchors: set[str] = set()  # anchored nodes being composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} is inside the value it names "
                    "(a document that contains itself)", event.start_mark)
            self._count(self._anchor_sizes.get(event.anchor, 0), event)
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"values nested more than {MAX_DEPTH} levels deep", event.start_mark)
        before = self._values
        self._count(1, event)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open_anchors.add(anchor)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if anchor is not None:
            self._open_anchors.discard(anchor)
            self._anchor_sizes[anchor] = self._values - before
        return node

    def _count(self, values: int, event: yaml.Event) -> None:
        self._values += values
        if self._values > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_VALUES:,} values with aliases expanded (an alias "
                "that repeats a large value many times?)", event.start_mark)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A scalar that matches a tag's pattern but is no valid value (2020-13-45 is resolved
        # as a timestamp, '!!int' with nothing after it) raises ValueError or IndexError in
        # PyYAML's constructors: make it a YAML error with the node's place.
        try:
            return super().construct_object(node, deep=deep)
        except _CONSTRUCTION_FAILURES as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is no valid {node.tag.rpartition(':')[2]}: {exc}"
                if isinstance(node, yaml.ScalarNode) else str(exc), node.start_mark) from None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise yaml.constructor.ConstructorError(
                None, None, f"unsupported key type {type(key).__name__}", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file into LineDict/LineList values; any failure is a ConfigError."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # not more: the path may be /dev/zero
    except FileNotFoundError:
        raise ConfigError.single(str(path), None, "file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ConfigError.single(str(path), None,
                                 f"cannot read file: {getattr(exc, 'strerror', None) or exc}") \
            from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError.single(str(path), None, f"file larger than {MAX_FILE_BYTES:,} bytes: "
                                 "not a scenario or station configuration")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError.single(str(path), line, "not a text file (not valid UTF-8): not a "
                                 "scenario or station configuration") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, path: str) -> Any:
    """Parse YAML text (from ``path``); any failure, or a limit exceeded, is a ConfigError."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and mark is not None and mark.index >= len(text):
            mark = exc.context_mark  # at the end of the file: where the unclosed thing began
        line = mark.line + 1 if mark else None
        reason = exc.problem or str(exc)
        if exc.context:
            reason = f"{exc.context}, {reason}"
        raise ConfigError.single(path, line, f"invalid YAML: {reason}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no mark, a position
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError.single(path, line, f"invalid YAML: unacceptable character "
                                 f"#x{exc.character:04x}: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise ConfigError.single(path, None, f"invalid YAML: {exc}") from None


def line_at(document: Any, path: list[str | int] | tuple) -> int | None:
    """The line of the deepest element of ``path`` that exists in ``document``."""
    line = getattr(document, "line", None)
    node = document
    for part in path:
        in_dict = isinstance(node, LineDict) and part in node
        in_list = isinstance(node, LineList) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            line = node.line_of(part)
            node = node[part]
        else:
            break
    return line
