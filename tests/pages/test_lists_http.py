"""The pages' lists over HTTP (httpx against the app) on the real Temporal server of tests/temporal_cycles (issue 13):
the candidacies list's filters and search, a refused filter told beside its field, htmx fragments, the dashboard's
sections (« this week » counted from the Paris date, with freezegun), the public list, and the wall between bodies.

Each test gives its cycles a body of its own (``oc-<tag>``) and a word of its own in their names (``<tag>``), so
counts are exact and the other tests' cycles on the shared server never get in the way. Labelled cycles come from
a back catalogue (issue 12: each row a cycle labelled on its decision date), so they have tiers, territories,
expiries and breaches without running every audit.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from spplus import client as engine
from spplus.api.tokens import Role
from spplus.interfaces.pages.kit import date_fr
from tests.pages.conftest import error_beside, signed_in, started
from tests.temporal_cycles.conftest import (  # noqa: F401
    CycleDriver,
    env,
    local_today,
    new_candidate,
    worker,
)
from tests.temporal_cycles.steps import audit, prerequisites

CSV = {"content-type": "text/csv; charset=utf-8"}
HX = {"HX-Request": "true"}


# ---------------------------------------------------------------------------------------------- helpers
def new_body(site, name: str) -> str:
    """A body token of its own (``site.secrets[name]``), for body ``oc-<name>``; its id."""
    body = f"oc-{name}"
    site.secrets[name] = site.tokens.create(Role.body, f"OC {name}", body)[1]
    return body


def auth(site, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.secrets[who]}"}


async def import_catalogue(site, who: str, *rows: str) -> dict[str, Any]:
    header = "id,name,sites,tier,decided_on,certification_body,territory,agents_in_contact"
    raw = ("\n".join((header, *rows)) + "\n").encode("utf-8")
    answer = await site.post("/cycles:import-catalogue", content=raw, headers={**auth(site, who), **CSV})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["refused"] == 0, result
    return {row["candidate"]: row for row in result["rows"]}


async def until(read: Callable[[], Awaitable[str]], holds: Callable[[str], bool], what: str) -> str:
    """A page read again until ``holds`` (the visibility store is updated a moment after a cycle acts)."""
    text = ""
    for _ in range(100):
        text = await read()
        if holds(text):
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: {text[:3000]}")


def ids_in(html: str, table: str) -> set[str]:
    """The candidates listed in a table (its rows' ids are ``<table>-<candidate>``)."""
    part = html.split(f'id="{table}"', 1)
    if len(part) < 2:
        return set()
    body = part[1].split("</table>", 1)[0]
    return set(re.findall(rf'<tr id="{re.escape(table)}-([a-z0-9-]+)"', body))


def public_ids(html: str) -> set[str]:
    return set(re.findall(r'<tr id="service-([a-z0-9-]+)"', html))


def count_of(html: str, key: str) -> int:
    found = re.search(rf'id="nombre-{key}">(\d+)<', html)
    assert found, f"no count for {key}"
    return int(found.group(1))


class Listed:
    """The candidacies list as one signed-in client reads it."""

    def __init__(self, client) -> None:
        self.client = client

    async def html(self, **params: str) -> str:
        page = await self.client.get("/candidatures", params=params)
        assert page.status_code == 200, page.text[:2000]
        return page.text

    async def ids(self, **params: str) -> set[str]:
        return ids_in(await self.html(**params), "table-candidatures")


async def fixture_cycles(site, who: str, body: str, tag: str) -> dict[str, str]:
    """The cycles of one body the list and dashboard tests read:

    * ``rive``: labelled bronze last year, in Moselle, sites « Hôtel de ville » and « Annexe du port »;
    * ``caisse``: labelled argent six months ago, in metropolitan France;
    * ``ancien``: labelled bronze 28 months ago: its follow-up window (18 ± 2 months) closed without an audit (a
      breach), and its expiry is 8 months away, within the rules' 9-month renewal notice (to invite);
    * ``projet``: a candidacy opened today, its audit dates set (an audit planned, deadlines running).
    """
    today = local_today()
    last_year, half_year, older = today - relativedelta(years=1), today - relativedelta(months=6), today - relativedelta(months=28)
    ids = {"rive": f"rive-{tag}", "caisse": f"caisse-{tag}", "ancien": f"ancien-{tag}"}
    await import_catalogue(
        site, who,
        f"{ids['rive']},Mairie de Rivebelle {tag},Hôtel de ville|Annexe du port,bronze,{last_year},{body},moselle,64",
        f"{ids['caisse']},Caisse de Bellecour {tag},Accueil,argent,{half_year},{body},metropole,12",
        f"{ids['ancien']},Maison France services {tag},Accueil,bronze,{older},{body},metropole,20",
    )
    ids["projet"] = await started(site, who, name=f"Mairie de Projet {tag}")
    visit = today + timedelta(days=75)
    sent = await site.post(f"/cycles/{ids['projet']}/events", headers=auth(site, who), json={
        "type": "audit_dates", "audit": "initial", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(),
        "sites": ["hdv"]})
    assert sent.status_code in (200, 201), sent.text
    return ids


async def listing_of(site, who: str, candidate: str) -> dict[str, Any]:
    """A cycle's row of the API's list (its search attributes), once it shows its next deadline or label."""
    for _ in range(100):
        items = (await site.get("/cycles", params={"page_size": 500}, headers=auth(site, who))).json()["items"]
        row = next((i for i in items if i["candidate"] == candidate), None)
        if row is not None and (row["next_deadline"] or row["label_expiry"]):
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"{candidate} is not listed with its dates")


