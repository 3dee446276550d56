"""The HTTP API against a real Temporal server: every role on what it may and may not do."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from spplus.api.app import create_app
from spplus.api.tokens import Role, TokenStore
from spplus.rules.loader import default_rules_dir
from spplus.settings import Settings

from .conftest import TASK_QUEUE, CycleDriver, new_candidate, local_today
from .steps import audit, prerequisites


@pytest.fixture
async def api(env, worker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SPPLUS_EDITIONS", str(tmp_path / "editions"))  # where the worker's activities look too
    tokens = TokenStore(tmp_path / "tokens.json")
    settings = Settings(address=None, namespace="default", task_queue=TASK_QUEUE, data_dir=tmp_path,
                        rules_dir=default_rules_dir(), editions_dir=tmp_path / "editions", port=0, ui_port=0)

    async def connect():
        return env.client

    app = create_app(connect, tokens, settings)
    secrets = {
        "alpha": tokens.create(Role.body, "OC Alpha", "oc-alpha")[1],
        "beta": tokens.create(Role.body, "OC Beta", "oc-beta")[1],
        "ditp": tokens.create(Role.ditp, "DITP")[1],
        "operator": tokens.create(Role.operator, "astreinte")[1],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
        http.secrets, http.tokens, http.settings = secrets, tokens, settings  # type: ignore[attr-defined]
        yield http


def auth(http, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {http.secrets[who]}"}


def candidate_json(body: str = "oc-alpha") -> dict:
    return new_candidate(local_today(), certification_body=body).model_dump(mode="json")


async def started(http, who: str = "alpha") -> str:
    data = candidate_json("oc-" + who)
    response = await http.post("/cycles", json=data, headers=auth(http, who))
    assert response.status_code == 201, response.text
    for _ in range(100):
        if (await http.get(f"/cycles/{data['id']}", headers=auth(http, who))).status_code == 200:
            break
    return data["id"]


async def test_a_body_starts_and_drives_its_own_candidacy(api):
    cid = await started(api)
    today = local_today()
    dates = {"type": "audit_dates", "visit_start": (today + timedelta(days=60)).isoformat(),
             "visit_end": (today + timedelta(days=60)).isoformat(), "sites": ["hdv"]}
    first = await api.post(f"/cycles/{cid}/events", json=dates, headers={**auth(api, "alpha"), "Idempotency-Key": "k-1"})
    again = await api.post(f"/cycles/{cid}/events", json=dates, headers={**auth(api, "alpha"), "Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    timeline = (await api.get(f"/cycles/{cid}/timeline", headers=auth(api, "alpha"))).json()
    assert [e["kind"] for e in timeline].count("audit_dates") == 1  # the retried request applied once
    view = (await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))).json()
    assert view["current_audit"]["postponements"] == 0 and view["open_deadlines"]


async def test_errors_are_problem_json_naming_the_field(api):
    cid = await started(api)
    today = local_today()
    refused = await api.post(f"/cycles/{cid}/events", headers=auth(api, "alpha"), json={
        "type": "audit_dates", "visit_start": (today + timedelta(days=9)).isoformat(),
        "visit_end": (today + timedelta(days=9)).isoformat(), "sites": ["gare"]})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == "sites" and "gare" in refused.json()["detail"]
    malformed = await api.post(f"/cycles/{cid}/events", headers=auth(api, "alpha"),
                               json={"type": "self_assessment", "done_on": "2026-13-01"})
    assert malformed.status_code == 422 and "done_on" in malformed.json()["field"]
    unknown = await api.get("/cycles/nobody-here", headers=auth(api, "operator"))
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"


async def test_a_body_cannot_touch_another_bodys_candidacy(api):
    cid = await started(api, "alpha")
    # Issue 11, door 3: another body's cycle answers exactly as a cycle that does not exist.
    theirs = await api.get(f"/cycles/{cid}", headers=auth(api, "beta"))
    nobody = await api.get("/cycles/no-such-cycle", headers=auth(api, "beta"))
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json()["detail"].replace(cid, "X") == nobody.json()["detail"].replace("no-such-cycle", "X")
    send = await api.post(f"/cycles/{cid}/events", headers=auth(api, "beta"),
                          json={"type": "self_assessment", "done_on": local_today().isoformat()})
    assert send.status_code == 404 and "oc-alpha" not in send.text
    timeline = await api.get(f"/cycles/{cid}/timeline", headers=auth(api, "beta"))
    assert timeline.status_code == 404
    assert (await api.post("/cycles", json=candidate_json("oc-alpha"), headers=auth(api, "beta"))).status_code == 403
    # A clash of ids says only that the id is taken: not the other body's phase, nor a refusal's dates.
    clash = await api.post("/cycles", json={**candidate_json("oc-beta"), "id": cid}, headers=auth(api, "beta"))
    assert clash.status_code == 409 and clash.json()["detail"] == f"the id {cid} is taken; choose another"
    own = await api.post("/cycles", json={**candidate_json("oc-alpha"), "id": cid}, headers=auth(api, "alpha"))
    assert own.status_code == 409 and "preparation" in own.json()["detail"]  # its own body is told where it stands
    listed = (await api.get("/cycles", headers=auth(api, "beta"))).json()["items"]
    assert all(item["certification_body"] == "oc-beta" for item in listed)


async def test_operator_reads_all_acts_on_none_and_anonymous_reads_only_the_public_list(api):
    cid = await started(api, "alpha")
    assert (await api.get(f"/cycles/{cid}", headers=auth(api, "operator"))).status_code == 200
    act = await api.post(f"/cycles/{cid}/events", headers=auth(api, "operator"),
                         json={"type": "self_assessment", "done_on": local_today().isoformat()})
    assert act.status_code == 403
    assert (await api.get(f"/cycles/{cid}")).status_code == 401  # no token: 401, a token would change the answer
    assert (await api.get("/cycles")).status_code == 401
    assert (await api.get("/public/labels")).status_code == 200
    assert (await api.get("/cycles", headers={"Authorization": "Bearer spp_forged"})).status_code == 401
    token_id = next(t.id for t in api.tokens.list() if t.role == Role.operator)
    api.tokens.revoke(token_id)
    assert (await api.get(f"/cycles/{cid}", headers=auth(api, "operator"))).status_code == 401


async def test_listing_is_paginated(api):
    for _ in range(3):
        await started(api, "alpha")
    first = (await api.get("/cycles", params={"page_size": 2}, headers=auth(api, "operator"))).json()
    assert len(first["items"]) == 2 and first["next_page_token"]
    second = (await api.get("/cycles", params={"page_size": 2, "page_token": first["next_page_token"]},
                            headers=auth(api, "operator"))).json()
    assert second["items"] and not {i["workflow_id"] for i in first["items"]} & {i["workflow_id"] for i in second["items"]}


async def test_the_ditp_manages_editions_and_moves_a_cycle_by_a_reasoned_act(api):
    cid = await started(api, "alpha")
    listed = (await api.get("/rules/editions", headers=auth(api, "ditp"))).json()
    assert listed[0]["edition"] == "2025.12" and listed[0]["running_cycles"] >= 1
    files = {p.name: p.read_text(encoding="utf-8") for p in default_rules_dir().glob("*.yaml")}
    broken = {**files, "tiers.yaml": files["tiers.yaml"].replace("user_survey: 80", "user_survey: 65", 1)}
    refused = await api.post("/rules/editions", json={"files": broken}, headers=auth(api, "ditp"))
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["file"] == "tiers.yaml" and error["line"] > 1 and error["column"] > 1
    new = {**files, "edition.yaml": files["edition.yaml"].replace('edition: "2025.12"', 'edition: "2027.1"')}
    assert (await api.post("/rules/editions", json={"files": new}, headers=auth(api, "alpha"))).status_code == 403
    assert (await api.post("/rules/editions", json={"files": new}, headers=auth(api, "ditp"))).status_code == 201
    sneaky = await api.post(f"/cycles/{cid}/events", headers=auth(api, "alpha"),
                            json={"type": "rules_edition_change", "edition": "2027.1", "reason": "mine"})
    assert sneaky.status_code == 403
    moved = await api.post(f"/cycles/{cid}/edition", json={"edition": "2027.1", "reason": "decree of 2027"},
                           headers=auth(api, "ditp"))
    assert moved.status_code == 200, moved.text
    view = (await api.get(f"/cycles/{cid}", headers=auth(api, "ditp"))).json()
    assert view["edition"] == "2027.1"
    change = [e for e in (await api.get(f"/cycles/{cid}/timeline", headers=auth(api, "ditp"))).json()
              if e["kind"] == "rules_edition_change"]
    assert change and "decree of 2027" in change[0]["summary"] and change[0]["actor"].startswith("ditp:")


async def test_public_list_and_agenda(api, env):
    cid = await started(api, "alpha")
    driver = CycleDriver(env, new_candidate(local_today()).model_copy(update={"id": cid}))
    t0 = await driver.today()
    await prerequisites(driver, t0, user_note=75, agent_note=55)
    await audit(driver, t0 + timedelta(days=60), score=60, tier="bronze")
    rows = (await api.get("/public/labels")).json()
    assert any(r["candidate"] == cid and r["tier"] == "bronze" and not r["suspended"] for r in rows)
    csv_text = (await api.get("/public/labels.csv")).text
    lines = csv_text.splitlines()
    assert lines[0] == "candidate,tier,status,suspended,certification_body,expires,name,territory,sites,valid_from,last_valid_day"
    row = next(line for line in lines if line.startswith(cid)).split(",")
    assert row[6:9] == ["Mairie de Test", "metropole", "Hôtel de ville | Annexe"] and row[9] < row[10] < row[5]
    ics = await api.get("/agenda.ics", headers=auth(api, "alpha"))
    assert ics.headers["content-type"].startswith("text/calendar")
    unfolded = ics.text.replace("\r\n ", "")  # RFC 5545 folds lines at 75 octets, anywhere in a word
    assert "BEGIN:VEVENT" in unfolded and "follow-up" in unfolded


class HttpDriver(CycleDriver):
    """Drive a cycle as a certification body would over HTTP; only the clock is moved directly."""

    def __init__(self, env, http, candidate_id: str, who: str = "alpha") -> None:
        super().__init__(env, new_candidate(local_today()).model_copy(update={"id": candidate_id}))
        self.http, self.who = http, who

    async def send(self, event, event_id=None):
        headers = {**auth(self.http, self.who), "Idempotency-Key": event_id or uuid.uuid4().hex}
        response = await self.http.post(f"/cycles/{self.candidate.id}/events", json=event, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


async def test_a_whole_cycle_through_http(api, env):
    """Every kind of event a body sends, through the API: labelled, observations, suspension, lifting, withdrawal."""
    cid = await started(api, "alpha")
    driver = HttpDriver(env, api, cid)
    t0 = await driver.today()
    await prerequisites(driver, t0, user_note=75, agent_note=55)
    visit = t0 + timedelta(days=60)
    await driver.send({"type": "audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(), "sites": ["hdv"]})
    await driver.go_to(visit - timedelta(days=40))
    dossier = ["identification", "organisation-chart", "training-plan", "self-assessment", "user-sampling-method", "survey-results"]
    await driver.send({"type": "dossier", "received_on": (visit - timedelta(days=40)).isoformat(), "contents": dossier})
    await driver.send({"type": "complements_requested", "requested_on": (visit - timedelta(days=40)).isoformat(),
                       "items": ["improvement-plan", "quality-indicators"]})
    await driver.go_to(visit - timedelta(days=20))
    await driver.send({"type": "dossier", "received_on": (visit - timedelta(days=20)).isoformat(),
                       "contents": ["improvement-plan", "quality-indicators"]})
    await driver.send({"type": "audit_plan", "sent_on": (visit - timedelta(days=20)).isoformat(), "auditors": ["C. Durand"]})
    await driver.go_to(visit)
    await driver.send({"type": "visit", "scores": {"control_points": {str(n): [1, 0.75, 0.25] for n in range(1, 9)}}})
    report = visit + timedelta(days=10)
    await driver.go_to(report)
    await driver.send({"type": "report", "sent_on": report.isoformat(), "received_on": report.isoformat()})
    await driver.go_to(report + timedelta(days=5))
    await driver.send({"type": "observations", "received_on": (report + timedelta(days=5)).isoformat(), "text": "site annexe fermé le jour de la visite"})
    await driver.send({"type": "decision", "decided_on": (report + timedelta(days=5)).isoformat(), "tier": "bronze"})
    suspended = report + timedelta(days=30)
    await driver.go_to(suspended)
    await driver.send({"type": "suspension", "reason": "own-request", "effective": suspended.isoformat(), "note": "reorganisation"})
    await driver.send({"type": "suspension_lifted", "effective": suspended.isoformat()})
    await driver.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": suspended.isoformat()})
    view = (await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))).json()
    assert view["phase"] == "withdrawn" and view["breaches"] == 0
    kinds = [e["kind"] for e in (await api.get(f"/cycles/{cid}/timeline", headers=auth(api, "alpha"))).json()]
    for kind in ("self_assessment", "survey", "audit_dates", "dossier", "complements_requested", "audit_plan", "visit",
                 "report", "observations", "decision", "suspension", "suspension_lifted", "withdrawal"):
        assert kind in kinds, kind


async def test_the_api_counts_its_requests_for_prometheus(api):
    await api.get("/public/labels")
    await api.get("/cycles")  # refused: anonymous
    # Issue 11, door 9: the counts tell who uses the engine; an anonymous caller does not read them.
    assert (await api.get("/metrics")).status_code == 401
    assert (await api.get("/metrics", headers=auth(api, "alpha"))).status_code == 403
    text = (await api.get("/metrics", headers=auth(api, "operator"))).text
    assert 'spplus_api_requests_total{method="GET",route="/public/labels",status="200"}' in text
    assert 'route="/cycles",status="401"' in text
