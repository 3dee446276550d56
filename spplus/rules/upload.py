"""A rules edition sent by the DITP (``POST /rules/editions``): limits first, then the whole loader.

:func:`check_upload` is what the route runs between reading the request and storing the edition:

1. **limits**, before anything is parsed or written: only the known rule file names
   (:data:`~spplus.rules.models.RULE_FILES`), each file at most
   :data:`~spplus.limits.RULE_FILE_MAX_BYTES` and all of them at most
   :data:`~spplus.limits.RULE_EDITION_MAX_BYTES` (413 for a size, 422 for a name);
2. the files are written to a private temporary folder (0700, removed afterwards) under their
   own names, and nothing else;
3. :func:`~spplus.rules.loader.load_rules` reads them with the parsing limits (nesting depth,
   nodes per file: :mod:`spplus.limits`), refuses control characters and lone surrogates where they
   stand, and reports every problem of every file at once.

A refusal (:class:`RuleUploadRefused`) names files by their **name only**, never the server's
temporary folder, and lists at most :data:`~spplus.limits.MAX_ERRORS_SHOWN` problems, then
"and N more".

The work is synchronous and CPU-bound (up to about a second at the limits): the API calls it
with ``await asyncio.to_thread(check_upload, upload.files)``, so that neither the event loop nor a
worker running in the same process waits on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..limits import ERROR_MESSAGE_MAX_CHARS, MAX_ERRORS_SHOWN, RULE_EDITION_MAX_BYTES, RULE_FILE_MAX_BYTES
from .loader import RuleSetInvalid, load_rules
from .models import RULE_FILES, RuleSet
from .yamlsource import RuleFileError, RuleFileTooLarge

_NAME_SHOWN = 64  # characters of an unknown file name echoed back


class RuleUploadRefused(Exception):
    """An uploaded edition refused: ``status`` (413 too large, 422 wrong) and every problem, by file name."""

    def __init__(self, status: int, errors: list[RuleFileError]) -> None:
        self.status = status
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.column))
        super().__init__(str(self))

    @property
    def shown(self) -> list[RuleFileError]:
        """The first :data:`~spplus.limits.MAX_ERRORS_SHOWN` problems."""
        return self.errors[:MAX_ERRORS_SHOWN]

    @property
    def more(self) -> int:
        """How many problems are not shown."""
        return max(0, len(self.errors) - MAX_ERRORS_SHOWN)

    def lines(self) -> list[str]:
        """``file:line:column: message`` for each problem shown, then ``and N more`` if any are not."""
        return [str(error) for error in self.shown] + ([f"and {self.more:,} more"] if self.more else [])

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def problem_errors(self) -> list[dict[str, Any]]:
        """The problems shown, as the API's ``errors`` member."""
        return [{"file": e.file, "line": e.line, "column": e.column, "message": e.message} for e in self.shown]


def check_upload(files: Mapping[str, str]) -> RuleSet:
    """Check an uploaded edition (file name → text) and return its rule set, or raise :class:`RuleUploadRefused`.

    Synchronous: call it with ``asyncio.to_thread`` from async code. The rule set's content hash is
    the hash of ``text.encode("utf-8")`` of each file, so the route stores the accepted texts with
    ``write_text(text, encoding="utf-8")`` and the stored folder loads to the same hash.
    """
    errors: list[RuleFileError] = []
    expected = ", ".join(sorted(RULE_FILES))
    for name in files:
        if name not in RULE_FILES:
            errors.append(RuleFileError(_shown_name(name), 1, 1, f"unknown rule file; the rule files are {expected}"))

    sizes = {name: len(text.encode("utf-8", "surrogatepass")) for name, text in files.items() if name in RULE_FILES}
    too_large = [
        RuleFileTooLarge(name, 1, 1, f"the file is {size:,} bytes; a rule file is at most {RULE_FILE_MAX_BYTES:,} bytes")
        for name, size in sizes.items() if size > RULE_FILE_MAX_BYTES
    ]
    errors += too_large
    total = sum(sizes.values())
    if total > RULE_EDITION_MAX_BYTES and not too_large:  # (a file over its own limit says enough)
        largest = max(sizes, key=lambda name: sizes[name])
        errors.append(RuleFileTooLarge(
            largest, 1, 1,
            f"the edition's files are {total:,} bytes together, this one {sizes[largest]:,} of them; an edition is at most {RULE_EDITION_MAX_BYTES:,} bytes",
        ))
    if errors:
        raise _refused(errors)

    with tempfile.TemporaryDirectory(prefix="spplus-edition-") as tmp:  # created 0700: this process's alone
        folder = Path(tmp)
        for name, text in files.items():
            # A lone surrogate cannot be UTF-8: written as the bytes it would be, the reader places it.
            (folder / name).write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            return load_rules(folder)
        except RuleSetInvalid as exc:
            raise _refused([_named(error) for error in exc.errors]) from None


def _refused(errors: list[RuleFileError]) -> RuleUploadRefused:
    status = 413 if any(isinstance(error, RuleFileTooLarge) for error in errors) else 422
    return RuleUploadRefused(status, errors)


def _named(error: RuleFileError) -> RuleFileError:
    """The error with its file's name only (the temporary folder is the server's business), its message cut if long."""
    message = error.message if len(error.message) <= ERROR_MESSAGE_MAX_CHARS else error.message[: ERROR_MESSAGE_MAX_CHARS - 1] + "…"
    return type(error)(Path(error.file).name, error.line, error.column, message)


def _shown_name(name: str) -> str:
    """An unknown file name as the caller sent it, made safe to echo: printable, and not too long."""
    short = name[:_NAME_SHOWN]
    shown = short if short.isprintable() and short else ascii(short)
    return shown + ("…" if len(name) > _NAME_SHOWN else "")
