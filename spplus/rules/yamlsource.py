"""A strict YAML reader for rule files that remembers where every value came from.

PyYAML's ``safe_load`` keeps the last of two duplicate keys without a word, reads ``no`` as
``False`` (YAML 1.1) and dies on ``2026-13-01`` with a bare ``ValueError`` and no position.
A rule file must never be misread silently, so this reader composes the node tree with
PyYAML and builds the Python values itself:

* a duplicate key is an error at the second key (the first value is kept, and reading goes on);
* only ``true``/``false`` are booleans (YAML 1.2); ``yes``/``no``/``on``/``off`` stay strings,
  which the schema then refuses where a boolean is expected;
* a decimal number becomes a :class:`~decimal.Decimal` read from its text, so ``0.75`` is
  exactly three quarters and no threshold drifts through binary floating point;
* an impossible date is an error at its position;
* anchors, aliases and merge keys are refused: a rule must be readable where it stands;
* control characters (other than tab and line breaks), lone UTF-16 surrogates and non-characters
  are refused where they stand;
* a document nested more than ``max_depth`` deep, or holding more than ``max_nodes`` nodes, is
  refused while it is parsed, before it is built (:mod:`spplus.limits`).

The reader reports **every** problem it can find in one pass (:func:`read_yaml_collecting`): only a
syntax error, a limit or a character PyYAML cannot read stops it, and then what was found before
is reported with it. A value that could not be read is left ``None`` and its path is recorded in
:attr:`YamlDocument.unreadable`, so that the schema does not report it a second time.

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

from ..limits import MAX_ERRORS_SHOWN, RULE_YAML_MAX_DEPTH

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


class RuleFileTooLarge(RuleFileError):
    """A rule file over a size limit (bytes or nodes): an upload answers it 413, not 422."""


@dataclass
class YamlDocument:
    file: str
    data: Any
    positions: dict[Path_, Position] = field(default_factory=dict)
    # What the reader found, sorted by position. ``complete`` is False when reading had to stop
    # (a syntax error, a limit, an unreadable character): ``data`` is then None and means nothing.
    problems: list[RuleFileError] = field(default_factory=list)
    complete: bool = True
    # Paths whose value could not be read (a wrong date, an alias…): left None, already reported.
    unreadable: set[Path_] = field(default_factory=set)

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

    def is_unreadable(self, path: Path_) -> bool:
        """True if ``path`` is, or lies under, a value the reader could not read (and reported)."""
        path = normalise_path(path)
        return any(path[:n] in self.unreadable for n in range(len(path) + 1))


class _StrictResolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types, less its many spellings of booleans."""


_StrictResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Stop(Exception):
    """Reading cannot go on (a limit): the document is abandoned with this problem."""

    def __init__(self, error: RuleFileError) -> None:
        super().__init__(str(error))
        self.error = error


