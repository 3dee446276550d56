"""What the cycle's steps share: refusals, notifications, the timeline and deadline bookkeeping.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from ..deadlines import ComputedDate
from .state import AuditRecord, CycleRecord, CycleState, Deadline, DeadlineKind, DeadlineStatus, Phase, TimelineEntry

ONE_DAY = timedelta(days=1)
ENDED = {Phase.withdrawn, Phase.expired, Phase.closed}
HOLDING_LABEL = {Phase.labelled, Phase.followup, Phase.action_plan, Phase.renewing}


class EventRefused(ValueError):
    """An event that cannot enter the history, and what to do instead."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Notification(BaseModel):
    """Something a person must be told: a reminder, a breach, a decision."""

    key: str
    kind: str  # reminder | breach | decision | info
    subject: str
    due: date | None = None
    recipients: list[str]


# ---------------------------------------------------------------------------------------- helpers
def refuse(message: str, field: str | None = None) -> None:
    raise EventRefused(message, field)


def not_future(day: date, today: date, field: str, what: str) -> None:
    if day > today:
        refuse(f"{field}: {what} on {day.isoformat()} is in the future (today is {today.isoformat()}); record it once it has happened", field)


def not_before(day: date, floor: date, field: str, what: str) -> None:
    if day < floor:
        refuse(f"{field}: {day.isoformat()} is before {what} ({floor.isoformat()})", field)


def recipients(state: CycleRecord) -> list[str]:
    return state.recipients()


def log(state: CycleRecord, today: date, on: date, kind: str, summary: str, actor: str = "engine",
         event_id: str | None = None, **data: Any) -> None:
    state.timeline.append(TimelineEntry(on=on, recorded=today, kind=kind, actor=actor, summary=summary,
                                        edition=state.edition, event_id=event_id, data=data))


def set_deadline(state: CycleRecord, today: date, key: str, kind: DeadlineKind, computed: ComputedDate, what: str,
                 on: date | None = None) -> Deadline:
    """Set (or set again) a dated obligation; ``on``: the date of the fact that sets it (default: today)."""
    deadline = Deadline(key=key, kind=kind, due=computed.date, what=what, computed=computed)
    state.deadlines[key] = deadline
    log(state, today, on or today, "deadline_set", f"{what}: {computed.date.isoformat()} ({computed.explanation})",
         key=key, due=computed.date.isoformat(), rule=computed.rule, reference=computed.reference)
    return deadline


def close_deadline(state: CycleRecord, today: date, key: str, on: date, notes: list[Notification]) -> None:
    """The thing a deadline asked for happened on ``on``: met if on time, a breach if late.

    A reminder or a window is met whenever its object happens: it is never a breach.
    """
    deadline = state.deadlines.get(key)
    if deadline is None or deadline.status not in (DeadlineStatus.open, DeadlineStatus.missed):
        return
    due = deadline.due.isoformat()
    if deadline.kind in (DeadlineKind.reminder, DeadlineKind.window):
        if deadline.status == DeadlineStatus.open:
            fulfil(state, today, key, on, "done")
        return
    if deadline.status == DeadlineStatus.missed:  # counted as a breach when the due date passed unrecorded
        deadline.closed_on = on
        if on <= deadline.due:
            # Events carry the date things happened: done on time, only recorded late — no breach.
            deadline.status = DeadlineStatus.met
            state.breaches -= 1
            log(state, today, on, "breach_withdrawn", f"{deadline.what}: done on {on.isoformat()}, within the due date "
                f"{due} (recorded late); the breach is withdrawn", key=key, due=due, done_on=on.isoformat())
            if state.closes_reminders:
                notes.append(Notification(key=f"breach_withdrawn:{key}", kind="info", due=deadline.due, recipients=recipients(state),
                                          subject=f"Not missed after all: {deadline.what} was done on {on.isoformat()}, "
                                                  f"within its due date {due} (recorded late); the breach is withdrawn"))
        else:
            log(state, today, on, "deadline_late", f"{deadline.what}: done on {on.isoformat()}, late (due {due})", key=key,
                due=due, done_on=on.isoformat())
        return
    deadline.closed_on = on
    if on <= deadline.due:
        deadline.status = DeadlineStatus.met
        log(state, today, on, "deadline_met", f"{deadline.what}: met on {on.isoformat()} (due {due})", key=key, due=due,
            done_on=on.isoformat())
    else:
        # Late, and the due date had not been judged yet (the deadline was set after it passed): the
        # breach is dated the day after the due date, the day it was missed.
        deadline.status = DeadlineStatus.missed
        breach(state, today, deadline, deadline.due + ONE_DAY, notes, done_on=on)


def fulfil(state: CycleRecord, today: date, key: str, on: date, how: str) -> None:
    """What a reminder (or a window) is about happened on ``on``: it closes, met, and is not sent."""
    deadline = state.deadlines.get(key)
    if deadline is None or deadline.status != DeadlineStatus.open:
        return
    deadline.status, deadline.closed_on = DeadlineStatus.met, on
    log(state, today, on, "deadline_met", f"{deadline.what}: {how} on {on.isoformat()} (due {deadline.due.isoformat()}); "
        "no reminder needed", key=key, due=deadline.due.isoformat(), done_on=on.isoformat())


def cancel(state: CycleRecord, today: date, *keys: str, on: date | None = None, why: str = "no longer due") -> None:
    """Deadlines that can no longer happen, since ``on`` (the fact that made them impossible; default: today)."""
    for key in keys:
        deadline = state.deadlines.get(key)
        if deadline is not None and deadline.status == DeadlineStatus.open:
            deadline.status = DeadlineStatus.cancelled
            deadline.closed_on = on or today
            log(state, today, on or today, "deadline_cancelled", f"{deadline.what}: {why}", key=key,
                due=deadline.due.isoformat())


def breach(state: CycleRecord, today: date, deadline: Deadline, on: date, notes: list[Notification],
           done_on: date | None = None) -> None:
    state.breaches += 1
    data = {"done_on": done_on.isoformat()} if done_on is not None else {}
    late = f", done on {done_on.isoformat()}" if done_on is not None else ""
    log(state, today, on, "breach", f"{deadline.what}: due {deadline.due.isoformat()}, missed{late}", key=deadline.key,
         due=deadline.due.isoformat(), rule=deadline.computed.rule, reference=deadline.computed.reference, **data)
    notes.append(Notification(key=f"breach:{deadline.key}", kind="breach", due=deadline.due, recipients=recipients(state),
                              subject=f"Missed: {deadline.what} (due {deadline.due.isoformat()}, {deadline.computed.reference})"))


def audit_key(audit: AuditRecord, name: str) -> str:
    return f"audit{audit.number}.{name}"


def tier_label(state: CycleState, tier: str, on: date) -> str:
    return next(t.label for t in state.rules.tiers.tiers.at(on) if t.id == tier)


def known_ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


def check_reason(items: list[Any], reason: str, what: str, section: str) -> None:
    """A suspension or withdrawal names one of the reasons the rules list (procedures.yaml)."""
    reasons = known_ids(items)
    if reason not in reasons:
        refuse(f"reason: unknown {what} reason {reason!r}; the reasons are {', '.join(reasons)} ({section})", "reason")


def check_report_dates(sent_on: date, received_on: date, visit_end: date, today: date) -> None:
    """A report is sent after the visit, received after it was sent, and not in the future (§3.7.1, §3.7.2)."""
    not_before(sent_on, visit_end, "sent_on", "the end of the visit")
    not_before(received_on, sent_on, "received_on", "the day it was sent")
    not_future(received_on, today, "received_on", "a report received")


