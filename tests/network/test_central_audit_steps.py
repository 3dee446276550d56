"""The central audit step by step, from its dates to the decision with its corrective actions (§3.7.2, §3.8.2).

What the guide says (seed 002):

* §3.7.2: « l'audit du service public central est organisé après que les services publics locaux rattachés
  au candidat auront été audités (et les résultats d'audit disponibles pour chacun d'entre eux) ».
* §3.7.2, the plan: « communiqué au plus tard 10 jours ouvrés avant l'évaluation sur site »
  (rules/deadlines.yaml audit_plan: 10 working_days before visit_start).
* §3.7.2, the visit: each control point « 0 point : non validé (« non ») – 1 point : validé (« oui ») »;
  §2.2.2: labelled with « 75% des points de contrôle validés ».
* §3.7.2, the report: « transmis au service public central candidat … dans un délai de 21 jours après la
  visite de l'auditeur » (rules/deadlines.yaml report: 21 days after visit_end).
* §3.7.2, corrective actions: « À compter de la date de réception du rapport, le candidat bénéficie de
  10 jours pour transmettre, si nécessaire, ses propositions d'actions correctives à l'auditeur … L'auditeur
  juge de la pertinence des actions correctives proposées puis transmet le rapport complet (ie. grille
  d'audit complétée et plan d'actions proposé) à l'organisme de certification pour décision »
  (rules/deadlines.yaml central_corrective_actions: 10 days after report_received).
* §3.8.2: « Il adjoint à sa décision le plan d'actions proposé par le service public et validé par ses
  soins le cas échéant. » The auditor's judgement (« juge de la pertinence ») comes before the decision, one
  verdict per proposal; the plan attached to the decision holds the proposals judged relevant.
* shared/domain.md « Counting dates »: « N working days before X » steps back over N working days (X not
  counted), Monday–Friday less the territory's public holidays; « N days after X » is X + N calendar days;
  a deadline on a weekend or holiday is not moved (Open: rules/calendars.yaml deadline_on_non_working_day: keep).

Dates of this file, all in metropolitan France, year N = 2026 (every one counted by hand below):
the four sampled local services decided on Wednesday 15 April 2026; the central visit on Monday 18 and
Tuesday 19 May 2026.

* Plan: 10 working days before Monday 18 May 2026, the 18th not counted: Fri 15 (1), Thu 14 is Ascension
  (Easter 2026 is 5 April, + 39 days), Wed 13 (2), Tue 12 (3), Mon 11 (4), Fri 8 May is a holiday, Thu 7 (5),
  Wed 6 (6), Tue 5 (7), Mon 4 (8), Fri 1 May is a holiday, Thu 30 April (9), Wed 29 April (10)
  → due Wednesday 29 April 2026.
* Report: 21 days after the visit's last day, Tuesday 19 May 2026 → 19 + 21 = 40 May = Tuesday 9 June 2026.
* Corrective actions: the report received Wednesday 3 June 2026 → 3 + 10 = Saturday 13 June 2026; a
  Saturday, kept there (the Open default, not moved to Monday 15 June).
"""

from __future__ import annotations

from datetime import date, timedelta

from spplus.lifecycle import LabelStatus
from spplus.lifecycle.state import DeadlineStatus
from spplus.network.state import CentralPhase

from .central_driver import CentralDriver, yes_no

DAY = timedelta(days=1)

LOCALS_DECIDED = date(2026, 4, 15)
VISIT_START, VISIT_END = date(2026, 5, 18), date(2026, 5, 19)
PLAN_DUE = date(2026, 4, 29)  # 10 working days before 18 May 2026 (see the module's docstring)
REPORT_DUE = date(2026, 6, 9)  # 19 May + 21 days
REPORT_SENT, REPORT_RECEIVED = date(2026, 6, 2), date(2026, 6, 3)
CORRECTIVE_DUE = date(2026, 6, 13)  # 3 June + 10 days, a Saturday, not moved (Open default: keep)

