"""Every reminder and deadline closes when what it is about happens, or when it can no longer happen (issue 12).

« Both surveys should be launched (recommended) » stayed open (and in agenda.ics) after both surveys
were recorded; the follow-up target reminder fired after the follow-up was decided; the renewal
invitation fired while the label was suspended, though a renewal is then refused (§3.10: the
labelled service is invited; §5.3.1: a suspended label is not renewed). This module walks every
deadline the local cycle can set — the list is derived from rules/deadlines.yaml and from the code's
``set_deadline`` calls, and checked complete, so that a new kind cannot be forgotten — drives a cycle
with the pure core to where it is set, does what it reminds of (or makes it impossible), and checks it
is no longer open, and that a reminder closed so is never sent.

Dates (as in the other modules of this folder): contract 5 January 2026, prerequisites 12 January,
visit 10–11 March, report 20 March, decision 1 April 2026 → follow-up preparation 1 April 2027,
window 1 August – 1 December 2027 around the target 1 October 2027, renewal invitation 1 July 2028,
expiry 1 April 2029.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml

from spplus.lifecycle.state import DeadlineStatus

from .driver import Driver
from .test_cycle_basics import (
    DAY, PREP_DAY, REPORT_DAY, VISIT_END, VISIT_START, agent_survey, audit_dates, decision, dossier, full_audit,
    labelled, new_driver, plan, prepared_audit, prerequisites, report, self_assessment, user_survey, visit,
)

ROOT = Path(__file__).resolve().parents[2]
apply_module = importlib.import_module("spplus.lifecycle.apply")  # the package's `apply` names the function
OPENS, TARGET, CLOSES = date(2027, 8, 1), date(2027, 10, 1), date(2027, 12, 1)
INVITATION, EXPIRY = date(2028, 7, 1), date(2029, 4, 1)

# Every kind of deadline the local cycle sets (its key, numbers and survey kinds written as {n} and
# {kind}) and the rule of rules/deadlines.yaml it is computed with; None for a date the body's notification
# gives (the withdrawal's effective date, §5.3.2), whose rule is NOTIFIED_WITHDRAWAL.
FAMILIES: dict[str, str | None] = {
    "audit{n}.dossier": "dossier",
    "audit{n}.audit_plan": "audit_plan",
    "audit{n}.survey_launch_recommended": "survey_launch_recommended",
    "audit{n}.complements": "complements",
    "audit{n}.report": "report",
    "audit{n}.observations": "observations",
    "survey.{kind}.new_campaign": "new_survey_campaign",
    "refusal.new_application": "new_application",
    "label.followup_preparation": "followup_preparation",
    "label.followup_window_opens": "followup_window",
    "label.followup_target": "followup_target",
    "label.followup_window_closes": "followup_window",
    "label.renewal_invitation": "renewal_invitation",
    "label.expiry": "validity",
    "label.action_plan": "action_plan",
    "network.local_surveys": "network_local_surveys",
    "suspension.max": "suspension_max",
    "withdrawal.mark_removal": "mark_removal",
    "self_assessment.year{n}": "annual_self_assessment",
    "withdrawal.effective": None,
}

# The rules of deadlines.yaml that open no deadline of the local cycle, and why.
NOT_A_LOCAL_DEADLINE: dict[str, str] = {
    "survey_max_age": "an age limit, checked against the surveys when the visit is scored (§3.4)",
    "self_assessment_max_age": "an age limit, checked against the self-assessment when the visit is scored (§3.1)",
    "quality_indicators_min_age": "an age limit on the dossier's indicators (§3.5.1), never a dated deadline",
    "young_local_label_age": "an age limit read when a central label is withdrawn (§5.3.2), never a dated deadline",
    "late_followup_target": "opens no deadline of its own: it dates label.followup_target again when a central label is "
                            "withdrawn after the local follow-up window closed (Open; tests/network/test_local_in_network.py)",
    "central_corrective_actions": "the central cycle's (spplus/network/machine.py)",
    "central_followups": "the central cycle's (spplus/network/machine.py)",
    "central_followup_window": "the central cycle's (spplus/network/machine.py)",
}

# Every ``set_deadline`` call of the local cycle (spplus/lifecycle/*.py), by the source of its key
# argument, and the families it sets. A new call fails test_every_set_deadline_call_is_known until it
# is listed here, with a scenario below.
CALL_SITES: dict[str, set[str]] = {
    "f'survey.{event.kind}.new_campaign'": {"survey.{kind}.new_campaign"},
    "key": {"audit{n}.dossier", "audit{n}.audit_plan", "audit{n}.survey_launch_recommended", "audit{n}.complements"},
    "audit_key(audit, 'complements')": {"audit{n}.complements"},
    "audit_key(audit, 'report')": {"audit{n}.report"},
    "audit_key(audit, 'observations')": {"audit{n}.observations"},
    "'refusal.new_application'": {"refusal.new_application"},
    "'network.local_surveys'": {"network.local_surveys"},
    "'label.renewal_invitation'": {"label.renewal_invitation"},
    "invitation.key": {"label.renewal_invitation"},  # set again when a suspension is lifted
    "'label.expiry'": {"label.expiry"},
    "'label.followup_preparation'": {"label.followup_preparation"},
    "'label.followup_window_opens'": {"label.followup_window_opens"},
    "'label.followup_target'": {"label.followup_target"},
    "'label.followup_window_closes'": {"label.followup_window_closes"},
    "'label.action_plan'": {"label.action_plan"},
    "'suspension.max'": {"suspension.max"},
    "'withdrawal.mark_removal'": {"withdrawal.mark_removal"},
    "f'self_assessment.year{number}'": {"self_assessment.year{n}"},
    "'withdrawal.effective'": {"withdrawal.effective"},
}


def family(key: str) -> str:
    key = re.sub(r"^self_assessment\.year\d+$", "self_assessment.year{n}", key)
    return re.sub(r"^survey\.(user|agent)\.", "survey.{kind}.", re.sub(r"^audit\d+\.", "audit{n}.", key))


def is_open(d: Driver, key: str) -> bool:
    return key in {x.key for x in d.state.open_deadlines()}


def never_sent(d: Driver, key: str) -> None:
    """The deadline is closed, and letting its date pass sends nothing for it."""
    deadline = d.deadline(key)
    assert deadline.status != DeadlineStatus.open, key
    before = len(d.notes)
    d.pass_to(max(d.today, deadline.due + DAY))
    assert not [n.key for n in d.notes[before:] if n.key.endswith(f":{key}")], key
    assert not is_open(d, key)


# ------------------------------------------------------------------------------------- completeness
def test_every_rule_of_deadlines_yaml_is_accounted_for(rules):
    """A rule added to rules/deadlines.yaml must say which deadline it opens (and get a scenario) or why none."""
    in_file = set(yaml.safe_load((ROOT / "rules" / "deadlines.yaml").read_text(encoding="utf-8")))
    assert in_file == set(type(rules.deadlines).model_fields)
    rules_used = {rule for rule in FAMILIES.values() if rule is not None}
    assert not rules_used & set(NOT_A_LOCAL_DEADLINE)
    assert rules_used | set(NOT_A_LOCAL_DEADLINE) == in_file


def test_every_set_deadline_call_is_known():
    """Every place the local cycle sets a deadline is listed above (so every kind has its scenario below)."""
    found: set[str] = set()
    for path in sorted((ROOT / "spplus" / "lifecycle").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "set_deadline":
                found.add(ast.unparse(node.args[2]))
    assert found == set(CALL_SITES), f"unlisted: {found - set(CALL_SITES)}; gone: {set(CALL_SITES) - found}"
    assert set().union(*CALL_SITES.values()) == set(FAMILIES)


def test_every_kind_has_a_scenario():
    assert set(SCENARIOS) == set(FAMILIES)


# ----------------------------------------------------------------------------------------- scenarios
SCENARIOS: dict[str, Callable[..., None]] = {}


def scenario(*families: str):
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        for name in families:
            SCENARIOS[name] = fn
        return fn
    return register


@scenario("audit{n}.dossier", "audit{n}.audit_plan")
def _dossier_and_plan(rules, calendar_for) -> None:
    """§3.5.1, §3.7.1: the dossier and the plan meet their deadlines when they arrive."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert is_open(d, "audit1.dossier") and is_open(d, "audit1.audit_plan")
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.send(plan(d.today))
    assert d.deadline("audit1.dossier").status == d.deadline("audit1.audit_plan").status == DeadlineStatus.met
    never_sent(d, "audit1.dossier")
    never_sent(d, "audit1.audit_plan")