def _at(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _StrictComposer(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _StrictResolver,
):
    """PyYAML's composer, with limits checked node by node and anchors/aliases refused as met.

    PyYAML composes recursively (a few frames per level): without the depth limit a document
    1,000 levels deep ends in ``RecursionError``. Both limits are checked when the next node's
    first event is parsed, so nothing deeper or further is ever read.
    """

    def __init__(self, stream: str, file: str, max_depth: int, max_nodes: int | None) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _StrictResolver.__init__(self)
        self.file, self.max_depth, self.max_nodes = file, max_depth, max_nodes
        self.depth = self.nodes = 0
        self.problems: list[RuleFileError] = []
        self.placeholders: set[int] = set()  # nodes standing for an alias: read as nothing

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line, column = _at(event.start_mark)
        self.nodes += 1
        if self.max_nodes is not None and self.nodes > self.max_nodes:
            raise _Stop(RuleFileTooLarge(
                self.file, line, column,
                f"more than {self.max_nodes:,} values (keys, values, lists and items) in one file; a rule file holds at most {self.max_nodes:,}",
            ))
        if self.depth >= self.max_depth:
            raise _Stop(RuleFileError(
                self.file, line, column, f"values nested more than {self.max_depth} levels deep; a rule file is at most {self.max_depth} deep",
            ))
        if isinstance(event, yaml.AliasEvent):
            self.get_event()
            self.problems.append(RuleFileError(
                self.file, line, column,
                "anchors and aliases are not allowed in rule files: an alias (*) stands here; write the value out where it is used",
            ))
            node = yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
            self.placeholders.add(id(node))
            return node
        if getattr(event, "anchor", None) is not None:
            self.problems.append(RuleFileError(
                self.file, line, column,
                "anchors and aliases are not allowed in rule files: an anchor (&) stands here; write the value out where it is used",
            ))
            event.anchor = None  # never registered: an alias to it is refused like any other
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_DECIMAL_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
MAX_INT_DIGITS = 30
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# What no rule file holds: C0 controls but tab, LF and CR; DEL and C1 controls; a CR that does not
# end a line (CRLF is a Windows line end); lone UTF-16 surrogates; the non-characters U+FFFE/U+FFFF.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r(?!\n)")


def normalise_path(path: Path_) -> Path_:
    """Paths as pydantic reports them: a mapping key that is not text (a date) stands as its repr."""
    return tuple(part if isinstance(part, (str, int)) and not isinstance(part, bool) else repr(part) for part in path)


def character_problems(text: str, file: str, limit: int = MAX_ERRORS_SHOWN) -> list[RuleFileError]:
    """Every character no rule file may hold, where it stands (the first ``limit``, then a count)."""
    problems: list[RuleFileError] = []
    line, line_start, scanned = 1, 0, 0
    bom = 1 if text.startswith("\ufeff") else 0  # YAML does not count a byte-order mark as a column
    for count, match in enumerate(_BAD_CHARACTER.finditer(text)):
        index = match.start()
        breaks = text.count("\n", scanned, index)
        if breaks:
            line += breaks
            line_start = text.rfind("\n", scanned, index) + 1
        scanned = index
        column = index - line_start + 1 - (bom if line == 1 else 0)
        if count == limit:
            rest = sum(1 for _ in _BAD_CHARACTER.finditer(text, index))
            problems.append(RuleFileError(file, line, column, f"and {rest:,} more characters like these from here on"))
            break
        problems.append(RuleFileError(file, line, column, _character_message(match.group())))
    return problems


def _character_message(text: str) -> str:
    code = ord(text)
    if text == "\r":
        return "a carriage return (U+000D) that does not end a line; end lines with LF or CRLF"
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X} is half of a UTF-16 surrogate pair, not a character: the text was not encoded properly"
    if code in (0xFFFE, 0xFFFF):
        return f"U+{code:04X} is not a character"
    return f"the control character U+{code:04X} is not allowed in a rule file; only tab and line breaks are"


def read_yaml(text: str, file: str, *, max_depth: int = RULE_YAML_MAX_DEPTH, max_nodes: int | None = None) -> YamlDocument:
    """Parse one YAML document strictly; raise :class:`RuleFileError` at the first problem."""
    doc = read_yaml_collecting(text, file, max_depth=max_depth, max_nodes=max_nodes)
    if doc.problems:
        raise doc.problems[0]
    return doc


def read_yaml_collecting(
    text: str, file: str, *, max_depth: int = RULE_YAML_MAX_DEPTH, max_nodes: int | None = None
) -> YamlDocument:
    """Parse one YAML document strictly, collecting every problem in ``doc.problems`` (never raises them).

    Synchronous and CPU-bound; the node limit bounds its cost (the API runs it off the event loop).
    """
    doc = YamlDocument(file=file, data=None)
    doc.positions[()] = Position(1, 1)
    bad = character_problems(text, file)
    if bad:
        doc.problems, doc.complete = bad, False
        return doc
    composer = _StrictComposer(text, file, max_depth, max_nodes)
    node = None
    try:
        node = composer.get_single_node()
    except _Stop as stop:
        composer.problems.append(stop.error)
        doc.complete = False
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _at(mark) if mark else (1, 1)
        composer.problems.append(RuleFileError(file, line, col, f"not valid YAML: {exc.problem or exc}"))
        doc.complete = False
    except yaml.reader.ReaderError as exc:  # a character the check above let through: placed all the same
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        composer.problems.append(RuleFileError(file, line, column, f"not valid YAML: {exc.reason}"))
        doc.complete = False
    finally:
        composer.dispose()
    doc.problems = composer.problems
    if doc.complete and node is not None:
        doc.data = _Builder(doc, composer.placeholders).build(node, (), doc.positions)
    if not doc.complete:
        doc.data = None
    doc.problems.sort(key=lambda e: (e.line, e.column))  # stable: at one place, in the order found
    return doc


def read_yaml_file(path: Path, display_name: str | None = None, *, max_depth: int = RULE_YAML_MAX_DEPTH,
                   max_nodes: int | None = None) -> YamlDocument:
    """Read one YAML file strictly; raise :class:`RuleFileError` at the first problem."""
    doc = read_yaml_file_collecting(path, display_name, max_depth=max_depth, max_nodes=max_nodes)
    if doc.problems:
        raise doc.problems[0]
    return doc


