"""Issue 12: the public list's back catalogue, imported from a CSV of labelled services (one cycle per row).

Each row's cycle is labelled on its decision date and the days pass to today: a label decided last year is on
the public list with its tier and expiry; one whose 3 years are over has expired and is not; a row the rules
refuse is answered with its line, and never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import date

import pytest
from dateutil.relativedelta import relativedelta

from spplus.holiday_source import working_calendar
from spplus.lifecycle.importing import CatalogueRefused, ImportRefused, labelled_from_catalogue, read_catalogue
from spplus.rules.loader import default_rules_dir, load_rules_cached
from spplus.rules.span import rules_apply_from

from .conftest import local_today
from .test_api import api, auth  # noqa: F401  (the API fixture)

CSV = {"content-type": "text/csv; charset=utf-8"}
RULES = load_rules_cached(default_rules_dir())


def catalogue(*rows: str, header: str = "id,name,sites,tier,decided_on,certification_body,territory,agents_in_contact") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode("utf-8")


async def public_row(api, candidate: str, present: bool = True) -> dict | None:
    """The public list's row of ``candidate`` once the cycle has published its label (visibility is eventual)."""
    for _ in range(200):
        rows = {r["candidate"]: r for r in (await api.get("/public/labels")).json()}
        if (candidate in rows) == present:
            return rows.get(candidate)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{candidate} is {'not ' if present else ''}on the public list")


async def read_view(api, candidate: str, who: str = "alpha") -> dict:
    for _ in range(200):
        view = await api.get(f"/cycles/{candidate}", headers=auth(api, who))
        if view.status_code == 200 and view.json() is not None:
            return view.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"no cycle {candidate}: {view.text}")


async def test_a_back_catalogue_puts_valid_labels_on_the_public_list_and_refuses_a_row_by_its_line(api):
    today, tag = local_today(), uuid.uuid4().hex[:8]
    last_year = today - relativedelta(years=1)
    # Four years ago, or the rules' first day when that is later (no rule dates a label decided before them):
    # either way its 3 years are over today.
    old = max(today - relativedelta(years=4), rules_apply_from(RULES))
    raw = catalogue(
        f"mairie-du-port-{tag},Mairie du Port,Hôtel de ville|Annexe du quai,bronze,{last_year.isoformat()},oc-alpha,moselle,64",
        f",Caisse de Rive {tag},Accueil,argent,{old.isoformat()},oc-alpha,,12",
        f"sous-prefecture-{tag},Sous-préfecture,Accueil,platine,{last_year.isoformat()},oc-alpha,,30",
    )
    answer = await api.post("/cycles:import-catalogue", content=raw, headers={**auth(api, "alpha"), **CSV})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    digest = hashlib.sha256(raw).hexdigest()
    assert (result["sha256"], result["started"], result["refused"]) == (digest, 2, 1)
    valid, expired, refused = result["rows"]
    assert (valid["line"], valid["status"], valid["label_status"], valid["tier"]) == (2, "started", "valid", "bronze")
    assert valid["expires"] == (last_year + relativedelta(years=3)).isoformat()
    assert (expired["candidate"], expired["status"], expired["label_status"]) == (f"caisse-de-rive-{tag}", "started", "expired")
    assert refused["status"] == "refused" and refused["field"] == "tier"
    assert refused["message"].startswith("line 4: tier: unknown tier 'platine'; the tiers are bronze, argent, or")

    # On the public list as valid, with its tier and expiry; the expired one is not; the refused one has no cycle.
    listed = await public_row(api, valid["candidate"])
    assert listed is not None
    assert (listed["tier"], listed["status"], listed["expires"], listed["certification_body"]) == \
        ("bronze", "valid", valid["expires"], "oc-alpha")
    await public_row(api, expired["candidate"], present=False)
    assert (await api.get(f"/cycles/sous-prefecture-{tag}", headers=auth(api, "alpha"))).status_code == 404

    view = await read_view(api, valid["candidate"])
    assert (view["phase"], view["label_status"], view["attestation"]["valid_from"]) == ("labelled", "valid", last_year.isoformat())
    assert view["candidate"]["sites"] == [{"id": "hotel-de-ville", "name": "Hôtel de ville", "domains": []},
                                          {"id": "annexe-du-quai", "name": "Annexe du quai", "domains": []}]
    assert {"label.followup_target", "label.renewal_invitation", "label.expiry"} <= {d["key"] for d in view["open_deadlines"]}
    timeline = (await api.get(f"/cycles/{valid['candidate']}/timeline", headers=auth(api, "alpha"))).json()
    imported = next(e for e in timeline if e["kind"] == "imported")
    assert f"label imported from the back catalogue (sha256 {digest}, line 2)" in imported["summary"]
    assert imported["on"] == last_year.isoformat() and imported["recorded"] == today.isoformat()

    gone = await read_view(api, expired["candidate"])
    assert (gone["phase"], gone["label_status"]) == ("expired", "expired")
    assert gone["breaches"] == 1  # its follow-up window closed without a follow-up audit (§3.9.1)

    # Sent again: every id is taken now, the running cycle's and the closed one's; nothing starts twice.
    again = (await api.post("/cycles:import-catalogue", content=raw, headers={**auth(api, "alpha"), **CSV})).json()
    assert again["started"] == 0
    assert [r["message"] for r in again["rows"][:2]] == [
        f"line 2: the id {valid['candidate']} is taken; choose another",
        f"line 3: the id {expired['candidate']} is taken; choose another"]