# ---------------------------------------------------------------------------------------------- the search
def test_names_are_stored_and_searched_as_the_same_folded_words():
    """SpNames holds the words of a name and of its sites' names folded (case, accents, punctuation), and a search
    is folded alike: the match does not depend on how PostgreSQL or SQLite split and fold text."""
    from spplus import search_attributes as sa

    assert sa.words("Hôtel-de-Ville d'Évry (Essonne)") == ["hotel", "de", "ville", "d", "evry", "essonne"]
    assert sa.searchable("Mairie de Rive", ["Hôtel de ville", "Mairie annexe"]) == "mairie de rive hotel ville annexe"
    long = sa.searchable("Mairie", [f"Site numéro {n} de la commune" for n in range(500)])
    assert long.startswith("mairie site numero") and len(long) <= sa.NAMES_MAX_CHARS
    assert engine.search_clause("Évry  HÔTEL") == "(SpNames = 'evry' AND SpNames = 'hotel')"
    assert engine.search_clause("caisse-de") == "(SpCandidate STARTS_WITH 'caisse-de' OR (SpNames = 'caisse' AND SpNames = 'de'))"
    assert engine.search_clause("l'été") == "(SpNames = 'l' AND SpNames = 'ete')"  # no quote reaches the query
    for nothing in ("", "  ", "!!! ?", "'--"):
        try:
            engine.search_clause(nothing)
        except engine.SearchRefused:
            continue
        raise AssertionError(f"{nothing!r} has no word and is searched")


