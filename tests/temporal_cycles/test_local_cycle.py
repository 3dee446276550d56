"""Whole cycles of a local public service on a real Temporal server, three years in seconds.

Every date asserted is counted by hand from the guide (§2.3, §3.7.1, §3.8.1, §3.9.1, §3.10, §5.3),
never read back from the engine's own computation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from spplus import client as engine
from spplus.lifecycle import LabelStatus, Phase

from .steps import audit, prerequisites, scores


async def test_bronze_then_higher_tier_at_followup_then_renewal_into_a_second_cycle(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)  # bronze-level surveys (§2.2.1)
    decided = await audit(cycle, t0 + timedelta(days=60), score=60, tier="bronze")

    state = await cycle.state()
    assert state.phase == Phase.labelled and state.label_status == LabelStatus.valid
    assert state.attestation.tier == "bronze"
    expiry = decided + relativedelta(years=3)  # §2.3: valid 3 years from the decision
    assert state.attestation.valid_from == decided and state.attestation.expires == expiry
    assert state.attestation.sites == ["hdv", "annexe"]  # every covered site is named (§3.8.1)
    due = {d.key: d for d in state.open_deadlines}
    target = decided + relativedelta(months=18)  # §3.9.1: follow-up at 18 months ± 2
    assert due["label.followup_target"].due == target
    assert due["label.followup_window_opens"].due == target - relativedelta(months=2)
    assert due["label.followup_window_closes"].due == target + relativedelta(months=2)
    assert due["label.followup_preparation"].due == decided + relativedelta(months=12)
    assert due["label.renewal_invitation"].due == expiry - relativedelta(months=9)  # §3.10
    assert all(d.edition == state.edition and d.reference for d in state.open_deadlines)

    # Follow-up: new surveys and self-assessment since the initial audit, scores now silver (§3.9.1).
    await prerequisites(cycle, target - timedelta(days=50), user_note=85, agent_note=70)
    await audit(cycle, target, score=70, tier="argent", kind="followup")
    state = await cycle.state()
    assert state.attestation.tier == "argent"  # higher tier: attestation updated
    assert state.attestation.expires == expiry  # validity unchanged
    outcomes = [e for e in await cycle.timeline() if e.kind == "decision"]
    assert "higher tier" in outcomes[-1].summary

    # Renewal: invited 9 months before expiry; the next cycle continues as new with the label held.
    invitation = expiry - relativedelta(months=9)
    await cycle.go_to(invitation)
    assert any(e.kind == "reminder" and e.data.get("key") == "label.renewal_invitation" for e in await cycle.timeline())
    await cycle.send({"type": "renewal", "requested_on": invitation.isoformat(), "contract_signed": invitation.isoformat(),
                      "certification_body": "oc-beta"})
    await cycle.wait_ready()
    state = await cycle.state()
    assert state.cycle_number == 2 and state.phase == Phase.renewing
    assert state.candidate.certification_body == "oc-beta"  # another body is allowed (§3.2)
    assert state.label_status == LabelStatus.valid and state.attestation.tier == "argent"

    await prerequisites(cycle, invitation + timedelta(days=10), user_note=91, agent_note=81)
    renewed = await audit(cycle, invitation + timedelta(days=90), score=85, tier="or", gold=82)
    state = await cycle.state()
    assert state.phase == Phase.labelled and state.attestation.tier == "or"
    assert state.attestation.valid_from == renewed and state.attestation.expires == renewed + relativedelta(years=3)

    listed = await engine.list_cycles(cycle.client, engine.list_query(body="oc-beta", status="valid"))
    assert any(item.candidate == cycle.candidate.id and item.tier == "or" for item in listed)


async def test_refusal_then_a_too_early_new_application_is_refused(cycle, worker):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    decided = await audit(cycle, t0 + timedelta(days=60), score=45, tier=None)  # engagement below 50 (§2.2.1)
    state = await cycle.state()
    reopens = decided + relativedelta(months=6)  # §3.8.1: « à l'issue d'une période de 6 mois échus »
    assert state.phase == Phase.refused and state.new_application_from == reopens

    with pytest.raises(engine.EngineError) as refused:
        await engine.start_candidacy(cycle.client, cycle.candidate, worker)
    assert reopens.isoformat() in refused.value.message and refused.value.kind == "too_early"

    await cycle.go_to(reopens)
    outcome = await cycle.outcome()
    assert outcome.phase == Phase.closed and outcome.new_application_from == reopens
    await engine.start_candidacy(cycle.client, cycle.candidate, worker)  # accepted from that date
    await cycle.wait_ready()
    assert (await cycle.state()).phase == Phase.preparation


async def test_followup_below_minimum_without_action_plan_is_suspended_then_withdrawn(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    decided = await audit(cycle, t0 + timedelta(days=60), score=60, tier="bronze")
    target = decided + relativedelta(months=18)
    # The yearly self-assessment (§3.9.1 note): year 1 ends t0 + 12 months; one done inside it, so the only
    # breach below is the action plan never sent.
    await cycle.go_to(t0 + relativedelta(months=11))
    await cycle.send({"type": "self_assessment", "done_on": (t0 + relativedelta(months=11)).isoformat()})
    await prerequisites(cycle, target - timedelta(days=50), user_note=72, agent_note=52)
    followup = await audit(cycle, target, score=40, tier=None, kind="followup")  # below the minimum

    state = await cycle.state()
    plan_due = followup + relativedelta(months=1)  # §3.9.1: action plan within one month
    assert state.phase == Phase.action_plan
    assert {d.key: d.due for d in state.open_deadlines}["label.action_plan"] == plan_due

    await cycle.go_to(plan_due + timedelta(days=1))
    state = await cycle.state()
    suspended_on = plan_due + timedelta(days=1)
    assert state.phase == Phase.suspended and state.label_status == LabelStatus.suspended
    limit = {d.key: d.due for d in state.open_deadlines}["suspension.max"]
    assert limit == suspended_on + relativedelta(months=12)  # §5.3.1: at most 12 months

    await cycle.go_to(limit)
    outcome = await cycle.state()
    assert outcome.phase == Phase.withdrawn and outcome.label_status == LabelStatus.withdrawn
    assert outcome.withdrawal["reason"] == "suspension-not-lifted"
    assert outcome.withdrawal["mark_removed_by"] == (limit + relativedelta(months=2)).isoformat()  # §5.3.2
    kinds = [e.kind for e in await cycle.timeline()]
    assert kinds.count("breach") == 1 and "suspension" in kinds and "withdrawal" in kinds
    await cycle.go_to(limit + relativedelta(months=2))
    assert (await cycle.outcome()).phase == Phase.withdrawn


async def test_expiry_without_renewal_ends_the_label(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    decided = await audit(cycle, t0 + timedelta(days=60), score=60, tier="bronze")
    target = decided + relativedelta(months=18)
    await prerequisites(cycle, target - timedelta(days=50), user_note=75, agent_note=55)
    await audit(cycle, target, score=60, tier="bronze", kind="followup")
    expiry = decided + relativedelta(years=3)

    await cycle.go_to(expiry - timedelta(days=1))
    assert (await cycle.state()).label_status == LabelStatus.valid  # last valid day
    await cycle.go_to(expiry)
    state = await cycle.state()
    assert state.phase == Phase.expired and state.label_status == LabelStatus.expired
    assert state.withdrawal["reason"] == "no-renewal"
    assert state.withdrawal["mark_removed_by"] == (expiry + relativedelta(months=2)).isoformat()
    await cycle.go_to(expiry + relativedelta(months=2))
    outcome = await cycle.outcome()
    assert outcome.label_status == LabelStatus.expired


async def test_a_late_report_is_recorded_as_a_breach(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    visit = t0 + timedelta(days=60)
    await audit(cycle, visit, score=60, tier="bronze", report_after=23)  # §3.7.1: within 21 days
    breaches = [e for e in await cycle.timeline() if e.kind == "breach"]
    assert len(breaches) == 1
    assert breaches[0].data["key"] == "audit1.report" and breaches[0].data["due"] == (visit + timedelta(days=21)).isoformat()
    assert (await cycle.state()).breaches == 1


async def test_bad_events_are_refused_and_leave_no_trace_in_history(cycle):
    t0 = await cycle.today()
    length = await cycle.history_length()
    bad = [
        ({"type": "visit", "scores": scores(60)}, None),  # wrong order: no audit yet
        ({"type": "audit_dates", "visit_start": (t0 + timedelta(days=30)).isoformat(),
          "visit_end": (t0 + timedelta(days=30)).isoformat(), "sites": ["gare"]}, "sites"),  # unknown site
        ({"type": "audit_dates", "visit_start": (t0 - timedelta(days=1)).isoformat(),
          "visit_end": (t0 - timedelta(days=1)).isoformat(), "sites": ["hdv"]}, "visit_start"),
        # ↑ before the contract, signed today (§3.3). Past dates were all refused until issue 12; dates
        # entered after the fact are now taken when they follow the contract, so this one fails on that.
        ({"type": "self_assessment", "done_on": (t0 + timedelta(days=3)).isoformat()}, "done_on"),  # future
    ]
    for event, field in bad:
        with pytest.raises(engine.EngineError) as refused:
            await cycle.send(event)
        assert refused.value.field == field, refused.value.message
    await cycle.send({"type": "audit_dates", "visit_start": (t0 + timedelta(days=60)).isoformat(),
                      "visit_end": (t0 + timedelta(days=60)).isoformat(), "sites": ["hdv"]})
    with pytest.raises(engine.EngineError, match="scored 0, 0.25, 0.75, 1"):  # wrong scale
        await cycle.go_to(t0 + timedelta(days=60))
        await prerequisites(cycle, t0 + timedelta(days=60), 75, 55)
        await cycle.send({"type": "dossier", "received_on": (t0 + timedelta(days=60)).isoformat(), "contents": []})
        await cycle.send({"type": "visit", "scores": {"control_points": {str(n): [1, 0.5] for n in range(1, 9)}}})
    assert await cycle.history_length() > length  # accepted events did enter
    updates = [e for e in (await cycle.handle.fetch_history()).events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(updates) == 5  # the audit dates, the three prerequisites and the dossier: no refused one


async def test_a_duplicate_event_is_applied_once(cycle):
    t0 = await cycle.today()
    first = await cycle.send({"type": "self_assessment", "done_on": t0.isoformat()}, event_id="sa-1")
    again = await cycle.send({"type": "self_assessment", "done_on": t0.isoformat()}, event_id="sa-1")
    assert not first.duplicate
    entries = [e for e in await cycle.timeline() if e.kind == "self_assessment"]
    assert len(entries) == 1 and again.event_id == "sa-1"
