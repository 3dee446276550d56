"""A central follow-up window that closes without its central audit (§3.9.2, §5.3.1, §5.3.2).

What the guide says (seed 002):

* §3.9.2: « Les services publics centraux labellisés ont l'obligation de réaliser chaque année un audit de suivi
  du « service public central » … (1 an, puis 2 ans après obtention de la labellisation) »; « L'organisme de
  certification habilité effectue un suivi à 12 mois (à partir de la date de notification initiale), dans un
  délai de 2 mois entourant la date théorique de l'audit de suivi - avant et après » (rules/deadlines.yaml
  central_followups: 12 and 24 months; central_followup_window: ± 2 months, both ends included).
* §5.3.2: « une décision de retrait du label peut être prise … par l'organisme de certification » for the
  « non-réalisation de l'audit de suivi, du fait du service public labellisé »; §5.3.1: a suspension « peut
  être prise » for the « refus … de réaliser des audits dans les conditions, la période ou à la fréquence
  requises ». Both are the body's decisions (« peut »): a window that closes is a breach the body is told of;
  the label still holds until the body acts. (rules/procedures.yaml automatic_actions lists no automatic
  act for this case.)
* §5.3.2: the withdrawal is notified « précisant la date de mise en application »; the mark is dropped
  « dans les deux mois suivant la date effective du retrait »; note: local services labelled « depuis moins de
  deux ans » keep the mark only through a local follow-up audit.
* shared/domain.md « Counting dates »: a deadline due on a day is met until that day ends, and is a breach
  from the next day.

Dates (central_driver): labelled Monday 1 June 2026. N+1: prepared 1 March 2027 (9 months), target 1 June 2027
(12 months), window 1 April – 1 August 2027 → breach on 2 August 2027. N+2: prepared 1 March 2028 (21 months),
target 1 June 2028 (24 months), window 1 April – 1 August 2028 → breach on 2 August 2028.
"""

from __future__ import annotations

from datetime import date, timedelta

from spplus.lifecycle import LabelStatus
from spplus.lifecycle.state import DeadlineStatus
from spplus.network.state import CentralPhase

from .central_driver import CLOSES1, CLOSES2, LOCALS_DECIDED, LOCALS_DECIDED1, OPENS1, PREP1, CentralDriver, followup_year, year_n, yes_no

DAY = timedelta(days=1)


def breaches(d: CentralDriver) -> list:
    return d.entries("breach")


def breach_notes(d: CentralDriver) -> list:
    return [n for e in d.effects for n in e.notes if n.kind == "breach"]


def audit_dates(start: date, end: date | None = None) -> dict:
    return {"type": "central_audit_dates", "visit_start": start.isoformat(), "visit_end": (end or start).isoformat()}


def test_the_dates_of_the_first_window(rules, calendar_for):
    """§3.9.2: 1 June 2026 + 12 months = 1 June 2027; ± 2 months: 1 April – 1 August 2027."""
    d = year_n(rules, calendar_for())
    assert d.deadline("central.followup1.window_opens").due == OPENS1 == date(2027, 4, 1)
    assert d.deadline("central.followup1.window_closes").due == CLOSES1 == date(2027, 8, 1)


def test_a_first_window_closing_without_any_audit_is_a_breach_the_body_is_told_of(rules, calendar_for):
    """§3.9.2: nothing is done in N+1 (the drawn local services are never decided, no central audit): on 1 August
    2027, the window's last day, no breach yet; on 2 August 2027 one breach, dated that day, naming §3.9.2,
    told to the central service and its body; the label still holds (§5.3.2: withdrawing is the body's decision)."""
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1)
    assert d.state.year == 1 and len(d.sample(1)) == 4  # N+1 drawn: ⌈√16⌉ among the 12 not yet audited
    d.pass_to(CLOSES1)
    assert d.state.breaches == 0 and breaches(d) == []
    assert d.deadline("central.followup1.window_closes").status == DeadlineStatus.open

    d.pass_to(CLOSES1 + DAY)
    closes = d.deadline("central.followup1.window_closes")
    assert closes.status == DeadlineStatus.missed
    assert d.state.breaches == 1
    [entry] = breaches(d)
    assert entry.on == date(2027, 8, 2) and entry.data["key"] == "central.followup1.window_closes"
    assert entry.data["rule"] == "deadlines.central_followup_window" and "§3.9.2" in entry.data["reference"]
    [note] = breach_notes(d)
    assert note.key == "breach:central.followup1.window_closes" and note.due == date(2027, 8, 1)
    assert set(note.recipients) >= {"central:cnaf", "body:oc-alpha"}
    assert d.state.label_status == LabelStatus.valid
    assert d.state.attestation.expires == date(2029, 6, 1)  # validity unchanged

    # Still one breach later on: it is counted once.
    d.pass_to(date(2027, 9, 15))
    assert d.state.breaches == 1 and len(breach_notes(d)) == 1


