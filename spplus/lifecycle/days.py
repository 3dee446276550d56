"""Letting the days pass: reminders, breaches and transitions, each on its own date.

The workflow sleeps until :func:`next_wakeup` and then calls :func:`advance`. Each item is
processed on its own date, in date order, even when the engine wakes late (a worker outage):
a suspension that starts when an action plan was missed starts the day after it was due, not
the day the engine noticed.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .apply import suspend, withdraw
from .common import ONE_DAY, Notification, breach, cancel, log, recipients
from .state import CycleRecord, CycleState, Deadline, DeadlineKind, DeadlineStatus, LabelStatus, Phase

Handler = Callable[[CycleRecord, Deadline, date, date, list[Notification]], None]


def action_date(deadline: Deadline) -> date:
    """The date on which something happens to an open deadline."""
    if deadline.kind in (DeadlineKind.reminder, DeadlineKind.transition):
        return deadline.due
    if deadline.kind == DeadlineKind.deadline and not deadline.reminded:
        return deadline.due  # "due today" reminder
    return deadline.due + ONE_DAY  # the first day it is missed, or the window is closed


def next_wakeup(state: CycleRecord) -> date | None:
    dates = [action_date(d) for d in state.open_deadlines()]
    return min(dates) if dates else None


def advance(state: CycleRecord, today: date, transition: Handler | None = None, missed: Handler | None = None,
            keys: set[str] | None = None) -> list[Notification]:
    """Process every reminder, breach and transition due on or before ``today``.

    ``transition`` and ``missed`` say what the cycle's kind does when a transition date comes or a
    deadline is missed (the local cycle's by default). ``keys``: only these deadlines (the ones a fact
    recorded late has just set, judged at once).
    """
    notes: list[Notification] = []
    while not state.finished:
        due = [d for d in state.open_deadlines() if action_date(d) <= today and (keys is None or d.key in keys)]
        if not due:
            break
        deadline = min(due, key=lambda d: (action_date(d), d.key))
        _process(state, deadline, action_date(deadline), today, notes, transition or _transition, missed or _missed)
    return notes


def _process(state: CycleRecord, deadline: Deadline, on: date, today: date, notes: list[Notification],
             transition: Handler, missed: Handler) -> None:
    if deadline.kind == DeadlineKind.reminder:
        deadline.status, deadline.closed_on = DeadlineStatus.done, on
        log(state, today, on, "reminder", f"{deadline.what}: {deadline.due.isoformat()}", key=deadline.key)
        notes.append(Notification(key=f"reminder:{deadline.key}", kind="reminder", due=deadline.due, recipients=recipients(state),
                                  subject=f"{deadline.what.capitalize()}: {deadline.due.isoformat()} ({deadline.computed.reference})"))
    elif deadline.kind == DeadlineKind.deadline and not deadline.reminded:
        deadline.reminded = True
        if state.closes_reminders and on < today:
            return  # its day is gone (set by a fact recorded late, or the engine woke late): judged next, no « due today »
        notes.append(Notification(key=f"due:{deadline.key}", kind="reminder", due=deadline.due, recipients=recipients(state),
                                  subject=f"Due today: {deadline.what} ({deadline.computed.reference})"))
    elif deadline.kind in (DeadlineKind.deadline, DeadlineKind.window_closes):
        deadline.status = DeadlineStatus.missed
        breach(state, today, deadline, on, notes)
        missed(state, deadline, on, today, notes)
    elif deadline.kind == DeadlineKind.window:
        deadline.status, deadline.closed_on = DeadlineStatus.done, on
        log(state, today, on, "window_closed", f"{deadline.what}: the window closed on {deadline.due.isoformat()}", key=deadline.key)
    elif deadline.kind == DeadlineKind.transition:
        deadline.status, deadline.closed_on = DeadlineStatus.done, on
        transition(state, deadline, on, today, notes)


def _missed(state: CycleState, deadline: Deadline, on: date, today: date, notes: list[Notification]) -> None:  # type: ignore[misc]
    if deadline.key == "label.action_plan" and state.phase == Phase.action_plan:
        if state.rules.procedures.automatic_actions.at(on).suspend_when_action_plan_missing:
            suspend(state, today, "no-action-plan", on, "engine", notes)


def _transition(state: CycleState, deadline: Deadline, on: date, today: date, notes: list[Notification]) -> None:  # type: ignore[misc]
    if deadline.key == "label.expiry":
        if state.renewal_in_progress and state.phase not in (Phase.refused,):
            # The renewal audit is still under way: the old label ends (suspended or not), the renewal goes on.
            state.label_status = LabelStatus.expired
            state.phase = Phase.renewing
            cancel(state, today, "suspension.max", on=on, why="the label expired; the renewal audit goes on")
            log(state, today, on, "expiry", f"the previous label expired on {on.isoformat()}; the renewal audit goes on")
        elif state.label_status in (LabelStatus.valid, LabelStatus.suspended):
            withdraw(state, today, "no-renewal", on, "engine", notes, expired=True)
    elif deadline.key == "withdrawal.effective" and state.pending_withdrawal is not None:
        # A withdrawal notified ahead (§5.3.2): it takes effect on its date, and the label leaves the public list.
        pending = state.pending_withdrawal
        withdraw(state, today, pending["reason"], on, pending["actor"], notes, pending["event_id"])
    elif deadline.key == "suspension.max":
        if state.phase == Phase.suspended:
            if state.rules.procedures.automatic_actions.at(on).withdraw_when_suspension_not_lifted:
                withdraw(state, today, "suspension-not-lifted", on, "engine", notes)
            else:
                breach(state, today, deadline, on, notes)
    elif deadline.key == "refusal.new_application" and state.label_status in (LabelStatus.valid, LabelStatus.suspended):
        # A refused renewal: the previous label still holds until its expiry, which ends the cycle (§5.3.2).
        log(state, today, on, "new_application_open", f"a new application is accepted from {on.isoformat()}; "
            "the previous label holds until its expiry")
    elif deadline.key in ("refusal.new_application", "withdrawal.mark_removal"):
        state.finished = True
        if state.phase == Phase.refused:
            state.phase = Phase.closed
        log(state, today, on, "cycle_closed", f"cycle closed on {on.isoformat()}: {deadline.what}")