# ---------------------------------------------------------------------------------------------- the list's filters
async def test_each_filter_narrows_the_candidacies_list(site):
    tag = uuid.uuid4().hex[:8]
    body = new_body(site, tag)
    ids = await fixture_cycles(site, tag, body, tag)
    today = engine.paris_today()
    async with signed_in(site, tag) as client:
        listed = Listed(client)
        everything = await until(lambda: listed.html(q=tag), lambda t: set(ids.values()) <= ids_in(t, "table-candidatures"),
                                 "the body's four cycles")
        assert ids_in(everything, "table-candidatures") == set(ids.values())
        assert "4 candidatures pour ces filtres" in everything
        # The name is shown, the id beside it, and the tier with the rules' label.
        row = everything.split(f'id="table-candidatures-{ids["caisse"]}"')[1].split("</tr>")[0]
        assert f"Caisse de Bellecour {tag}" in row and ids["caisse"] in row and "Argent" in row

        # Tier, territory, phase, label status: each finds one cycle and not another.
        assert await listed.ids(q=tag, niveau="bronze") == {ids["rive"], ids["ancien"]}
        assert await listed.ids(q=tag, niveau="argent") == {ids["caisse"]}
        assert await listed.ids(q=tag, territoire="moselle") == {ids["rive"]}
        assert await listed.ids(q=tag, territoire="metropole") == {ids["caisse"], ids["ancien"], ids["projet"]}
        assert await listed.ids(q=tag, etape="preparation") == {ids["projet"]}
        assert ids["projet"] not in await listed.ids(q=tag, etape="labelled")
        assert await listed.ids(q=tag, statut="none") == {ids["projet"]}
        assert await listed.ids(q=tag, statut="valid") == {ids["rive"], ids["caisse"], ids["ancien"]}

        # The search: words of the name (any order, without accents or case), of a site's name, or an id's beginning.
        assert await listed.ids(q=f"RIVEBELLE {tag}") == {ids["rive"]}
        assert await listed.ids(q=f"mairie {tag}") == {ids["rive"], ids["projet"]}
        assert await listed.ids(q=f"annexe port {tag}") == {ids["rive"]}  # a site's name
        assert await listed.ids(q=f"HOTEL ville {tag}") == {ids["rive"], ids["projet"]}  # « Hôtel de ville », both
        assert await listed.ids(q=f"caisse-{tag[:4]}") == {ids["caisse"]}  # an id's beginning
        assert await listed.ids(q=f"bellecour-nowhere {tag}") == set()

        # Breaches and overdue deadlines: the follow-up window that closed without an audit.
        ancien = await listing_of(site, tag, ids["ancien"])
        assert ancien["breaches"] and ancien["breaches"] > 0
        assert await listed.ids(q=tag, manquements="1") == {ids["ancien"]}
        overdue = {c for c in (ids["rive"], ids["caisse"], ids["ancien"]) if (await listing_of(site, tag, c))["overdue"]}
        assert await listed.ids(q=tag, en_retard="1") == overdue

        # Due within N days: the candidacy's next deadline is on day N from today, not N - 1.
        projet = await listing_of(site, tag, ids["projet"])
        due = date.fromisoformat(projet["next_deadline"][:10])
        days = (due - today).days
        assert ids["projet"] in await listed.ids(q=tag, echeance_sous=str(days))
        assert ids["projet"] not in await listed.ids(q=tag, echeance_sous=str(days - 1))

        # Labels expiring within N days: last year's label expires in two years (§2.3).
        expiry = date.fromisoformat((await listing_of(site, tag, ids["rive"]))["label_expiry"][:10])
        assert expiry == today - relativedelta(years=1) + relativedelta(years=3)
        within = (expiry - today).days
        assert ids["rive"] in await listed.ids(q=tag, expire_sous=str(within))
        assert ids["rive"] not in await listed.ids(q=tag, expire_sous=str(within - 1))

        # Renewals to invite (the rules' 9-month notice, §3.10), audits planned.
        assert await listed.ids(q=tag, a_inviter="1") == {ids["ancien"]}
        assert await listed.ids(q=tag, audit_prevu="1") == {ids["projet"]}

        # Filters combine, and the page's links keep them.
        combined = await listed.html(q=tag, niveau="bronze", territoire="metropole")
        assert ids_in(combined, "table-candidatures") == {ids["ancien"]}
        assert 'value="bronze" selected' in combined and 'value="metropole" selected' in combined
        assert 'href="/candidatures/nouvelle"' in combined  # a body opens candidacies


async def test_a_refused_filter_is_told_beside_its_field_and_the_page_answers(site):
    async with signed_in(site, "alpha") as alpha:
        bad = await alpha.get("/candidatures", params={
            "etape": "nope", "statut": "gone", "niveau": "platine", "territoire": "mars", "echeance_sous": "soon",
            "expire_sous": "-3", "q": "!!! ???", "page": "forged"})
        assert bad.status_code == 200
        assert "étape" in error_beside(bad.text, "etape") and "statut" in error_beside(bad.text, "statut")
        assert "niveau" in error_beside(bad.text, "niveau") and "territoire" in error_beside(bad.text, "territoire")
        assert "nombre de jours" in error_beside(bad.text, "echeance_sous")
        assert "nombre de jours" in error_beside(bad.text, "expire_sous")
        assert "mot" in error_beside(bad.text, "q")
        for field in ("etape", "niveau", "territoire", "echeance_sous", "q"):
            assert f'aria-describedby="{field}-erreur"' in bad.text
        assert 'id="page-erreur"' in bad.text and 'id="table-candidatures"' in bad.text  # the list, from its start
        long = await alpha.get("/candidatures", params={"q": "x" * 101})
        assert long.status_code == 200 and "100 caractères" in error_beside(long.text, "q")
    public = await site.get("/liste-publique", params={"niveau": "platine", "territoire": "mars", "q": "---", "page": "x"})
    assert public.status_code == 200
    assert "niveau" in error_beside(public.text, "niveau") and "territoire" in error_beside(public.text, "territoire")
    assert "mot" in error_beside(public.text, "q") and 'id="page-erreur"' in public.text


