"""A body's forms over HTTP (httpx against the app), on the real Temporal server of tests/temporal_cycles: every
event form, a new candidacy, a survey's CSV export previewed then confirmed, the decision with the rules'
proposal; the engine's refusals beside their fields (nested ones on their row); the walls and the CSRF tokens.

Dates are in the past, as examples/walkthrough.sh has them, so a candidacy reaches its decision on any day.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import httpx

from spplus.interfaces.pages.forms import FORM_TYPES
from tests.pages.conftest import csrf_of, signed_in, started
from tests.pages.conftest import error_beside as escaped_error_beside
from tests.temporal_cycles.conftest import env, local_today, worker  # noqa: F401

DOSSIER_ITEMS = ["identification", "organisation-chart", "training-plan", "self-assessment", "user-sampling-method",
                 "survey-results", "improvement-plan", "quality-indicators"]
SCORES = {1: "72", 2: "68", 3: "75", 4: "61", 5: "70", 6: "64", 7: "80", 8: "60"}


def error_beside(page: str, field_id: str) -> str:
    """The message beside a field, as read on the page (entities decoded)."""
    return html.unescape(escaped_error_beside(page, field_id))


def survey_csv(rows: int = 84) -> bytes:
    """A user survey's export (the DITP's 15 questions and the completed column): ``rows`` admissible
    questionnaires, half answering « Tout à fait d'accord », half « Plutôt d'accord »: a note of 87.5."""
    answers = ["Tout à fait d'accord", "Plutôt d'accord"]
    lines = [";".join([f"Q{n}" for n in range(1, 16)] + ["termine"])]
    lines += [";".join([answers[i % 2]] * 15 + ["oui"]) for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def ago(days: int) -> str:
    return (local_today() - timedelta(days=days)).isoformat()


def labelled(html: str) -> None:
    """Every field has its label; every aria-describedby names an element of the page."""
    fields = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*?\bid="([^"]+)"', html)
    assert fields, "a form with fields"
    for field_id in fields:
        assert f'for="{field_id}"' in html, f"{field_id} has no label"
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for part in described.split():
            assert f'id="{part}"' in html, f"aria-describedby names {part}, which is not on the page"
    assert " style=" not in html and "<script>" not in html  # the CSP: no inline style or script


async def send(client: httpx.AsyncClient, cid: str, event_type: str, fields: dict) -> httpx.Response:
    """An event's form read (its CSRF token), then sent with ``fields``."""
    form = await client.get(f"/candidatures/{cid}/evenements/{event_type}")
    assert form.status_code == 200, form.text[:500]
    return await client.post(f"/candidatures/{cid}/evenements/{event_type}",
                             data={"csrf": csrf_of(form.text), "cle": uuid.uuid4().hex, **fields})


async def saved(response: httpx.Response, cid: str, event_type: str) -> None:
    assert response.status_code == 303, re.sub(r"\s+", " ", response.text)[:3000]
    assert response.headers["location"] == f"/candidatures/{cid}?enregistre={event_type}"


async def open_candidacy(client: httpx.AsyncClient, **changes) -> tuple[httpx.Response, str]:
    """A new candidacy sent through /candidatures/nouvelle (contract 120 days ago, two sites)."""
    form = await client.get("/candidatures/nouvelle")
    assert form.status_code == 200, form.text[:500]
    cid = f"mairie-{uuid.uuid4().hex[:8]}"
    data = {"csrf": csrf_of(form.text), "id": cid, "name": "Mairie de Rive", "territory": "metropole",
            "sites.0.id": "hdv", "sites.0.name": "Hôtel de ville", "sites.2.id": "port", "sites.2.name": "Mairie annexe du port",
            "agents_in_contact": "64", "contract_signed": ago(120), **changes}
    return await client.post("/candidatures/nouvelle", data=data), cid


