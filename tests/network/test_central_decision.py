"""Year N: the decision on the central service, its attestation and dates, or its refusal.

* §2.2.2 (cumulative): « 75% des services publics locaux audités sur une même année sont labellisés,
  (en arrondissant si nécessaire à l'entier supérieur) »; the annual self-assessment report of
  « chacun de ses services publics locaux »; « 75% des points de contrôle validés » at the central
  audit (yes/no, §3.7.2). Tier: « le palier obtenu par la majorité des services publics locaux
  labellisés dans l'année » — a tie is Open, rules/central.yaml tier_tie_break: lower.
* §3.8.2: labelled → an attestation « valable 3 ans » that « liste l'ensemble des services publics
  locaux labellisés incluant la mention du palier obtenu par chacun d'eux et l'année de leur
  labellisation »; refused → a new application « à l'issue d'une période de 6 mois échus »; the
  labelled local services keep their labels and owe an 18-month follow-up (note).
* §3.9.2: follow-ups 12 months, then 24 months, after labelling, prepared 9 months after (21 for the
  second, « de manière analogue »), « dans un délai de 2 mois entourant la date théorique » (ends included).

The plain year N (central_driver): local services decided 1 April 2026, central visit 12 May 2026,
report received 21 May, decision 1 June 2026.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from spplus.network.state import CentralPhase
from spplus.lifecycle import LabelStatus
from spplus.rules.models import TieBreak

from .central_driver import (
    CLOSES1, CLOSES2, DECIDED, EXPIRY, LOCALS_DECIDED, OPENS1, OPENS2, PREP1, PREP2, VISIT, CentralDriver, year_n, yes_no,
)

DAY = timedelta(days=1)


def to_visit(rules, calendar, n, tiers, points=None, **kw) -> CentralDriver:
    """Year N up to the day after the corrective-actions window, undecided."""
    return year_n(rules, calendar, n=n, tiers=tiers, points=points, decide=False, **kw)


# ---------------------------------------------------------------------------------------------- 75 % of the local services
@pytest.mark.parametrize(("n", "labelled", "refused"), [(16, 3, 1), (25, 4, 1), (100, 8, 2)])
def test_exactly_the_required_share_of_local_services_labelled_passes(rules, calendar_for, n, labelled, refused):
    """§2.2.2: ⌈75 % × 4⌉ = 3; ⌈75 % × 5⌉ = ⌈3.75⌉ = 4; ⌈75 % × 10⌉ = ⌈7.5⌉ = 8."""
    d = to_visit(rules, calendar_for(), n, ["bronze"] * labelled + [None] * refused)
    audit = d.state.current_audit
    assert audit.proposal_labelled is True and audit.proposal_tier == "bronze"
    d.decide(DECIDED, "bronze")  # as the rules give: no reason needed
    assert d.state.phase == CentralPhase.labelled and d.state.label_status == LabelStatus.valid


@pytest.mark.parametrize(("n", "labelled", "refused"), [(16, 2, 2), (25, 3, 2), (100, 7, 3)])
def test_one_labelled_local_service_fewer_fails(rules, calendar_for, n, labelled, refused):
    """§2.2.2: 2 of 4 (3 needed), 3 of 5 (4 needed), 7 of 10 (8 needed) do not label the central service."""
    d = to_visit(rules, calendar_for(), n, ["bronze"] * labelled + [None] * refused)
    audit = d.state.current_audit
    assert audit.proposal_labelled is False and audit.proposal_tier is None
    assert f"{labelled} of {labelled + refused} audited local services labelled" in d.entries("central_visit")[-1].summary
    assert "needs a written reason" in d.refused({"type": "central_decision", "decided_on": DECIDED.isoformat(), "tier": "bronze"})
    d.decide(DECIDED, None)
    assert d.state.phase == CentralPhase.refused


# ---------------------------------------------------------------------------------------------- control points
@pytest.mark.parametrize(("yes", "no", "passes"), [(15, 5, True), (14, 6, False), (20, 0, True), (3, 1, True)])
def test_control_points_exactly_75_percent_pass(rules, calendar_for, yes, no, passes):
    """§2.2.2, §3.7.2: « score minimum requis de 75% des points de contrôle validés » — 15/20 passes, 14/20 (70 %) fails."""
    d = to_visit(rules, calendar_for(), 16, ["bronze"] * 4, points=yes_no(yes, no))
    audit = d.state.current_audit
    assert audit.proposal_labelled is passes
    assert audit.proposal_tier == ("bronze" if passes else None)
    assert f"{yes}/{yes + no} control points validated" in d.entries("central_visit")[-1].summary


# ---------------------------------------------------------------------------------------------- self-assessments
def test_a_local_service_without_its_self_assessment_report_fails(rules, calendar_for):
    """§2.2.2: « la réalisation annuelle d'un autodiagnostic local dans chacun de ses services publics locaux »
    — one of 16 missing is enough to fail, even one that was not sampled."""
    d = CentralDriver(rules, calendar_for(), n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["or"] * 4)
    missing = next(s for s in d.state.network_ids if s not in d.sample(0))
    d.self_assessments(2026, [s for s in d.state.network_ids if s != missing])
    assert missing in d.entries("network_reports")[-1].summary
    decided = d.audit_to_decision(VISIT, yes_no(20, 0))
    assert d.state.current_audit.proposal_labelled is False
    assert "reports missing" in d.entries("central_visit")[-1].summary
    assert "no label" in d.refused({"type": "central_decision", "decided_on": decided.isoformat(), "tier": "or"})


def test_self_assessment_reports_add_up_across_events(rules, calendar_for):
    """§2.2.2: the reports may arrive in several batches; together they cover the network."""
    d = CentralDriver(rules, calendar_for(), n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["or"] * 4)
    ids = d.state.network_ids
    d.self_assessments(2026, ids[:10])
    d.self_assessments(2026, ids[8:])
    d.audit_to_decision(VISIT, yes_no(20, 0))
    assert d.state.current_audit.proposal_labelled is True and d.state.current_audit.proposal_tier == "or"


def test_last_years_self_assessments_do_not_count_for_this_year(rules, calendar_for):
    """§2.2.2: « réalisation annuelle » — the reports of 2025 are not the 2026 ones; no report at all fails too."""
    d = CentralDriver(rules, calendar_for(), n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["or"] * 4)
    d.self_assessments(2025)
    d.audit_to_decision(VISIT, yes_no(20, 0))
    assert d.state.current_audit.proposal_labelled is False


def test_reports_from_an_unknown_service_or_a_year_to_come_are_refused(rules, calendar_for):
    d = CentralDriver(rules, calendar_for(), n=4)
    assert "caf-9999" in d.refused({"type": "network_reports", "year": 2026, "kind": "self_assessment", "produced_by": ["caf-9999"]})
    assert "2027" in d.refused({"type": "network_reports", "year": 2027, "kind": "self_assessment", "produced_by": []})


# ---------------------------------------------------------------------------------------------- tier
def test_the_proposed_tier_is_the_majority_of_the_labelled_local_services(rules, calendar_for):
    """§2.2.2: argent, argent, or (and one refused, which does not vote) → argent."""
    d = to_visit(rules, calendar_for(), 16, ["argent", "or", None, "argent"])
    assert d.state.current_audit.proposal_tier == "argent"


@pytest.mark.parametrize(("n", "tiers", "lower"), [(16, ["or", "bronze", "or", "bronze"], "bronze"),
                                                    (4, ["or", "argent"], "argent"),
                                                    (25, ["argent", "or", None, "or", "argent"], "argent")])
def test_a_tie_goes_to_the_lower_tier(rules, calendar_for, n, tiers, lower):
    """§2.2.2 is silent on a tie (Open); rules/central.yaml tier_tie_break: lower."""
    assert rules.central.criteria.at(VISIT).tier_tie_break == TieBreak.lower
    d = to_visit(rules, calendar_for(), n, tiers)
    assert d.state.current_audit.proposal_tier == lower


# ---------------------------------------------------------------------------------------------- decision against the rules
def test_a_decision_differing_from_the_rules_needs_a_reason(rules, calendar_for):
    """§3.8.2: « l'organisme certificateur, au vu de l'audit et des résultats … prend la décision » — a decision
    other than the rules' proposal is possible only with its written reason."""
    d = to_visit(rules, calendar_for(), 16, ["argent", "argent", "or", None])
    message = d.refused({"type": "central_decision", "decided_on": DECIDED.isoformat(), "tier": "or"})
    assert "argent" in message and "reason" in message
    assert "reason" in d.refused({"type": "central_decision", "decided_on": DECIDED.isoformat(), "tier": None})
    assert "reason" in d.refused({"type": "central_decision", "decided_on": DECIDED.isoformat(), "tier": "or", "reason": "  "})
    d.decide(DECIDED, "or", reason="commission's reading of the network's gold criteria")
    assert d.state.phase == CentralPhase.labelled and d.state.attestation.tier == "or"
    assert "overriding the rules' argent" in d.entries("central_decision")[-1].summary