ACTIONS = "Point 7 (comité national d'usagers): réunion semestrielle dès septembre 2026, compte rendu publié"
OTHER = "Point 12 (référents locaux): une note de rappel aux directeurs"


def audit_dates(start: date = VISIT_START, end: date = VISIT_END) -> dict:
    return {"type": "central_audit_dates", "visit_start": start.isoformat(), "visit_end": end.isoformat()}


def plan(on: date) -> dict:
    return {"type": "audit_plan", "sent_on": on.isoformat(), "auditors": ["E. Roux", "P. Martin"]}


def report(sent: date = REPORT_SENT, received: date = REPORT_RECEIVED) -> dict:
    return {"type": "report", "sent_on": sent.isoformat(), "received_on": received.isoformat()}


def corrective(received: date, text: str = ACTIONS) -> dict:
    return {"type": "corrective_actions", "received_on": received.isoformat(), "text": text}


def judged(on: date, relevant: list[bool]) -> dict:
    return {"type": "corrective_actions_judged", "judged_on": on.isoformat(), "relevant": relevant}


def decision(on: date, tier: str | None) -> dict:
    return {"type": "central_decision", "decided_on": on.isoformat(), "tier": tier}


def network_audited(rules, calendar) -> CentralDriver:
    """n = 16: ⌈√16⌉ = 4 local services sampled (§3.1); three labelled (argent, argent, or), one refused: 3 of 4
    ≥ ⌈75 % × 4⌉ = 3, the majority tier argent (§2.2.2); every local service's 2026 self-assessment produced."""
    d = CentralDriver(rules, calendar, n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(["argent", "argent", "or", None], LOCALS_DECIDED)
    d.self_assessments(2026)
    return d


def visited(rules, calendar, points: list[bool] | None = None) -> CentralDriver:
    """Dates set on 15 April, plan sent on 20 April (on time), visit recorded on its last day."""
    d = network_audited(rules, calendar)
    d.send(audit_dates())
    d.pass_to(date(2026, 4, 20))
    d.send(plan(date(2026, 4, 20)))
    d.pass_to(VISIT_END)
    d.send({"type": "central_visit", "control_points": points or yes_no(16, 4)})
    return d


def reported(rules, calendar) -> CentralDriver:
    d = visited(rules, calendar)
    d.pass_to(REPORT_RECEIVED)
    d.send(report())
    return d


def breach_keys(d: CentralDriver) -> list[str]:
    return [e.data.get("key") for e in d.entries("breach")]


def notes(d: CentralDriver) -> list[str]:
    return [n.key for e in d.effects for n in e.notes]


def mentions(entry, text: str) -> bool:
    """Whether a timeline entry carries ``text``, in its summary or in its data."""
    return text in entry.summary or any(text in str(value) for value in entry.data.values())


# ---------------------------------------------------------------------------------------------- the whole audit
def test_the_central_audit_step_by_step_to_a_decision_with_its_corrective_actions(rules, calendar_for):
    d = CentralDriver(rules, calendar_for(), n=16)
    sample = d.sample(0)
    assert len(sample) == 4  # ⌈√16⌉ (§3.1)

    # 1. §3.7.2: the central audit is organised after its sampled local services were audited and decided.
    d.pass_to(LOCALS_DECIDED)
    assert "after its sampled local services are audited (§3.7.2)" in d.refused(audit_dates())
    d.decide_sample(["argent", "argent", "or", None], LOCALS_DECIDED)
    d.self_assessments(2026)
    assert d.state.phase == CentralPhase.central_audit

    # 2. Dates: the plan is due 10 working days before the visit, Wednesday 29 April 2026 (module docstring).
    d.send(audit_dates())
    plan_deadline = d.deadline("central.audit1.audit_plan")
    assert plan_deadline.due == PLAN_DUE
    assert plan_deadline.computed.rule == "deadlines.audit_plan" and "§3.7.2" in plan_deadline.computed.reference
    assert "10 working days" in plan_deadline.computed.explanation

    # 3. The plan on its last day is on time; the body was told on the day that it was due.
    d.pass_to(PLAN_DUE - DAY)
    assert "due:central.audit1.audit_plan" not in notes(d)
    d.pass_to(PLAN_DUE)
    assert "due:central.audit1.audit_plan" in notes(d)
    d.send(plan(PLAN_DUE))
    assert d.deadline("central.audit1.audit_plan").status == DeadlineStatus.met
    assert d.state.current_audit.plan_sent == PLAN_DUE

    # 4. The visit: its yes/no control points are recorded from its last day on (§3.7.2).
    d.pass_to(VISIT_START)
    assert "2026-05-19" in d.refused({"type": "central_visit", "control_points": yes_no(16, 4)})
    d.pass_to(VISIT_END)
    d.send({"type": "central_visit", "control_points": yes_no(16, 4)})
    audit = d.state.current_audit
    # 16/20 = 80 % ≥ 75 % (§2.2.2); 3 of 4 local services labelled ≥ ⌈3⌉; majority of argent, argent, or: argent.
    assert audit.proposal_labelled is True and audit.proposal_tier == "argent"
    assert "16/20 control points validated" in d.entries("central_visit")[-1].summary
    assert d.state.phase == CentralPhase.decision

    # 5. The report is due 21 days after the visit's last day: Tuesday 9 June 2026.
    report_deadline = d.deadline("central.audit1.report")
    assert report_deadline.due == REPORT_DUE
    assert report_deadline.computed.rule == "deadlines.report" and "§3.7.2" in report_deadline.computed.reference
    d.pass_to(REPORT_RECEIVED)
    refused = d.refused(report(VISIT_START, REPORT_RECEIVED))  # « après la visite »: not before its last day
    assert "sent_on" in refused and "2026-05-19" in refused
    d.send(report())
    assert d.deadline("central.audit1.report").status == DeadlineStatus.met
    assert d.state.current_audit.report_received == REPORT_RECEIVED

    # 6. Ten days for corrective actions from the receipt (3 June): Saturday 13 June 2026, kept on the Saturday
    #    (Open default of rules/calendars.yaml deadline_on_non_working_day: keep).
    window = d.deadline("central.audit1.corrective_actions")
    assert window.due == CORRECTIVE_DUE
    assert window.computed.rule == "deadlines.central_corrective_actions" and "§3.7.2" in window.computed.reference
    # Without corrective actions, no decision inside the window: the candidate's 10 days come first.
    assert "2026-06-13" in d.refused(decision(REPORT_RECEIVED, "argent"))
    assert "received_on" in d.refused(corrective(REPORT_RECEIVED - DAY))  # before the report's receipt

    # 7. Corrective actions proposed on 5 June and on the window's last day (13 June); the second recorded the day
    #    after, dated when it came. Nothing is judged before a proposal exists.
    assert "no corrective actions were proposed" in d.refused(judged(REPORT_RECEIVED, [True]))
    d.pass_to(date(2026, 6, 5))
    d.send(corrective(date(2026, 6, 5), OTHER))
    d.pass_to(CORRECTIVE_DUE + DAY)
    assert "2026-06-13" in d.refused(corrective(CORRECTIVE_DUE + DAY))  # one day late: see the test below
    d.send(corrective(CORRECTIVE_DUE))
    assert d.state.current_audit.corrective_actions == [OTHER, ACTIONS]
    assert [e.on for e in d.entries("corrective_actions")] == [date(2026, 6, 5), CORRECTIVE_DUE]

    # 8. §3.7.2: « L'auditeur juge de la pertinence des actions correctives proposées puis transmet le rapport complet
    #    … pour décision »: no decision before the judgement; one verdict per proposal; not before the last proposal.
    decided = date(2026, 6, 15)
    d.pass_to(decided)
    assert "corrective_actions_judged" in d.refused(decision(decided, "argent"))
    assert "2 proposed, 1 verdict" in d.refused(judged(decided, [True]))
    assert "judged_on" in d.refused(judged(CORRECTIVE_DUE - DAY, [False, True]))
    d.send(judged(date(2026, 6, 14), [False, True]))
    assert d.state.current_audit.corrective_judgement == [False, True]
    [verdict] = d.entries("corrective_actions_judged")
    assert verdict.on == date(2026, 6, 14) and "1 of 2 judged relevant (proposal(s) 2); not relevant: proposal(s) 1" in verdict.summary
    assert "were judged on 2026-06-14" in d.refused(judged(decided, [True, True]))  # judged once
    assert "decided_on" in d.refused(decision(date(2026, 6, 13), "argent"))  # the decision follows the judgement

    # 9. §3.8.2: the body decides the rules' tier and « adjoint à sa décision le plan d'actions proposé … et validé »:
    #    the proposal judged relevant (ACTIONS), not the other.
    d.send(decision(decided, "argent"))
    assert d.state.phase == CentralPhase.labelled and d.state.label_status == LabelStatus.valid
    att = d.state.attestation
    assert (att.tier, att.valid_from, att.expires) == ("argent", decided, date(2029, 6, 15))  # §2.3: 3 years
    assert {l.id for l in att.locals} == set(sample[:3])  # the three labelled local services (§3.8.2)
    decided_audit = d.state.audits[-1]
    assert decided_audit.decided_on == decided and decided_audit.corrective_actions == [OTHER, ACTIONS]
    assert decided_audit.judged_on == date(2026, 6, 14)
    [entry] = d.entries("central_decision")
    assert mentions(entry, ACTIONS), f"the decision does not carry the corrective actions attached to it: {entry}"
    assert entry.data["action_plan"] == [ACTIONS]
    assert entry.data["corrective_judgement"] == {"judged_on": "2026-06-14", "relevant": [False, True]}
    assert "judged not relevant: " + OTHER in entry.summary
    assert d.state.breaches == 0
    assert not {"central.audit1.audit_plan", "central.audit1.report"} & set(breach_keys(d))


def test_corrective_actions_let_the_decision_come_before_the_window_ends(rules, calendar_for):
    """§3.7.2: once the candidate has proposed its corrective actions and the auditor has judged them, the complete
    report goes to the body « pour décision »: the body need not wait for the rest of the 10 days."""
    d = reported(rules, calendar_for())
    d.pass_to(date(2026, 6, 5))
    d.send(corrective(date(2026, 6, 5)))
    d.send(judged(date(2026, 6, 5), [True]))
    d.send(decision(date(2026, 6, 5), "argent"))
    assert d.state.phase == CentralPhase.labelled
    assert d.deadline("central.audit1.corrective_actions").status == DeadlineStatus.done  # closed by the decision, no breach
    assert d.state.breaches == 0


# ---------------------------------------------------------------------------------------------- late corrective actions
def test_late_corrective_actions_are_not_taken_and_the_decision_goes_on_without_them(rules, calendar_for):
    """§3.7.2: the candidate « bénéficie de 10 jours » from the receipt (3 June → 13 June 2026) « pour transmettre, si
    nécessaire » its proposals: proposals dated 14 June are refused, naming the last day and the rule; proposing none
    is no breach (« si nécessaire »: a right, not an obligation); the body then decides without them."""
    d = reported(rules, calendar_for())
    d.pass_to(CORRECTIVE_DUE)
    assert d.state.breaches == 0
    d.pass_to(CORRECTIVE_DUE + DAY)
    before = len(d.state.timeline)
    message = d.refused(corrective(CORRECTIVE_DUE + DAY))
    assert "received_on" in message and "2026-06-13" in message and "10 days" in message
    assert d.state.current_audit.corrective_actions == []
    assert len(d.state.timeline) == before
    assert d.state.breaches == 0
    assert d.deadline("central.audit1.corrective_actions").status == DeadlineStatus.done  # the window closed, no breach
    d.send(decision(CORRECTIVE_DUE + DAY, "argent"))
    assert d.state.phase == CentralPhase.labelled and d.state.audits[-1].corrective_actions == []
    assert d.state.breaches == 0


def test_corrective_actions_before_the_report_are_refused(rules, calendar_for):
    """§3.7.2: they answer the report (« à compter de la date de réception du rapport »)."""
    d = visited(rules, calendar_for())
    assert "report" in d.refused(corrective(VISIT_END))


# ---------------------------------------------------------------------------------------------- the central audit's deadlines
def test_a_plan_one_working_day_late_is_a_breach(rules, calendar_for):
    """§3.7.2: « au plus tard 10 jours ouvrés avant »: due 29 April 2026; nothing by the end of that day is a breach
    on Thursday 30 April, counted once even when the plan then comes."""
    d = network_audited(rules, calendar_for())
    d.send(audit_dates())
    d.pass_to(PLAN_DUE)
    assert d.state.breaches == 0
    d.pass_to(PLAN_DUE + DAY)
    assert d.deadline("central.audit1.audit_plan").status == DeadlineStatus.missed
    assert breach_keys(d) == ["central.audit1.audit_plan"] and d.state.breaches == 1
    [entry] = d.entries("breach")
    assert entry.on == date(2026, 4, 30)
    assert "breach:central.audit1.audit_plan" in notes(d)
    d.send(plan(PLAN_DUE + DAY))
    assert d.state.breaches == 1
    assert d.state.current_audit.plan_sent == PLAN_DUE + DAY


def test_a_plan_for_a_visit_after_the_may_holidays_is_due_before_them(rules, calendar_for):
    """§3.7.2 with a different visit: Tuesday 12 May 2026 → Mon 11 (1), [Fri 8 May], Thu 7 (2), Wed 6 (3), Tue 5 (4),
    Mon 4 (5), [Fri 1 May], Thu 30 (6), Wed 29 (7), Tue 28 (8), Mon 27 (9), Fri 24 April (10) → 24 April 2026."""
    d = network_audited(rules, calendar_for())
    d.send(audit_dates(date(2026, 5, 12), date(2026, 5, 12)))
    assert d.deadline("central.audit1.audit_plan").due == date(2026, 4, 24)


def test_the_report_on_day_21_is_met_and_on_day_22_a_breach(rules, calendar_for):
    """§3.7.2: « dans un délai de 21 jours après la visite »: visit ending 19 May 2026 → 9 June met, 10 June a breach."""
    on_time = visited(rules, calendar_for())
    on_time.pass_to(REPORT_DUE)
    on_time.send(report(REPORT_DUE, REPORT_DUE))
    assert on_time.deadline("central.audit1.report").status == DeadlineStatus.met and on_time.state.breaches == 0
    # Its corrective-actions window counts from that receipt: 9 June + 10 = Friday 19 June 2026.
    assert on_time.deadline("central.audit1.corrective_actions").due == date(2026, 6, 19)

    late = visited(rules, calendar_for())
    late.pass_to(REPORT_DUE)
    assert late.state.breaches == 0
    late.pass_to(REPORT_DUE + DAY)
    assert late.deadline("central.audit1.report").status == DeadlineStatus.missed
    assert breach_keys(late) == ["central.audit1.report"] and late.state.breaches == 1
    assert late.entries("breach")[-1].on == date(2026, 6, 10)
    late.send(report(REPORT_DUE + DAY, REPORT_DUE + DAY))
    assert late.state.breaches == 1


def test_a_report_sent_on_day_21_but_recorded_later_is_no_breach(rules, calendar_for):
    """§3.7.2 and the digest (« deadlines and breaches count from the fact's own date »): sent on 9 June 2026,
    recorded on 12 June, the report was within its 21 days."""
    d = visited(rules, calendar_for())
    d.pass_to(date(2026, 6, 12))
    assert d.state.breaches == 1  # counted when 9 June passed with nothing recorded
    d.send(report(REPORT_DUE, REPORT_DUE))
    assert d.deadline("central.audit1.report").status == DeadlineStatus.met
    assert d.state.breaches == 0


def test_a_central_audit_below_75_percent_of_control_points_gives_no_label(rules, calendar_for):
    """§2.2.2, §3.7.2: 14 « oui » of 20 = 70 % < 75 %: the rules give no label; deciding one needs a written reason."""
    d = visited(rules, calendar_for(), points=yes_no(14, 6))
    assert d.state.current_audit.proposal_labelled is False and d.state.current_audit.proposal_tier is None
    d.pass_to(REPORT_RECEIVED)
    d.send(report())
    d.pass_to(CORRECTIVE_DUE + DAY)
    assert "reason" in d.refused(decision(CORRECTIVE_DUE + DAY, "argent"))


# ---------------------------------------------------------------------------------------------- the follow-up's audit
def test_a_follow_up_central_audit_has_its_own_plan_report_and_corrective_action_dates(rules, calendar_for):
    """§3.9.2: the follow-up central audit runs as the initial one (§3.7.2), with its own numbered deadlines.
    Labelled 1 June 2026 (central_driver's year N); N+1 visit on Tuesday 11 May 2027:
    plan 10 working days before: Mon 10 (1), Fri 7 (2), [Thu 6 May, Ascension 2027: Easter 28 March + 39], Wed 5 (3),
    Tue 4 (4), Mon 3 (5), Fri 30 April (6), Thu 29 (7), Wed 28 (8), Tue 27 (9), Mon 26 April (10) → 26 April 2027;
    report 11 May + 21 days = 1 June 2027; received 20 May 2027 → corrective actions by 30 May 2027."""
    from .central_driver import followup_year, year_n

    d = year_n(rules, calendar_for(), n=16)
    followup_year(d, 1, ["bronze", "argent", "argent", "argent"], decide=False)
    assert len(d.state.audits) == 2
    assert d.deadline("central.audit2.audit_plan").due == date(2027, 4, 26)
    assert d.deadline("central.audit2.report").due == date(2027, 6, 1)
    assert d.deadline("central.audit2.corrective_actions").due == date(2027, 5, 30)
    assert d.deadline("central.audit2.audit_plan").status == DeadlineStatus.met
    assert d.deadline("central.audit2.report").status == DeadlineStatus.met
    # year N's deadlines stay as they were
    assert d.deadline("central.audit1.corrective_actions").due == date(2026, 5, 31)


# ---------------------------------------------------------------------------------------------- before the judgement existed
def test_a_central_cycle_opened_before_the_patch_decides_without_a_judgement(rules, calendar_for):
    """workflows/central.py: a central cycle whose run began before its patch (behaviour 0) decides on the corrective
    actions as proposed, as it did, and refuses a judgement it never had."""
    d = reported(rules, calendar_for())
    d.state.behaviour = 0
    d.pass_to(date(2026, 6, 5))
    d.send(corrective(date(2026, 6, 5)))
    assert "opened before the auditor's judgement" in d.refused(judged(date(2026, 6, 5), [True]))
    d.send(decision(date(2026, 6, 5), "argent"))
    [entry] = d.entries("central_decision")
    assert mentions(entry, ACTIONS) and "action_plan" not in entry.data


def test_the_judgement_of_a_follow_up_audit_goes_with_its_decision(rules, calendar_for):
    """§3.9.2 (« Il adjoint à sa décision le plan d'actions proposé … et validé »), as at the initial audit (§3.7.2): the
    N+1 central audit's report received 20 May 2027 (central_driver), a proposal on 25 May judged relevant on 28 May,
    the follow-up decided on 31 May 2027 with it attached."""
    from .central_driver import followup_year, year_n

    d = year_n(rules, calendar_for(), n=16)
    followup_year(d, 1, ["argent", "argent", "argent", "argent"], decide=False)
    d.pass_to(date(2027, 5, 25))
    d.send(corrective(date(2027, 5, 25)))
    d.pass_to(date(2027, 5, 31))
    assert "corrective_actions_judged" in d.refused(decision(date(2027, 5, 31), "argent"))
    d.send(judged(date(2027, 5, 28), [True]))
    d.send(decision(date(2027, 5, 31), d.state.current_audit.proposal_tier))
    entry = d.entries("central_decision")[-1]
    assert entry.data["action_plan"] == [ACTIONS] and d.state.audits[-1].judged_on == date(2027, 5, 28)