@scenario("audit{n}.survey_launch_recommended")
def _surveys_launched(rules, calendar_for) -> None:
    """§3.4: launching both surveys 2 months before the audit is recommended; once both are recorded the
    reminder is done (a visit on 10 June 2026: the reminder falls on 10 April)."""
    d = new_driver(rules, calendar_for)
    d.pass_to(PREP_DAY)
    d.send(self_assessment(PREP_DAY))
    d.send(audit_dates(date(2026, 6, 10)))
    key = "audit1.survey_launch_recommended"
    assert d.deadline(key).due == date(2026, 4, 10) and is_open(d, key)
    d.pass_to(date(2026, 2, 2))
    d.send(user_survey(d.today))
    assert is_open(d, key)  # one survey is not both
    d.pass_to(date(2026, 3, 2))
    d.send(agent_survey(d.today))
    assert d.deadline(key).status == DeadlineStatus.met and d.deadline(key).closed_on == date(2026, 3, 2)
    never_sent(d, key)


@scenario("audit{n}.complements")
def _complements(rules, calendar_for) -> None:
    """§3.5.2: complements asked for reach the body before the visit."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today, ["identification", "organisation-chart"]))
    d.send({"type": "complements_requested", "requested_on": d.today.isoformat(), "items": ["training-plan"]})
    assert is_open(d, "audit1.complements")
    d.pass_to(date(2026, 2, 9))
    d.send(dossier(d.today, ["training-plan"]))
    assert d.deadline("audit1.complements").status == DeadlineStatus.met
    never_sent(d, "audit1.complements")


@scenario("audit{n}.report", "audit{n}.observations")
def _report_and_observations(rules, calendar_for) -> None:
    """§3.7.1: the report meets its deadline; the observations window closes with the decision."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    prepared_audit(d, VISIT_START, VISIT_END)
    d.send(visit(60))
    assert is_open(d, "audit1.report")
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    assert d.deadline("audit1.report").status == DeadlineStatus.met
    assert is_open(d, "audit1.observations")
    d.send({"type": "observations", "received_on": REPORT_DAY.isoformat(), "text": "engagement 3: see the annex"})
    d.send(decision(REPORT_DAY, "bronze"))  # observations received: the body may decide at once
    assert d.deadline("audit1.observations").status == DeadlineStatus.done
    never_sent(d, "audit1.report")
    never_sent(d, "audit1.observations")


