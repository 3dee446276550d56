"""Prerequisites checked when the visit is recorded (§3.1, §3.4, §3.5.1).

* §3.1 / §3.5.1: a self-assessment « réalisé … dans les 12 mois précédant la date d'audit » —
  one dated exactly 12 months before the audit counts, one day older does not.
* §3.4: survey results for an initial audit « devront dater de moins de 6 mois » — exactly
  6 months old is too old, one day younger is fine.
* §3.4.1 / §3.4.2: a survey is valid with enough admissible questionnaires (users: ≥ 50 and ≥ 5 %).
* §3.4 note: results that cannot reach bronze (users < 70, agents < 50) → a new campaign may be
  asked for 6 months after the first one closed.
"""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta

from spplus.lifecycle import Phase

from .test_cycle_basics import (
    VISIT_END, VISIT_START, agent_survey, audit_dates, dossier, new_driver, plan, self_assessment, user_survey, visit,
)

SA_OK = date(2026, 1, 8)
SURVEY_OK = date(2026, 1, 8)


def at_visit(d, *, sa: date | None = SA_OK, user: date | None = SURVEY_OK, agent: date | None = SURVEY_OK,
             user_admissible: int = 150, with_dossier: bool = True):
    """Record the given prerequisites (dates in the past), schedule the 10–11 March 2026 visit, reach its last day."""
    d.pass_to(date(2026, 1, 12))
    if sa is not None:
        d.send(self_assessment(sa))
    if user is not None:
        d.send(user_survey(user, admissible=user_admissible))
    if agent is not None:
        d.send(agent_survey(agent))
    d.send(audit_dates(VISIT_START, VISIT_END))
    if with_dossier:
        d.pass_to(date(2026, 2, 2))
        d.send(dossier(d.today))
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    return d


def test_all_prerequisites_met_the_visit_is_recorded(rules, calendar_for):
    d = at_visit(new_driver(rules, calendar_for))
    d.send(visit(60))
    assert d.state.phase == Phase.audit
    assert d.state.current_audit.scores is not None


def test_missing_self_assessment_refuses_the_visit(rules, calendar_for):
    """§3.1: « avant tout audit de labellisation, un autodiagnostic »."""
    d = at_visit(new_driver(rules, calendar_for), sa=None)
    message = d.refused(visit(60))
    assert "self-assessment" in message
    assert "§3.1" in message
    assert "prerequisites" in message


def test_self_assessment_after_the_visit_start_does_not_count(rules, calendar_for):
    """§3.1: the self-assessment comes before the audit; one done on the visit's 2nd day is not « avant »."""
    d = at_visit(new_driver(rules, calendar_for), sa=None)
    d.send(self_assessment(VISIT_END))
    assert "self-assessment" in d.refused(visit(60))


def test_self_assessment_exactly_twelve_months_before_the_visit_is_accepted(rules, calendar_for):
    """§3.5.1: « dans les 12 mois précédant la date d'audit » includes the day 12 months before."""
    twelve_months = VISIT_START - relativedelta(months=12)
    assert twelve_months == date(2025, 3, 10)
    d = at_visit(new_driver(rules, calendar_for), sa=twelve_months)
    d.send(visit(60))
    assert d.state.phase == Phase.audit


def test_self_assessment_one_day_older_is_refused_and_the_message_says_from_when(rules, calendar_for):
    """§3.5.1: a self-assessment of 9 March 2025 is older than 12 months at a 10 March 2026 audit."""
    d = at_visit(new_driver(rules, calendar_for), sa=date(2025, 3, 9))
    message = d.refused(visit(60))
    assert "self-assessment" in message
    assert "2025-03-10" in message  # what to do: a self-assessment dated from 10 March 2025 on


def test_survey_exactly_six_months_old_is_refused(rules, calendar_for):
    """§3.4: « devront dater de moins de 6 mois »: 10 September 2025 is not less than 6 months before 10 March 2026."""
    six_months = VISIT_START - relativedelta(months=6)
    assert six_months == date(2025, 9, 10)
    d = at_visit(new_driver(rules, calendar_for), user=six_months)
    message = d.refused(visit(60))
    assert "user survey" in message
    assert "2025-09-11" in message  # what to do: results closed from 11 September 2025 on


def test_survey_one_day_younger_than_six_months_is_accepted(rules, calendar_for):
    """§3.4: 11 September 2025 is less than 6 months before 10 March 2026."""
    d = at_visit(new_driver(rules, calendar_for), user=date(2025, 9, 11), agent=date(2025, 9, 11))
    d.send(visit(60))
    assert d.state.phase == Phase.audit


def test_agent_survey_too_old_is_refused_too(rules, calendar_for):
    """§3.4: both surveys must be less than 6 months old."""
    d = at_visit(new_driver(rules, calendar_for), agent=date(2025, 9, 10))
    assert "agent survey" in d.refused(visit(60))


