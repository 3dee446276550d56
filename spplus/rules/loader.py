"""Load a folder of rule files into a checked :class:`RuleSet`, or refuse it with positions.

Every problem is reported as ``file:line:column: message``; a folder with any problem is refused
as a whole, so nothing half-read ever reaches a running cycle.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..limits import ERROR_MESSAGE_MAX_CHARS, RULE_FILE_MAX_BYTES, RULE_YAML_MAX_DEPTH, RULE_YAML_MAX_NODES
from .consistency import check_files
from .models import FILE_CONTEXT, RULE_FILES, RuleSet
from .yamlsource import RuleFileError, YamlDocument, read_yaml_file_collecting

_DATE_REPR = re.compile(r"datetime\.date\((\d+), (\d+), (\d+)\)")


@dataclass
class RuleSetInvalid(Exception):
    """A rule folder was refused; ``errors`` says where and why, one line each."""

    errors: list[RuleFileError]

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def default_rules_dir() -> Path:
    """The `rules/` folder of this project (beside the package in a checkout or editable install)."""
    return Path(__file__).resolve().parents[2] / "rules"


def content_hash(directory: Path) -> str:
    """A hash of every rule file's name and bytes: two folders with one hash hold the same rules."""
    digest = hashlib.sha256()
    for name in sorted(RULE_FILES):
        path = directory / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


_CACHE: dict[tuple[str, str, tuple[str, ...]], RuleSet] = {}
_CACHE_SIZE = 32  # editions kept parsed in one process; far more than are ever in force at once


def load_rules_cached(directory: Path | None = None) -> RuleSet:
    """:func:`load_rules`, parsed once per folder content.

    Parsing nine YAML files costs about a third of a second; a worker opening thousands of cycles
    reads the same bytes each time. The key is the folder's content hash and the names of the YAML
    files in it, so an edited, added or removed file is read (and checked) again; a folder that is
    refused is never kept, and is refused again on the next call.
    """
    directory = Path(directory) if directory is not None else default_rules_dir()
    if not directory.is_dir():
        return load_rules(directory)
    key = (str(directory.resolve()), content_hash(directory), tuple(sorted(p.name for p in directory.glob("*.y*ml"))))
    cached = _CACHE.get(key)
    if cached is None:
        cached = load_rules(directory)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = cached
    return cached  # rule models are frozen: one parsed edition is safely shared by every caller


