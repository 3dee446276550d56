"""The rules editions an installation holds: listed with their running cycles, stored, compared value by
value, and a cycle moved onto one — what the API's ``/rules`` routes, the CLI's ``rules`` commands and the
DITP's pages share.

* :func:`edition_summaries` — each edition (the rules folder in force first, then ``editions/``) with its
  title, content hash, dates and how many running cycles pinned it (one visibility **count** query on
  ``SpRulesEdition`` per edition, never a read of the cycles);
* :func:`store_edition` — an uploaded edition checked by :func:`~spplus.rules.upload.check_upload` and
  written under ``editions/<id>``, never over an existing edition;
* :func:`move_cycle` — the reasoned act that moves a cycle onto another edition (``rules_edition_change``);
* :func:`compare_editions` — the difference between two editions, value by value and date by date.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client

from ..settings import Settings
from .loader import RuleSetInvalid, load_rules_cached
from .models import RULE_FILES, Dated, Entry, RuleSet
from .upload import check_upload

# The rule files whose rules are dated values (edition.yaml describes the edition itself).
DATED_FILES = tuple(name.removesuffix(".yaml") for name in RULE_FILES if name != "edition.yaml")
ABSENT = "(absent)"  # a value one edition has and the other has not


class EditionInfo(BaseModel):
    """One edition as the DITP sees it in the list."""

    edition: str
    content_hash: str
    title: str
    published: date
    in_force_from: date  # the first day every rule of the edition has a value
    last_change: date  # the latest date a value of the edition starts
    current: bool  # the rules folder in force (new cycles pin it)
    running_cycles: int


class EditionExists(Exception):
    """An uploaded edition whose id is taken: an edition is never overwritten."""


class UnknownEdition(LookupError):
    """An edition id this installation does not hold."""


# ------------------------------------------------------------------ listing
def _loaded(settings: Settings) -> Iterator[tuple[Path, RuleSet]]:
    """(folder, rules) for each edition this installation can run, in the workers' order: the rules folder in
    force first, then every folder of ``editions/``; a folder its loader refuses is left out."""
    from activities.rules import edition_folders

    for folder in edition_folders(settings):
        try:
            yield folder, load_rules_cached(folder)
        except RuleSetInvalid:
            continue


def edition_rule_sets(settings: Settings) -> list[RuleSet]:
    """Every edition this installation can run, the one in force first."""
    return [rules for _, rules in _loaded(settings)]


def edition_ids(settings: Settings) -> list[str]:
    return [rules.edition_id for rules in edition_rule_sets(settings)]


def edition_folder(settings: Settings, edition: str) -> tuple[Path, RuleSet]:
    """The folder and rules of ``edition``; :class:`UnknownEdition` naming the known ones when there is none."""
    loaded = list(_loaded(settings))
    for folder, rules in loaded:
        if rules.edition_id == edition:
            return folder, rules
    raise UnknownEdition(f"edition: unknown edition {edition!r}; the editions are {', '.join(r.edition_id for _, r in loaded)}")


def find_rules(settings: Settings, edition: str) -> RuleSet:
    """The rules of ``edition``; :class:`UnknownEdition` naming the known ones when there is none."""
    return edition_folder(settings, edition)[1]


async def running_cycles(client: Client, edition: str) -> int:
    """How many running cycles pinned ``edition``: one visibility count query."""
    from ..client import list_query

    return (await client.count_workflows(list_query(edition=edition))).count


def _dates(rules: RuleSet) -> tuple[date, date]:
    """The first day every rule is in force, and the latest start of a dated value."""
    from ..interfaces.cli.common import rules_start

    starts = [start for _, _, dated in dated_rules(rules) for start in dated.values]
    return rules_start(rules), max(starts)


async def edition_summaries(client: Client, settings: Settings) -> list[EditionInfo]:
    """Each edition with its dates and running cycles, the one in force first."""
    out = []
    loaded = await asyncio.to_thread(lambda: list(_loaded(settings)))  # parsing is CPU: off the event loop
    for folder, rules in loaded:
        first, last = _dates(rules)
        out.append(EditionInfo(edition=rules.edition_id, content_hash=rules.content_hash, title=rules.edition.title,
                               published=rules.edition.published, in_force_from=first, last_change=last,
                               current=folder == settings.rules_dir,
                               running_cycles=await running_cycles(client, rules.edition_id)))
    return out


# ------------------------------------------------------------------ storing and moving
def store_edition(settings: Settings, files: dict[str, str]) -> RuleSet:
    """Check an uploaded edition and store it under ``editions/<id>``.

    Synchronous (up to a second at the limits): call it with ``asyncio.to_thread``. Raises
    :class:`~spplus.rules.upload.RuleUploadRefused` with every problem, or :class:`EditionExists`.
    """
    rules = check_upload(files)
    if rules.edition_id in edition_ids(settings):
        raise EditionExists(f"edition {rules.edition_id} exists; an edition is never overwritten")
    target = settings.editions_dir / rules.edition_id  # at most 64 characters of [A-Za-z0-9._-]
    target.mkdir(parents=True)
    for name, text in files.items():  # only known names, checked text: the same bytes, the same hash
        (target / name).write_text(text, encoding="utf-8")
    return rules


async def move_cycle(client: Client, settings: Settings, candidate_id: str, edition: str, reason: str,
                     idempotency_key: str | None, actor: str) -> Any:
    """Move a cycle onto another edition with its reason (the cycle checks it and keeps it on its timeline).

    Raises :class:`UnknownEdition`, pydantic's ``ValidationError`` for a reason out of bounds, or the
    engine's :class:`~spplus.client.EngineError` (e.g. the cycle already runs on that edition).
    """
    from .. import client as engine
    from ..lifecycle.events import RulesEditionChange

    find_rules(settings, edition)
    event = RulesEditionChange(edition=edition, reason=reason)
    return await engine.send_event(client, candidate_id, event, idempotency_key, actor=actor)


# ------------------------------------------------------------------ values
def dated_rules(rules: RuleSet) -> Iterator[tuple[str, str, Dated[Any]]]:
    """(file, rule, its dated values) for every rule of the edition, file by file."""
    for file_name in DATED_FILES:
        section = getattr(rules, file_name, None)
        if section is None:
            continue
        for name in type(section).model_fields:
            dated = getattr(section, name)
            if isinstance(dated, Dated):
                yield file_name, name, dated


# ------------------------------------------------------------------ comparing two editions
class RuleDifference(BaseModel):
    """One value that differs between two editions, from a date on."""

    file: str  # tiers.yaml
    path: list[str]  # ["tiers", "bronze", "user_survey"]
    since: date | None  # the date the difference starts (None: edition.yaml, undated)
    first: str
    second: str
    reference_first: str | None = None
    reference_second: str | None = None
    note_first: str | None = None
    note_second: str | None = None


def shown(value: Any) -> str:
    """A leaf value as the rule files write it: ``70``, ``2026-01-01``, ``true``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _key(item: Any, index: int) -> str:
    """How an item of a list is named in a rule path: its ``id``, else its ``number``, else its rank."""
    for name in ("id", "number"):
        found = getattr(item, name, None) if not isinstance(item, dict) else item.get(name)
        if found is not None:
            return str(found)
    return f"[{index + 1}]"