async def api_timeline(site, cid: str, who: str = "alpha") -> list[str]:
    entries = (await site.get(f"/cycles/{cid}/timeline", headers={"Authorization": f"Bearer {site.secrets[who]}"})).json()
    return [e["kind"] for e in entries]


# ---------------------------------------------------------------------------------------------- every form renders
async def test_every_form_renders_labelled_with_its_token(site):
    cid = await started(site)
    async with signed_in(site, "alpha") as alpha:
        page = (await alpha.get(f"/candidatures/{cid}")).text
        for event_type in FORM_TYPES:
            assert f'id="lien-{event_type}"' in page
            form = await alpha.get(f"/candidatures/{cid}/evenements/{event_type}")
            assert form.status_code == 200, event_type
            assert f'id="form-{event_type}"' in form.text and csrf_of(form.text)
            labelled(form.text)
        assert 'id="lien-enquete-csv"' in page and 'id="lien-rules_edition_change"' not in page
        assert (await alpha.get(f"/candidatures/{cid}/evenements/rules_edition_change")).status_code == 404  # the DITP's
        dossier = (await alpha.get(f"/candidatures/{cid}/evenements/dossier")).text
        assert 'name="quality_indicators.3.in_place_since"' in dossier and 'id="champ-contents-quality-indicators"' in dossier
        assert "Liste des indicateurs de qualité" in dossier  # the dossier's items, from the cycle's pinned rules
        visit = (await alpha.get(f"/candidatures/{cid}/evenements/visit")).text
        assert 'name="scores.engagements.8"' in visit and "éco-responsable" in visit  # one score per engagement
        more = (await alpha.get(f"/candidatures/{cid}/evenements/dossier", params={"lignes": "9"})).text
        assert 'name="quality_indicators.8.id"' in more
        survey = await alpha.get(f"/candidatures/{cid}/enquete")
        assert survey.status_code == 200 and 'enctype="multipart/form-data"' in survey.text and 'type="file"' in survey.text
        labelled(survey.text)
        new = await alpha.get("/candidatures/nouvelle")
        assert new.status_code == 200 and 'id="form-candidature"' in new.text and 'name="sites.3.name"' in new.text
        assert 'href="/candidatures"' in new.text and "oc-alpha" in new.text
        labelled(new.text)


