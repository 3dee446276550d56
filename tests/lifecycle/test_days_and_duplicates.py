"""Letting days pass (``advance``, ``next_wakeup``) and idempotent events.

* events.py: « its event_id is the update id, so a retried send is applied once ».
* days.py: each reminder, breach and transition happens on its own date, in date order, even when
  the engine wakes late; §3.9.1 (action plan within one month, else suspension), §5.3.1 (at most
  12 months), §5.3.2 (then withdrawal, mark dropped within 2 months).
"""

from __future__ import annotations

from datetime import date

from spplus.lifecycle import LabelStatus, Phase, advance, apply, check, next_wakeup
from spplus.lifecycle.state import DeadlineStatus

from .test_cycle_basics import (
    DECIDED, PREP_DAY, VISIT_END, VISIT_START, audit_dates, labelled, new_driver, prepared_audit, prerequisites,
    self_assessment, visit,
)
from .test_followup_suspension import below_minimum


# ------------------------------------------------------------------------------------- duplicates
def test_same_event_id_twice_changes_nothing_the_second_time(rules, calendar_for):
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    d.send(audit_dates(VISIT_START, VISIT_END), event_id="dates-1")
    before = d.state.model_dump()
    d.send(audit_dates(VISIT_START, VISIT_END), event_id="dates-1")  # a retried send: not a postponement
    assert d.state.model_dump() == before
    assert d.state.current_audit.postponements == 0


def test_a_repeated_visit_is_answered_not_refused_and_not_applied_again(rules, calendar_for):
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    prepared_audit(d, VISIT_START, VISIT_END)
    env = d.send(visit(60), event_id="visit-1")
    before = d.state.model_dump()
    check(d.state, env, d.today)  # a retry is not refused as « scores are given once »
    assert apply(d.state, env, d.today) == []
    assert d.state.model_dump() == before


def test_a_repeated_self_assessment_is_recorded_once(rules, calendar_for):
    d = new_driver(rules, calendar_for)
    d.send(self_assessment(date(2026, 1, 5)), event_id="sa-1")
    d.send(self_assessment(date(2026, 1, 5)), event_id="sa-1")
    assert d.state.self_assessments == [date(2026, 1, 5)]
    assert len([e for e in d.state.timeline if e.event_id == "sa-1"]) == 1


def test_a_repeated_decision_issues_one_attestation(rules, calendar_for):
    d = labelled(rules, calendar_for)
    decision_id = next(e.event_id for e in d.state.timeline if e.kind == "decision")
    before = d.state.model_dump()
    env = d.envelope({"type": "decision", "decided_on": DECIDED.isoformat(), "tier": "bronze"}, decision_id)
    check(d.state, env, d.today)
    assert apply(d.state, env, d.today) == []
    assert d.state.model_dump() == before


# ------------------------------------------------------------------------------------------- days
def test_next_wakeup_is_the_first_action_date(rules, calendar_for):
    """A deadline wakes the cycle on its due date (told « due today »), then the day after (missed)."""
    d = new_driver(rules, calendar_for)
    d.send(audit_dates(date(2026, 5, 15)))
    # survey launch reminder 15 March, dossier due 15 April, plan due 28 April
    assert next_wakeup(d.state) == date(2026, 3, 15)
    d.pass_to(date(2026, 3, 15))
    assert next_wakeup(d.state) == date(2026, 4, 15)
    d.pass_to(date(2026, 4, 15))
    assert next_wakeup(d.state) == date(2026, 4, 16)


def test_advance_twice_on_the_same_day_does_nothing_more(rules, calendar_for):
    d = labelled(rules, calendar_for)
    first = advance(d.state, date(2027, 4, 1))
    assert any(n.key == "reminder:label.followup_preparation" for n in first)
    assert advance(d.state, date(2027, 4, 1)) == []


def test_a_late_wakeup_processes_everything_on_its_own_date_in_order(rules, calendar_for):
    """One jump from before the action plan's due date (21 November 2027) to 13 months after it:
    §3.9.1 suspension from 22 November 2027; §5.3.1 12 months later, 22 November 2028, §5.3.2 withdrawal,
    the mark dropped by 22 January 2029 (after the jump: the cycle is not finished)."""
    d, _ = below_minimum(rules, calendar_for)
    assert d.today < date(2027, 11, 21)
    jump = date(2028, 12, 21)
    notes = advance(d.state, jump)
    s = d.state
    assert s.phase == Phase.withdrawn and s.label_status == LabelStatus.withdrawn
    assert s.withdrawal == {"reason": "suspension-not-lifted", "effective": "2028-11-22", "mark_removed_by": "2029-01-22"}
    suspension = next(e for e in s.timeline if e.kind == "suspension")
    assert suspension.on == date(2027, 11, 22) and suspension.recorded == jump
    breach = next(e for e in s.timeline if e.kind == "breach" and e.data.get("key") == "label.action_plan")
    assert breach.on == date(2027, 11, 22)
    withdrawal = next(e for e in s.timeline if e.kind == "withdrawal")
    assert withdrawal.on == date(2028, 11, 22)
    # The renewal invitation (1 July 2028) fell while suspended. It used to be sent then, though a renewal
    # is refused while suspended (§3.10, §5.3.1); since issue 12 the suspension cancels it, on its own date.
    assert not any(e.kind == "reminder" and e.data.get("key") == "label.renewal_invitation" for e in s.timeline)
    invitation = s.deadlines["label.renewal_invitation"]
    assert invitation.status == DeadlineStatus.cancelled and invitation.closed_on == date(2027, 11, 22)
    processed = [e for e in s.timeline if e.recorded == jump and e.kind in ("reminder", "breach", "suspension", "withdrawal", "expiry")]
    assert [e.on for e in processed] == sorted(e.on for e in processed)
    assert s.deadlines["suspension.max"].status == DeadlineStatus.done
    assert s.deadlines["label.expiry"].status == DeadlineStatus.cancelled
    assert not s.finished
    assert [n.key for n in notes].count("breach:label.action_plan") == 1


def test_a_late_wakeup_equals_waking_on_each_date(rules, calendar_for):
    """The same jump, day by day (as the workflow's timers do), reaches the same state."""
    jumped, _ = below_minimum(rules, calendar_for)
    stepped, _ = below_minimum(rules, calendar_for)
    advance(jumped.state, date(2028, 12, 21))
    stepped.pass_to(date(2028, 12, 21))

    def story(state):
        # bookkeeping lines (deadline set / cancelled) are dated on the day the engine ran, not compared
        return [(e.on, e.kind, e.summary) for e in state.timeline if e.kind not in ("deadline_set", "deadline_cancelled")]

    assert story(jumped.state) == story(stepped.state)
    assert jumped.state.withdrawal == stepped.state.withdrawal
    assert jumped.state.breaches == stepped.state.breaches
