"""The end of a central label: withdrawal, the network's young labels, expiry (§5.3.2, §3.10).

* §5.3.2: a withdrawal is notified « précisant la date de mise en application »; the service stops using
  the mark « dans les deux mois suivant la date effective du retrait ».
* §5.3.2, note: « En cas de décision de retrait du label attribué à un service public central, les
  services publics locaux lui étant rattachés déjà labellisés depuis moins de deux ans ne peuvent
  conserver leur droit d'utilisation de la marque qu'à condition de se présenter à un audit de suivi
  « service public local » » — rules/deadlines.yaml young_local_label_age: less than 2 years, the end
  excluded (a label exactly 2 years old is not « moins de deux ans »).
* §5.3.2 (« à l'issue du cycle de 3 ans … il perd ainsi son label à échéance de validité »), §3.10.

Dates (central_driver): labelled 1 June 2026, expiry 1 June 2029; N+1 labels of 15 April 2027.
"""

from __future__ import annotations

from datetime import date, timedelta


from spplus.lifecycle import LabelStatus
from spplus.lifecycle.state import DeadlineStatus
from spplus.network.state import CentralPhase

from .central_driver import (
    DECIDED, EXPIRY, LOCALS_DECIDED, LOCALS_DECIDED2, VISIT, CentralDriver, followup_year, year_n, yes_no,
)

DAY = timedelta(days=1)
WITHDRAWN = date(2028, 4, 1)


def withdrawal(effective: date, reason: str = "mark-rules-broken") -> dict:
    return {"type": "withdrawal", "reason": reason, "effective": effective.isoformat()}


def network_with_dated_labels(rules, calendar):
    """Year N labels of 31 March, 1 April and 2 April 2026 (and one refusal); N+1 labels of 15 April 2027."""
    d = CentralDriver(rules, calendar, n=16)
    older, two_years, younger, refused = d.sample(0)
    d.pass_to(LOCALS_DECIDED + DAY)
    d.local(older, "argent", date(2026, 3, 31))
    d.local(two_years, "argent", date(2026, 4, 1))
    d.local(younger, "or", date(2026, 4, 2))
    d.local(refused, None, date(2026, 4, 2))
    d.self_assessments(2026)
    d.decide(d.audit_to_decision(VISIT, yes_no(15, 5)), "argent")
    followup_year(d, 1, ["argent", "or", None, "argent"])
    return d, dict(older=older, two_years=two_years, younger=younger, refused=refused)


def test_a_withdrawal_tells_only_the_local_services_labelled_less_than_two_years_ago(rules, calendar_for):
    """§5.3.2 note, withdrawal effective 1 April 2028: the label of 2 April 2026 is 1 day short of 2 years (told);
    the one of 1 April 2026 is exactly 2 years old and the one of 31 March 2026 older (not told); the 3 labels of
    15 April 2027 are told; a refused service or one only drawn for N+2 has no label to keep."""
    d, year0 = network_with_dated_labels(rules, calendar_for())
    year1 = d.sample(1)
    d.pass_to(WITHDRAWN)
    assert d.state.year == 2 and len(d.sample(2)) == 4
    effects = d.send(withdrawal(WITHDRAWN))
    expected = {year0["younger"], year1[0], year1[1], year1[3]}
    assert set(effects.tell_locals) == expected
    for notice in effects.tell_locals.values():
        assert notice.kind == "central_withdrawn" and notice.on == WITHDRAWN and notice.central == "cnaf"
    assert not {year0["older"], year0["two_years"], year0["refused"], year1[2], *d.sample(2)} & set(effects.tell_locals)
    [entry] = d.entries("withdrawal")
    assert sorted(entry.data["young_locals"]) == sorted(expected)
    assert d.state.phase == CentralPhase.withdrawn and d.state.label_status == LabelStatus.withdrawn


def test_a_withdrawal_drops_the_mark_two_months_later_and_closes_the_cycle_then(rules, calendar_for):
    """§5.3.2: effective 1 April 2028 → the mark is no longer used from 1 June 2028; every other date is cancelled."""
    d, _ = network_with_dated_labels(rules, calendar_for())
    d.pass_to(WITHDRAWN)
    d.send(withdrawal(WITHDRAWN))
    assert d.state.withdrawal == {"reason": "mark-rules-broken", "effective": "2028-04-01", "mark_removed_by": "2028-06-01"}
    assert d.deadline("withdrawal.mark_removal").due == date(2028, 6, 1)
    open_keys = [k for k, dl in d.state.deadlines.items() if dl.status == DeadlineStatus.open]
    assert open_keys == ["withdrawal.mark_removal"]
    assert d.deadline("label.expiry").status == DeadlineStatus.cancelled
    assert "ended" in d.refused(withdrawal(WITHDRAWN))
    d.pass_to(date(2028, 5, 31))
    assert not d.state.finished
    d.pass_to(date(2028, 6, 1))
    assert d.state.finished and d.state.phase == CentralPhase.withdrawn
    assert d.entries("cycle_closed")[-1].on == date(2028, 6, 1)


def test_a_withdrawal_needs_a_reason_of_the_guide_and_a_label_that_holds(rules, calendar_for):
    """§5.3.2 lists the reasons (procedures.yaml withdrawal_reasons); only a label that holds can be withdrawn."""
    d = year_n(rules, calendar_for())
    assert "unknown withdrawal reason" in d.refused(withdrawal(DECIDED, reason="bad-mood"))
    assert "in the future" in d.refused(withdrawal(date(2026, 7, 1)))
    waiting = CentralDriver(rules, calendar_for(), n=4)
    assert "only a label that holds" in waiting.refused(withdrawal(waiting.today))


