"""A withdrawal notified ahead of its effective date (§5.3.2).

What the guide says (seed 002), §5.3.2: « Quel que soit l'origine du retrait du label, ce dernier est matérialisé par une
notification de retrait émise par l'organisme de certification et transmise au service public labellisé et à la DITP,
précisant la date de mise en application. Cette notification de retrait implique : le retrait du service public
concerné de la liste des services publics labellisés … à partir de la date effective du retrait ; l'obligation … de
cesser toute communication … utilisant la marque … dans les deux mois suivant la date effective du retrait. »

So a withdrawal has two dates: the day it is notified (a fact: never in the future) and the day it takes effect, which
may come later. Until then the label holds (and stays on the public list: tests/temporal_cycles/test_issue14_*.py);
from then it is withdrawn, and the mark is dropped within 2 months (rules/deadlines.yaml mark_removal). The guide sets
no limit to how far ahead: the engine only asks that it takes effect while the label would still hold, before its
expiry (§2.3: « valable pour une durée de trois ans »; at the expiry the label ends by itself, §5.3.2).

The label of these tests was decided on 1 April 2026 (test_cycle_basics): it expires on 1 April 2029, its last valid
day is 31 March 2029. The withdrawal is notified on Monday 4 January 2027, effective Monday 1 February 2027: the mark
is dropped by 1 April 2027 (1 February + 2 months).
"""

from __future__ import annotations

from datetime import date

import pytest

from spplus.lifecycle import LabelStatus, Phase
from spplus.lifecycle.state import LATE_FACTS, DeadlineStatus

from .test_cycle_basics import DAY, labelled, timeline_kinds

NOTIFIED, EFFECTIVE = date(2027, 1, 4), date(2027, 2, 1)
MARK_DROPPED = date(2027, 4, 1)  # 1 February 2027 + 2 months (§5.3.2)


def withdrawal(effective: date, notified_on: date | None = NOTIFIED, reason: str = "mark-rules-broken") -> dict:
    event = {"type": "withdrawal", "reason": reason, "effective": effective.isoformat()}
    if notified_on is not None:
        event["notified_on"] = notified_on.isoformat()
    return event


def notified(rules, calendar_for):
    d = labelled(rules, calendar_for)
    d.pass_to(NOTIFIED)
    d.send(withdrawal(EFFECTIVE))
    return d


def test_the_label_holds_until_the_effective_date_then_is_withdrawn(rules, calendar_for):
    d = notified(rules, calendar_for)
    # Notified: told to the service and the DITP (« transmise au service public labellisé et à la DITP »), dated on the
    # notification, with both dates; the label still holds.
    assert d.state.label_status == LabelStatus.valid and d.state.phase == Phase.labelled and d.state.withdrawal is None
    assert d.state.pending_withdrawal == {"reason": "mark-rules-broken", "notified_on": "2027-01-04", "effective": "2027-02-01",
                                          "actor": "certification-body", "event_id": d.state.pending_withdrawal["event_id"]}
    [entry] = timeline_kinds(d, "withdrawal_notified")
    assert entry.on == NOTIFIED and "effective on 2027-02-01" in entry.summary and "until 2027-01-31" in entry.summary
    assert "2027-04-01" in entry.summary  # the mark dropped by then
    [note] = [n for n in d.notes if n.key.startswith("withdrawal_notified:")]
    assert "ditp" in note.recipients and note.due == EFFECTIVE
    effective = d.deadline("withdrawal.effective")
    assert effective.due == EFFECTIVE and effective.kind.value == "transition" and "§5.3.2" in effective.computed.reference
    # The day before: still valid. On the effective date: withdrawn (« à partir de la date effective du retrait »).
    d.pass_to(EFFECTIVE - DAY)
    assert d.state.label_status == LabelStatus.valid
    d.pass_to(EFFECTIVE)
    assert d.state.label_status == LabelStatus.withdrawn and d.state.phase == Phase.withdrawn
    assert d.state.withdrawal == {"reason": "mark-rules-broken", "effective": "2027-02-01", "mark_removed_by": "2027-04-01"}
    assert d.state.pending_withdrawal is None
    [withdrawn] = timeline_kinds(d, "withdrawal")
    assert withdrawn.on == EFFECTIVE and withdrawn.event_id == entry.event_id  # the notification that decided it
    assert d.deadline("withdrawal.mark_removal").due == MARK_DROPPED
    # Every other date of the label ended with it (the yearly reminders, the follow-up, the expiry).
    assert [x.key for x in d.state.open_deadlines()] == ["withdrawal.mark_removal"]
    d.pass_to(MARK_DROPPED)
    assert d.state.finished