# ---------------------------------------------------------------------------------------------- to a decision
async def test_a_candidacy_opened_by_the_page_reaches_its_decision_through_the_forms(site):
    async with signed_in(site, "alpha") as alpha:
        opened, cid = await open_candidacy(alpha)
        await saved(opened, cid, "candidacy")
        page = await alpha.get(opened.headers["location"])
        assert page.status_code == 200 and "Mairie annexe du port" in page.text and 'id="enregistre"' in page.text
        # Preparation: the self-assessment, both surveys (the report's summary), the audit's dates, the dossier.
        await saved(await send(alpha, cid, "self_assessment", {"done_on": ago(110), "global_result": "68"}), cid, "self_assessment")
        for kind, solicited, note, admissible in (("user", "1200", "76,28", "84"), ("agent", "64", "58", "40")):
            sent = await send(alpha, cid, "survey", {"kind": kind, "closed_on": ago(100), "solicited": solicited,
                                                     "summary.note": note, "summary.admissible": admissible})
            await saved(sent, cid, "survey")
        await saved(await send(alpha, cid, "audit_dates", {"audit": "initial", "visit_start": ago(30), "visit_end": ago(30),
                                                            "sites": "hdv"}), cid, "audit_dates")
        # A nested refusal lands on its row: the second indicator typed is on the third row.
        refused = await send(alpha, cid, "dossier", {
            "received_on": ago(65), "contents": DOSSIER_ITEMS, "quality_indicators.0.id": "delai-courriers",
            "quality_indicators.0.in_place_since": ago(400), "quality_indicators.2.id": "taux-decroche",
            "quality_indicators.2.in_place_since": "2025-13-45"})
        assert refused.status_code == 422
        assert "AAAA-MM-JJ" in error_beside(refused.text, "champ-quality_indicators-2-in_place_since")
        assert 'id="champ-quality_indicators-0-in_place_since-erreur"' not in refused.text
        assert 'value="delai-courriers"' in refused.text and 'value="2025-13-45"' in refused.text  # what was typed is kept
        await saved(await send(alpha, cid, "dossier", {
            "received_on": ago(65), "contents": DOSSIER_ITEMS, "quality_indicators.0.id": "delai-courriers",
            "quality_indicators.0.in_place_since": ago(400), "quality_indicators.2.id": "taux-decroche",
            "quality_indicators.2.in_place_since": ago(300)}), cid, "dossier")
        # The audit: its plan, the visit (first without engagement 8: the engine's refusal, on the scores), the report.
        await saved(await send(alpha, cid, "audit_plan", {"sent_on": ago(50), "auditors": "C. Durand\nA. Martin"}), cid, "audit_plan")
        partial = await send(alpha, cid, "visit", {f"scores.engagements.{n}": s for n, s in SCORES.items() if n != 8})
        assert partial.status_code == 422 and "engagement(s) [8]" in error_beside(partial.text, "champ-scores")
        assert 'value="61"' in partial.text
        await saved(await send(alpha, cid, "visit", {f"scores.engagements.{n}": s for n, s in SCORES.items()}), cid, "visit")
        await saved(await send(alpha, cid, "report", {"sent_on": ago(19), "received_on": ago(19)}), cid, "report")
        await saved(await send(alpha, cid, "observations", {"received_on": ago(15), "text": "Le score de l'engagement 4 "
                                                            "ne tient pas compte du nouvel accueil téléphonique."}), cid, "observations")
        # The decision: what the rules propose, and the criterion that decides it, before the body confirms.
        form = await alpha.get(f"/candidatures/{cid}/evenements/decision")
        proposal = form.text.split('id="proposition"')[1].split("</section>")[0]
        assert "Niveau proposé : Bronze" in proposal and "niveau suivant (Argent)" in proposal
        assert "Audit : engagement 4 : 61,00, sous le minimum de 65,00" in proposal  # what Silver misses
        assert "Enquête agents : 58,00, sous le minimum de 65,00" in proposal
        assert re.search(r'<option value="bronze" selected>', form.text)  # the proposal, ready to confirm
        labelled(form.text)
        override = await send(alpha, cid, "decision", {"decided_on": ago(0), "tier": "argent", "reason": ""})
        assert override.status_code == 422
        assert "needs a written reason" in error_beside(override.text, "champ-reason")  # the engine's own refusal
        assert 'id="proposition"' in override.text
        await saved(await send(alpha, cid, "decision", {"decided_on": ago(0), "tier": "bronze"}), cid, "decision")
        labelled_page = (await alpha.get(f"/candidatures/{cid}")).text
        assert "Label : Valide" in labelled_page and "Bronze" in labelled_page.split('id="attestation"')[1]
    kinds = await api_timeline(site, cid)
    assert kinds.count("visit") == 1 and kinds.count("dossier") == 1 and kinds.count("decision") == 1  # refusals left nothing
    assert cid in (await site.get("/liste-publique")).text