async def test_each_row_names_the_tokens_body_and_another_bodys_id_is_only_taken(api):
    today, tag = local_today(), uuid.uuid4().hex[:8]
    day = (today - relativedelta(months=3)).isoformat()
    mine = f"mairie-{tag}"
    first = await api.post("/cycles:import-catalogue", headers={**auth(api, "alpha"), **CSV},
                           content=catalogue(f"{mine},Mairie,Accueil,bronze,{day},oc-alpha,,10"))
    assert first.json()["started"] == 1, first.text
    answer = await api.post("/cycles:import-catalogue", headers={**auth(api, "beta"), **CSV}, content=catalogue(
        f"{mine},Mairie,Accueil,bronze,{day},oc-beta,,10",
        f"other-{tag},Autre,Accueil,bronze,{day},oc-alpha,,10",
        f"beta-{tag},Service de Beta,Accueil,argent,{day},oc-beta,,10",
        f"late-{tag},Plus tard,Accueil,argent,{(today + relativedelta(days=2)).isoformat()},oc-beta,,10",
    ))
    rows = answer.json()["rows"]
    assert rows[0]["message"] == f"line 2: the id {mine} is taken; choose another"  # nothing of alpha's cycle
    assert rows[1]["message"] == "line 3: certification_body: oc-alpha is not this token's body; oc-beta imports its own labels"
    assert (rows[2]["status"], rows[2]["label_status"]) == ("started", "valid")  # a refused row stops no other
    assert rows[3]["status"] == "refused" and rows[3]["field"] == "decided_on" and "is after today" in rows[3]["message"]

    # Without agents_in_contact, no number is invented: each row is refused, saying what to add.
    bare = await api.post("/cycles:import-catalogue", headers={**auth(api, "alpha"), **CSV},
                          content=catalogue(f"bare-{tag},Mairie,Accueil,bronze,{day},oc-alpha",
                                            header="id,name,sites,tier,decided_on,certification_body"))
    (row,) = bare.json()["rows"]
    assert row["status"] == "refused" and row["message"].startswith("line 2: agents_in_contact: not given")

    # A file that cannot be read at all is refused whole; a token of another role imports nothing; JSON is not CSV.
    unknown = await api.post("/cycles:import-catalogue", headers={**auth(api, "alpha"), **CSV},
                             content=catalogue(header="name,sites,tier,decided_on,certification_body,colour"))
    assert unknown.status_code == 422 and unknown.json()["field"] == "catalogue"
    assert "unknown column 'colour'" in unknown.json()["detail"]
    assert (await api.post("/cycles:import-catalogue", headers={**auth(api, "ditp"), **CSV}, content=b"x")).status_code == 403
    assert (await api.post("/cycles:import-catalogue", headers=auth(api, "alpha"), json={})).status_code == 415


def test_the_rows_are_bounded_and_a_decision_before_the_rules_is_refused():
    header = "name,sites,tier,decided_on,certification_body,agents_in_contact"
    rows = "".join(f"Mairie {n},Accueil,bronze,2025-01-01,oc-alpha,3\n" for n in range(4))
    assert len(read_catalogue(f"{header}\n{rows}", max_rows=4)) == 4
    with pytest.raises(CatalogueRefused, match="more than 4 rows"):
        read_catalogue(f"{header}\n{rows}Mairie 5,Accueil,bronze,2025-01-01,oc-alpha,3\n", max_rows=4)

    floor = rules_apply_from(RULES)
    (row,) = read_catalogue(f"{header}\nMairie,Accueil,bronze,{(floor - relativedelta(days=1)).isoformat()},oc-alpha,3\n")
    calendar = working_calendar(RULES, "metropole", floor.year - 1, floor.year + 5, floor)
    with pytest.raises(ImportRefused, match="is before .* the day the rules"):
        labelled_from_catalogue(row, RULES, calendar, date(floor.year + 1, 1, 1), "0" * 64)
