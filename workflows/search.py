"""Keep a cycle's search attributes true, upserting only what changed (each upsert is a history event)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from spplus import search_attributes as sa


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


class SearchAttributes:
    def __init__(self) -> None:
        self._published: dict[str, object] = {}

    def publish(self, *, candidate: str, body: str, phase: str, label_status: str, tier: str | None, edition: str,
                next_deadline: date | None, expiry: date | None) -> None:
        wanted: dict[str, object] = {
            sa.CANDIDATE.name: candidate, sa.CERTIFICATION_BODY.name: body, sa.PHASE.name: phase,
            sa.LABEL_STATUS.name: label_status, sa.TIER.name: tier, sa.RULES_EDITION.name: edition,
            sa.NEXT_DEADLINE.name: midnight(next_deadline) if next_deadline else None,
            sa.LABEL_EXPIRY.name: midnight(expiry) if expiry else None,
        }
        updates = []
        for key in sa.ALL:
            value = wanted[key.name]
            if self._published.get(key.name, "<unset>") == value:
                continue
            updates.append(key.value_unset() if value is None else key.value_set(value))  # type: ignore[arg-type]
        if updates:
            workflow.upsert_search_attributes(updates)
            self._published.update(wanted)