def test_after_the_window_the_follow_up_audit_can_no_longer_be_dated_in_it(rules, calendar_for):
    """§3.9.2: the follow-up takes place « dans un délai de 2 mois entourant la date théorique »; once the window
    has closed (the local services decided late, on 20 July 2027), a central audit on 10 August 2027 is refused."""
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1)
    d.pass_to(date(2027, 7, 20))
    d.decide_sample(["bronze", "bronze", "bronze", "bronze"], date(2027, 7, 20), 1)
    d.pass_to(CLOSES1 + DAY)
    assert d.state.breaches == 1
    message = d.refused(audit_dates(date(2027, 8, 10)))
    assert "2027-04-01" in message and "2027-08-01" in message and "§3.9.2" in message


def test_the_body_may_then_withdraw_the_label_for_the_follow_up_not_done(rules, calendar_for):
    """§5.3.2: withdrawal for « non-réalisation de l'audit de suivi », effective 2 August 2027: the label is withdrawn
    that day, the mark dropped within 2 months (2 October 2027); the local services of year N (labelled 1 April 2026,
    16 months before: « depuis moins de deux ans ») are told they keep the mark only through their own follow-up."""
    d = year_n(rules, calendar_for(), n=16, tiers=["bronze"] * 4)
    year0 = d.sample(0)
    d.pass_to(CLOSES1 + DAY)
    assert d.state.breaches == 1 and d.state.label_status == LabelStatus.valid
    effects = d.send({"type": "withdrawal", "reason": "followup-not-done", "effective": "2027-08-02"})
    assert d.state.phase == CentralPhase.withdrawn and d.state.label_status == LabelStatus.withdrawn
    assert d.state.withdrawal == {"reason": "followup-not-done", "effective": "2027-08-02", "mark_removed_by": "2027-10-02"}
    assert set(effects.tell_locals) == set(year0)
    assert all(n.kind == "central_withdrawn" and n.on == date(2027, 8, 2) for n in effects.tell_locals.values())


def test_a_central_visit_held_in_the_window_but_recorded_after_it_is_no_breach(rules, calendar_for):
    """§3.9.2 and the digest (« deadlines and breaches count from the fact's own date »): a central visit on the
    window's last day, 1 August 2027 (a Sunday: the guide counts no working days here), scored on 3 August, was
    held « dans un délai de 2 mois »: the breach counted on 2 August is withdrawn."""
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1)
    d.pass_to(LOCALS_DECIDED1)
    d.decide_sample(["bronze", "argent", "argent", "argent"], LOCALS_DECIDED1, 1)
    d.self_assessments(2027)
    d.surveys(2027)
    d.send(audit_dates(CLOSES1))
    d.pass_to(date(2027, 7, 1))
    d.send({"type": "audit_plan", "sent_on": "2027-07-01", "auditors": ["E. Roux"]})
    d.pass_to(CLOSES1 + DAY)
    assert d.state.breaches == 1  # nothing recorded by the end of 1 August
    d.pass_to(date(2027, 8, 3))
    d.send({"type": "central_visit", "control_points": yes_no(15, 5)})
    assert d.deadline("central.followup1.window_closes").status == DeadlineStatus.met
    assert d.state.breaches == 0


def test_a_second_window_closing_without_an_audit_is_a_breach_too(rules, calendar_for):
    """§3.9.2 (« 1 an, puis 2 ans après »): N+1 done and decided; nothing in N+2: the window 1 April – 1 August 2028
    closes; on 2 August 2028 one breach (N+1's window was met), the label still holds."""
    d = year_n(rules, calendar_for())
    followup_year(d, 1, ["bronze", "argent", "argent", "argent"])
    assert d.deadline("central.followup1.window_closes").status == DeadlineStatus.met
    assert d.deadline("central.followup2.window_closes").due == CLOSES2 == date(2028, 8, 1)
    d.pass_to(CLOSES2)
    assert d.state.breaches == 0
    d.pass_to(CLOSES2 + DAY)
    assert d.deadline("central.followup2.window_closes").status == DeadlineStatus.missed
    assert d.state.breaches == 1
    [entry] = breaches(d)
    assert entry.on == date(2028, 8, 2) and entry.data["key"] == "central.followup2.window_closes"
    assert d.state.label_status == LabelStatus.valid


def test_a_refused_central_service_has_no_follow_up_window_to_miss(rules, calendar_for):
    """§3.8.2: a refused central service is not labelled, so it owes no §3.9.2 follow-up: no window, no breach."""
    d = CentralDriver(rules, calendar_for(), n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["argent", None, None, "bronze"])  # 2 of 4 < ⌈3⌉
    d.self_assessments(2026)
    d.decide(d.audit_to_decision(date(2026, 5, 12), yes_no(20, 0)), None)
    assert not any(k.startswith("central.followup") for k in d.state.deadlines)
    d.pass_to(date(2026, 11, 30))
    assert d.state.breaches == 0
