"""Renewal and expiry (§2.3, §3.10, §3.2, §5.3.2).

* §3.10: « neuf mois avant l'échéance de validité du label, le service public labellisé … sera
  invité à demander le renouvellement »; the renewal runs « dans les mêmes conditions que
  l'obtention initiale »; §3.2: it may go to another certification body.
* §5.3.2: « à l'issue du cycle de 3 ans, dans le cas où le service public labellisé ne souhaite pas
  renouveler sa labellisation. Il perd ainsi son label à échéance de validité de l'attestation »;
  the mark is dropped within 2 months.
* The workflow continues a renewed cycle as new with ``open_cycle(candidate, …, previous=state)``.

The label of these tests was decided on 1 April 2026: expiry 1 April 2029 (last valid day
31 March 2029), renewal invitation 1 July 2028.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from spplus.lifecycle import LabelStatus, Phase, open_cycle, renewed_candidate
from spplus.lifecycle.state import DeadlineStatus

from .test_cycle_basics import (
    DAY, audit_dates, decision, dossier, full_audit, labelled, plan, prerequisites, report, timeline_kinds, visit,
)

EXPIRY = date(2029, 4, 1)
INVITATION = date(2028, 7, 1)


def renewal(on: date, body: str | None = None, contract: date | None = None) -> dict:
    event = {"type": "renewal", "requested_on": on.isoformat(), "contract_signed": (contract or on).isoformat()}
    if body:
        event["certification_body"] = body
    return event


def renewed(d, rules, calendar_for, on: date, body: str | None = None):
    """Ask for the renewal on ``on`` and continue as new, as the workflow does."""
    d.pass_to(on)
    d.send(renewal(on, body))
    old = d.state
    assert old.continue_as_new and old.renewal_request is not None
    d.state = open_cycle(renewed_candidate(old, old.renewal_request), rules, calendar_for("metropole"), on, previous=old)
    return old


def test_renewal_invitation_nine_months_before_expiry(rules, calendar_for):
    """§3.10: expiry 1 April 2029 − 9 months = 1 July 2028."""
    d = labelled(rules, calendar_for)
    assert EXPIRY - relativedelta(months=9) == INVITATION
    assert d.deadline("label.renewal_invitation").due == INVITATION
    d.pass_to(INVITATION - DAY)
    assert not any(n.key == "reminder:label.renewal_invitation" for n in d.notes)
    d.pass_to(INVITATION)
    assert any(n.key == "reminder:label.renewal_invitation" for n in d.notes)
    assert any(e.data.get("key") == "label.renewal_invitation" for e in timeline_kinds(d, "reminder"))


def test_expiry_without_renewal(rules, calendar_for):
    """§5.3.2: the label is lost at the end of its validity; §2.3: valid up to, not including, 1 April 2029."""
    d = labelled(rules, calendar_for)
    d.pass_to(EXPIRY - DAY)
    assert d.state.label_status == LabelStatus.valid
    d.pass_to(EXPIRY)
    s = d.state
    assert (s.phase, s.label_status) == (Phase.expired, LabelStatus.expired)
    assert s.withdrawal == {"reason": "no-renewal", "effective": "2029-04-01", "mark_removed_by": "2029-06-01"}
    assert any("ditp" in n.recipients and "2029-06-01" in n.subject for n in d.notes)
    assert "ended" in d.refused(renewal(EXPIRY))
    assert not s.finished
    d.pass_to(date(2029, 6, 1))
    assert s.finished


def test_expiry_of_a_suspended_label_without_renewal(rules, calendar_for):
    """§5.3.2: a suspended label ends at its expiry too (suspended 1 February 2029, well within 12 months)."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2029, 2, 1))
    d.send({"type": "suspension", "reason": "own-request", "effective": "2029-02-01"})
    d.pass_to(EXPIRY)
    assert d.state.phase == Phase.expired and d.state.withdrawal["reason"] == "no-renewal"


