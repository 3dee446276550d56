"""The 18-month follow-up a local label owes when its central service was not labelled, which lapses if the central
service is labelled meanwhile (§3.8.2 note), on both sides: the central cycle tells its network, the local cycle
decides what that means for it.

What the guide says (seed 002):

* §3.8.2, note: « En l'absence de labellisation du service public central … les services publics locaux audités et
  labellisés conservent le bénéfice du résultat de leur audit … Ils devront se présenter à un audit de suivi à 18 mois
  si la labellisation de leur service public central n'est pas intervenue entretemps. (cf. 3.9.1) »
* §3.9.2, notes: a local service labelled through its central service has no « audit local de suivi » of its own, and
  runs both surveys « dans un délai de 18 mois après l'audit initial » (rules/deadlines.yaml network_local_surveys).
* §5.3.2, note: a central label *withdrawn* sends its young local labels to a follow-up of their own, with no such
  exception: a later central label does not lift that one.

A central service refused is labelled « entretemps » by a new application (§3.8.2: « une nouvelle demande … à l'issue
d'une période de 6 mois échus »), a new central cycle; on its label it tells every local service of its network
(one activity, activities/network.py tell_network), and each local cycle decides.

Dates (as tests/network/test_local_in_network.py): the local service labelled on 1 April 2026 after a visit on 10–11
March 2026; the central service refused on 1 June 2026 → the local follow-up of §3.9.1: target 1 October 2027
(1 April 2026 + 18 months), window 1 August – 1 December 2027 (± 2 months); the surveys of §3.9.2 are due 18 months
after the initial audit, 10 September 2027. A new central application may come from 1 December 2026 (1 June + 6 months).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from spplus.lifecycle import LabelStatus, Phase, network_notice
from spplus.lifecycle.state import LATE_FACTS, DeadlineStatus
from spplus.network.machine import NetworkNotice

from .central_driver import DECIDED as CENTRAL_DECIDED, year_n, yes_no
from .test_local_in_network import (
    CENTRAL, CLOSES, FOLLOWUP_KEYS, OPENS, SURVEYS_DUE, TARGET, agent_survey, audit_dates, labelled_local, notice, open_keys,
    user_survey,
)

DAY = timedelta(days=1)
REFUSED = date(2026, 6, 1)
RELABELLED = date(2027, 3, 15)  # a new central application labelled, 9½ months after the refusal


def owing(rules, calendar_for):
    """The local label of 1 April 2026 owing its own follow-up since the central refusal of 1 June 2026."""
    d = labelled_local(rules, calendar_for)
    notice(d, "central_refused", REFUSED)
    assert d.state.independent is True and d.state.owed_followup == "central_refused"
    assert d.deadline("label.followup_window_closes").due == CLOSES
    return d


# ---------------------------------------------------------------------------------------------- the local cycle
def test_the_follow_up_lapses_when_the_central_service_is_labelled_before_it(rules, calendar_for):
    """Labelled on 15 March 2027, before the follow-up (window from 1 August 2027): « n'est pas intervenue entretemps »
    is false, so the follow-up is no longer owed; the label is held through the central service again (§3.9.2 notes):
    no follow-up of its own, both surveys due 10 September 2027 (10 March 2026 + 18 months, still ahead)."""
    d = owing(rules, calendar_for)
    notes = notice(d, "central_labelled", RELABELLED)
    assert d.state.independent is False and d.state.owed_followup is None
    assert d.state.label_status == LabelStatus.valid and d.state.phase == Phase.labelled
    for key in FOLLOWUP_KEYS:
        assert d.deadline(key).status == DeadlineStatus.cancelled and d.deadline(key).closed_on == RELABELLED
    assert d.deadline("network.local_surveys").due == SURVEYS_DUE
    assert d.deadline("network.local_surveys").status == DeadlineStatus.open
    assert open_keys(d) >= {"network.local_surveys", "label.renewal_invitation", "label.expiry"}
    [note] = notes
    assert "§3.8.2" in note.subject and "18 months" in note.subject and "2027-03-15" in note.subject
    assert "no follow-up audit of its own" in d.refused(audit_dates(TARGET, kind="followup"))
    # Nothing happens when the window would have closed: no breach for a follow-up no longer owed.
    d.pass_to(CLOSES + DAY)
    assert d.state.breaches == 1  # the surveys of §3.9.2, not run by 10 September 2027
    assert [e.data["key"] for e in d.state.timeline if e.kind == "breach"] == ["network.local_surveys"]


def test_surveys_run_since_the_initial_audit_are_taken_when_the_follow_up_lapses(rules, calendar_for):
    """Both surveys closed on 1 February 2027, after the initial audit: the §3.9.2 surveys are done; no deadline set."""
    d = owing(rules, calendar_for)
    d.pass_to(date(2027, 2, 1))
    d.send(user_survey(d.today))
    d.send(agent_survey(d.today))
    notice(d, "central_labelled", RELABELLED)
    assert d.deadline("network.local_surveys").status == DeadlineStatus.cancelled  # as the refusal left it
    d.pass_to(CLOSES + DAY)
    assert d.state.breaches == 0


def test_a_follow_up_scheduled_but_not_held_lapses_with_its_deadlines(rules, calendar_for):
    """Dates agreed and the dossier received on 1 June 2027 for a visit on Monday 2 August 2027; the central service
    labelled on 15 July 2027, before the visit: the audit is no longer owed — its plan, due 10 working days before
    the visit (Monday 19 July 2027, §3.7.1), is cancelled, and the audit is never decided."""
    d = owing(rules, calendar_for)
    d.pass_to(date(2027, 6, 1))
    d.send(audit_dates(OPENS + DAY, kind="followup"))
    d.send({"type": "dossier", "received_on": "2027-06-01", "contents": ["identification"]})
    assert d.state.phase == Phase.followup and d.deadline("audit2.audit_plan").due == date(2027, 7, 19)
    notice(d, "central_labelled", date(2027, 7, 15))
    audit = d.state.audits[-1]
    assert audit.kind.value == "followup" and audit.outcome == "lapsed" and audit.decided_on is None
    assert d.state.current_audit is None and d.state.phase == Phase.labelled
    assert d.deadline("audit2.dossier").status == DeadlineStatus.met
    assert d.deadline("audit2.audit_plan").status == DeadlineStatus.cancelled
    d.pass_to(date(2027, 8, 3))
    assert d.state.breaches == 0


def test_a_follow_up_whose_visit_began_goes_on(rules, calendar_for):
    """The visit began on 2 August 2027; the central service labelled on 10 August: the follow-up took place first."""
    d = owing(rules, calendar_for)
    d.pass_to(date(2027, 6, 1))
    d.send(audit_dates(OPENS + DAY, kind="followup"))
    notice(d, "central_labelled", date(2027, 8, 10))
    assert d.state.independent is True and d.state.owed_followup == "central_refused"
    assert d.state.current_audit is not None and d.state.current_audit.outcome is None
    assert d.deadline("label.followup_window_closes").status == DeadlineStatus.open
    assert "goes on" in d.state.timeline[-1].summary


def test_a_central_label_after_the_window_closed_changes_nothing(rules, calendar_for):
    """Labelled on 2 December 2027: the window closed on 1 December with no follow-up, a breach (§3.9.1); the central
    label did not come « entretemps »: the breach stands and the label stays independent."""
    d = owing(rules, calendar_for)
    d.pass_to(CLOSES + DAY)
    assert d.state.breaches == 1
    assert notice(d, "central_labelled", CLOSES + DAY) == []
    assert d.state.independent is True and d.state.breaches == 1
    assert "window closed on 2027-12-01" in d.state.timeline[-1].summary


def test_a_follow_up_owed_after_a_central_withdrawal_does_not_lapse(rules, calendar_for):
    """§5.3.2 note: withdrawn 1 November 2027, the label of 1 April 2026 (19 months old) owes its own follow-up; a central
    label obtained later (a new application) is no exception the note makes."""
    d = labelled_local(rules, calendar_for)
    notice(d, "central_withdrawn", date(2027, 11, 1))
    d.pass_to(date(2027, 11, 20))
    before = d.state.model_dump()
    assert network_notice(d.state, "central_labelled", d.today, CENTRAL, d.today) == []
    assert d.state.model_dump() == before and d.state.independent is True


@pytest.mark.parametrize("who", ["labelled through the central service", "independent"])
def test_labels_that_owe_no_such_follow_up_ignore_the_notice(rules, calendar_for, who):
    d = labelled_local(rules, calendar_for, network=CENTRAL if who != "independent" else None)
    before = d.state.model_dump()
    assert network_notice(d.state, "central_labelled", RELABELLED, CENTRAL, RELABELLED) == []
    assert d.state.model_dump() == before


def test_a_cycle_opened_before_the_patch_keeps_its_follow_up(rules, calendar_for):
    """A local cycle opened before NOTICES_AND_YEARLY_CHECKS (workflows/cycle.py) runs as it did: the notice, which it
    never received then, changes nothing."""
    d = labelled_local(rules, calendar_for)
    d.state.behaviour = LATE_FACTS
    notice(d, "central_refused", REFUSED)
    d.pass_to(RELABELLED)
    before = d.state.model_dump()
    assert network_notice(d.state, "central_labelled", RELABELLED, CENTRAL, d.today) == []
    assert d.state.model_dump() == before


# ---------------------------------------------------------------------------------------------- the central cycle
def test_a_central_label_tells_the_whole_network(rules, calendar_for):
    """§3.8.2 note: the central service labelled on 1 June 2026 (central_driver's year N) tells every local service of
    its network, through one notice for all — each local cycle decides what it means for it."""
    d = year_n(rules, calendar_for(), decide=False)
    effects = d.decide(CENTRAL_DECIDED, d.state.current_audit.proposal_tier)
    assert d.state.label_status == LabelStatus.valid
    assert effects.tell_network == NetworkNotice(kind="central_labelled", on=CENTRAL_DECIDED, central="cnaf")
    assert effects.tell_locals == {}


def test_a_central_refusal_tells_its_labelled_locals_and_not_the_network(rules, calendar_for):
    """§3.8.2 note: refused (14 of 20 control points, 70 % < 75 %), its labelled local services owe their follow-up."""
    d = year_n(rules, calendar_for(), points=yes_no(14, 6), decide=False)
    effects = d.decide(CENTRAL_DECIDED, None)
    assert effects.tell_network is None
    assert {n.kind for n in effects.tell_locals.values()} == {"central_refused"} and len(effects.tell_locals) == 3


def test_a_central_follow_up_does_not_tell_the_network(rules, calendar_for):
    """Only the label obtained is the « labellisation … intervenue entretemps »; a follow-up confirms a label that held."""
    from .central_driver import followup_year

    d = year_n(rules, calendar_for())
    followup_year(d, 1, ["argent", "argent", "argent", "argent"])
    assert all(e.tell_network is None for e in d.effects[-3:])


def test_a_central_cycle_opened_before_the_patch_tells_no_one(rules, calendar_for):
    """workflows/central.py sets the behaviour to 0 for a central cycle whose run began before its patch."""
    d = year_n(rules, calendar_for(), decide=False)
    d.state.behaviour = 0
    assert d.decide(CENTRAL_DECIDED, d.state.current_audit.proposal_tier).tell_network is None
