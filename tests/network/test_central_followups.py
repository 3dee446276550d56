"""Years N+1 and N+2 of a labelled central service (§3.9.2, §2.2.2, §5.3.1, §5.3.2).

* §3.9.2: « Neuf mois après la labellisation initiale, le service public central et l'organisme de
  certification préparent la réalisation des audits de suivi … (√n) services publics locaux au moins,
  sélectionnés de manière aléatoire … parmi les services non encore audités »; « reconduit de manière
  analogue pour l'audit de suivi en année N+2 ».
* §3.9.2, notes: « Si en année N+1 ou N+2, moins de 75% des √n services publics locaux audités sont
  labellisés, le service public central devra présenter à l'audit un ou plusieurs services publics
  locaux supplémentaires pour atteindre le minimum de 75% … En l'attente …, le label du service public
  central pourra être suspendu. »
* §3.9.2, outcomes: confirmed (≥ 75 % of control points, the majority of year N+1's labels at the same
  tier); a higher tier (majority higher; « l'annexe de l'attestation … est actualisée »); below 75 % of
  control points → « un plan d'action, à proposer dans un délai d'un mois … A défaut, le label pourra être
  suspendu » (procedures.yaml automatic_actions: the engine suspends); §5.3.1: at most 12 months;
  §5.3.2: withdrawn when the suspension is not lifted.
* §2.2.2, 4th condition: at the follow-ups, the labelled local services' annual survey reports.

Dates (central_driver): labelled 1 June 2026; N+1 prepared 1 March 2027, window 1 April – 1 August 2027,
local decisions 15 April, visit 11 May, decision 31 May 2027; N+2 prepared 1 March 2028.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from spplus.lifecycle import LabelStatus
from spplus.lifecycle.state import DeadlineStatus
from spplus.network.state import CentralPhase

from tests.lifecycle.driver import with_rule

from .central_driver import (
    CLOSES1, DECIDED, DECIDED1, EXPIRY, LOCALS_DECIDED1, OPENS1, PREP1, PREP2, VISIT1,
    CentralDriver, followup_year, year_n, yes_no,
)

DAY = timedelta(days=1)


def audit_dates(start: date, end: date | None = None) -> dict:
    return {"type": "central_audit_dates", "visit_start": start.isoformat(), "visit_end": (end or start).isoformat()}


def extend(count: int = 0, services: list[str] | None = None) -> dict:
    return {"type": "sample_extended", "count": count, "services": services or [], "reason": "fewer than 75 % labelled"}


def in_shortfall(rules, calendar, n: int, tiers: list[str | None]) -> CentralDriver:
    """Labelled in year N; in N+1 the drawn services decided with ``tiers`` on 15 April 2027."""
    d = year_n(rules, calendar, n=n, tiers=["bronze"] * math.ceil(math.sqrt(n)))
    d.pass_to(PREP1)
    d.pass_to(LOCALS_DECIDED1)
    d.decide_sample(tiers, LOCALS_DECIDED1, 1)
    return d


# ---------------------------------------------------------------------------------------------- the follow-up draws
def test_the_preparation_date_draws_among_services_never_audited(rules, calendar_for):
    """§3.9.2: on 1 March 2027 (9 months after 1 June 2026), ⌈√16⌉ = 4 drawn among the 12 not yet audited."""
    d = year_n(rules, calendar_for(), n=16)
    year0 = d.sample(0)
    d.pass_to(PREP1 - DAY)
    assert d.state.year == 0 and len(d.state.samples) == 1 and d.state.phase == CentralPhase.labelled
    d.pass_to(PREP1)
    assert d.state.year == 1 and d.state.phase == CentralPhase.network_audits
    draw = d.state.samples[-1]
    remaining = sorted(set(d.state.network_ids) - set(year0))
    assert draw.population == remaining and len(remaining) == 12
    assert len(draw.drawn) == 4 and not set(draw.drawn) & set(year0)
    assert random.Random(draw.seed).sample(remaining, 4) == draw.drawn
    assert d.sample(1) == draw.drawn
    assert d.started()[-4:] == draw.drawn  # their cycles are started
    assert d.entries("sample_drawn")[-1].on == PREP1


def test_the_second_follow_up_draws_among_services_audited_neither_in_n_nor_n_plus_1(rules, calendar_for):
    """§3.9.2 « de manière analogue » for N+2: 4 among the 8 still never audited, on 1 March 2028."""
    d = year_n(rules, calendar_for(), n=16)
    followup_year(d, 1, ["bronze", "argent", "argent", "argent"])
    assert d.state.phase == CentralPhase.labelled
    d.pass_to(PREP2)
    assert d.state.year == 2
    draw = d.state.samples[-1]
    assert draw.population == sorted(set(d.state.network_ids) - set(d.sample(0)) - set(d.sample(1)))
    assert len(draw.drawn) == 4 and len(draw.population) == 8
    assert len(set(d.sample(0)) | set(d.sample(1)) | set(d.sample(2))) == 12


def test_when_fewer_services_remain_than_the_sample_size_all_of_them_are_drawn(rules, calendar_for):
    """§3.9.2 « parmi les services non encore audités »: n = 5, ⌈√5⌉ = 3 in N; only 2 are left for N+1: both."""
    d = year_n(rules, calendar_for(), n=5, tiers=["bronze"] * 3)
    d.pass_to(PREP1)
    assert sorted(d.sample(1)) == sorted(set(d.state.network_ids) - set(d.sample(0)))
    assert d.state.samples[-1].size == 2


def test_a_follow_up_year_with_no_service_left_to_draw_can_still_hold_its_central_audit(rules, calendar_for):
    """§3.9.2: the central service has « l'obligation de réaliser chaque année un audit de suivi du service public
    central »; with no local service left to draw the central follow-up audit must still be possible."""
    d = year_n(rules, calendar_for(), n=5, tiers=["bronze"] * 3)
    followup_year(d, 1, ["bronze", "bronze"])
    assert d.state.phase == CentralPhase.labelled
    d.pass_to(PREP2)
    assert d.sample(2) == []
    d.pass_to(date(2028, 4, 14))
    d.send(audit_dates(date(2028, 5, 16)))  # inside 1 April – 1 August 2028


# ---------------------------------------------------------------------------------------------- shortfall
@pytest.mark.parametrize(("n", "tiers", "more", "required"), [(9, ["bronze", "bronze", None], 1, 3),
                                                               (100, ["or"] * 6 + [None] * 4, 6, 8)])
def test_fewer_than_75_percent_labelled_asks_for_more_services(rules, calendar_for, n, tiers, more, required):
    """§3.9.2: 2 of 3 labelled, ⌈2.25⌉ = 3 needed → 1 more (3 of 4 ≥ ⌈3⌉); 6 of 10, 8 needed → 6 more
    (12 of 16 ≥ ⌈12⌉, while 11 of 15 < ⌈11.25⌉ = 12)."""
    d = in_shortfall(rules, calendar_for(), n, tiers)
    assert d.state.phase == CentralPhase.shortfall
    [entry] = d.entries("network_shortfall")
    audited, labelled = len(tiers), len([t for t in tiers if t])
    assert f"{labelled} of {audited} audited local services labelled" in entry.summary
    assert f"present at least {more} more" in entry.summary and "§3.9.2" in entry.summary
    assert any(f"Present at least {more} more" in note.subject for e in d.effects for note in e.notes)
    assert f"{required} required (⌈75 % × {audited}⌉)" in entry.summary  # required: ⌈0.75 × audited⌉ by hand below
    message = d.refused(audit_dates(VISIT1))
    assert message == ("fewer than 75 % of the audited local services are labelled: present more services before the "
                       "central audit (§3.9.2)")
    assert d.state.label_status == LabelStatus.valid  # « pourra être suspendu »: the body's decision, not automatic


def test_the_shortfall_messages_read_the_share_from_the_rules(rules, calendar_for):
    """The share is the rule file's (central.yaml criteria.local_labelled_min_share), not a 75 written in the code:
    at 80 % (a DITP choice), 2 of 3 labelled, ⌈0.8 × 3⌉ = ⌈2.4⌉ = 3 required."""
    criteria = rules.central.criteria.at(PREP1).model_dump()
    eighty = with_rule(rules, "central", "criteria", {**criteria, "local_labelled_min_share": Decimal("0.8")})
    d = in_shortfall(eighty, calendar_for(), 9, ["bronze", "bronze", None])
    [entry] = d.entries("network_shortfall")
    assert "2 of 3 audited local services labelled, 3 required (⌈80 % × 3⌉)" in entry.summary
    assert d.refused(audit_dates(VISIT1)).startswith("fewer than 80 % of the audited local services are labelled")


def test_a_random_extension_draws_among_services_not_yet_audited(rules, calendar_for):
    """§3.9.2: the added service is one never audited in this cycle, drawn with a recorded seed; once it is
    labelled, 3 of 4 reach ⌈75 % × 4⌉ = 3 and the central follow-up audit can be scheduled."""
    d = in_shortfall(rules, calendar_for(), 9, ["bronze", "bronze", None])
    audited = list(d.state.audited)
    assert len(audited) == 6
    effects = d.send(extend(count=1))
    draw = d.state.samples[-1]
    assert draw.population == sorted(set(d.state.network_ids) - set(audited))
    assert random.Random(draw.seed).sample(draw.population, 1) == draw.drawn
    [added] = draw.drawn
    assert added not in audited and [s.id for s in effects.start_locals] == [added]
    assert d.state.phase == CentralPhase.network_audits and d.sample(1)[-1] == added
    assert str(draw.seed) in d.entries("sample_drawn")[-1].summary
    d.local(added, "bronze")
    assert d.state.phase == CentralPhase.central_audit
    d.send(audit_dates(VISIT1))


def test_an_extension_that_still_falls_short_asks_again(rules, calendar_for):
    """§3.9.2: « pour atteindre le minimum de 75% »: the added service refused, 2 of 4 < ⌈3⌉ → 4 more
    needed, all to be labelled (6 of 8 ≥ ⌈6⌉; 5 of 7 < ⌈5.25⌉ = 6)."""
    d = in_shortfall(rules, calendar_for(), 9, ["bronze", "bronze", None])
    d.send(extend(count=1))
    d.local(d.sample(1)[-1], None)
    assert d.state.phase == CentralPhase.shortfall
    assert "present at least 4 more" in d.entries("network_shortfall")[-1].summary


def test_a_named_extension_refuses_services_already_audited(rules, calendar_for):
    """§3.9.2: « parmi les services non encore audités » — neither a service of year N nor one of N+1."""
    d = in_shortfall(rules, calendar_for(), 9, ["bronze", "bronze", None])
    for already in (d.sample(0)[0], d.sample(1)[2]):
        message = d.refused(extend(services=[already]))
        assert already in message and "already audited" in message
    fresh = next(s for s in d.state.network_ids if s not in d.state.audited)
    effects = d.send(extend(services=[fresh]))
    assert [s.id for s in effects.start_locals] == [fresh] and d.sample(1)[-1] == fresh
    assert d.state.sample_year[fresh] == 1


def test_an_extension_larger_than_the_services_left_is_refused(rules, calendar_for):
    d = in_shortfall(rules, calendar_for(), 9, ["bronze", "bronze", None])  # 6 audited, 3 left
    assert "only 3" in d.refused(extend(count=4))
    assert "count" in d.refused(extend())
    assert "caf-9999" in d.refused(extend(services=["caf-9999"]))


# ---------------------------------------------------------------------------------------------- the follow-up window
@pytest.mark.parametrize(("start", "end"), [(OPENS1, OPENS1), (CLOSES1, CLOSES1), (OPENS1, CLOSES1)])
def test_follow_up_dates_inside_the_window_are_accepted(rules, calendar_for, start, end):
    """§3.9.2: « dans un délai de 2 mois entourant la date théorique » 1 June 2027: 1 April – 1 August, ends included."""
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1)
    d.decide_sample(["argent"] * 4, PREP1, 1)
    d.send(audit_dates(start, end))
    assert d.state.current_audit.year == 1


@pytest.mark.parametrize(("start", "end"), [(OPENS1 - DAY, OPENS1), (CLOSES1, CLOSES1 + DAY), (CLOSES1 + DAY, CLOSES1 + DAY)])
def test_follow_up_dates_outside_the_window_are_refused(rules, calendar_for, start, end):
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1)
    d.decide_sample(["argent"] * 4, PREP1, 1)
    message = d.refused(audit_dates(start, end))
    assert "2027-04-01" in message and "2027-08-01" in message and "§3.9.2" in message


# ---------------------------------------------------------------------------------------------- outcomes
def test_confirmed_when_most_of_the_years_labels_hold_the_central_tier(rules, calendar_for):
    """§3.9.2: held argent; N+1 argent, argent, or, bronze → argent → confirmed; the annex « est complétée »."""
    d = year_n(rules, calendar_for())
    year0 = [l.id for l in d.state.attestation.locals]
    followup_year(d, 1, ["argent", "or", "argent", "bronze"])
    audit = d.state.audits[-1]
    assert audit.proposal_tier == "argent" and audit.outcome == "confirmed" and audit.decided_on == DECIDED1
    att = d.state.attestation
    assert att.tier == "argent" and att.valid_from == DECIDED and att.expires == EXPIRY
    assert [l.id for l in att.locals] == year0 + d.sample(1)
    assert all(l.year == 2027 and l.decided_on == LOCALS_DECIDED1 for l in att.locals[3:])
    assert d.state.phase == CentralPhase.labelled
    assert d.deadline("central.followup1.window_closes").status == DeadlineStatus.met


def test_a_higher_tier_when_most_of_the_years_labels_are_higher(rules, calendar_for):
    """§3.9.2: held argent; N+1 or, or, or, argent → or; the attestation's tier changes, not its validity
    (§5.2: the end date does not change); the annex lists the new labels."""
    d = year_n(rules, calendar_for())
    followup_year(d, 1, ["or", "or", "argent", "or"])
    audit = d.state.audits[-1]
    assert audit.proposal_tier == "or" and audit.outcome == "higher_tier"
    att = d.state.attestation
    assert (att.tier, att.tier_label) == ("or", "Or")
    assert att.valid_from == DECIDED and att.expires == EXPIRY and att.last_valid_day == date(2029, 5, 31)
    assert len(att.locals) == 7 and {(l.tier, l.year) for l in att.locals[3:]} == {("or", 2027), ("argent", 2027)}


def test_a_lower_majority_keeps_the_held_tier(rules, calendar_for):
    """§3.9.2 names only « confirmé » and « palier supérieur »; a lower majority is not a scenario of the guide.
    This tests the Open default of rules/central.yaml followup_lower_majority, keep_held_tier: the engine proposes
    the tier held (argent), as the follow-ups « n'ont pas pour objet de remettre en cause l'attribution du label »
    (§3.9)."""
    assert rules.central.followup_lower_majority.at(VISIT1) == "keep_held_tier"
    d = year_n(rules, calendar_for())
    followup_year(d, 1, ["bronze", "bronze", "bronze", "argent"])
    assert d.state.audits[-1].proposal_tier == "argent" and d.state.attestation.tier == "argent"
    assert d.state.audits[-1].outcome == "confirmed"
    assert "lower, the held tier kept (central.followup_lower_majority)" in d.entries("central_visit")[-1].summary


@pytest.mark.parametrize(("setting", "proposed", "outcome"), [("majority_tier", "bronze", "lower_tier"),
                                                              (None, "argent", "confirmed")])
def test_a_lower_majority_gives_the_tier_the_rule_file_says(rules, calendar_for, setting, proposed, outcome):
    """followup_lower_majority: majority_tier (a DITP choice) proposes the tier most of the year's labels obtained
    (3 bronze of 4 → bronze), decided without a reason; rules pinned before the setting existed (None) keep the
    held argent, as those cycles did."""
    changed = with_rule(rules, "central", "followup_lower_majority", setting)
    d = year_n(changed, calendar_for())
    followup_year(d, 1, ["bronze", "bronze", "bronze", "argent"])
    audit = d.state.audits[-1]
    assert (audit.proposal_tier, d.state.attestation.tier, audit.outcome) == (proposed, proposed, outcome)
    assert audit.decided_tier == proposed and "overriding" not in d.entries("central_decision")[-1].summary


def test_missing_survey_reports_of_the_labelled_local_services_give_no_label(rules, calendar_for):
    """§2.2.2, 4th condition: « dans le cadre de ses audits annuels de suivi, … la réalisation annuelle des enquêtes
    usagers et agents par ses services publics locaux déjà labellisés »."""
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1)
    d.pass_to(LOCALS_DECIDED1)
    d.decide_sample(["argent"] * 4, LOCALS_DECIDED1, 1)
    d.self_assessments(2027)
    labelled = [l.id for l in d.state.attestation.locals]
    d.surveys(2027, [s for s in d.state.network_ids if s != labelled[0]])
    d.audit_to_decision(VISIT1, yes_no(20, 0))
    assert d.state.current_audit.proposal_labelled is False
    assert "reports missing" in d.entries("central_visit")[-1].summary


# ---------------------------------------------------------------------------------------------- below 75 % of control points
def below_minimum(rules, calendar) -> CentralDriver:
    """14 of 20 control points at the N+1 follow-up: decided (as the rules give) on 31 May 2027."""
    d = year_n(rules, calendar)
    followup_year(d, 1, ["argent"] * 4, points=yes_no(14, 6), decide=False)
    assert d.state.current_audit.proposal_tier is None
    d.decide(DECIDED1, None)
    return d


def test_below_75_percent_of_control_points_asks_for_an_action_plan_within_a_month(rules, calendar_for):
    """§3.9.2: « un plan d'action, à proposer dans un délai d'un mois »: 31 May 2027 + 1 month = 30 June 2027."""
    d = below_minimum(rules, calendar_for())
    assert d.state.phase == CentralPhase.action_plan and d.state.label_status == LabelStatus.valid
    assert d.state.audits[-1].outcome == "below_minimum"
    assert d.deadline("central.action_plan").due == date(2027, 6, 30)
    assert d.state.attestation.tier == "argent"


def test_an_action_plan_in_time_settles_the_label(rules, calendar_for):
    d = below_minimum(rules, calendar_for())
    d.pass_to(date(2027, 6, 30))
    d.send({"type": "central_action_plan", "received_on": "2027-06-30"})
    assert d.state.phase == CentralPhase.labelled and d.state.label_status == LabelStatus.valid
    assert d.deadline("central.action_plan").status == DeadlineStatus.met
    d.pass_to(date(2027, 7, 2))
    assert d.state.phase == CentralPhase.labelled


def test_a_missed_action_plan_suspends_then_withdraws_after_twelve_months(rules, calendar_for):
    """§3.9.2 « à défaut, le label pourra être suspendu » (procedures.yaml: applied on the first day it is missed,
    1 July 2027); §5.3.1: at most 12 months → 1 July 2028; §5.3.2: withdrawn, the mark dropped within 2 months."""
    auto = rules.procedures.automatic_actions.at(DECIDED1)
    assert auto.suspend_when_action_plan_missing and auto.withdraw_when_suspension_not_lifted
    d = below_minimum(rules, calendar_for())
    d.pass_to(date(2027, 6, 30))
    assert d.state.phase == CentralPhase.action_plan
    d.pass_to(date(2027, 7, 1))
    assert d.state.phase == CentralPhase.suspended and d.state.label_status == LabelStatus.suspended
    assert d.state.suspended_on == date(2027, 7, 1) and d.state.suspension_reason == "no-action-plan"
    assert d.deadline("central.action_plan").status == DeadlineStatus.missed
    assert d.deadline("suspension.max").due == date(2028, 7, 1)
    d.pass_to(date(2028, 6, 30))
    assert d.state.label_status == LabelStatus.suspended
    d.pass_to(date(2028, 7, 1))
    assert d.state.phase == CentralPhase.withdrawn and d.state.label_status == LabelStatus.withdrawn
    assert d.state.withdrawal == {"reason": "suspension-not-lifted", "effective": "2028-07-01", "mark_removed_by": "2028-09-01"}
    assert not [k for k, dl in d.state.deadlines.items() if dl.status == DeadlineStatus.open and k != "withdrawal.mark_removal"]


def test_an_action_plan_after_the_suspension_lifts_it_without_extending_validity(rules, calendar_for):
    """§3.9.2 « suspendu jusqu'à production du plan d'actions »; §5.3.1: « la levée de la suspension n'entraîne pas
    de prolongation de la durée de validité »."""
    d = below_minimum(rules, calendar_for())
    d.pass_to(date(2027, 9, 15))
    d.send({"type": "central_action_plan", "received_on": "2027-09-15"})
    assert d.state.phase == CentralPhase.labelled and d.state.label_status == LabelStatus.valid
    assert d.deadline("suspension.max").status == DeadlineStatus.cancelled
    assert d.state.attestation.expires == EXPIRY


def test_no_action_plan_is_expected_from_a_labelled_service(rules, calendar_for):
    d = year_n(rules, calendar_for())
    assert "no action plan is due" in d.refused({"type": "central_action_plan", "received_on": DECIDED.isoformat()})


# ---------------------------------------------------------------------------------------------- suspension and the network
def test_a_suspension_leaves_the_local_labels_alone(rules, calendar_for):
    """§3.9.2 note: « dans le cas d'une décision de suspension du label attribué au service public central, les
    services publics locaux audités et labellisés conservent le bénéfice du résultat de leur audit »."""
    d = year_n(rules, calendar_for())
    d.pass_to(date(2026, 9, 1))
    effects = d.send({"type": "suspension", "reason": "own-request", "effective": "2026-09-01"})
    assert effects.tell_locals == {} and effects.start_locals == []
    assert d.state.label_status == LabelStatus.suspended
    assert "local labels stand" in d.entries("suspension")[-1].summary


def test_a_suspension_during_a_shortfall_still_lets_more_services_be_presented(rules, calendar_for):
    """§3.9.2: « En l'attente de la labellisation du nombre de services publics locaux labellisés requis, le label
    du service public central pourra être suspendu » — the suspension waits for the services to be presented."""
    d = in_shortfall(rules, calendar_for(), 9, ["bronze", "bronze", None])
    d.send({"type": "suspension", "reason": "own-request", "effective": LOCALS_DECIDED1.isoformat()})
    effects = d.send(extend(count=1))
    assert len(effects.start_locals) == 1


def test_local_decisions_received_during_a_suspension_still_lead_to_the_central_audit(rules, calendar_for):
    """§3.9.2 (N+1 sample drawn at the preparation date), §5.3.1 (a suspension is lifted once the service complies):
    a suspension for a reorganisation between the draw and the local decisions must not lose the year's audits."""
    d = year_n(rules, calendar_for())
    d.pass_to(PREP1 + DAY)
    d.send({"type": "suspension", "reason": "own-request", "effective": (PREP1 + DAY).isoformat()})
    d.pass_to(LOCALS_DECIDED1)
    d.decide_sample(["argent"] * 4, LOCALS_DECIDED1, 1)
    d.send({"type": "suspension_lifted", "effective": LOCALS_DECIDED1.isoformat()})
    d.send(audit_dates(VISIT1))