def test_renewal_request_continues_as_new(rules, calendar_for):
    d = labelled(rules, calendar_for)
    d.pass_to(INVITATION)
    d.send(renewal(INVITATION, "oc-beta"))
    s = d.state
    assert s.continue_as_new is True
    assert s.renewal_request.certification_body == "oc-beta"
    assert s.label_status == LabelStatus.valid  # nothing ends with the request


def test_renewal_only_from_a_label_that_holds(rules, calendar_for):
    d = labelled(rules, calendar_for)
    d.pass_to(date(2028, 1, 10))
    d.send({"type": "suspension", "reason": "own-request", "effective": "2028-01-10"})
    # §3.10 invites « le service public labellisé »; a suspended label is not renewed while suspended.
    assert d.refused(renewal(date(2028, 1, 10))) == "a renewal is asked by a service whose label holds; this cycle is suspended"
    from .test_cycle_basics import new_driver

    assert "renewal" in new_driver(rules, calendar_for).refused(renewal(date(2026, 1, 5)))


def test_renewal_request_in_the_future_is_refused(rules, calendar_for):
    d = labelled(rules, calendar_for)
    d.pass_to(INVITATION)
    assert "future" in d.refused(renewal(INVITATION + DAY))
    assert "future" in d.refused(renewal(INVITATION, contract=INVITATION + DAY))


def test_next_cycle_carries_the_label_and_its_expiry(rules, calendar_for):
    """§3.10 and §3.2: the next cycle, possibly with another body, starts while the current label holds."""
    d = labelled(rules, calendar_for)
    old = renewed(d, rules, calendar_for, INVITATION, body="oc-beta")
    s = d.state
    assert s.cycle_number == 2 and s.phase == Phase.renewing
    assert s.candidate.certification_body == "oc-beta" and s.candidate.contract_signed == INVITATION
    assert s.label_status == LabelStatus.valid
    assert s.attestation == old.attestation
    assert s.attestation.expires == EXPIRY
    # The label's expiry, and its yearly self-assessment reminder still ahead (§3.9.1 « chaque année »): year 3 ends
    # 12 January 2029 (36 months after the self-assessment of 12 January 2026 the initial audit used), before the
    # expiry of 1 April 2029; years 1 and 2 ended on 12 January 2027 and 2028, before the renewal of 1 July 2028.
    assert sorted(s.deadlines) == ["label.expiry", "self_assessment.year3"]
    assert s.deadlines["self_assessment.year3"].due == date(2029, 1, 12)
    assert s.deadlines["label.expiry"].due == EXPIRY and s.deadlines["label.expiry"].status == DeadlineStatus.open
    assert s.audits == [] and not s.continue_as_new and not s.finished
    assert s.applied_events == old.applied_events  # a retried event of the old cycle stays answered once


def test_renewal_audit_before_expiry_issues_a_new_attestation(rules, calendar_for):
    """§3.10 « dans les mêmes conditions que l'obtention initiale »; §2.3 3 years from the new decision."""
    d = labelled(rules, calendar_for)
    old = renewed(d, rules, calendar_for, INVITATION)
    prerequisites(d, date(2028, 7, 10))
    decided = full_audit(d, date(2028, 10, 3), 70, "bronze")
    s = d.state
    assert s.phase == Phase.labelled and s.label_status == LabelStatus.valid
    assert s.attestation.valid_from == decided
    assert s.attestation.expires == decided + relativedelta(years=3)
    assert s.previous_attestation == old.attestation
    assert d.deadline("label.expiry").due == decided + relativedelta(years=3)
    d.pass_to(EXPIRY + DAY)  # the old expiry no longer ends anything
    assert s.label_status == LabelStatus.valid and s.phase == Phase.labelled


