"""Quality indicators in place « depuis au moins 6 mois » (§3.5.1), checked when the visit's scores are recorded.

The dossier lists each quality indicator and the date it was put in place. At the visit's prerequisites each is
checked against deadlines.quality_indicators_min_age (at least 6 months before the audit's start, exactly 6 months
counting) and, when younger, procedures.quality_indicators_too_recent says what happens: refuse (the rules in force,
an Open choice) or flag (the visit taken, a warning on the timeline). A dossier that lists no indicator is not
checked, as before; neither are cycles whose pinned rules predate the setting.

The audit here starts on 10 March 2026 (the visit of test_cycle_basics): 6 months before it, counted by hand, is
10 September 2025 — an indicator in place on that day or earlier passes, one from 11 September 2025 on does not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from spplus.lifecycle import Phase

from .driver import Driver, with_rule
from .test_cycle_basics import VISIT_END, VISIT_START, agent_survey, audit_dates, dossier, new_driver, plan, self_assessment, user_survey, visit

SEVEN_MONTHS = date(2025, 8, 10)  # 10 March 2026 − 7 months
FIVE_MONTHS = date(2025, 10, 10)  # 10 March 2026 − 5 months
LIMIT = "2025-09-10"  # 10 March 2026 − 6 months: the latest date an indicator may have been put in place


def indicators(**since: date) -> list[dict[str, Any]]:
    return [{"id": id_.replace("_", "-"), "in_place_since": day.isoformat()} for id_, day in since.items()]


def at_visit(d: Driver, quality_indicators: list[dict[str, Any]] | None) -> Driver:
    """Every other prerequisite met, the dossier sent with these indicators (or without the field), the visit's last day reached."""
    d.pass_to(date(2026, 1, 12))
    d.send(self_assessment(date(2026, 1, 8)))
    d.send(user_survey(date(2026, 1, 8)))
    d.send(agent_survey(date(2026, 1, 8)))
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    event = dossier(d.today)
    if quality_indicators is not None:
        event["quality_indicators"] = quality_indicators
    d.send(event)
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    return d


def warnings(d: Driver) -> list[str]:
    return [e.summary for e in d.state.timeline if e.kind == "quality_indicators_warning"]


def test_the_rules_in_force_refuse_recent_indicators(rules) -> None:
    assert rules.procedures.quality_indicators_too_recent.at(VISIT_START) == "refuse"


def test_indicators_seven_months_old_at_the_audit_the_visit_is_accepted(rules, calendar_for) -> None:
    d = at_visit(new_driver(rules, calendar_for), indicators(delai_courriers=SEVEN_MONTHS, accueil_tel=SEVEN_MONTHS))
    d.send(visit(60))
    assert d.state.phase == Phase.audit and d.state.current_audit.scores is not None
    assert warnings(d) == []
    entry = next(e for e in d.state.timeline if e.kind == "dossier")
    assert entry.data["quality_indicators"] == indicators(delai_courriers=SEVEN_MONTHS, accueil_tel=SEVEN_MONTHS)


def test_an_indicator_five_months_old_refuses_the_visit_naming_it(rules, calendar_for) -> None:
    d = at_visit(new_driver(rules, calendar_for), indicators(delai_courriers=SEVEN_MONTHS, accueil_tel=FIVE_MONTHS))
    message = d.refused(visit(60))
    assert "prerequisites" in message
    assert "'accueil-tel'" in message and "2025-10-10" in message  # the indicator and its date
    assert LIMIT in message and "6 months" in message  # the minimum: in place on 10 September 2025 or earlier
    assert "§3.5.1" in message
    assert "delai-courriers" not in message  # the old enough one is not named
    assert d.state.current_audit.scores is None


@pytest.mark.parametrize(("since", "accepted"), [(date(2025, 9, 10), True), (date(2025, 9, 11), False)])
def test_exactly_six_months_counts(rules, calendar_for, since: date, accepted: bool) -> None:
    """« depuis au moins 6 mois »: in place on 10 September 2025 is 6 months at 10 March 2026; a day later is not."""
    d = at_visit(new_driver(rules, calendar_for), indicators(accueil_tel=since))
    if accepted:
        d.send(visit(60))
        assert d.state.phase == Phase.audit
    else:
        assert LIMIT in d.refused(visit(60))


def test_the_flag_setting_takes_the_visit_with_a_warning(rules, calendar_for) -> None:
    flagged = with_rule(rules, "procedures", "quality_indicators_too_recent", "flag")
    d = at_visit(new_driver(flagged, calendar_for), indicators(delai_courriers=SEVEN_MONTHS, accueil_tel=FIVE_MONTHS))
    d.send(visit(60))
    assert d.state.phase == Phase.audit and d.state.current_audit.scores is not None
    [warning] = warnings(d)
    assert "'accueil-tel'" in warning and "2025-10-10" in warning and LIMIT in warning and "§3.5.1" in warning
    assert "delai-courriers" not in warning
    entry = next(e for e in d.state.timeline if e.kind == "quality_indicators_warning")
    assert entry.on == VISIT_START and entry.data["rule"] == "procedures.quality_indicators_too_recent"


def test_a_dossier_without_indicators_is_not_checked(rules, calendar_for) -> None:
    """The quality-indicators item received, no indicator entered: as before, the visit is taken, no warning."""
    d = at_visit(new_driver(rules, calendar_for), None)
    d.send(visit(60))
    assert d.state.phase == Phase.audit and warnings(d) == []
    assert "quality_indicators" not in next(e for e in d.state.timeline if e.kind == "dossier").data


def test_rules_pinned_before_the_setting_do_not_check(rules, calendar_for) -> None:
    """Histories recorded before the setting existed pin rules without it: their visits are taken as they were."""
    old = with_rule(rules, "procedures", "quality_indicators_too_recent", None)
    d = at_visit(new_driver(old, calendar_for), indicators(accueil_tel=FIVE_MONTHS))
    d.send(visit(60))
    assert d.state.phase == Phase.audit and warnings(d) == []


def test_an_indicator_listed_twice_is_refused(rules, calendar_for) -> None:
    from pydantic import ValidationError

    d = new_driver(rules, calendar_for)
    with pytest.raises(ValidationError, match="accueil-tel is written twice"):
        d.envelope({**dossier(date(2026, 2, 2)), "quality_indicators": indicators(accueil_tel=SEVEN_MONTHS) * 2})
