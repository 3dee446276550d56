"""Load and check a rules edition: the result is recorded in the cycle's history, which pins it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from spplus.rules.loader import RuleSetInvalid, load_rules_cached
from spplus.calendar import WorkingCalendar
from spplus.holiday_source import working_calendar
from spplus.rules.models import RuleSet
from spplus.settings import Settings


class RulesRequest(BaseModel):
    edition: str | None = None  # None: the edition in force in the rules folder


class PinRequest(BaseModel):
    """What a cycle pins when it opens: an edition, and its territory's working days over some years."""

    edition: str | None = None
    territory: str
    first_year: int
    last_year: int
    at: date


class PinnedRules(BaseModel):
    rules: RuleSet
    calendar: WorkingCalendar


def edition_folders(settings: Settings) -> list[Path]:
    """The current rules folder first, then every folder under editions/ (one per edition)."""
    folders = [settings.rules_dir]
    if settings.editions_dir.is_dir():
        folders += sorted(p for p in settings.editions_dir.iterdir() if (p / "edition.yaml").exists())
    return folders


def find_edition(settings: Settings, edition: str | None) -> RuleSet:
    seen = []
    for folder in edition_folders(settings):
        rules = load_rules_cached(folder)
        if edition is None or rules.edition_id == edition:
            return rules
        seen.append(rules.edition_id)
    raise LookupError(f"no rules edition {edition!r}; known editions: {', '.join(seen)}")


@activity.defn
async def load_rules_edition(request: RulesRequest) -> RuleSet:
    try:
        return find_edition(Settings.from_env(), request.edition)
    except RuleSetInvalid as exc:
        # A wrong rule file must be fixed by a person: retrying will not help, and nothing is pinned.
        raise ApplicationError(f"the rules are refused:\n{exc}", type="RuleSetInvalid", non_retryable=True) from None
    except LookupError as exc:
        raise ApplicationError(str(exc), type="UnknownEdition", non_retryable=True) from None


# Calendars already built in this process, by edition, territory, years and day: the holidays of a
# territory do not change within a day for one edition, and building them costs more than the rest
# of a cycle's opening. (A newer holidays library takes effect when the worker restarts.)
_CALENDARS: dict[tuple[str, str, int, int, date], WorkingCalendar] = {}
_CALENDARS_MAX = 256


@activity.defn
async def pin_rules_and_calendar(request: PinRequest) -> PinnedRules:
    """The edition and the territory's calendar in one step (run as a local activity: no extra round trip).

    Cycles opened before this existed ran `load_rules_edition` then `resolve_calendar`; both stay
    registered so that their histories replay.
    """
    rules = await load_rules_edition(RulesRequest(edition=request.edition))
    key = (rules.content_hash, request.territory, request.first_year, request.last_year, request.at)
    calendar = _CALENDARS.get(key)
    if calendar is None:
        try:
            calendar = working_calendar(rules, request.territory, request.first_year, request.last_year, request.at)
        except KeyError as exc:
            raise ApplicationError(str(exc.args[0]), type="UnknownTerritory", non_retryable=True) from None
        if len(_CALENDARS) >= _CALENDARS_MAX:
            _CALENDARS.pop(next(iter(_CALENDARS)))
        _CALENDARS[key] = calendar
    return PinnedRules(rules=rules, calendar=calendar)