def test_old_label_expiring_does_not_stop_the_renewal_audit(rules, calendar_for):
    """§3.10: the renewal audit may end after the old label's expiry; the old label ends, the renewal goes on."""
    d = labelled(rules, calendar_for)
    renewed(d, rules, calendar_for, date(2029, 1, 15))
    prerequisites(d, date(2029, 1, 20))
    d.send(audit_dates(date(2029, 4, 17), date(2029, 4, 18)))
    d.pass_to(date(2029, 3, 10))
    d.send(dossier(d.today))
    d.pass_to(date(2029, 3, 30))
    d.send(plan(d.today))
    d.pass_to(EXPIRY)
    s = d.state
    assert s.label_status == LabelStatus.expired
    assert s.phase == Phase.renewing and not s.finished
    assert s.current_audit is not None
    d.pass_to(date(2029, 4, 18))
    d.send(visit(60))
    d.pass_to(date(2029, 4, 28))
    d.send(report(date(2029, 4, 28)))
    decided = date(2029, 5, 9)  # the observations window closed on 8 May
    d.pass_to(decided)
    d.send(decision(decided, "bronze"))
    assert s.phase == Phase.labelled and s.label_status == LabelStatus.valid
    assert (s.attestation.valid_from, s.attestation.expires) == (decided, date(2032, 5, 9))
    assert s.breaches == 0


def test_followup_audit_is_not_scheduled_during_a_renewal(rules, calendar_for):
    d = labelled(rules, calendar_for)
    renewed(d, rules, calendar_for, INVITATION)
    assert "follow-up" in d.refused(audit_dates(date(2028, 9, 1), kind="followup"))


def test_refused_renewal_old_label_still_ends_at_its_expiry(rules, calendar_for):
    """§5.3.2: without renewal the label is lost « à échéance de validité de l'attestation » (1 April 2029)."""
    d = labelled(rules, calendar_for)
    renewed(d, rules, calendar_for, date(2028, 4, 1))
    prerequisites(d, date(2028, 4, 5))
    decided = full_audit(d, date(2028, 6, 6), 45, None)  # refused: new application from decided + 6 months
    assert d.state.phase == Phase.refused and d.state.label_status == LabelStatus.valid  # the old label holds meanwhile
    assert decided + relativedelta(months=6) < EXPIRY
    d.pass_to(EXPIRY - DAY)
    assert d.state.label_status == LabelStatus.valid  # 31 March 2029, its last valid day
    d.pass_to(EXPIRY)
    s = d.state
    assert (s.phase, s.label_status) == (Phase.expired, LabelStatus.expired)
    # §5.3.2: « à l'issue du cycle de 3 ans, dans le cas où le service … ne souhaite pas renouveler »; the mark
    # dropped « dans les deux mois suivant la date effective du retrait »: 1 June 2029.
    assert s.withdrawal == {"reason": "no-renewal", "effective": "2029-04-01", "mark_removed_by": "2029-06-01"}


def test_suspension_lifted_during_a_renewal_keeps_the_renewal(rules, calendar_for):
    """§5.3.1 (lifting restores the label, nothing else) and §3.10 (the renewal goes on)."""
    d = labelled(rules, calendar_for)
    renewed(d, rules, calendar_for, INVITATION)
    d.pass_to(date(2028, 8, 1))
    d.send({"type": "suspension", "reason": "own-request", "effective": "2028-08-01"})
    d.pass_to(date(2028, 9, 1))
    d.send({"type": "suspension_lifted", "effective": "2028-09-01"})
    assert d.state.phase == Phase.renewing


def test_suspended_label_expiring_during_a_renewal_does_not_end_the_renewal(rules, calendar_for):
    """§3.10 and §5.3.2: « no-renewal » is the end of a cycle « dans le cas où le service … ne souhaite pas renouveler »."""
    d = labelled(rules, calendar_for)
    renewed(d, rules, calendar_for, INVITATION)
    prerequisites(d, date(2029, 3, 1))
    d.send(audit_dates(date(2029, 4, 17)))
    d.send({"type": "suspension", "reason": "own-request", "effective": "2029-03-01"})
    d.pass_to(EXPIRY)
    s = d.state
    # The old label ends on its expiry (1 April 2029); the renewal cycle goes on towards its audit of 17 April.
    assert (s.phase, s.label_status) == (Phase.renewing, LabelStatus.expired)
    assert s.current_audit is not None and s.current_audit.visit_start == date(2029, 4, 17)
    assert not s.finished