@scenario("survey.{kind}.new_campaign")
def _new_campaign(rules, calendar_for) -> None:
    """§3.4, note: results that cannot reach bronze → a new campaign may be asked for 6 months after; a new
    campaign recorded closes that reminder, whichever the survey."""
    for kind, poor, good in (("user", user_survey(PREP_DAY, 60), user_survey(date(2026, 3, 2), 75)),
                             ("agent", agent_survey(PREP_DAY, 40), agent_survey(date(2026, 3, 2), 55))):
        d = new_driver(rules, calendar_for)
        d.pass_to(PREP_DAY)
        d.send(poor)
        key = f"survey.{kind}.new_campaign"
        assert d.deadline(key).due == date(2026, 7, 12) and is_open(d, key)
        d.pass_to(date(2026, 3, 2))
        d.send(good)
        assert d.deadline(key).status == DeadlineStatus.met
        never_sent(d, key)


@scenario("refusal.new_application")
def _new_application(rules, calendar_for) -> None:
    """§3.8.1: the date a new application is accepted comes and the cycle closes; an appeal upheld cancels it (§5.1)."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    refused_on = full_audit(d, VISIT_START, 40, None, end=VISIT_END)
    assert is_open(d, "refusal.new_application")
    d.pass_to(d.deadline("refusal.new_application").due)
    assert d.deadline("refusal.new_application").status == DeadlineStatus.done and d.state.finished

    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    refused_on = full_audit(d, VISIT_START, 60, None, end=VISIT_END, reason="the sample of users is not representative")
    d.send({"type": "appeal", "lodged_on": refused_on.isoformat(), "grounds": "the sample was representative"})
    d.send({"type": "appeal_decision", "decided_on": refused_on.isoformat(), "outcome": "upheld", "tier": "bronze"})
    assert d.deadline("refusal.new_application").status == DeadlineStatus.cancelled
    never_sent(d, "refusal.new_application")


def followup_ready(rules, calendar_for) -> Driver:
    d = labelled(rules, calendar_for)
    # §3.9.1: a self-assessment in year 1 of the label (to 12 January 2027, 12 months after the one of 12 January 2026
    # the initial audit used), which the follow-up checks; the one of 1 March 2027 is year 2's.
    d.pass_to(date(2027, 1, 4))
    d.send(self_assessment(d.today))
    d.pass_to(date(2027, 3, 1))
    d.send(self_assessment(d.today))
    d.send(user_survey(d.today))
    d.send(agent_survey(d.today))
    return d


@scenario("label.followup_preparation", "label.followup_window_opens")
def _followup_scheduled(rules, calendar_for) -> None:
    """§3.9.1: once the follow-up audit is scheduled (on 1 March 2027, for 1 October), its preparation
    (1 April 2027) and the window's opening (1 August) need no reminder."""
    d = followup_ready(rules, calendar_for)
    for key in ("label.followup_preparation", "label.followup_window_opens", "label.followup_target"):
        assert is_open(d, key)
    d.send(audit_dates(TARGET, kind="followup"))
    for key in ("label.followup_preparation", "label.followup_window_opens"):
        assert d.deadline(key).status == DeadlineStatus.met and d.deadline(key).closed_on == date(2027, 3, 1)
    assert is_open(d, "label.followup_target")  # the audit has not taken place yet
    never_sent(d, "label.followup_preparation")
    never_sent(d, "label.followup_window_opens")


