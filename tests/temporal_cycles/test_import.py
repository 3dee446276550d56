"""Issue 12: a candidacy already under way is imported and ends exactly where it would have been.

The same facts are run twice: once from the start on a real cycle, with time skipping (each fact sent
on its own day), and once through the import (the pure core stepping « today » through the facts'
days). Their phase, label, open deadlines and timelines must be the same.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from spplus.holiday_source import working_calendar
from spplus.lifecycle.importing import CycleImport, replay_import
from spplus.lifecycle.views import cycle_view
from spplus.rules.loader import default_rules_dir, load_rules_cached

from .conftest import local_today, new_candidate
from .steps import DOSSIER, scores
from .test_api import api, auth  # noqa: F401  (the API fixture)


def labelled_facts(start, visit):
    """A labelling as a body records it: each fact on its own day (`on`)."""
    s, v = start.isoformat(), visit
    return [
        {"on": s, "event": {"type": "self_assessment", "done_on": s}},
        {"on": s, "event": {"type": "survey", "kind": "user", "closed_on": s, "solicited": 1000, "summary": {"note": 75, "admissible": 150}}},
        {"on": s, "event": {"type": "survey", "kind": "agent", "closed_on": s, "solicited": 40, "summary": {"note": 55, "admissible": 30}}},
        {"on": s, "event": {"type": "audit_dates", "visit_start": v.isoformat(), "visit_end": v.isoformat(), "sites": ["hdv"]}},
        {"on": (v - timedelta(days=35)).isoformat(), "event": {"type": "dossier", "received_on": (v - timedelta(days=35)).isoformat(), "contents": DOSSIER}},
        {"on": (v - timedelta(days=20)).isoformat(), "event": {"type": "audit_plan", "sent_on": (v - timedelta(days=20)).isoformat(), "auditors": ["C. Durand"]}},
        {"on": v.isoformat(), "event": {"type": "visit", "scores": scores(60)}},
        {"on": (v + timedelta(days=10)).isoformat(), "event": {"type": "report", "sent_on": (v + timedelta(days=10)).isoformat(),
                                                                "received_on": (v + timedelta(days=10)).isoformat()}},
        {"on": (v + timedelta(days=21)).isoformat(), "event": {"type": "decision", "decided_on": (v + timedelta(days=21)).isoformat(), "tier": "bronze"}},
    ]


def story(timeline):
    """What happened, on which day, in which words: the actor and the event ids differ by construction."""
    from spplus.client import in_date_order

    return [(e.on, e.kind, e.summary) for e in in_date_order(timeline) if e.kind not in ("candidacy_opened", "imported")]


async def test_an_imported_candidacy_ends_where_the_same_facts_run_from_the_start_end(cycle):
    start = await cycle.today()
    visit = start + timedelta(days=60)
    facts = labelled_facts(start, visit)
    decided = visit + timedelta(days=21)
    until = decided + relativedelta(months=14)  # labelled 14 months ago: the follow-up is being prepared (§3.9.1)

    for fact in facts:  # from the start, on a real cycle: each fact on its day
        await cycle.go_to(date.fromisoformat(fact["on"]))
        await cycle.send(fact["event"])
    await cycle.go_to(until)
    ran = await cycle.state()

    rules = load_rules_cached(default_rules_dir())
    calendar = working_calendar(rules, "metropole", start.year - 1, start.year + 5, start)  # as the cycle pinned it
    plan = CycleImport.model_validate({"candidate": cycle.candidate.model_dump(mode="json"), "facts": facts})
    imported = replay_import(plan, rules, calendar, until, "0" * 64)
    view = cycle_view(imported)

    assert ran.phase == view.phase and ran.label_status == view.label_status
    assert ran.attestation == view.attestation and view.attestation.valid_from == decided
    assert [(d.key, d.due, d.status) for d in ran.open_deadlines] == [(d.key, d.due, d.status) for d in view.open_deadlines]
    assert "label.followup_target" in {d.key for d in view.open_deadlines}  # 18 months after the decision: ahead
    assert ran.breaches == view.breaches
    assert story(await cycle.timeline()) == story(imported.timeline)
    assert imported.timeline[-1].kind == "imported" and "0" * 64 in imported.timeline[-1].summary


async def test_import_over_http_marks_the_timeline_with_the_files_hash_and_refuses_a_fact_the_rules_refuse(api):
    today = local_today()
    decided = today - relativedelta(months=14)
    visit = decided - timedelta(days=21)
    start = visit - timedelta(days=60)
    candidate = new_candidate(start, certification_body="oc-alpha").model_dump(mode="json")
    plan = {"candidate": candidate, "facts": labelled_facts(start, visit)}
    raw = json.dumps(plan).encode()
    answer = await api.post("/cycles:import", content=raw, headers={**auth(api, "alpha"), "content-type": "application/json"})
    assert answer.status_code == 201, answer.text
    for _ in range(100):
        view = await api.get(f"/cycles/{candidate['id']}", headers=auth(api, "alpha"))
        if view.status_code == 200:
            break
    view = view.json()
    assert view["phase"] == "labelled" and view["attestation"]["valid_from"] == decided.isoformat()
    timeline = (await api.get(f"/cycles/{candidate['id']}/timeline", headers=auth(api, "alpha"))).json()
    assert timeline[-1]["kind"] == "imported" and hashlib.sha256(raw).hexdigest() in timeline[-1]["summary"]
    assert any(e["kind"] == "reminder" and "follow-up" in e["summary"] for e in timeline)  # 12 months: preparation (§3.9.1)
    assert (await api.get(f"/cycles/{candidate['id']}", headers=auth(api, "beta"))).status_code == 404

    # A decision the rules would not have accepted (no reason for a tier other than the proposal) is refused, by its place.
    other = new_candidate(start, certification_body="oc-alpha").model_dump(mode="json")
    facts = labelled_facts(start, visit)
    facts[-1]["event"]["tier"] = "or"
    refused = await api.post("/cycles:import", json={"candidate": other, "facts": facts}, headers=auth(api, "alpha"))
    assert refused.status_code == 422 and refused.json()["field"] == "facts.8.reason", refused.text
    assert "a different decision needs a written reason" in refused.json()["detail"]
    assert (await api.get(f"/cycles/{other['id']}", headers=auth(api, "alpha"))).status_code == 404  # nothing started


async def test_the_timeline_reads_in_the_order_things_happened_with_the_day_they_were_entered(cycle):
    """Issue 12, operators: a fact recorded late sits at its own day, and says when it was entered."""
    today = await cycle.today()
    await cycle.send({"type": "self_assessment", "done_on": today.isoformat()})
    await cycle.send({"type": "audit_dates", "visit_start": (today + timedelta(days=60)).isoformat(),
                      "visit_end": (today + timedelta(days=60)).isoformat(), "sites": ["hdv"]})
    await cycle.go_to(today + timedelta(days=5))
    late = today + timedelta(days=1)
    await cycle.send({"type": "survey", "kind": "user", "closed_on": late.isoformat(), "solicited": 1000,
                      "summary": {"note": 75, "admissible": 150}})
    timeline = await cycle.timeline()
    days = [e.on for e in timeline]
    assert days == sorted(days)
    survey = next(e for e in timeline if e.kind == "survey")
    assert survey.on == late and survey.recorded == today + timedelta(days=5)
