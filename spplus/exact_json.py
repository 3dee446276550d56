"""JSON read exactly, as the engine means it, wherever it comes from (an HTTP body, a scenario file).

* Numbers with a fraction are :class:`~decimal.Decimal` (``49.99999999999999999`` stays below 50, as the rules
  compare exactly); ``NaN`` and ``Infinity`` are not JSON and are refused.
* An object with a key written twice is refused (the YAML rule files refuse it too), as is a string with a lone
  surrogate, which no UTF-8 payload can carry.

Every refusal is a :class:`json.JSONDecodeError` saying what is wrong and where (:func:`position`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .fields import SURROGATE


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def read_json(body: bytes) -> Any:
    """The body's JSON value, numbers exact. Raises :class:`json.JSONDecodeError` saying what is wrong and where."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", exc.start) from None
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        quoted = json.dumps(exc.key)
        first = text.find(quoted)
        second = text.find(quoted, first + 1)
        raise json.JSONDecodeError(f"the key {exc.key!r} is written twice in one object; keep one", text, max(second, 0)) from None
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        name = str(exc)
        raise json.JSONDecodeError(f"{name} is not a JSON number; send a number or null", text, max(text.find(name), 0)) from None
    if _has_surrogate(value):
        where = text.lower().find("\\ud")
        raise json.JSONDecodeError("a string holds a lone surrogate (\\ud800–\\udfff), which is not a character: send UTF-8 text",
                                   text, max(where, 0))
    return value


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def position(text: str, pos: int) -> str:
    """'line L, column C' of a character position (1-based), for messages."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"