def test_the_dates_of_a_withdrawal_notified_ahead_are_checked(rules, calendar_for):
    d = labelled(rules, calendar_for)
    d.pass_to(NOTIFIED)
    # Ahead with no notification date: the fact is missing, not guessed.
    message = d.refused(withdrawal(EFFECTIVE, notified_on=None))
    assert "in the future" in message and "notified_on" in message
    assert "notified_on" in d.refused(withdrawal(EFFECTIVE, notified_on=NOTIFIED + DAY))  # notified tomorrow: not yet
    assert "after the effective date" in d.refused(withdrawal(NOTIFIED - DAY, notified_on=NOTIFIED))
    assert "the label's start" in d.refused(withdrawal(EFFECTIVE, notified_on=date(2026, 3, 31)))
    # The label ends by itself on its expiry, 1 April 2029: a withdrawal takes effect by 31 March 2029.
    message = d.refused(withdrawal(date(2029, 4, 1)))
    assert "expires on 2029-04-01" in message and "2029-03-31" in message
    d.send(withdrawal(date(2029, 3, 31)))
    assert d.deadline("withdrawal.effective").due == date(2029, 3, 31)


def test_a_withdrawal_effective_today_or_before_is_withdrawn_at_once_as_before(rules, calendar_for):
    d = labelled(rules, calendar_for)
    d.pass_to(EFFECTIVE)
    d.send(withdrawal(EFFECTIVE, notified_on=NOTIFIED))
    assert d.state.label_status == LabelStatus.withdrawn and "withdrawal.effective" not in d.state.deadlines


def test_while_it_is_pending_the_label_is_neither_renewed_nor_carried_into_a_new_cycle(rules, calendar_for):
    """§3.10 renews a label that holds; one notified withdrawn would end in the new cycle unnoticed."""
    d = notified(rules, calendar_for)
    renewal = {"type": "renewal", "requested_on": NOTIFIED.isoformat(), "contract_signed": NOTIFIED.isoformat()}
    assert "takes effect on 2027-02-01" in d.refused(renewal)
    extension = {"type": "perimeter_extension", "requested_on": NOTIFIED.isoformat(), "agents_added": 500, "new_cycle": True,
                 "sites": [{"id": "mairie-annexe-sud", "name": "Annexe sud"}]}
    assert "takes effect on 2027-02-01" in d.refused(extension)
    # A suspension meanwhile is the body's to decide (§5.3.1): taken; the withdrawal still comes on its date.
    d.send({"type": "suspension", "reason": "mark-misuse", "effective": NOTIFIED.isoformat()})
    d.pass_to(EFFECTIVE)
    assert d.state.label_status == LabelStatus.withdrawn


def test_a_new_notification_replaces_the_pending_one(rules, calendar_for):
    """Notified again on 11 January 2027 for 1 March 2027: the first effective date is cancelled; 1 February passes
    with the label valid; it is withdrawn on 1 March."""
    d = notified(rules, calendar_for)
    d.pass_to(date(2027, 1, 11))
    d.send(withdrawal(date(2027, 3, 1), notified_on=date(2027, 1, 11)))
    assert d.state.pending_withdrawal["effective"] == "2027-03-01"
    assert "replaces the withdrawal notified on 2027-01-04" in timeline_kinds(d, "withdrawal_notified")[-1].summary
    d.pass_to(EFFECTIVE)
    assert d.state.label_status == LabelStatus.valid
    d.pass_to(date(2027, 3, 1))
    assert d.state.label_status == LabelStatus.withdrawn and d.state.withdrawal["effective"] == "2027-03-01"


def test_a_withdrawal_at_once_supersedes_the_pending_one(rules, calendar_for):
    d = notified(rules, calendar_for)
    d.pass_to(date(2027, 1, 15))
    d.send(withdrawal(date(2027, 1, 15), notified_on=None))
    assert d.state.withdrawal["effective"] == "2027-01-15" and d.state.pending_withdrawal is None
    assert d.deadline("withdrawal.effective").status == DeadlineStatus.cancelled


@pytest.mark.parametrize("notified_on", [None, NOTIFIED])
def test_a_cycle_opened_before_the_patch_still_refuses_a_withdrawal_ahead(rules, calendar_for, notified_on):
    """A cycle opened before NOTICES_AND_YEARLY_CHECKS (workflows/cycle.py) refuses it as it did, with the same words."""
    d = labelled(rules, calendar_for)
    d.state.behaviour = LATE_FACTS
    d.pass_to(NOTIFIED)
    assert d.refused(withdrawal(EFFECTIVE, notified_on=notified_on)) == (
        "effective: a withdrawal on 2027-02-01 is in the future (today is 2027-01-04); record it once it has happened")