@pytest.mark.parametrize("missing", ["user", "agent"])
def test_a_missing_survey_refuses_the_visit(rules, calendar_for, missing):
    """§3.4: « avant tout audit … doit disposer des résultats aux enquêtes usagers et agents »."""
    d = at_visit(new_driver(rules, calendar_for), **{missing: None})
    message = d.refused(visit(60))
    assert f"{missing} survey" in message


def test_invalid_user_survey_is_recorded_but_refuses_the_visit_with_the_reason(rules, calendar_for):
    """§3.4.1: « un minimum de 50 questionnaires recevables »: 49 is not valid."""
    d = at_visit(new_driver(rules, calendar_for), user_admissible=49)
    assert d.state.surveys["user"].valid is False  # recorded, flagged
    message = d.refused(visit(60))
    assert "user survey is not valid" in message
    assert "49" in message and "50" in message


def test_user_survey_with_a_return_rate_below_five_percent_is_invalid(rules, calendar_for):
    """§3.4.1: 60 admissible of 1,500 solicited is a 4 % return rate, below the 5 % required."""
    d = new_driver(rules, calendar_for)
    d.send(user_survey(date(2026, 1, 5), admissible=60, solicited=1500))
    assert d.state.surveys["user"].valid is False
    d.send(user_survey(date(2026, 1, 5), admissible=75, solicited=1500))  # exactly 5 %
    assert d.state.surveys["user"].valid is True


def test_missing_dossier_refuses_the_visit(rules, calendar_for):
    """§3.5.1: the dossier is deposited before the audit."""
    d = at_visit(new_driver(rules, calendar_for), with_dossier=False)
    assert "dossier" in d.refused(visit(60))


def test_prerequisites_follow_a_postponed_visit(rules, calendar_for):
    """§3.5.1: the 12 months count back from the audit date; postponing the audit can make a self-assessment too old."""
    d = new_driver(rules, calendar_for)
    d.pass_to(date(2026, 1, 12))
    d.send(self_assessment(date(2025, 3, 10)))  # exactly 12 months before 10 March 2026
    d.send(user_survey(SURVEY_OK))
    d.send(agent_survey(SURVEY_OK))
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.send(audit_dates(date(2026, 3, 17), date(2026, 3, 18)))  # postponed one week
    d.pass_to(date(2026, 3, 18))
    assert "self-assessment" in d.refused(visit(60))


def test_too_low_user_survey_sets_the_new_campaign_reminder_six_months_after_closing(rules, calendar_for):
    """§3.4 note: user note < 70 → « 6 mois après la clôture de la campagne initiale »."""
    d = new_driver(rules, calendar_for, today=date(2026, 3, 31))
    closed = date(2026, 3, 31)
    d.send(user_survey(closed, note="69.99"))
    reminder = d.deadline("survey.user.new_campaign")
    assert reminder.due == date(2026, 9, 30)  # 31 March + 6 months, clamped to 30 September
    assert reminder.due == closed + relativedelta(months=6)
    d.pass_to(date(2026, 9, 29))
    assert not any(n.key == "reminder:survey.user.new_campaign" for n in d.notes)
    d.pass_to(date(2026, 9, 30))
    assert any(n.key == "reminder:survey.user.new_campaign" for n in d.notes)


def test_too_low_agent_survey_sets_the_new_campaign_reminder(rules, calendar_for):
    """§3.4 note: agent note < 50 cannot reach bronze either."""
    d = new_driver(rules, calendar_for)
    d.send(agent_survey(date(2026, 1, 5), note="49.5"))
    assert d.deadline("survey.agent.new_campaign").due == date(2026, 7, 5)


def test_surveys_at_the_bronze_floor_set_no_reminder(rules, calendar_for):
    """§3.4 note and §2.2.1: user 70 and agent 50 reach bronze (« atteint le score minimal »)."""
    d = new_driver(rules, calendar_for)
    d.send(user_survey(date(2026, 1, 5), note=70))
    d.send(agent_survey(date(2026, 1, 5), note=50))
    assert "survey.user.new_campaign" not in d.state.deadlines
    assert "survey.agent.new_campaign" not in d.state.deadlines


def test_an_older_campaign_recorded_afterwards_does_not_replace_the_recent_one(rules, calendar_for):
    """§3.4: the candidate must have results less than 6 months old; it has (8 January 2026) whatever else is recorded."""
    d = new_driver(rules, calendar_for)
    d.pass_to(date(2026, 1, 12))
    d.send(self_assessment(SA_OK))
    d.send(user_survey(SURVEY_OK))
    d.send(agent_survey(SURVEY_OK))
    d.send(user_survey(date(2025, 6, 1), note=72))  # last year's campaign, uploaded for the record
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.pass_to(VISIT_END)
    d.send(visit(60))
    assert d.state.phase == Phase.audit