async def test_an_htmx_request_gets_the_results_fragment_and_the_form_works_without_it(site):
    async with signed_in(site, "alpha") as alpha:
        whole = await alpha.get("/candidatures", params={"etape": "preparation"})
        assert '<html lang="fr"' in whole.text and "<h1>Candidatures</h1>" in whole.text
        # Without JavaScript: a GET form to the same address; with htmx, the same request swaps the results.
        form = whole.text.split('id="form-filtres"', 1)[0].rsplit("<form", 1)[1] + whole.text.split('id="form-filtres"', 1)[1].split(">", 1)[0]
        assert 'method="get"' in form and 'action="/candidatures"' in form
        assert 'hx-get="/candidatures"' in form and 'hx-target="#zone-candidatures"' in form and 'hx-push-url="true"' in form
        assert "<script>" not in whole.text and " style=" not in whole.text
        part = await alpha.get("/candidatures", params={"etape": "preparation"}, headers=HX)
        assert part.status_code == 200
        assert part.text.lstrip().startswith('<div id="zone-candidatures">') and "<html" not in part.text
        assert "<h1>" not in part.text and 'id="table-candidatures"' in part.text and 'value="preparation" selected' in part.text
        refused = await alpha.get("/candidatures", params={"niveau": "platine"}, headers=HX)
        assert refused.status_code == 200 and "niveau" in error_beside(refused.text, "niveau")  # beside its field, in the fragment
        # htmx restoring a page its history cache lost asks with HX-Request too: it gets the whole page.
        restore = await alpha.get("/candidatures", headers={**HX, "HX-History-Restore-Request": "true"})
        assert '<html lang="fr"' in restore.text
        assert re.search(r"app;dur=\d+(\.\d+)?", part.headers["server-timing"])
    public = await site.get("/liste-publique", headers=HX)
    assert public.text.lstrip().startswith('<div id="zone-liste-publique">') and "<html" not in public.text


# ---------------------------------------------------------------------------------------------- the dashboard
async def test_the_dashboard_counts_each_section_and_links_to_its_list(site):
    tag = uuid.uuid4().hex[:8]
    body = new_body(site, tag)
    ids = await fixture_cycles(site, tag, body, tag)
    async with signed_in(site, tag) as client:
        board = await until(lambda: _text(client.get("/tableau-de-bord")),
                            lambda t: count_of(t, "audits") == 1 and count_of(t, "renouvellements") == 1,
                            "the dashboard's sections")
        assert f"l'organisme <strong>{body}</strong>" in board
        assert ids_in(board, "table-audits") == {ids["projet"]}
        assert ids_in(board, "table-manquements") == {ids["ancien"]} and count_of(board, "manquements") == 1
        # The rules' renewal notice (deadlines.renewal_invitation: 9 months) is the expiring labels' horizon.
        assert ids_in(board, "table-expirations") == {ids["ancien"]} and count_of(board, "expirations") == 1
        assert ids_in(board, "table-renouvellements") == {ids["ancien"]}
        assert "invitation au renouvellement des règles" in board
        for key, link in (("semaine", "echeance_sous=7"), ("retard", "en_retard=1"), ("manquements", "manquements=1"),
                          ("audits", "audit_prevu=1"), ("renouvellements", "a_inviter=1")):
            assert re.search(rf'href="/candidatures\?{link}" id="lien-{key}"', board), key
        days = re.search(r'href="/candidatures\?expire_sous=(\d+)" id="lien-expirations"', board)
        assert days and int(days.group(1)) in range(270, 277)  # today + 9 months, in days
        # Each section's link lists what it counts.
        assert await Listed(client).ids(a_inviter="1") == {ids["ancien"]}
        assert await Listed(client).ids(audit_prevu="1") == {ids["projet"]}
        assert re.search(r"app;dur=\d", (await client.get("/tableau-de-bord")).headers["server-timing"])