async def test_a_label_lives_through_the_forms(site):
    """After the decision: extension, suspension and its lifting, an appeal and its decision, a withdrawal;
    an action plan nobody asked for is refused with the engine's message."""
    async with signed_in(site, "alpha") as alpha:
        opened, cid = await open_candidacy(alpha)
        await saved(opened, cid, "candidacy")
        for event_type, fields in (
            ("self_assessment", {"done_on": ago(110)}),
            ("survey", {"kind": "user", "closed_on": ago(100), "solicited": "1200", "summary.note": "76.28", "summary.admissible": "84"}),
            ("survey", {"kind": "agent", "closed_on": ago(100), "solicited": "64", "summary.note": "58", "summary.admissible": "40"}),
            ("audit_dates", {"visit_start": ago(30), "visit_end": ago(30), "sites": "hdv"}),
            ("dossier", {"received_on": ago(65), "contents": DOSSIER_ITEMS}),
            ("audit_plan", {"sent_on": ago(50), "auditors": "C. Durand"}),
            ("visit", {f"scores.engagements.{n}": s for n, s in SCORES.items()}),
            ("report", {"sent_on": ago(19), "received_on": ago(19)}),
            ("decision", {"decided_on": ago(0), "tier": "bronze"}),
        ):
            await saved(await send(alpha, cid, event_type, fields), cid, event_type)
        today = ago(0)
        nothing_due = await send(alpha, cid, "action_plan", {"received_on": today})
        assert nothing_due.status_code == 422 and "no action plan is due" in nothing_due.text.split('id="erreur-formulaire"')[1]
        extension = await send(alpha, cid, "perimeter_extension", {"requested_on": today, "sites.1.id": "gare",
                                                                   "sites.1.name": "Accueil de la gare", "agents_added": "6"})
        await saved(extension, cid, "perimeter_extension")
        unknown_reason = await send(alpha, cid, "suspension", {"reason": "", "effective": today})
        assert unknown_reason.status_code == 422 and "obligatoire" in error_beside(unknown_reason.text, "champ-reason")
        await saved(await send(alpha, cid, "suspension", {"reason": "own-request", "effective": today}), cid, "suspension")
        await saved(await send(alpha, cid, "suspension_lifted", {"effective": today}), cid, "suspension_lifted")
        await saved(await send(alpha, cid, "appeal", {"lodged_on": today, "grounds": "Le service conteste la note de l'engagement 4."}),
                    cid, "appeal")
        upheld_without_tier = await send(alpha, cid, "appeal_decision", {"decided_on": today, "outcome": "upheld"})
        assert "upheld appeal states the tier" in error_beside(upheld_without_tier.text, "champ-tier")
        await saved(await send(alpha, cid, "appeal_decision", {"decided_on": today, "outcome": "dismissed"}), cid, "appeal_decision")
        await saved(await send(alpha, cid, "withdrawal", {"reason": "mark-rules-broken", "effective": today,
                                                          "note": "Marque utilisée hors du périmètre."}), cid, "withdrawal")
        ended = (await alpha.get(f"/candidatures/{cid}")).text
        assert "Étape : Retiré" in ended and "Label : Retiré" in ended
        late = await send(alpha, cid, "appeal", {"lodged_on": today, "grounds": "Encore."})
        assert late.status_code == 422 and "this cycle has ended" in late.text  # the engine says so, in the page
    kinds = await api_timeline(site, cid)
    for kind in ("perimeter_extension", "suspension", "suspension_lifted", "appeal", "appeal_decision", "withdrawal"):
        assert kind in kinds, kind


# ---------------------------------------------------------------------------------------------- a survey's CSV export
async def upload(client: httpx.AsyncClient, cid: str, content: bytes | None, headers: dict | None = None, **fields) -> httpx.Response:
    form = await client.get(f"/candidatures/{cid}/enquete")
    data = {"csrf": csrf_of(form.text), "kind": "user", "closed_on": ago(10), "solicited": "1200", **fields}
    files = {"csv": ("export.csv", content or b"", "text/csv")}
    return await client.post(f"/candidatures/{cid}/enquete", data=data, files=files, headers=headers or {})


