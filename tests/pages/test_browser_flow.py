"""Issue 13 in a real browser (Debian's chromium driven by Playwright) against worker.py --api: a body signs in,
starts a candidacy through /candidatures/nouvelle, sends every step to a decision through the forms — a survey's
CSV export previewed then confirmed, one step refused by the engine with its message beside its field — and sees
the label on the public list; axe-core checks every page on the way; another body then finds nothing of it.

Every date is in the past, as examples/walkthrough.sh has them, so the candidacy reaches Bronze on any day.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from spplus.interfaces.pages.forms import FORM_TYPES
from tests.pages.conftest import accessible, screenshot, sign_in
from tests.pages.test_forms_http import DOSSIER_ITEMS, SCORES, survey_csv
from tests.temporal_cycles.conftest import local_today
from tests.test_cli import ApiEngine, api_engine  # noqa: F401  (the engine fixture: worker.py --api on free ports)


def ago(days: int) -> str:
    return (local_today() - timedelta(days=days)).isoformat()


def open_form(page, url: str, cid: str, event_type: str) -> None:
    """An event's form, reached from the candidacy page's link, checked by axe-core."""
    page.goto(f"{url}/candidatures/{cid}")
    page.click(f"#lien-{event_type}")
    page.wait_for_selector(f"#form-{event_type}")
    accessible(page)


def tick(page, field_id: str) -> None:
    """Tick a DSFR checkbox as a person does: on its label (the DSFR draws the box over the input)."""
    page.click(f"label[for='{field_id}']")
    assert page.is_checked(f"#{field_id}")


def submit(page, url: str, cid: str, saved_as: str, button: str = "#bouton-envoyer") -> None:
    """Send the form; the engine records it and the candidacy page says so."""
    page.click(button)
    page.wait_for_url(f"{url}/candidatures/{cid}?enregistre={saved_as}")
    assert page.locator("#enregistre").is_visible()


def start_candidacy(page, url: str, cid: str) -> None:
    page.goto(f"{url}/candidatures/nouvelle")
    accessible(page)
    screenshot(page, "nouvelle-candidature")
    page.fill("#champ-id", cid)
    page.fill("#champ-name", "Mairie de Rive")
    page.select_option("#champ-territory", "moselle")
    page.fill("#champ-sites-0-id", "hdv")
    page.fill("#champ-sites-0-name", "Hôtel de ville")
    page.fill("#champ-sites-1-id", "mairie-annexe")
    page.fill("#champ-sites-1-name", "Mairie annexe du port")
    page.fill("#champ-agents_in_contact", "64")
    page.fill("#champ-contract_signed", ago(120))
    submit(page, url, cid, "candidacy")
    accessible(page)


def prepare(page, url: str, cid: str) -> None:
    """Self-assessment, both surveys (the users' from its CSV export, previewed first), audit dates, dossier."""
    open_form(page, url, cid, "self_assessment")
    page.fill("#champ-done_on", ago(110))
    page.fill("#champ-global_result", "68")
    submit(page, url, cid, "self_assessment")

    page.goto(f"{url}/candidatures/{cid}")
    page.click("#lien-enquete-csv")
    page.wait_for_selector("#form-enquete")
    accessible(page)
    page.select_option("#champ-kind", "user")
    page.fill("#champ-closed_on", ago(100))
    page.fill("#champ-solicited", "1200")
    page.set_input_files("#champ-csv", files=[{"name": "export.csv", "mimeType": "text/csv", "buffer": survey_csv()}])
    page.click("#bouton-apercu")
    page.wait_for_selector("#resultat-enquete")  # htmx puts the preview in place; without JavaScript, a new page
    assert "87,50/100" in page.inner_text("#note-enquete") and "valable" in page.inner_text("#recevabilite")
    accessible(page)
    submit(page, url, cid, "survey_csv", "#bouton-confirmer")

    open_form(page, url, cid, "survey")
    page.select_option("#champ-kind", "agent")
    page.fill("#champ-closed_on", ago(100))
    page.fill("#champ-solicited", "64")
    page.fill("#champ-summary-note", "58")
    page.fill("#champ-summary-admissible", "40")
    submit(page, url, cid, "survey")

    open_form(page, url, cid, "audit_dates")
    page.fill("#champ-visit_start", ago(30))
    page.fill("#champ-visit_end", ago(30))
    tick(page, "champ-sites-hdv")
    submit(page, url, cid, "audit_dates")

    open_form(page, url, cid, "dossier")
    page.fill("#champ-received_on", ago(65))
    for item in DOSSIER_ITEMS:
        tick(page, f"champ-contents-{item}")
    page.fill("#champ-quality_indicators-0-id", "delai-reponse-courriers")
    page.fill("#champ-quality_indicators-0-in_place_since", ago(400))
    submit(page, url, cid, "dossier")


def audit(page, url: str, cid: str) -> None:
    open_form(page, url, cid, "audit_plan")
    page.fill("#champ-sent_on", ago(50))
    page.fill("#champ-auditors", "C. Durand")
    submit(page, url, cid, "audit_plan")

    open_form(page, url, cid, "visit")
    for number, score in SCORES.items():
        page.fill(f"#champ-scores-engagements-{number}", score)
    submit(page, url, cid, "visit")

    open_form(page, url, cid, "report")
    page.fill("#champ-sent_on", ago(19))
    page.fill("#champ-received_on", ago(19))
    submit(page, url, cid, "report")


def decide(page, url: str, cid: str) -> None:
    """The rules' proposal shown before the body decides; an override without its reason refused beside the field."""
    open_form(page, url, cid, "decision")
    assert "Niveau proposé : Bronze" in page.inner_text("#proposition-niveau")
    assert "engagement 4 : 61,00" in page.inner_text("#criteres-manquants")
    assert page.input_value("#champ-tier") == "bronze"
    screenshot(page, "formulaire-decision")
    page.fill("#champ-decided_on", ago(0))
    page.select_option("#champ-tier", "argent")
    page.click("#bouton-envoyer")
    error = page.locator("#champ-reason-erreur")
    assert "needs a written reason" in error.inner_text()  # the engine's own refusal, beside its field
    assert page.get_attribute("#champ-reason", "aria-describedby") == "champ-reason-erreur"
    accessible(page)
    page.select_option("#champ-tier", "bronze")
    submit(page, url, cid, "decision")


def test_a_body_takes_a_candidacy_from_the_new_candidacy_form_to_its_label(browser, api_engine: ApiEngine):  # noqa: F811
    alpha, beta = f"oc-{uuid.uuid4().hex[:6]}", f"oc-{uuid.uuid4().hex[:6]}"
    alpha_token, beta_token = api_engine.token(alpha), api_engine.token(beta)
    url, cid = api_engine.url, f"mairie-de-rive-{uuid.uuid4().hex[:6]}"

    page = sign_in(browser, url, alpha_token)
    start_candidacy(page, url, cid)
    prepare(page, url, cid)
    audit(page, url, cid)
    decide(page, url, cid)
    assert "valide" in page.inner_text("#statut-label").lower() and "bronze" in page.inner_text("#attestation").lower()
    accessible(page)
    screenshot(page, "candidature")
    for event_type in FORM_TYPES:  # every other form, as the labelled cycle shows it
        page.goto(f"{url}/candidatures/{cid}/evenements/{event_type}")
        page.wait_for_selector(f"#form-{event_type}")
        accessible(page)
    page.goto(f"{url}/liste-publique")
    row = page.locator(f"#service-{cid}")
    assert "bronze" in row.inner_text().lower() and alpha in row.inner_text()
    accessible(page)
    row.scroll_into_view_if_needed()
    screenshot(page, "liste-publique")

    other = sign_in(browser, url, beta_token)
    for path in (f"/candidatures/{cid}", f"/candidatures/{cid}/evenements/decision", f"/candidatures/{cid}/enquete"):
        answer = other.goto(f"{url}{path}")
        assert answer is not None and answer.status == 404, path
        assert "Mairie de Rive" not in other.content()
    other.goto(f"{url}/candidatures")
    assert cid not in other.content()
