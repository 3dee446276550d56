"""A strict YAML reader for rule files that remembers where every value came from.

PyYAML's ``safe_load`` keeps the last of two duplicate keys without a word, reads ``no`` as
``False`` (YAML 1.1) and dies on ``2026-13-01`` with a bare ``ValueError`` and no position.
A rule file must never be misread silently, so this reader composes the node tree with
PyYAML and builds the Python values itself:

* a duplicate key is an error at the second key;
* only ``true``/``false`` are booleans (YAML 1.2); ``yes``/``no``/``on``/``off`` stay strings,
  which the schema then refuses where a boolean is expected;
* a decimal number becomes a :class:`~decimal.Decimal` read from its text, so ``0.75`` is
  exactly three quarters and no threshold drifts through binary floating point;
* an impossible date is an error at its position;
* anchors, aliases and merge keys are refused: a rule must be readable where it stands.

Every value's position is kept in :attr:`YamlDocument.positions`, keyed by its path, so that a
schema error can be reported as ``file:line:column``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class RuleFileError(Exception):
    """One problem in one rule file, at a line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass
class YamlDocument:
    file: str
    data: Any
    positions: dict[Path_, Position] = field(default_factory=dict)

    def position_of(self, path: Path_) -> Position:
        """The position of ``path``, or of its nearest ancestor that has one."""
        path = normalise_path(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), Position(1, 1))

    def error(self, path: Path_, message: str) -> RuleFileError:
        pos = self.position_of(path)
        return RuleFileError(self.file, pos.line, pos.column, message)


class _StrictResolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types, less its many spellings of booleans."""


_StrictResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _StrictComposer(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _StrictResolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _StrictResolver.__init__(self)


_DECIMAL_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def normalise_path(path: Path_) -> Path_:
    """Paths as pydantic reports them: a mapping key that is not text (a date) stands as its repr."""
    return tuple(part if isinstance(part, (str, int)) and not isinstance(part, bool) else repr(part) for part in path)


def read_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document strictly; raise :class:`RuleFileError` at the first problem."""
    _refuse_anchors(text, file)
    composer = _StrictComposer(text)
    try:
        node = composer.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RuleFileError(file, line, col, f"not valid YAML: {exc.problem or exc}") from None
    finally:
        composer.dispose()
    doc = YamlDocument(file=file, data=None)
    if node is None:
        doc.positions[()] = Position(1, 1)
        return doc
    doc.data = _build(node, (), doc, visited=set())
    return doc


def _refuse_anchors(text: str, file: str) -> None:
    """Anchors and aliases make a value stand far from where it is read: refuse them where written."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                mark = token.start_mark
                what = "an anchor (&)" if isinstance(token, yaml.AnchorToken) else "an alias (*)"
                raise RuleFileError(file, mark.line + 1, mark.column + 1,
                                    f"anchors and aliases are not allowed in rule files: {what} stands here; write the value out where it is used")
    except yaml.MarkedYAMLError:
        return  # the composer reports syntax errors with their position


def read_yaml_file(path: Path, display_name: str | None = None) -> YamlDocument:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError(name, 1, 1, f"not UTF-8 text: {exc.reason}") from None
    return read_yaml(text, name)


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: yaml.Node, path: Path_, doc: YamlDocument, visited: set[int]) -> Any:
    # An alias is the very node object its anchor named (anchors are refused before; kept as a guard).
    if id(node) in visited:
        raise doc_error(doc, node, "aliases are not allowed in rule files; write the value out")
    visited.add(id(node))
    doc.positions[normalise_path(path)] = _pos(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        key_nodes: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise doc_error(doc, key_node, "merge keys (<<) are not allowed in rule files; write the keys out")
            if not isinstance(key_node, yaml.ScalarNode):
                raise doc_error(doc, key_node, "a key must be a plain value, not a list or a mapping")
            key = _scalar(key_node, doc)
            if key in key_nodes:
                first = _pos(key_nodes[key])
                raise doc_error(
                    doc, key_node, f"duplicate key {key!r} (first written at line {first.line}); keep one"
                )
            key_nodes[key] = key_node
            doc.positions[normalise_path(path + (key, "[key]"))] = _pos(key_node)
            result[key] = _build(value_node, path + (key,), doc, visited)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, visited) for i, item in enumerate(node.value)]
    return _scalar(node, doc)


def _scalar(node: yaml.ScalarNode, doc: YamlDocument) -> Any:
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        # YAML 1.1 also reads 0x1F, 0o17, 017 (octal!) and 1:30 (base 60): refuse them.
        if not _DECIMAL_INT.match(text):
            raise doc_error(doc, node, f"{text!r}: write whole numbers in plain decimal digits")
        return int(text.replace("_", ""))
    if tag == "tag:yaml.org,2002:float":
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:
            raise doc_error(doc, node, f"{text!r} is not a decimal number") from None
        if not value.is_finite():
            raise doc_error(doc, node, f"{text!r}: infinities and NaN are not allowed")
        return value
    if tag == "tag:yaml.org,2002:timestamp":
        match = _DATE.match(text)
        if not match:
            raise doc_error(doc, node, f"{text!r}: write dates as YYYY-MM-DD, without a time")
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            raise doc_error(doc, node, f"{text!r} is not a real date ({exc})") from None
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:value"):
        return text
    if tag.startswith("tag:yaml.org,2002:") or tag == "!":
        return text
    raise doc_error(doc, node, f"the YAML tag {tag!r} is not allowed in rule files")


def doc_error(doc: YamlDocument, node: yaml.Node, message: str) -> RuleFileError:
    pos = _pos(node)
    return RuleFileError(doc.file, pos.line, pos.column, message)