async def test_a_survey_export_is_scored_and_shown_before_it_is_recorded(site):
    cid = await started(site)
    async with signed_in(site, "alpha") as alpha:
        shown = await upload(alpha, cid, survey_csv())
        assert shown.status_code == 200, shown.text[:2000]
        result = shown.text.split('id="resultat-enquete"')[1]
        assert "87,50/100" in result and "Enquête valable" in result and "84 questionnaires recevables" in result
        assert "<dd>84</dd>" in result and 'id="bouton-confirmer"' in result
        assert "survey" not in await api_timeline(site, cid)  # nothing recorded before the body confirms
        depot = re.search(r'name="depot" value="([^"]+)"', shown.text).group(1)
        # Another session of the same body cannot confirm this one's upload.
        async with signed_in(site, "alpha") as other:
            theirs = await other.post(f"/candidatures/{cid}/enquete/confirmer",
                                      data={"csrf": csrf_of((await other.get(f"/candidatures/{cid}/enquete")).text), "depot": depot})
            assert theirs.status_code == 422 and "expiré ou n'est pas le vôtre" in html.unescape(theirs.text)
        assert "survey" not in await api_timeline(site, cid)
        confirmed = await alpha.post(f"/candidatures/{cid}/enquete/confirmer", data={"csrf": csrf_of(shown.text), "depot": depot})
        await saved(confirmed, cid, "survey_csv")
        assert (await api_timeline(site, cid)).count("survey") == 1
        again = await alpha.post(f"/candidatures/{cid}/enquete/confirmer", data={"csrf": csrf_of(shown.text), "depot": depot})
        assert again.status_code == 422  # a confirmation is used once
        assert (await api_timeline(site, cid)).count("survey") == 1


