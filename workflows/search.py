"""A cycle's days (its « today », when a day begins) and its search attributes.

Search attributes are kept true by upserting only what changed (each upsert is a history event).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from spplus import search_attributes as sa
    from spplus.calendar import WorkingCalendar


# Patch id: a cycle's « today » is its territory's date and its timers wake at the territory's
# midnight (since 0.3.0). Cycles whose run began before keep UTC days on replay.
LOCAL_DAYS = "today-is-the-territory-date-and-days-begin-at-its-midnight"


# Patch id: cycles publish their breach count and missed deadlines, for operators' lists (since 0.3.0).
OPERATOR_LISTS = "publish-breaches-and-overdue-for-operators"


def midnight(day: date) -> datetime:
    """Midnight UTC of ``day``: when a day began for cycles before :data:`LOCAL_DAYS` (and for search attributes)."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def local_days() -> bool:
    """Whether this run counts its territory's days: decided once, before any handler runs.

    Called from ``@workflow.init`` (``patched`` may not be called in a validator, which only reads it).
    """
    return workflow.patched(LOCAL_DAYS)


def today(calendar: WorkingCalendar | None, local: bool) -> date:
    """The cycle's « today »: the territory's date (its pinned calendar's zone), or the UTC date."""
    now = workflow.now()
    return calendar.local_date(now) if local and calendar is not None else now.date()


def day_start(day: date, calendar: WorkingCalendar | None, local: bool) -> datetime:
    """When ``day`` begins for the cycle: the territory's midnight, or midnight UTC."""
    return calendar.day_start(day) if local and calendar is not None else midnight(day)


class SearchAttributes:
    def __init__(self) -> None:
        self._published: dict[str, object] = {}
        # Decided once, from ``@workflow.init``: a patch asked for after an await (the rules' local activity)
        # can meet its marker on replay before the code reaches it, which Temporal reports as nondeterminism.
        self._operator_lists = workflow.patched(OPERATOR_LISTS)

    def publish(self, *, candidate: str, body: str, phase: str, label_status: str, tier: str | None, edition: str,
                next_deadline: date | None, expiry: date | None, breaches: int = 0, overdue: int = 0) -> None:
        wanted: dict[str, object] = {
            sa.CANDIDATE.name: candidate, sa.CERTIFICATION_BODY.name: body, sa.PHASE.name: phase,
            sa.LABEL_STATUS.name: label_status, sa.TIER.name: tier, sa.RULES_EDITION.name: edition,
            sa.NEXT_DEADLINE.name: midnight(next_deadline) if next_deadline else None,
            sa.LABEL_EXPIRY.name: midnight(expiry) if expiry else None,
        }
        if self._operator_lists:
            wanted[sa.BREACHES.name], wanted[sa.OVERDUE.name] = breaches, overdue
        updates = []
        for key in sa.ALL:
            if key.name not in wanted:
                continue  # a run from before OPERATOR_LISTS upserts what it did then
            value = wanted[key.name]
            if self._published.get(key.name, "<unset>") == value:
                continue
            updates.append(key.value_unset() if value is None else key.value_set(value))  # type: ignore[arg-type]
        if updates:
            workflow.upsert_search_attributes(updates)
            self._published.update(wanted)