@scenario("label.followup_target", "label.followup_window_closes")
def _followup_held(rules, calendar_for) -> None:
    """§3.9.1: a follow-up held early in its window (2 August 2027) closes the target reminder (1 October)
    and the window; the decision leaves no follow-up reminder behind."""
    d = followup_ready(rules, calendar_for)
    held = date(2027, 8, 2)
    prepared_audit(d, held, kind="followup")
    d.send(visit(60))
    assert d.deadline("label.followup_target").status == DeadlineStatus.met
    assert d.deadline("label.followup_window_closes").status == DeadlineStatus.met
    d.pass_to(date(2027, 8, 12))
    d.send(report(d.today))
    d.pass_to(date(2027, 8, 23))
    d.send(decision(d.today, "bronze"))
    assert not [k for k in d.state.deadlines if k.startswith("label.followup") and is_open(d, k)]
    never_sent(d, "label.followup_target")
    never_sent(d, "label.followup_window_closes")
    assert d.state.breaches == 0


@scenario("label.renewal_invitation")
def _renewal_invitation(rules, calendar_for) -> None:
    """§3.10: a renewal asked before the invitation closes it; a suspension cancels it (a suspended label
    is not renewed, §5.3.1) and a lifting before its date sets it again; lifted after it, it stays cancelled."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2028, 3, 1))
    d.send({"type": "renewal", "requested_on": d.today.isoformat(), "contract_signed": d.today.isoformat()})
    assert d.deadline("label.renewal_invitation").status == DeadlineStatus.met

    d = labelled(rules, calendar_for)
    d.pass_to(date(2028, 3, 1))
    d.send({"type": "suspension", "reason": "own-request", "effective": d.today.isoformat()})
    assert d.deadline("label.renewal_invitation").status == DeadlineStatus.cancelled
    d.pass_to(date(2028, 5, 1))
    d.send({"type": "suspension_lifted", "effective": d.today.isoformat()})
    assert is_open(d, "label.renewal_invitation") and d.deadline("label.renewal_invitation").due == INVITATION
    d.pass_to(INVITATION)
    assert any(n.key == "reminder:label.renewal_invitation" for n in d.notes)  # the label holds again: invited

    d = labelled(rules, calendar_for)
    d.pass_to(date(2028, 3, 1))
    d.send({"type": "suspension", "reason": "own-request", "effective": d.today.isoformat()})
    never_sent(d, "label.renewal_invitation")  # 1 July 2028 passes while suspended: nothing sent
    d.pass_to(date(2028, 8, 1))
    d.send({"type": "suspension_lifted", "effective": d.today.isoformat()})
    assert d.deadline("label.renewal_invitation").status == DeadlineStatus.cancelled
    assert not any(n.key == "reminder:label.renewal_invitation" for n in d.notes)


@scenario("label.expiry")
def _expiry(rules, calendar_for) -> None:
    """§2.3, §5.3.2: the expiry is a transition: it happens on its date, and is done."""
    d = labelled(rules, calendar_for)
    d.pass_to(EXPIRY)
    assert d.deadline("label.expiry").status == DeadlineStatus.done


@scenario("label.action_plan")
def _action_plan(rules, calendar_for) -> None:
    """§3.9.1: a follow-up below the minimum asks an action plan within a month; it arrives."""
    d = followup_ready(rules, calendar_for)
    decided = full_audit(d, TARGET, 45, None, kind="followup")
    assert is_open(d, "label.action_plan")
    d.send({"type": "action_plan", "received_on": decided.isoformat()})
    assert d.deadline("label.action_plan").status == DeadlineStatus.met
    never_sent(d, "label.action_plan")


@scenario("network.local_surveys")
def _network_surveys(rules, calendar_for) -> None:
    """§3.9.2, notes: a local service labelled through its central service runs both surveys within 18 months."""
    d = labelled(rules, calendar_for, network="central-cnaf")
    assert is_open(d, "network.local_surveys")
    d.pass_to(date(2027, 3, 1))
    d.send(user_survey(d.today))
    d.send(agent_survey(d.today))
    assert d.deadline("network.local_surveys").status == DeadlineStatus.met
    never_sent(d, "network.local_surveys")


@scenario("suspension.max")
def _suspension_max(rules, calendar_for) -> None:
    """§5.3.1: a suspension lifted no longer reaches its longest duration."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 1, 4))
    d.send({"type": "suspension", "reason": "mark-misuse", "effective": d.today.isoformat()})
    assert is_open(d, "suspension.max")
    d.pass_to(date(2027, 2, 1))
    d.send({"type": "suspension_lifted", "effective": d.today.isoformat()})
    assert d.deadline("suspension.max").status == DeadlineStatus.cancelled
    never_sent(d, "suspension.max")