async def test_a_survey_export_refused_is_told_beside_its_field(site):
    cid = await started(site)
    async with signed_in(site, "alpha") as alpha:
        missing = await upload(alpha, cid, None)
        assert missing.status_code == 422 and "Choisissez le fichier" in error_beside(missing.text, "champ-csv")
        unknown = survey_csv().decode().replace("Plutôt d'accord", "Bof", 1).encode()
        bad = await upload(alpha, cid, unknown)
        assert bad.status_code == 422 and "unknown answer 'Bof'" in error_beside(bad.text, "champ-csv")  # the engine's edge
        latin = await upload(alpha, cid, "Q1;Q2\nPlutôt d'accord;oui\n".encode("latin-1"))
        assert "UTF-8" in error_beside(latin.text, "champ-csv")
        no_count = await upload(alpha, cid, survey_csv(), solicited="beaucoup")
        assert "nombre entier" in error_beside(no_count.text, "champ-solicited")
        assert 'value="beaucoup"' in no_count.text
        # With htmx, the answer is the page's fragment only, and a refusal is still shown in place (2xx).
        fragment = await upload(alpha, cid, None, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="champ-csv-erreur"' in fragment.text
        preview = await upload(alpha, cid, survey_csv(), headers={"HX-Request": "true"})
        assert "<html" not in preview.text and "87,50/100" in preview.text
        # The engine's refusal at confirmation (a survey closing in the future), beside its field.
        future = (local_today() + timedelta(days=5)).isoformat()
        shown = await upload(alpha, cid, survey_csv(), closed_on=future)
        if shown.status_code == 200:  # scored: the cycle itself refuses it when it is confirmed
            depot = re.search(r'name="depot" value="([^"]+)"', shown.text).group(1)
            shown = await alpha.post(f"/candidatures/{cid}/enquete/confirmer", data={"csrf": csrf_of(shown.text), "depot": depot})
        assert shown.status_code == 422 and "in the future" in error_beside(shown.text, "champ-closed_on")
    assert "survey" not in await api_timeline(site, cid)


# ---------------------------------------------------------------------------------------------- a new candidacy refused
async def test_a_new_candidacy_refused_is_told_beside_its_field(site):
    theirs = await started(site, "beta")
    async with signed_in(site, "alpha") as alpha:
        territory, _ = await open_candidacy(alpha, territory="atlantide")
        assert territory.status_code == 422
        assert "unknown territory 'atlantide'" in error_beside(territory.text, "champ-territory")  # the engine's pre-check
        assert 'value="Mairie annexe du port"' in territory.text and 'name="sites.3.id"' in territory.text
        wrong_id, _ = await open_candidacy(alpha, id="Mairie de Rive!")
        assert "Lettres minuscules" in error_beside(wrong_id.text, "champ-id")
        no_name, _ = await open_candidacy(alpha, **{"sites.2.name": ""})
        assert "obligatoire" in error_beside(no_name.text, "champ-sites-2-name")  # the row it was typed on
        future, _ = await open_candidacy(alpha, contract_signed=(local_today() + timedelta(days=30)).isoformat())
        assert "in the future" in error_beside(future.text, "champ-contract_signed")
        taken, _ = await open_candidacy(alpha, id=theirs)
        message = error_beside(taken.text, "champ-id")
        assert "déjà pris" in message and "preparation" not in taken.text  # nothing of the other body's candidacy
        twice, _ = await open_candidacy(alpha, **{"sites.2.id": "hdv"})
        assert twice.status_code == 422 and "hdv is written twice" in error_beside(twice.text, "champ-sites")
    async with signed_in(site, "ditp") as ditp:
        form = await ditp.get("/candidatures/nouvelle")
        assert form.status_code == 403  # a body opens its own candidacies: the gate says so, as to the API
        sent = await ditp.post("/candidatures/nouvelle", data={"csrf": csrf_of(form.text), "id": "ditp-try", "name": "X"})
        assert sent.status_code == 403
    anonymous = await site.get("/candidatures/nouvelle")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/connexion"


# ---------------------------------------------------------------------------------------------- walls and tokens
async def test_another_body_finds_none_of_the_forms_of_a_cycle(site):
    cid = await started(site, "alpha")
    async with signed_in(site, "beta") as beta:
        token = csrf_of((await beta.get("/tableau-de-bord")).text)
        for event_type in FORM_TYPES:
            page = await beta.get(f"/candidatures/{cid}/evenements/{event_type}")
            assert page.status_code == 404 and "Mairie de Test" not in page.text, event_type
            sent = await beta.post(f"/candidatures/{cid}/evenements/{event_type}", data={"csrf": token})
            assert sent.status_code == 404, event_type
        assert (await beta.get(f"/candidatures/{cid}/enquete")).status_code == 404
        upload_theirs = await beta.post(f"/candidatures/{cid}/enquete", data={"csrf": token},
                                        files={"csv": ("a.csv", survey_csv(), "text/csv")})
        assert upload_theirs.status_code == 404 and "87,50" not in upload_theirs.text
        assert (await beta.post(f"/candidatures/{cid}/enquete/confirmer", data={"csrf": token, "depot": "x" * 24})).status_code == 404
    assert "survey" not in await api_timeline(site, cid)


async def test_the_forms_refuse_a_post_without_its_csrf_token(site):
    cid = await started(site)
    async with signed_in(site, "alpha") as alpha:
        event = await alpha.post(f"/candidatures/{cid}/evenements/self_assessment", data={"done_on": ago(1)})
        assert event.status_code == 403 and "Formulaire refusé" in event.text
        new = await alpha.post("/candidatures/nouvelle", data={"id": f"m-{uuid.uuid4().hex[:6]}", "name": "M"})
        assert new.status_code == 403
        survey = await alpha.post(f"/candidatures/{cid}/enquete", data={"kind": "user"},
                                  files={"csv": ("a.csv", survey_csv(), "text/csv")})
        assert survey.status_code == 403 and "87,50" not in survey.text
        confirm = await alpha.post(f"/candidatures/{cid}/enquete/confirmer", data={"csrf": "forged", "depot": "x" * 24})
        assert confirm.status_code == 403
        forged = await alpha.post(f"/candidatures/{cid}/evenements/decision", data={"csrf": "forged", "tier": "bronze"})
        assert forged.status_code == 403
    assert "self_assessment" not in await api_timeline(site, cid)
