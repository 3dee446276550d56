"""The web pages over HTTP (httpx against the app), on the real Temporal server of tests/temporal_cycles:
sign-in and its cookie, CSRF, a body's walls, the engine's refusal beside its field, the public list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.pages.conftest import csrf_of, error_beside, make_app, signed_in, started
from tests.temporal_cycles.conftest import CycleDriver, env, local_today, new_candidate, worker  # noqa: F401
from tests.temporal_cycles.steps import audit, prerequisites


async def test_sign_in_sets_a_strict_signed_cookie_and_signs_out(site):
    page = await site.get("/connexion")
    assert page.status_code == 200 and '<html lang="fr"' in page.text and 'href="#contenu"' in page.text
    assert '<label class="fr-label" for="jeton">' in page.text and 'id="form-connexion"' in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text and " style=" not in page.text  # no inline script or style
    assert '/static/dsfr/dsfr.min.css' in page.text and "fr-logo" in page.text
    signed = await site.post("/connexion", data={"csrf": csrf_of(page.text), "jeton": site.secrets["alpha"]})
    assert signed.status_code == 303
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("spplus_session="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "secure" not in flags  # http: no Secure
    assert site.secrets["alpha"] not in cookie and site.secrets["alpha"][4:] not in cookie  # the id, never the token
    board = await site.get("/tableau-de-bord")
    assert board.status_code == 200 and "oc-alpha" in board.text and board.headers["cache-control"] == "no-store"
    out = await site.post("/deconnexion", data={"csrf": csrf_of(board.text)})
    assert out.status_code == 303 and out.headers["location"] == "/connexion"
    again = await site.get("/tableau-de-bord")
    assert again.status_code == 303 and again.headers["location"] == "/connexion"


async def test_the_cookie_is_secure_over_https_and_a_bad_token_is_told_beside_its_field(site):
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url="https://engine")
    async with client:
        form = await client.get("/connexion")
        signed = await client.post("/connexion", data={"csrf": csrf_of(form.text), "jeton": site.secrets["beta"]})
        cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("spplus_session="))
        assert "secure" in [p.strip().lower() for p in cookie.split(";")]
    wrong = await site.post("/connexion", data={"csrf": csrf_of((await site.get("/connexion")).text), "jeton": "spp_nope"})
    assert wrong.status_code == 401 and "spplus_session" not in wrong.headers.get("set-cookie", "")
    assert "pas reconnu" in error_beside(wrong.text, "jeton") and 'aria-describedby="jeton-erreur"' in wrong.text


async def test_forms_without_their_csrf_token_are_refused(site):
    await site.get("/connexion")  # the sign-in cookie is set, but the form's token is not sent
    no_token = await site.post("/connexion", data={"jeton": site.secrets["alpha"]})
    assert no_token.status_code == 403 and "spplus_session" not in no_token.headers.get("set-cookie", "")
    cid = await started(site)
    async with signed_in(site, "alpha") as alpha:
        forged = await alpha.post(f"/candidatures/{cid}/evenements/self_assessment",
                                  data={"csrf": "forged", "done_on": local_today().isoformat()})
        assert forged.status_code == 403 and "Formulaire refusé" in forged.text
        page = await alpha.get(f"/candidatures/{cid}")
        assert "Autodiagnostic" not in page.text.split('id="titre-chronologie"')[1]  # nothing was recorded
        # A token bound to another browser's session is refused too.
        async with signed_in(site, "alpha") as other:
            theirs = csrf_of((await other.get("/tableau-de-bord")).text)
        stolen = await alpha.post(f"/candidatures/{cid}/evenements/self_assessment",
                                  data={"csrf": theirs, "done_on": local_today().isoformat()})
        assert stolen.status_code == 403


async def test_a_body_sees_its_own_candidacies_only(site):
    mine, theirs = await started(site, "alpha"), await started(site, "beta")
    async with signed_in(site, "alpha") as alpha:
        listed = await alpha.get("/candidatures")
        assert listed.status_code == 200 and f'href="/candidatures/{mine}"' in listed.text and theirs not in listed.text
        page = await alpha.get(f"/candidatures/{mine}")
        assert page.status_code == 200 and 'id="table-echeances"' in page.text and "Hôtel de ville" in page.text
        assert 'id="lien-self_assessment"' in page.text and 'id="lien-audit_dates"' in page.text
        hidden, missing = await alpha.get(f"/candidatures/{theirs}"), await alpha.get("/candidatures/no-such-cycle")
        assert hidden.status_code == missing.status_code == 404 and "oc-beta" not in hidden.text
        assert (await alpha.get(f"/candidatures/{theirs}/evenements/self_assessment")).status_code == 404
        board = await alpha.get("/tableau-de-bord")
        assert theirs not in board.text and 'id="section-semaine"' in board.text
        filtered = await alpha.get("/candidatures", params={"etape": "preparation"})
        assert filtered.status_code == 200 and mine in filtered.text and theirs not in filtered.text
        assert mine not in (await alpha.get("/candidatures", params={"etape": "labelled"})).text
        bad = await alpha.get("/candidatures", params={"echeance_sous": "soon", "page": "forged"})
        assert "Écrivez un nombre de jours" in error_beside(bad.text, "echeance_sous") and 'id="page-erreur"' in bad.text
        # Revoking the token closes its page sessions at once.
        token_id = next(t.id for t in site.tokens.list() if t.body == "oc-alpha")
        site.tokens.revoke(token_id)
        gone = await alpha.get("/candidatures")
        assert gone.status_code == 303 and gone.headers["location"] == "/connexion"
    async with signed_in(site, "operator") as operator:
        both = await operator.get("/candidatures")
        assert mine in both.text and theirs in both.text
        act = await operator.get(f"/candidatures/{mine}/evenements/self_assessment")
        assert act.status_code == 403  # an operator reads, never acts: the API's rule, from the same gate


async def test_events_are_sent_to_the_engine_and_its_refusal_shows_beside_the_field(site):
    cid = await started(site)
    today = local_today()
    async with signed_in(site, "alpha") as alpha:
        form = await alpha.get(f"/candidatures/{cid}/evenements/audit_dates")
        assert form.status_code == 200 and 'id="form-audit_dates"' in form.text
        assert 'for="champ-visit_start"' in form.text and 'id="champ-sites-hdv"' in form.text
        visit = (today + timedelta(days=9)).isoformat()
        refused = await alpha.post(f"/candidatures/{cid}/evenements/audit_dates", data={
            "csrf": csrf_of(form.text), "cle": "k1", "audit": "initial", "visit_start": visit, "visit_end": visit,
            "sites": "gare"})
        assert refused.status_code == 422
        assert "gare" in error_beside(refused.text, "champ-sites")  # the engine's own message, beside its field
        assert f'value="{visit}"' in refused.text  # what was typed is kept
        missing = await alpha.post(f"/candidatures/{cid}/evenements/self_assessment",
                                   data={"csrf": csrf_of(form.text), "done_on": ""})
        assert missing.status_code == 422 and "obligatoire" in error_beside(missing.text, "champ-done_on")
        sent = await alpha.post(f"/candidatures/{cid}/evenements/self_assessment",
                                data={"csrf": csrf_of(form.text), "cle": "sa-1", "done_on": today.isoformat(),
                                      "global_result": "72,5"})
        assert sent.status_code == 303 and sent.headers["location"] == f"/candidatures/{cid}?enregistre=self_assessment"
        page = await alpha.get(sent.headers["location"])
        assert 'id="enregistre"' in page.text
        timeline = page.text.split('id="table-chronologie"')[1]
        assert "organisme oc-alpha" in timeline  # who entered it, and when
        later = (today + timedelta(days=60)).isoformat()
        dates = await alpha.post(f"/candidatures/{cid}/evenements/audit_dates", data={
            "csrf": csrf_of(form.text), "cle": "dates-1", "audit": "initial", "visit_start": later, "visit_end": later,
            "sites": "hdv"})
        assert dates.status_code == 303
        deadlines = (await alpha.get(f"/candidatures/{cid}")).text.split('id="table-echeances"')[1].split("</table>")[0]
        assert "<time datetime=" in deadlines and "§" in deadlines  # each with its date, rule and guide section
    api_timeline = (await site.get(f"/cycles/{cid}/timeline",
                                   headers={"Authorization": f"Bearer {site.secrets['alpha']}"})).json()
    assert [e["kind"] for e in api_timeline].count("self_assessment") == 1
    assert [e["kind"] for e in api_timeline].count("audit_dates") == 1  # the refused one recorded nothing


async def test_the_public_list_shows_labels_and_suspensions(site, env):
    cid = await started(site, "alpha")
    driver = CycleDriver(env, new_candidate(local_today()).model_copy(update={"id": cid}))
    t0 = await driver.today()
    await prerequisites(driver, t0, user_note=75, agent_note=55)
    decided = await audit(driver, t0 + timedelta(days=60), score=60, tier="bronze")
    page = await site.get("/liste-publique")  # anonymous
    assert page.status_code == 200 and 'href="/public/labels.csv"' in page.text and 'href="/public/labels"' in page.text
    row = page.text.split(f'id="service-{cid}"')[1].split("</tr>")[0]
    assert "bronze" in row and "Valide" in row and "oc-alpha" in row
    await driver.go_to(decided + timedelta(days=5))
    await driver.send({"type": "suspension", "reason": "own-request", "effective": (decided + timedelta(days=5)).isoformat()})
    row = (await site.get("/liste-publique")).text.split(f'id="service-{cid}"')[1].split("</tr>")[0]
    assert "Suspendu" in row
    assert cid not in (await site.get("/liste-publique", params={"q": "no-such-name"})).text


async def test_the_neutral_theme_has_no_marianne_nor_dsfr(env, worker, tmp_path: Path):
    app, _ = make_app(env, tmp_path, theme="neutral")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as http:
        page = await http.get("/connexion")
        assert page.status_code == 200 and "/static/dsfr" not in page.text and "fr-logo" not in page.text
        assert "/static/pages/neutral.css" in page.text
        assert (await http.get("/static/pages/neutral.css")).status_code == 200


async def test_the_dsfr_is_served_from_its_npm_package(site):
    from spplus.interfaces.pages import DSFR_DIST

    if not DSFR_DIST.is_dir():
        pytest.fail("node_modules/@gouvfr/dsfr is missing: run make install (npm ci --ignore-scripts)")
    css = await site.get("/static/dsfr/dsfr.min.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await site.get("/static/dsfr/dsfr.module.min.js")).status_code == 200