async def test_this_week_on_the_dashboard_is_counted_from_the_paris_date(site):
    """The candidacy's next deadline D is « this week » when the Paris date is D - 7 or later: at 23:30 UTC on
    D - 8 it is already D - 7 in Paris (UTC+1 or +2), and at 20:00 UTC on D - 8 it is still D - 8 there."""
    tag = uuid.uuid4().hex[:8]
    new_body(site, tag)
    cid = await started(site, tag, name=f"Mairie de Semaine {tag}")
    visit = local_today() + timedelta(days=75)
    await site.post(f"/cycles/{cid}/events", headers=auth(site, tag), json={
        "type": "audit_dates", "audit": "initial", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(),
        "sites": ["hdv"]})
    due = date.fromisoformat((await listing_of(site, tag, cid))["next_deadline"][:10])
    eve = due - timedelta(days=8)
    # Signed in at the frozen time: a session cookie is dated, and one from days before would have expired.
    with freeze_time(datetime.combine(eve, time(23, 30), tzinfo=timezone.utc), real_asyncio=True):
        assert engine.paris_today() == due - timedelta(days=7)
        async with signed_in(site, tag) as client:
            board = await _text(client.get("/tableau-de-bord"))
            assert ids_in(board, "table-semaine") == {cid} and count_of(board, "semaine") == 1
            assert f"au <time datetime=\"{(due - timedelta(days=7)).isoformat()}\">" in board
            assert cid in await Listed(client).ids(echeance_sous="7")  # the section's link lists it too
    with freeze_time(datetime.combine(eve, time(20, 0), tzinfo=timezone.utc), real_asyncio=True):
        assert engine.paris_today() == eve
        async with signed_in(site, tag) as client:
            board = await _text(client.get("/tableau-de-bord"))
            assert ids_in(board, "table-semaine") == set() and count_of(board, "semaine") == 0
            assert cid not in await Listed(client).ids(echeance_sous="7")


async def _text(response: Awaitable[Any]) -> str:
    page = await response
    assert page.status_code == 200, page.text[:2000]
    return page.text


# ---------------------------------------------------------------------------------------------- the public list
async def test_the_public_list_shows_name_tier_validity_and_sites_and_filters_them(site):
    tag = uuid.uuid4().hex[:8]
    body = new_body(site, tag)
    ids = await fixture_cycles(site, tag, body, tag)
    today = local_today()
    page = await until(lambda: _text(site.get("/liste-publique", params={"q": tag})),
                       lambda t: public_ids(t) == {ids["rive"], ids["caisse"], ids["ancien"]}, "the labelled services")
    assert ids["projet"] not in page  # not labelled: not public
    row = page.split(f'id="service-{ids["rive"]}"')[1].split("</tr>")[0]
    decided = today - relativedelta(years=1)
    expiry = decided + relativedelta(years=3)
    assert f"Mairie de Rivebelle {tag}" in row and "Bronze" in row and "Valide" in row and body in row
    assert f'<time datetime="{decided.isoformat()}">{date_fr(decided)}</time>' in row  # valid from the decision…
    assert f'<time datetime="{(expiry - timedelta(days=1)).isoformat()}">' in row  # …to the day before the expiry
    assert "<li>Hôtel de ville</li>" in row and "<li>Annexe du port</li>" in row and "Moselle (57)" in row
    # Searched by name, by a site's name (where the commune is), by territory, by tier: GET filters, linkable.
    assert public_ids(await _text(site.get("/liste-publique", params={"q": f"rivebelle {tag}"}))) == {ids["rive"]}
    assert public_ids(await _text(site.get("/liste-publique", params={"q": f"port {tag}"}))) == {ids["rive"]}
    assert public_ids(await _text(site.get("/liste-publique", params={"q": tag, "territoire": "moselle"}))) == {ids["rive"]}
    assert public_ids(await _text(site.get("/liste-publique", params={"q": tag, "niveau": "argent"}))) == {ids["caisse"]}
    linked = await _text(site.get(f"/liste-publique?q={tag}&niveau=bronze&territoire=metropole"))
    assert public_ids(linked) == {ids["ancien"]} and 'value="bronze" selected' in linked
    assert 'href="/public/labels.csv"' in linked and 'href="/public/labels"' in linked
    # The exports carry the same.
    exported = {r["candidate"]: r for r in (await site.get("/public/labels")).json()}
    assert exported[ids["rive"]]["name"] == f"Mairie de Rivebelle {tag}"
    assert exported[ids["rive"]]["sites"] == ["Hôtel de ville", "Annexe du port"]
    assert exported[ids["rive"]]["valid_from"] == decided.isoformat() and exported[ids["rive"]]["territory"] == "moselle"
    assert ids["rive"] in (await site.get("/public/labels.csv")).text

    # A suspended label is shown as such while it lasts (§5.3.1).
    sent = await site.post(f"/cycles/{ids['caisse']}/events", headers=auth(site, tag), json={
        "type": "suspension", "reason": "own-request", "effective": today.isoformat()})
    assert sent.status_code in (200, 201), sent.text
    page = await until(lambda: _text(site.get("/liste-publique", params={"q": tag})),
                       lambda t: "Suspendu" in t.split(f'id="service-{ids["caisse"]}"')[1].split("</tr>")[0],
                       "the suspension on the public list")
    assert "Valide" in page.split(f'id="service-{ids["rive"]}"')[1].split("</tr>")[0]


