"""Issue 10, kinds 1–4: nothing a caller sends can break a cycle or be silently dropped.

Against the real Temporal dev server and the real API app: each test sends what a careless or hostile
caller would, and asserts the one right answer — refused with a message that names the field and
the limit, or applied — and that the cycle still answers and has no failed workflow task.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from spplus import client as engine
from spplus.limits import LONG_TEXT, MAX_ITEMS, MAX_EVENT_BYTES, MAX_REQUEST_BYTES, MAX_STATE_BYTES, SHORT_TEXT
from spplus.lifecycle import LabelStatus, Phase

from .conftest import local_today
from .steps import one_day_cycle
from .test_api import api, auth, candidate_json, started  # noqa: F401  (the API fixture)


async def no_failed_task(cycle_or_handle) -> None:
    handle = getattr(cycle_or_handle, "handle", cycle_or_handle)
    history = await handle.fetch_history()
    failed = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert not failed, failed[0].workflow_task_failed_event_attributes.failure.message


def today() -> date:
    return local_today()


# ----------------------------------------------------------------------------- kind 1: bounded
async def test_a_body_over_the_limit_is_answered_413_with_the_limit(api):
    cid = await started(api)
    body = b'{"type": "observations", "received_on": "2026-01-01", "text": "' + b"x" * MAX_REQUEST_BYTES + b'"}'
    answer = await api.post(f"/cycles/{cid}/events", content=body,
                            headers={**auth(api, "alpha"), "content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["limit"] == MAX_REQUEST_BYTES and "2,000,000 bytes" in answer.json()["detail"]


async def test_free_text_over_its_limit_is_refused_naming_the_field(api):
    cid = await started(api)
    plan = {"type": "audit_plan", "sent_on": today().isoformat(), "auditors": ["A" * (SHORT_TEXT + 1)]}
    answer = await api.post(f"/cycles/{cid}/events", json=plan, headers=auth(api, "alpha"))
    assert answer.status_code == 422 and answer.json()["field"] == "audit_plan.auditors.0"
    assert f"at most {SHORT_TEXT} characters" in answer.json()["detail"]
    grounds = {"type": "appeal", "lodged_on": today().isoformat(), "grounds": "g" * (LONG_TEXT + 1)}
    answer = await api.post(f"/cycles/{cid}/events", json=grounds, headers=auth(api, "alpha"))
    assert answer.status_code == 422 and answer.json()["field"] == "appeal.grounds"


async def test_a_note_that_is_no_exact_decimal_is_carried_to_20_decimals_not_refused(cycle, tmp_path, monkeypatch):
    # Two questionnaires, one all "Tout à fait d'accord" (1), one all "Plutôt d'accord" (0.75), and a third all
    # "Pas du tout d'accord" (0): the mean of the means is (1 + 0.75 + 0) / 3 = 7/12 → 58.333…/100 (§3.4.1), which
    # has no exact decimal: it is carried as 58.33333333333333333333 (20 decimals), never a 500.
    monkeypatch.setenv("SPPLUS_DATA", str(tmp_path))
    header = "termine;" + ";".join(f"Q{i}" for i in range(1, 16))
    rows = ["oui;" + ";".join([a] * 15) for a in ("Tout à fait d'accord", "Plutôt d'accord", "Pas du tout d'accord")]
    t0 = await cycle.today()
    receipt = await cycle.send({"type": "survey", "kind": "user", "closed_on": t0.isoformat(), "solicited": 3,
                                "csv": "\n".join([header, *rows]) + "\n"})
    assert "note 58.33/100, 3 admissible of 3 solicited" in receipt.summary
    sent = [p.data.decode() for e in (await cycle.handle.fetch_history()).events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
            for p in e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads]
    assert '"note":"58.33333333333333333333"' in sent[0].replace(" ", "")
    await no_failed_task(cycle)


async def test_a_survey_csv_is_scored_at_the_edge_and_never_enters_the_history(cycle, tmp_path, monkeypatch):
    monkeypatch.setenv("SPPLUS_DATA", str(tmp_path))
    header = "termine;" + ";".join(f"Q{i}" for i in range(1, 16))
    answer = "Plutôt d'accord"
    rows = ["oui;" + ";".join([answer] * 15) for _ in range(120)]
    csv_text = "\n".join([header, *rows]) + "\n"
    t0 = await cycle.today()
    receipt = await cycle.send({"type": "survey", "kind": "user", "closed_on": t0.isoformat(), "solicited": 1000, "csv": csv_text})
    assert "note 75.00/100, 120 admissible of 1000 solicited, valid" in receipt.summary  # every answer 0.75 → 75/100 (§3.4.1)
    digest = hashlib.sha256(csv_text.encode()).hexdigest()
    assert (tmp_path / "surveys" / f"{digest}.csv").read_text(encoding="utf-8") == csv_text
    sent = [p.data.decode() for e in (await cycle.handle.fetch_history()).events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
            for p in e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads]
    assert len(sent) == 1 and digest in sent[0]  # the scores and the file's hash …
    assert "Plutôt" not in sent[0] and len(sent[0]) < 2_000  # … never the file (120 rows, about 8 KB)
    await no_failed_task(cycle)


async def test_the_largest_accepted_events_again_and_again_keep_the_cycle_alive_through_a_renewal(cycle):
    t0 = await cycle.today()
    steps = one_day_cycle(t0.isoformat())
    for event in steps[:5]:  # prerequisites, dates, dossier
        await cycle.send(event)
    # The largest plan that passes: as many long auditor names as fit in one event.
    name = "Auditrice " + "x" * (SHORT_TEXT - 14)
    count = (MAX_EVENT_BYTES - 1_000) // (len(name) + 4 + 3)  # 4 digits, quotes and a comma each
    plan = {"type": "audit_plan", "sent_on": t0.isoformat(), "auditors": [f"{name}{i:04d}" for i in range(count)]}
    accepted = 0
    with pytest.raises(engine.EngineError, match=f"may not pass {MAX_STATE_BYTES:,}"):
        for _ in range(200):
            await cycle.send(plan)
            accepted += 1
    assert accepted >= 10  # the budget is reached by the state, not by the first events
    oversized = {**plan, "auditors": [f"{i:04d}".rjust(SHORT_TEXT, "y") for i in range(MAX_ITEMS)]}  # each field within its limit
    with pytest.raises(engine.EngineError, match=f"at most {MAX_EVENT_BYTES:,} bytes"):
        await cycle.send(oversized)
    await no_failed_task(cycle)
    # The cycle still moves: a visit, a report, a decision, then a renewal continues it as new.
    for event in steps[6:]:
        await cycle.send(event)
    state = await cycle.state()
    assert state.phase == Phase.labelled and state.label_status == LabelStatus.valid
    invitation = state.attestation.expires - timedelta(days=270)
    await cycle.go_to(invitation)
    await cycle.send({"type": "renewal", "requested_on": invitation.isoformat(), "contract_signed": invitation.isoformat()})
    await cycle.wait_ready()
    state = await cycle.state()
    assert state.cycle_number == 2 and state.phase == Phase.renewing
    await cycle.send({"type": "self_assessment", "done_on": invitation.isoformat()})
    await no_failed_task(cycle)


# ----------------------------------------------------------------------------- kind 2: validator = handler
async def test_audit_dates_beyond_the_pinned_calendar_are_refused_with_its_range(cycle):
    with pytest.raises(engine.EngineError) as refused:
        await cycle.send({"type": "audit_dates", "visit_start": "2099-03-15", "visit_end": "2099-03-16", "sites": ["hdv"]})
    assert refused.value.field == "visit_start" and "last day of the working calendar" in refused.value.message
    await no_failed_task(cycle)
    assert (await cycle.state()).phase == Phase.preparation


async def test_an_unknown_territory_is_refused_before_any_workflow_starts(api, env):
    for territory in ("narnia", "Moselle"):
        data = {**candidate_json(), "territory": territory}
        answer = await api.post("/cycles", json=data, headers=auth(api, "alpha"))
        assert answer.status_code == 422, answer.text
        assert f"unknown territory {territory!r}" in answer.json()["detail"] and "moselle" in answer.json()["detail"]
        assert [w async for w in env.client.list_workflows(f"WorkflowId = 'cycle-{data['id']}'")] == []


async def test_a_lone_surrogate_in_a_survey_csv_is_refused_422(api):
    cid = await started(api)
    body = ('{"type": "survey", "kind": "user", "closed_on": "%s", "solicited": 10, "csv": "termine;Q1\\n\\udcff;1"}'
            % today().isoformat()).encode()
    answer = await api.post(f"/cycles/{cid}/events", content=body, headers={**auth(api, "alpha"), "content-type": "application/json"})
    assert answer.status_code == 422 and "lone surrogate" in answer.json()["detail"]


# ----------------------------------------------------------------------------- kind 3: a key is bound to its request
async def test_a_key_reused_for_another_request_is_refused_and_the_same_request_is_a_duplicate(api):
    cid = await started(api)
    key = {**auth(api, "alpha"), "Idempotency-Key": "k-42"}
    assessment = {"type": "self_assessment", "done_on": today().isoformat()}
    first = await api.post(f"/cycles/{cid}/events", json=assessment, headers=key)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    again = await api.post(f"/cycles/{cid}/events", json=assessment, headers=key)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    dates = {"type": "audit_dates", "visit_start": (today() + timedelta(days=60)).isoformat(),
             "visit_end": (today() + timedelta(days=60)).isoformat(), "sites": ["hdv"]}
    other = await api.post(f"/cycles/{cid}/events", json=dates, headers=key)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "this key was already used for another request" in other.json()["detail"]
    view = (await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))).json()
    assert view["current_audit"] is None  # nothing applied
    assert (await api.post(f"/cycles/{cid}/events", json=dates, headers={**auth(api, "alpha"), "Idempotency-Key": "k-43"})).status_code == 200


async def test_the_ditps_edition_change_binds_its_key_too(api):
    cid = await started(api)
    key = {**auth(api, "ditp"), "Idempotency-Key": "ed-1"}
    editions = (await api.get("/rules/editions", headers=auth(api, "ditp"))).json()
    current = editions[0]["edition"]
    same = await api.post(f"/cycles/{cid}/edition", json={"edition": current, "reason": "r"}, headers=key)
    assert same.status_code == 422 and "already runs on edition" in same.json()["detail"]  # refused: nothing bound
    assessment = {"type": "self_assessment", "done_on": today().isoformat()}
    await api.post(f"/cycles/{cid}/events", json=assessment, headers={**auth(api, "alpha"), "Idempotency-Key": "ed-2"})
    reused = await api.post(f"/cycles/{cid}/edition", json={"edition": current, "reason": "r"},
                            headers={**auth(api, "ditp"), "Idempotency-Key": "ed-2"})
    assert reused.status_code == 422 and "already used for another request" in reused.json()["detail"]


# ----------------------------------------------------------------------------- kind 4: read exactly
async def test_numbers_and_dates_are_read_strictly(api):
    cid = await started(api)
    who = {**auth(api, "alpha"), "content-type": "application/json"}
    as_bool = {**candidate_json(), "agents_in_contact": True}
    answer = await api.post("/cycles", json=as_bool, headers=auth(api, "alpha"))
    assert answer.status_code == 422 and answer.json()["field"] == "agents_in_contact"

    twice = b'{"type": "self_assessment", "done_on": "%s", "done_on": "2020-01-01"}' % today().isoformat().encode()
    answer = await api.post(f"/cycles/{cid}/events", content=twice, headers=who)
    assert answer.status_code == 422 and "'done_on' is written twice" in answer.json()["detail"]

    french = await api.post(f"/cycles/{cid}/events", json={"type": "self_assessment", "done_on": "30/11/2026"}, headers=who)
    assert french.status_code == 422 and "write dates as YYYY-MM-DD" in french.json()["detail"]
    assert french.json()["field"] == "self_assessment.done_on"

    truncated = await api.post(f"/cycles/{cid}/events", content=b'{"type": "self_assessment", "done_on": "2026-1', headers=who)
    assert truncated.status_code == 422 and "not valid JSON" in truncated.json()["detail"]
    assert "field" not in truncated.json()  # a position is not a field

    year_one = await api.post(f"/cycles/{cid}/events", json={"type": "self_assessment", "done_on": "0001-01-01"}, headers=who)
    # The cycle pins its calendar from the year before it opened (and the rules apply from 2023-08-31).
    assert year_one.status_code == 422 and f"is before {today().year - 1}-01-01" in year_one.json()["detail"]

    for signed in ("9999-01-01", (today() + timedelta(days=3)).isoformat()):
        answer = await api.post("/cycles", json={**candidate_json(), "contract_signed": signed}, headers=auth(api, "alpha"))
        assert answer.status_code == 422 and answer.json()["field"] == "contract_signed", answer.text


async def test_a_score_just_below_a_threshold_as_a_json_number_stays_below_it(api):
    """49.99999999999999999 is below 50 (README: notes are compared exactly); as a float it would be 50.0."""
    rows = []
    for key, number in (("as-number", b"49.99999999999999999"), ("as-string", b'"49.99999999999999999"')):
        cid = await started(api)
        t = today().isoformat()
        for event in one_day_cycle(t)[:6]:
            assert (await api.post(f"/cycles/{cid}/events", json=event, headers=auth(api, "alpha"))).status_code == 200
        engagements = b",".join(b'"%d": %s' % (n, number) for n in range(1, 9))
        body = b'{"type": "visit", "scores": {"engagements": {%s}}}' % engagements
        answer = await api.post(f"/cycles/{cid}/events", content=body,
                                headers={**auth(api, "alpha"), "content-type": "application/json"})
        assert answer.status_code == 200, answer.text
        view = (await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))).json()
        rows.append(view["current_audit"]["proposal"]["tier"])
    assert rows == [None, None]  # Bronze needs at least 50 per engagement (§2.2.1): 49.99999999999999999 is not 50


async def test_a_survey_with_more_admissible_questionnaires_than_people_solicited_is_refused(cycle):
    header = "termine;" + ";".join(f"Q{i}" for i in range(1, 16))
    csv_text = "\n".join([header] + ["oui;" + ";".join(["1"] * 15)] * 41) + "\n"
    t0 = await cycle.today()
    with pytest.raises(engine.EngineError, match="41 admissible questionnaires but only 40 people solicited"):
        await cycle.send({"type": "survey", "kind": "user", "closed_on": t0.isoformat(), "solicited": 40, "csv": csv_text})