def test_year_n_is_the_year_of_the_audits_not_of_the_contract(rules, calendar_for):
    """§3.1 (audits in « années N, N+1 et N+2 »), §3.9.2 (« N étant l'année d'obtention du label »), §2.2.2 (annual
    self-assessment in every local service): contract 1 October 2026, local decisions 15 January 2027, central visit
    9 February 2027 with the 2027 self-assessments of all 16 services → labelled."""
    d = CentralDriver(rules, calendar_for(), today=date(2026, 10, 1), n=16, contract_signed=date(2026, 10, 1))
    d.pass_to(date(2027, 1, 15))
    d.decide_sample(["bronze"] * 4, date(2027, 1, 15))
    d.self_assessments(2027)
    d.audit_to_decision(date(2027, 2, 9), yes_no(15, 5))
    assert d.state.current_audit.proposal_labelled is True


def test_a_service_named_twice_in_an_extension_is_refused(rules, calendar_for):
    """§3.9.2: « un ou plusieurs services publics locaux supplémentaires » are presented « pour atteindre le minimum
    de 75% » — each service counts once. A list naming one twice is refused as a whole (a slip the body corrects),
    not silently read as one service: nothing is drawn, no local cycle starts; named once, it is added once."""
    d = in_shortfall(rules, calendar_for(), 9, ["bronze", "bronze", None])
    fresh = next(s for s in d.state.network_ids if s not in d.state.audited)
    assert d.refused(extend(services=[fresh, fresh])) == "services: a service is named twice"
    assert fresh not in d.state.audited and d.state.stage == CentralPhase.shortfall
    effects = d.send(extend(services=[fresh]))
    assert [s.id for s in effects.start_locals] == [fresh]
    assert d.state.audited.count(fresh) == 1


def test_a_follow_up_decided_below_the_held_tier_is_not_recorded_as_confirmed(rules, calendar_for):
    """§3.9.2: « confirme le label dans le palier attribué lors de l'audit initial » — a decision that lowers the
    tier (argent → bronze, against the rules, with a reason) is not a confirmation."""
    d = year_n(rules, calendar_for())
    followup_year(d, 1, ["argent"] * 4, decide=False)
    d.decide(d.today, "bronze", reason="the commission's reading")
    assert d.state.attestation.tier == "bronze"
    assert d.state.audits[-1].outcome == "lower_tier"