async def test_a_cycle_labelled_by_its_events_publishes_its_name_sites_and_validity(site, env):  # noqa: F811
    """The listing memo a cycle keeps (workflows/cycle.py, PUBLIC_LISTING): set at its start, then its label's
    first day once it is decided."""
    tag = uuid.uuid4().hex[:8]
    cid = await started(site, "alpha", name=f"Mairie de Labelvie {tag}")
    driver = CycleDriver(env, new_candidate(local_today()).model_copy(update={"id": cid}))
    t0 = await driver.today()
    await prerequisites(driver, t0, user_note=75, agent_note=55)
    decided = await audit(driver, t0 + timedelta(days=60), score=60, tier="bronze")
    page = await until(lambda: _text(site.get("/liste-publique", params={"q": f"labelvie {tag}"})),
                       lambda t: cid in public_ids(t) and "du <time" in t, "the labelled cycle")
    row = page.split(f'id="service-{cid}"')[1].split("</tr>")[0]
    assert f"Mairie de Labelvie {tag}" in row and "Bronze" in row
    assert f'<time datetime="{decided.isoformat()}">' in row and "<li>Hôtel de ville</li>" in row


# ---------------------------------------------------------------------------------------------- the wall
async def test_another_bodys_cycles_never_appear_in_a_bodys_list_or_dashboard(site):
    tag = uuid.uuid4().hex[:8]
    new_body(site, f"{tag}-a")
    theirs_body = new_body(site, f"{tag}-b")
    await import_catalogue(site, f"{tag}-b", f"theirs-{tag},Mairie de Muraille {tag},Accueil,bronze,"
                                             f"{local_today() - relativedelta(months=28)},{theirs_body},moselle,10")
    theirs = await started(site, f"{tag}-b", name=f"Mairie de Muraille bis {tag}")
    mine = await started(site, f"{tag}-a", name=f"Mairie de Muraille ter {tag}")
    async with signed_in(site, "ditp") as ditp:
        await until(lambda: _text(ditp.get("/candidatures", params={"q": tag})),
                    lambda t: ids_in(t, "table-candidatures") == {f"theirs-{tag}", theirs, mine}, "the DITP sees all")
        assert 'href="/candidatures/nouvelle"' not in await _text(ditp.get("/candidatures"))  # the DITP opens none
    async with signed_in(site, f"{tag}-a") as client:
        for params in ({}, {"q": tag}, {"q": "muraille"}, {"territoire": "moselle"}, {"manquements": "1"},
                       {"a_inviter": "1"}, {"statut": "valid"}):
            page = await _text(client.get("/candidatures", params=params))
            assert f"theirs-{tag}" not in page and theirs not in page and theirs_body not in page, params
        for search in (f"theirs-{tag}", theirs):  # their ids, asked for: the search box shows them, the list does not
            assert ids_in(await _text(client.get("/candidatures", params={"q": search})), "table-candidatures") == set()
        assert ids_in(await _text(client.get("/candidatures", params={"q": tag})), "table-candidatures") == {mine}
        board = await _text(client.get("/tableau-de-bord"))
        assert f"theirs-{tag}" not in board and theirs not in board and theirs_body not in board
        assert all(count_of(board, key) == 0 for key in ("retard", "manquements", "expirations", "renouvellements"))
        # Asking for another body's list by address changes nothing: the gate scopes it.
        page = await _text(client.get("/candidatures", params={"organisme": theirs_body}))
        assert f"theirs-{tag}" not in page


