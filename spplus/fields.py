"""Bounded field types for everything a caller sends: texts, counts and lists with their limits.

Every free-text field of an event or a candidacy is one of these, so no input can make a cycle's
state or history grow past the budget in :mod:`spplus.limits`, and no text can break the payload
that carries it (a lone surrogate cannot be written as UTF-8; control characters have no place in
a name or a reason).

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

import re
from typing import Annotated

from decimal import Decimal

from pydantic import AfterValidator, Field, Strict

from .limits import LONG_TEXT, SHORT_TEXT

SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate: no UTF-8 payload can carry it
_CONTROL_ANY = re.compile("[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str, controls: re.Pattern[str]) -> str:
    if SURROGATE.search(text):
        raise ValueError("the text holds a lone surrogate (an invalid character): send UTF-8 text")
    found = controls.search(text)
    if found:
        raise ValueError(f"the text holds a control character (U+{ord(found.group()):04X}) at position {found.start()}")
    return text


def _one_line(text: str) -> str:
    return _clean(text, _CONTROL_ANY)


def _lines(text: str) -> str:
    return _clean(text, _CONTROL_BUT_LINES)


# A name, an id, a reason's id, an auditor: one line, 1 to SHORT_TEXT characters.
ShortText = Annotated[str, Field(min_length=1, max_length=SHORT_TEXT), AfterValidator(_one_line)]
# What a person writes (observations, grounds, a reason, a note): lines allowed, up to LONG_TEXT characters.
LongText = Annotated[str, Field(min_length=1, max_length=LONG_TEXT), AfterValidator(_lines)]
# A certification body's id in the DITP's register (e.g. oc-alpha): never a formula, never free text.
BodyId = Annotated[ShortText, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
# A count of people or items: a JSON integer, never a boolean, a float or a string.
Count = Annotated[int, Strict()]


# A score or a note out of 100, read exactly (49.99999999999999999 stays below 50): at most 24 digits.
Score100 = Annotated[Decimal, Field(ge=0, le=100, max_digits=24)]
# A share of points, from 0 to 1, exactly.
Share01 = Annotated[Decimal, Field(ge=0, le=1, max_digits=24)]


def csv_text(text: str) -> str:
    """A CSV export's text: lines allowed, no lone surrogate, no NUL (a spreadsheet never writes one)."""
    return _clean(text, re.compile("[\x00]"))


CsvText = Annotated[str, AfterValidator(csv_text)]