def test_the_decision_waits_for_the_corrective_actions_window(rules, calendar_for):
    """§3.7.2: « à compter de la date de réception du rapport, le candidat bénéficie de 10 jours » — report
    received 21 May 2026, window to 31 May; a decision on 31 May is too early unless actions came in."""
    d = to_visit(rules, calendar_for(), 16, ["argent", "argent", "or", None])
    assert d.deadline("central.audit1.corrective_actions").due == date(2026, 5, 31)
    assert "2026-05-31" in d.refused({"type": "central_decision", "decided_on": "2026-05-31", "tier": "argent"})


def test_an_unknown_tier_is_refused(rules, calendar_for):
    d = to_visit(rules, calendar_for(), 16, ["argent", "argent", "or", None])
    assert "unknown tier" in d.refused({"type": "central_decision", "decided_on": DECIDED.isoformat(), "tier": "platine", "reason": "x"})


# ---------------------------------------------------------------------------------------------- attestation and dates
def test_the_attestation_lists_every_labelled_local_service_with_its_tier_and_year(rules, calendar_for):
    """§3.8.2: the attestation « liste l'ensemble des services publics locaux labellisés incluant la mention du
    palier obtenu par chacun d'eux et l'année de leur labellisation »; the refused one is not listed."""
    d = CentralDriver(rules, calendar_for(), n=16)
    a, b, c, refused = d.sample(0)
    d.pass_to(LOCALS_DECIDED)
    d.local(a, "argent", date(2026, 3, 30))
    d.local(b, "or", date(2026, 3, 31))
    d.local(c, "argent", date(2026, 4, 1))
    d.local(refused, None, date(2026, 4, 1))
    d.self_assessments(2026)
    d.decide(d.audit_to_decision(VISIT, yes_no(15, 5)), "argent")
    listed = {(l.id, l.tier, l.year, l.decided_on) for l in d.state.attestation.locals}
    assert listed == {(a, "argent", 2026, date(2026, 3, 30)), (b, "or", 2026, date(2026, 3, 31)), (c, "argent", 2026, date(2026, 4, 1))}
    assert "3 labelled local services" in d.entries("central_decision")[-1].summary