@scenario("withdrawal.mark_removal")
def _mark_removal(rules, calendar_for) -> None:
    """§5.3.2: after a withdrawal the mark is dropped within 2 months; that date comes and the cycle ends;
    every other date of the label was cancelled by the withdrawal."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 1, 4))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": d.today.isoformat()})
    assert [x.key for x in d.state.open_deadlines()] == ["withdrawal.mark_removal"]
    d.pass_to(date(2027, 3, 4))
    assert d.deadline("withdrawal.mark_removal").status == DeadlineStatus.done and d.state.finished


@scenario("self_assessment.year{n}")
def _yearly_self_assessment(rules, calendar_for) -> None:
    """§3.9.1: « réalisent chaque année un autodiagnostic »: year 1 of the label runs from 13 January 2026 to 12 January
    2027 (12 months after the self-assessment of 12 January 2026 the initial audit used); one done on 4 January 2027
    closes its reminder, never sent; year 2's (12 January 2028) stays open, and a self-assessment of year 2 closes it."""
    d = labelled(rules, calendar_for)
    assert is_open(d, "self_assessment.year1") and d.deadline("self_assessment.year1").due == date(2027, 1, 12)
    d.pass_to(date(2027, 1, 4))
    d.send(self_assessment(d.today))
    assert d.deadline("self_assessment.year1").status == DeadlineStatus.met
    assert d.deadline("self_assessment.year1").closed_on == date(2027, 1, 4)
    assert is_open(d, "self_assessment.year2")
    never_sent(d, "self_assessment.year1")
    d.pass_to(date(2027, 6, 1))
    d.send(self_assessment(d.today))
    assert d.deadline("self_assessment.year2").status == DeadlineStatus.met
    never_sent(d, "self_assessment.year2")


@scenario("withdrawal.effective")
def _withdrawal_effective(rules, calendar_for) -> None:
    """§5.3.2: a withdrawal notified on 4 January 2027 for 1 February 2027 takes effect on its date, and is done; a
    withdrawal then made effective at once (15 January) leaves nothing of the one notified to take effect."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 1, 4))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "notified_on": "2027-01-04", "effective": "2027-02-01"})
    assert is_open(d, "withdrawal.effective")
    d.pass_to(date(2027, 2, 1))
    assert d.deadline("withdrawal.effective").status == DeadlineStatus.done
    assert d.state.label_status.value == "withdrawn"

    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 1, 4))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "notified_on": "2027-01-04", "effective": "2027-02-01"})
    d.pass_to(date(2027, 1, 15))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": "2027-01-15"})
    assert d.deadline("withdrawal.effective").status == DeadlineStatus.cancelled
    never_sent(d, "withdrawal.effective")


@pytest.mark.parametrize("run", sorted(set(SCENARIOS.values()), key=lambda fn: fn.__name__), ids=lambda fn: fn.__name__.strip("_"))
def test_each_deadline_closes_when_its_object_happens_or_becomes_impossible(rules, calendar_for, monkeypatch, run):
    """Each scenario sets its deadlines, closes them, and sets nothing the lists above do not know."""
    seen: list[str] = []
    real = apply_module.set_deadline

    def recording(state, today, key, kind, computed, what, on=None):
        seen.append(key)
        assert family(key) in FAMILIES, f"{key}: a deadline this module does not know"
        rule = FAMILIES[family(key)]
        assert computed.rule == (f"deadlines.{rule}" if rule is not None else apply_module.NOTIFIED_WITHDRAWAL), (key, computed.rule)
        return real(state, today, key, kind, computed, what, on)

    monkeypatch.setattr(apply_module, "set_deadline", recording)
    run(rules, calendar_for)
    mine = {f for f, fn in SCENARIOS.items() if fn is run}
    assert mine <= {family(k) for k in seen}