async def test_a_renewal_keeps_its_territory_names_and_listing_across_its_continue_as_new(site, env):  # noqa: F811
    """A renewal opens the next cycle as a new run of the same workflow (continue-as-new, §3.10): Temporal copies the
    run's search attributes (SpTerritory, SpNames) to the next, and the cycle publishes its listing memo again."""
    tag = uuid.uuid4().hex[:8]
    body = new_body(site, tag)
    decided = local_today() - relativedelta(months=28)  # its renewal invitation (expiry - 9 months) has come
    cid = f"renouveau-{tag}"
    await import_catalogue(site, tag, f"{cid},Mairie de Renouveau {tag},Mairie annexe de Sainte-Lucie,bronze,{decided},{body},"
                                      "guadeloupe,15")
    sent = await site.post(f"/cycles/{cid}/events", headers=auth(site, tag), json={
        "type": "renewal", "requested_on": local_today().isoformat(), "contract_signed": local_today().isoformat()})
    assert sent.status_code in (200, 201), sent.text
    runs = []
    for _ in range(100):
        runs = [w async for w in env.client.list_workflows(f"WorkflowId = '{engine.cycle_id(cid)}'")]
        if len(runs) == 2 and any(str(r.status.name) == "RUNNING" for r in runs):
            break
        await asyncio.sleep(0.1)
    assert len(runs) == 2, runs  # the first cycle's run, closed by the continue-as-new, and the renewal's
    async with signed_in(site, tag) as client:
        listed = Listed(client)
        page = await until(lambda: listed.html(q=f"sainte lucie {tag}", territoire="guadeloupe", etape="renewing"),
                           lambda t: ids_in(t, "table-candidatures") == {cid}, "the renewal, by territory and site name")
        assert f"Mairie de Renouveau {tag}" in page
        assert await listed.ids(q=tag, a_inviter="1") == set()  # its renewal is asked for: nothing to invite
        assert await listed.ids(q=tag, expire_sous="400") == {cid}  # the label it renews still expires
    public = await _text(site.get("/liste-publique", params={"q": f"renouveau {tag}", "territoire": "guadeloupe"}))
    row = public.split(f'id="service-{cid}"')[1].split("</tr>")[0]
    assert f"Mairie de Renouveau {tag}" in row and f'<time datetime="{decided.isoformat()}">' in row
    assert "<li>Mairie annexe de Sainte-Lucie</li>" in row


async def test_an_embedded_server_from_an_older_version_is_given_the_new_search_attributes(tmp_path):
    """The lists filter on SpTerritory and SpNames (issue 13). The dev server registers its --search-attribute list
    only when it creates its database: worker.py adds those an older data folder lacks, or every start is refused."""
    import socket
    import subprocess

    from temporalio.client import Client
    from temporalio.common import SearchAttributePair, TypedSearchAttributes

    from spplus import search_attributes as sa
    from spplus.settings import temporal_cli
    from worker import register_missing_search_attributes

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]

    def server(keys: list) -> subprocess.Popen:
        args = [temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
                "--db-filename", str(tmp_path / "temporal.db"), "--log-level", "error"]
        for key in keys:
            args += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_').title()}"]
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def connect() -> Client:
        for _ in range(150):
            try:
                return await Client.connect(f"127.0.0.1:{port}")
            except RuntimeError:
                await asyncio.sleep(0.2)
        raise AssertionError("the dev server did not answer")

    older = server([key for key in sa.ALL if key not in (sa.TERRITORY, sa.NAMES)])
    try:
        await connect()
    finally:
        older.terminate()
        older.wait(timeout=30)
    newer = server(sa.ALL)  # as worker.py starts it: the new attributes asked for, and not registered
    try:
        client = await connect()
        assert await register_missing_search_attributes(client, "default") == ["SpNames", "SpTerritory"]
        pairs = [SearchAttributePair(sa.TERRITORY, "moselle"), SearchAttributePair(sa.NAMES, "mairie rive")]
        await client.start_workflow("LabelCycle", id=f"cycle-{uuid.uuid4().hex[:8]}", task_queue="nobody",
                                    search_attributes=TypedSearchAttributes(pairs))
        for _ in range(50):
            if (await client.count_workflows("SpTerritory = 'moselle' AND SpNames = 'rive'")).count == 1:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the new attributes are not searchable")
        assert await register_missing_search_attributes(client, "default") == []  # once is enough
    finally:
        newer.terminate()
        newer.wait(timeout=30)