def test_the_label_is_valid_three_years(rules, calendar_for):
    """§2.3, §3.8.2: decided 1 June 2026 → expires 1 June 2029, last valid day 31 May 2029."""
    d = year_n(rules, calendar_for())
    att = d.state.attestation
    assert (att.tier, att.tier_label) == ("argent", "Argent")
    assert att.valid_from == DECIDED == date(2026, 6, 1)
    assert att.expires == EXPIRY == date(2029, 6, 1)
    assert att.last_valid_day == date(2029, 5, 31)
    assert d.deadline("label.expiry").due == EXPIRY
    assert d.deadline("label.renewal_invitation").due == date(2028, 9, 1)  # §3.10: 9 months before expiry


def test_follow_up_dates_are_set_from_the_decision(rules, calendar_for):
    """§3.9.2: prepared at 9 months (1 March 2027), held at 12 months ± 2 (1 April – 1 August 2027); the second
    « de manière analogue »: prepared at 21 months (1 March 2028), held at 24 ± 2 (1 April – 1 August 2028)."""
    d = year_n(rules, calendar_for())
    assert d.deadline("central.followup1.preparation").due == PREP1 == date(2027, 3, 1)
    assert d.deadline("central.followup1.window_opens").due == OPENS1 == date(2027, 4, 1)
    assert d.deadline("central.followup1.window_closes").due == CLOSES1 == date(2027, 8, 1)
    assert d.deadline("central.followup2.preparation").due == PREP2 == date(2028, 3, 1)
    assert d.deadline("central.followup2.window_opens").due == OPENS2 == date(2028, 4, 1)
    assert d.deadline("central.followup2.window_closes").due == CLOSES2 == date(2028, 8, 1)
    explanation = d.deadline("central.followup1.preparation").computed.explanation
    assert "9 months" in explanation and "2026-06-01" in explanation