def load_rules(directory: Path | None = None) -> RuleSet:
    """Read, validate and cross-check one edition of the rules; refuse it with every problem at once.

    Nothing hides anything else: the reader goes on after a duplicate key (and the schema checks
    that file all the same), and the checks across values run on every file that was read and
    validated, each check as soon as the files it needs are right (see
    :func:`~spplus.rules.consistency.check_files`). A syntax error in one file therefore does not hide
    a tier inversion in another. Errors are sorted by file, then line and column.

    Synchronous and CPU-bound (a few hundred milliseconds at most, within :mod:`spplus.limits`):
    from async code, call it with ``asyncio.to_thread``.
    """
    directory = Path(directory) if directory is not None else default_rules_dir()
    errors: list[RuleFileError] = []
    if not directory.is_dir():
        raise RuleSetInvalid([RuleFileError(str(directory), 1, 1, "no such rules folder")])

    for extra in sorted(p for p in directory.glob("*.y*ml") if p.name not in RULE_FILES):
        expected = ", ".join(sorted(RULE_FILES))
        errors.append(RuleFileError(_display(extra), 1, 1, f"unknown rule file {extra.name!r}; the rule files are {expected}"))

    docs: dict[str, YamlDocument] = {}
    parsed: dict[str, BaseModel] = {}
    for name, model in RULE_FILES.items():
        path = directory / name
        if not path.exists():
            errors.append(RuleFileError(_display(path), 1, 1, "missing rule file"))
            continue
        doc = read_yaml_file_collecting(path, _display(path), max_bytes=RULE_FILE_MAX_BYTES,
                                        max_depth=RULE_YAML_MAX_DEPTH, max_nodes=RULE_YAML_MAX_NODES)
        errors.extend(doc.problems)
        if not doc.complete:
            continue  # nothing was built to check
        docs[name] = doc
        try:
            value = model.model_validate(doc.data if doc.data is not None else {}, strict=True, context=FILE_CONTEXT)
        except ValidationError as exc:
            errors.extend(_schema_errors(doc, model, exc))
            continue
        if not doc.unreadable:  # a value left None by the reader would make the checks below speak of it
            parsed[name] = value

    errors.extend(docs[file].error(path, message) for file, path, message in check_files(parsed))
    if errors:
        raise RuleSetInvalid(sorted(_dedupe(errors), key=lambda e: (e.file, e.line, e.column)))

    return RuleSet(
        content_hash=content_hash(directory),
        **{name.removesuffix(".yaml"): value for name, value in parsed.items()},
    )


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _schema_errors(doc: YamlDocument, model: type[BaseModel], exc: ValidationError) -> list[RuleFileError]:
    out = []
    for err in exc.errors(include_url=False):
        path = tuple(err["loc"])
        if doc.is_unreadable(path):
            continue  # the reader reported this value already, where it stands
        where = _dotted(path)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = path[-1]
            allowed = _allowed_keys(model, path[:-1])
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else (f"; allowed here: {', '.join(allowed)}" if allowed else "")
            error = doc.error(path + ("[key]",), f"unknown key {key!r}{suggestion}")
        elif kind == "missing":
            error = doc.error(path[:-1], f"missing key {path[-1]!r} in {_dotted(path[:-1])}")
        else:
            error = doc.error(path, f"{where}: {_plain(err)}")
        out.append(error)
    return _dedupe(out)


def _dotted(path: tuple[Any, ...]) -> str:
    """A path as a reader of the file sees it: tiers.values.2023-08-31.value.1.user_survey."""
    parts = [_DATE_REPR.sub(lambda m: date(*map(int, m.groups())).isoformat(), str(p)) for p in path if p != "[key]"]
    return ".".join(parts) or "the file"


def _looks_numeric(text: str) -> bool:
    """Whether quoted text would be a number without its quotes ('75', "0.5"): only then is the hint right."""
    try:
        Decimal(text.strip())
    except (ArithmeticError, ValueError):
        return False
    return True


def _plain(err: dict[str, Any]) -> str:
    message = err["msg"].removeprefix("Value error, ")
    value = _shown(err.get("input"))
    if err["type"] == "is_instance_of" and "Decimal" in message:
        hint = " (remove the quotes)" if isinstance(err.get("input"), str) and _looks_numeric(err["input"]) else ""
        return f"expected a number, got {value}{hint}"
    if err["type"] == "bool_type" and isinstance(err.get("input"), str):
        return f"write true or false, got {value} (yes/no/on/off are not booleans in rule files)"
    if err["type"] in ("decimal_type", "int_type", "bool_type", "string_type", "date_type", "list_type", "dict_type", "model_type"):
        return f"{message}, got {value}"
    return _cut(message, ERROR_MESSAGE_MAX_CHARS)


_VALUE_CHARS = 80  # of a wrong value quoted in a message: a whole list or mapping would bury the message


def _shown(value: Any) -> str:
    if isinstance(value, (list, dict)) and len(value) > 10:
        return f"a {'list' if isinstance(value, list) else 'mapping'} of {len(value):,} items"
    return _cut(repr(value), _VALUE_CHARS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys allowed where ``path`` stands, for a did-you-mean hint."""
    current: Any = model
    for part in path:
        current = _strip_optional(current)
        if get_origin(current) in (dict, list):
            current = get_args(current)[-1]  # a mapping key or a list index: into the item type
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return []
    current = _strip_optional(current)
    return sorted(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if args else annotation
    return annotation


def _dedupe(errors: list[RuleFileError]) -> list[RuleFileError]:
    seen, out = set(), []
    for error in errors:
        key = (error.file, error.line, error.column, error.message)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out