def test_a_withdrawal_of_a_suspended_label_tells_the_young_local_services(rules, calendar_for):
    """§5.3.2: « si le service public labellisé n'a pas pris les mesures requises pour lever une décision de
    suspension » — suspended 1 September 2026, withdrawn by the body 26 February 2027: the 3 labels of 1 April 2026
    are less than 2 years old."""
    d = year_n(rules, calendar_for())
    d.pass_to(date(2026, 9, 1))
    d.send({"type": "suspension", "reason": "mark-misuse", "effective": "2026-09-01"})
    d.pass_to(date(2027, 2, 26))
    effects = d.send(withdrawal(date(2027, 2, 26), reason="suspension-not-lifted"))
    assert set(effects.tell_locals) == {l.id for l in d.state.attestation.locals}
    assert d.state.withdrawal["mark_removed_by"] == "2027-04-26"


# ---------------------------------------------------------------------------------------------- expiry
def labelled_three_years(rules, calendar) -> CentralDriver:
    d = year_n(rules, calendar)
    followup_year(d, 1, ["argent"] * 4)
    followup_year(d, 2, ["argent"] * 4)
    assert d.state.phase == CentralPhase.labelled and len(d.state.attestation.locals) == 11
    return d


def test_without_renewal_the_label_expires_after_three_years(rules, calendar_for):
    """§5.3.2 (« il perd ainsi son label à échéance de validité de l'attestation »), §2.3: 1 June 2026 → 1 June 2029;
    the mark dropped within 2 months (1 August 2029), when the cycle closes."""
    d = labelled_three_years(rules, calendar_for())
    d.pass_to(EXPIRY - DAY)
    assert d.state.label_status == LabelStatus.valid
    d.pass_to(EXPIRY)
    assert d.state.phase == CentralPhase.expired and d.state.label_status == LabelStatus.expired
    assert d.state.withdrawal == {"reason": "no-renewal", "effective": "2029-06-01", "mark_removed_by": "2029-08-01"}
    assert d.entries("expiry")[-1].on == EXPIRY
    d.pass_to(date(2029, 8, 1))
    assert d.state.finished


def test_the_renewal_invitation_comes_nine_months_before_expiry(rules, calendar_for):
    """§3.10: « neuf mois avant l'échéance de validité du label » — 1 September 2028."""
    d = labelled_three_years(rules, calendar_for())
    d.pass_to(date(2028, 9, 1))
    assert d.deadline("label.renewal_invitation").status == DeadlineStatus.done
    assert any(n.key == "reminder:label.renewal_invitation" for e in d.effects for n in e.notes)


def test_expiry_without_renewal_tells_the_young_local_services(rules, calendar_for):
    """§5.3.2: « à l'issue du cycle de 3 ans, dans le cas où le service public labellisé ne souhaite pas renouveler
    sa labellisation » is a withdrawal case; the note then asks the local services labelled less than two years
    ago (here those of 14 April 2028) for a local follow-up audit."""
    d = labelled_three_years(rules, calendar_for())
    before = len(d.effects)
    d.pass_to(EXPIRY)
    told = {k for e in d.effects[before:] for k in e.tell_locals}
    assert told == set(d.sample(2))
    assert all(l.decided_on == LOCALS_DECIDED2 for l in d.state.attestation.locals if l.id in told)


# ---------------------------------------------------------------------------------------------- notified ahead (§5.3.2)
def test_a_withdrawal_notified_ahead_tells_the_young_local_services_on_its_effective_date(rules, calendar_for):
    """§5.3.2: the notification « précisant la date de mise en application »: notified on 1 March 2028, effective
    1 April 2028. Until 31 March the central label holds and no local service is told; on 1 April it is withdrawn and
    the local services labelled less than two years before that date are told (the same four as the withdrawal of
    1 April 2028 above: the label of 2 April 2026 and the three of 15 April 2027), the mark dropped by 1 June 2028."""
    d, year0 = network_with_dated_labels(rules, calendar_for())
    year1 = d.sample(1)
    d.pass_to(date(2028, 3, 1))
    effects = d.send({**withdrawal(WITHDRAWN), "notified_on": "2028-03-01"})
    assert effects.tell_locals == {} and d.state.label_status == LabelStatus.valid
    assert d.state.pending_withdrawal["effective"] == "2028-04-01"
    [entry] = d.entries("withdrawal_notified")
    assert entry.on == date(2028, 3, 1) and "until 2028-03-31" in entry.summary
    d.pass_to(WITHDRAWN - DAY)
    assert d.state.label_status == LabelStatus.valid and d.told() == {}
    d.pass_to(WITHDRAWN)
    assert d.state.label_status == LabelStatus.withdrawn and d.state.pending_withdrawal is None
    assert d.state.withdrawal == {"reason": "mark-rules-broken", "effective": "2028-04-01", "mark_removed_by": "2028-06-01"}
    assert set(d.told()) == {year0["younger"], year1[0], year1[1], year1[3]}
    assert {n.on for n in d.told().values()} == {WITHDRAWN}


def test_a_central_cycle_opened_before_the_patch_refuses_a_withdrawal_ahead(rules, calendar_for):
    """workflows/central.py: a central cycle whose run began before its patch (behaviour 0) refuses it as it did."""
    d = year_n(rules, calendar_for())
    d.state.behaviour = 0
    assert "in the future" in d.refused({**withdrawal(date(2026, 7, 1)), "notified_on": DECIDED.isoformat()})