def test_follow_up_dates_clamp_to_the_end_of_the_month(rules, calendar_for):
    """§3.9.2 with the digest's month counting: decided Sunday 31 May 2026 → preparation 28 February 2027,
    window 31 March – 31 July 2027; second preparation 29 February 2028 (leap year), window 31 March – 31 July 2028."""
    d = CentralDriver(rules, calendar_for(), n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["bronze"] * 4)
    d.self_assessments(2026)
    decided = d.audit_to_decision(date(2026, 5, 11), yes_no(15, 5))
    assert decided == date(2026, 5, 31)
    d.decide(decided, "bronze")
    assert d.deadline("central.followup1.preparation").due == date(2027, 2, 28)
    assert d.deadline("central.followup1.window_opens").due == date(2027, 3, 31)
    assert d.deadline("central.followup1.window_closes").due == date(2027, 7, 31)
    assert d.deadline("central.followup2.preparation").due == date(2028, 2, 29)
    assert d.deadline("central.followup2.window_opens").due == date(2028, 3, 31)
    assert d.deadline("central.followup2.window_closes").due == date(2028, 7, 31)
    assert d.state.attestation.expires == date(2029, 5, 31)


# ---------------------------------------------------------------------------------------------- refusal
def refused_central(rules, calendar):
    d = CentralDriver(rules, calendar, n=16)
    labelled_a, refused_a, refused_b, labelled_b = d.sample(0)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["argent", None, None, "bronze"])  # 2 of 4 < 3
    d.self_assessments(2026)
    decided = d.audit_to_decision(VISIT, yes_no(20, 0))
    effects = d.decide(decided, None)
    return d, effects, {labelled_a, labelled_b}, {refused_a, refused_b}


def test_a_refusal_opens_a_new_application_six_months_later(rules, calendar_for):
    """§3.8.2: « à l'issue d'une période de 6 mois échus » from the notification of 1 June 2026 → 1 December 2026."""
    d, _, _, _ = refused_central(rules, calendar_for())
    assert d.state.phase == CentralPhase.refused and d.state.label_status == LabelStatus.none
    assert d.state.new_application_from == date(2026, 12, 1)
    assert d.deadline("refusal.new_application").due == date(2026, 12, 1)
    assert d.state.attestation is None
    assert not any(k.startswith("central.followup") for k in d.state.deadlines)


def test_a_refusal_tells_only_the_labelled_local_services_of_the_year(rules, calendar_for):
    """§3.8.2 note: « les services publics locaux audités et labellisés conservent le bénéfice du résultat de leur
    audit » and owe the 18-month follow-up — each of them is told; the refused ones have nothing to keep."""
    d, effects, labelled, refused = refused_central(rules, calendar_for())
    assert set(effects.tell_locals) == labelled
    for notice in effects.tell_locals.values():
        assert notice.kind == "central_refused" and notice.on == DECIDED and notice.central == "cnaf"
    assert not set(effects.tell_locals) & refused
    assert effects.start_locals == []
    # The 18 months are read from rules/deadlines.yaml followup_target (§3.9.1, which the note refers to).
    assert "owe their own follow-up audit, 18 months after their decision (§3.8.2)" in d.entries("central_decision")[-1].summary


def test_a_refused_cycle_closes_on_the_new_application_date(rules, calendar_for):
    """§3.8.2: the cycle ends when a new application becomes possible (1 December 2026); nothing can be recorded after."""
    d, _, _, _ = refused_central(rules, calendar_for())
    assert "ended" in d.refused({"type": "network_reports", "year": 2026, "kind": "surveys", "produced_by": []})
    d.pass_to(date(2026, 11, 30))
    assert not d.state.finished and d.state.phase == CentralPhase.refused
    d.pass_to(date(2026, 12, 1))
    assert d.state.finished and d.state.phase == CentralPhase.closed
    [closed] = d.entries("cycle_closed")
    assert closed.on == date(2026, 12, 1)