def read_yaml_file_collecting(
    path: Path, display_name: str | None = None, *, max_bytes: int | None = None,
    max_depth: int = RULE_YAML_MAX_DEPTH, max_nodes: int | None = None,
) -> YamlDocument:
    """Read one YAML file, collecting every problem; a file over ``max_bytes`` is refused unread."""
    name = display_name or str(path)
    if max_bytes is not None:
        size = path.stat().st_size
        if size > max_bytes:
            return _failed(name, RuleFileTooLarge(name, 1, 1, f"the file is {size:,} bytes; a rule file is at most {max_bytes:,} bytes"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            # Lone surrogates, encoded as UTF-8 would if it allowed them: decoded, so that the
            # character check places each of them.
            text = raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            prefix = raw[: exc.start]
            line = prefix.count(b"\n") + 1
            column = len(prefix[prefix.rfind(b"\n") + 1:].decode("utf-8", "surrogatepass")) + 1
            return _failed(name, RuleFileError(name, line, column, f"not UTF-8 text: {exc.reason}"))
    return read_yaml_collecting(text, name, max_depth=max_depth, max_nodes=max_nodes)


def _failed(name: str, error: RuleFileError) -> YamlDocument:
    return YamlDocument(file=name, data=None, positions={(): Position(1, 1)}, problems=[error], complete=False)


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Unreadable(Exception):
    """A scalar that cannot be read as what it looks like: reported, and left None."""


@dataclass
class _Builder:
    doc: YamlDocument
    placeholders: set[int]

    def problem(self, node: yaml.Node, message: str) -> None:
        pos = _pos(node)
        self.doc.problems.append(RuleFileError(self.doc.file, pos.line, pos.column, message))

    def build(self, node: yaml.Node, path: Path_, positions: dict[Path_, Position]) -> Any:
        key_path = normalise_path(path)
        positions[key_path] = _pos(node)
        if id(node) in self.placeholders:  # an alias, reported where it stands
            self.doc.unreadable.add(key_path)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, positions)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), positions) for i, item in enumerate(node.value)]
        try:
            return _scalar(node)
        except _Unreadable as exc:
            self.problem(node, str(exc))
            self.doc.unreadable.add(key_path)
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_, positions: dict[Path_, Position]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        key_nodes: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(key_node, "merge keys (<<) are not allowed in rule files; write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or id(key_node) in self.placeholders:
                if id(key_node) not in self.placeholders:  # an alias as a key is reported already
                    self.problem(key_node, "a key must be a plain value, not a list or a mapping")
                continue
            try:
                key = _scalar(key_node)
                readable = True
            except _Unreadable as exc:
                self.problem(key_node, str(exc))
                key, readable = key_node.value, False  # kept as written, so the value is still read
            if key in key_nodes:
                first = _pos(key_nodes[key])
                self.problem(key_node, f"duplicate key {key!r} (first written at line {first.line}); keep one")
                self.build(value_node, path + (key,), {})  # its own problems count; its value does not
                continue
            key_nodes[key] = key_node
            if not readable:
                # The key alone is unreadable (reported above): what is written under it is still checked.
                self.doc.unreadable.add(normalise_path(path + (key, "[key]")))
            positions[normalise_path(path + (key, "[key]"))] = _pos(key_node)
            result[key] = self.build(value_node, path + (key,), positions)
        return result


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        # YAML 1.1 also reads 0x1F, 0o17, 017 (octal!) and 1:30 (base 60): refuse them.
        if not _DECIMAL_INT.match(text):
            raise _Unreadable(f"{text!r}: write whole numbers in plain decimal digits")
        if len(text) > MAX_INT_DIGITS:  # Python refuses to read past 4,300 digits; no rule needs more than a few
            raise _Unreadable(f"a whole number of {len(text):,} digits: a rule's numbers have at most {MAX_INT_DIGITS}")
        return int(text.replace("_", ""))
    if tag == "tag:yaml.org,2002:float":
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:
            raise _Unreadable(f"{text!r} is not a decimal number") from None
        if not value.is_finite():
            raise _Unreadable(f"{text!r}: infinities and NaN are not allowed")
        return value
    if tag == "tag:yaml.org,2002:timestamp":
        match = _DATE.match(text)
        if not match:
            raise _Unreadable(f"{text!r}: write dates as YYYY-MM-DD, without a time")
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError as exc:
            raise _Unreadable(f"{text!r} is not a real date ({exc})") from None
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:value"):
        return text
    if tag.startswith("tag:yaml.org,2002:") or tag == "!":
        return text
    raise _Unreadable(f"the YAML tag {tag!r} is not allowed in rule files")