def leaves(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Every leaf of a value by its path; a list of plain values is one leaf (``saturday, sunday``)."""
    if isinstance(value, BaseModel):
        out: dict[tuple[str, ...], str] = {}
        for name in type(value).model_fields:
            out.update(leaves(getattr(value, name), (*path, name)))
        return out
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(leaves(item, (*path, shown(key))))
        return out
    if isinstance(value, (list, tuple)):
        if all(not isinstance(item, (BaseModel, dict, list, tuple)) for item in value):
            return {path: "[" + ", ".join(shown(item) for item in value) + "]"}
        out = {}
        for index, item in enumerate(value):
            out.update(leaves(item, (*path, _key(item, index))))
        return out
    return {path: shown(value)}


def _entry(dated: Dated[Any] | None, when: date) -> Entry[Any] | None:
    if dated is None:
        return None
    try:
        return dated.entry_at(when)[1]
    except LookupError:
        return None


def _rule_differences(file: str, name: str, first: Dated[Any] | None, second: Dated[Any] | None) -> list[RuleDifference]:
    """One rule's differences at each date a value of either edition starts; a difference that stays the same
    from one date to the next is told once, from the date it starts."""
    out: list[RuleDifference] = []
    starts = sorted(set(first.values if first else ()) | set(second.values if second else ()))
    told: dict[tuple[str, ...], tuple[str, str]] = {}
    for start in starts:
        a, b = _entry(first, start), _entry(second, start)
        left = leaves(a.value, (name,)) if a is not None else {}
        right = leaves(b.value, (name,)) if b is not None else {}
        for path in sorted(set(left) | set(right)):
            pair = (left.get(path, ABSENT), right.get(path, ABSENT))
            if pair[0] == pair[1]:
                told.pop(path, None)
                continue
            if told.get(path) == pair:
                continue
            told[path] = pair
            out.append(RuleDifference(
                file=f"{file}.yaml", path=list(path), since=start, first=pair[0], second=pair[1],
                reference_first=a.reference if a else None, reference_second=b.reference if b else None,
                note_first=a.note if a else None, note_second=b.note if b else None))
    return out


def compare_editions(first: RuleSet, second: RuleSet) -> list[RuleDifference]:
    """Every value that differs between two editions: edition.yaml's fields, then each rule, date by date."""
    out = []
    a_edition, b_edition = leaves(first.edition), leaves(second.edition)
    for path in sorted(set(a_edition) | set(b_edition)):
        pair = (a_edition.get(path, ABSENT), b_edition.get(path, ABSENT))
        if pair[0] != pair[1]:
            out.append(RuleDifference(file="edition.yaml", path=list(path), since=None, first=pair[0], second=pair[1]))
    a_rules = {(file, name): dated for file, name, dated in dated_rules(first)}
    b_rules = {(file, name): dated for file, name, dated in dated_rules(second)}
    for file, name in sorted(set(a_rules) | set(b_rules), key=lambda key: (DATED_FILES.index(key[0]), key[1])):
        out += _rule_differences(file, name, a_rules.get((file, name)), b_rules.get((file, name)))
    return out


__all__ = ["EditionExists", "EditionInfo", "RuleDifference", "UnknownEdition", "compare_editions", "edition_folder", "edition_ids",
           "edition_rule_sets", "edition_summaries", "find_rules", "move_cycle", "running_cycles",
           "store_edition"]
