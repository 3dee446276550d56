"""Issue 13 in a real browser: the sign-in page, a body's dashboard and candidacies list (filtered through htmx and
without it), the public list and the pages that refuse, each checked by axe-core; screenshots for the README.

Debian's chromium driven by Playwright (``executable_path``) against ``worker.py --api`` on its embedded server.
"""

from __future__ import annotations

import uuid

import httpx

from tests.pages.conftest import ARGS, CHROMIUM, accessible, screenshot, sign_in  # noqa: F401
from tests.temporal_cycles.conftest import local_today, new_candidate
from tests.test_cli import ApiEngine, api_engine  # noqa: F401  (the engine fixture: worker.py --api on free ports)


def start(api_engine: ApiEngine, token: str, body: str, name: str, territory: str) -> str:
    candidate = new_candidate(local_today(), certification_body=body).model_dump(mode="json")
    candidate.update(name=name, territory=territory)
    answer = httpx.post(f"{api_engine.url}/cycles", json=candidate, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    return candidate["id"]


def test_the_lists_a_body_works_in_are_accessible_and_filter_in_place(browser, api_engine: ApiEngine):
    body = f"oc-{uuid.uuid4().hex[:6]}"
    token = api_engine.token(body)
    river = start(api_engine, token, body, "Mairie de Rive", "moselle")
    harbour = start(api_engine, token, body, "Maison France services du Port", "la-reunion")

    anonymous = browser.new_context(locale="fr-FR").new_page()
    anonymous.goto(f"{api_engine.url}/connexion")
    accessible(anonymous)
    screenshot(anonymous, "connexion")
    anonymous.goto(f"{api_engine.url}/liste-publique")
    accessible(anonymous)
    anonymous.goto(f"{api_engine.url}/docs")  # Swagger UI from the engine's npm packages: it renders offline
    anonymous.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "Services Publics + label engine" in anonymous.inner_text(".swagger-ui .info .title")
    missing = anonymous.goto(f"{api_engine.url}/pas-de-page")
    assert missing.status == 404 and "Page introuvable" in anonymous.content()
    accessible(anonymous)

    page = sign_in(browser, api_engine.url, token)
    assert page.url.endswith("/tableau-de-bord")
    accessible(page)
    screenshot(page, "tableau-de-bord")

    for _ in range(50):  # visibility is eventually consistent: the two cycles appear within moments
        page.goto(f"{api_engine.url}/candidatures")
        if river in page.inner_text("#resultats") and harbour in page.inner_text("#resultats"):
            break
        page.wait_for_timeout(200)
    assert river in page.inner_text("#resultats") and harbour in page.inner_text("#resultats")
    accessible(page)
    # htmx: the filter form swaps the results in place (the page itself is not reloaded) and the address follows.
    page.evaluate("window.__same_page = true")
    page.select_option("#territoire", "la-reunion")
    page.click("#bouton-filtrer")
    page.wait_for_url("**territoire=la-reunion**")
    page.wait_for_function(f"!document.body.innerText.includes('{river}')")
    assert harbour in page.inner_text("#resultats")
    assert page.evaluate("window.__same_page === true")  # swapped by htmx, not a new page
    accessible(page)
    page.locator("#resultats").scroll_into_view_if_needed()
    screenshot(page, "candidatures")
    # A wrong value is told beside its field, in a page that still answers 200.
    wrong = page.goto(f"{api_engine.url}/candidatures?echeance_sous=demain")
    assert wrong.status == 200 and page.locator("#echeance_sous-erreur").is_visible()
    accessible(page)

    # Without JavaScript the same form is a plain GET.
    still = browser.new_context(java_script_enabled=False, locale="fr-FR").new_page()
    still.goto(f"{api_engine.url}/connexion")
    still.fill("#jeton", token)
    still.click("#bouton-connexion")
    still.goto(f"{api_engine.url}/candidatures")
    still.fill("#q", "port")
    still.click("#bouton-filtrer")
    assert "q=port" in still.url and harbour in still.inner_text("#resultats") and river not in still.inner_text("#resultats")

    # A survey CSV over the engine's 2 MB, sent by htmx: the French page is shown in place, not a silent click.
    page.goto(f"{api_engine.url}/candidatures/{river}/enquete")
    page.set_input_files("#form-enquete input[type=file]", files=[
        {"name": "enquete.csv", "mimeType": "text/csv", "buffer": b"termine;Q1\n" + b"oui;1\n" * 400_000}])
    page.click("#bouton-apercu")
    page.wait_for_selector("text=Envoi trop volumineux", timeout=15_000)

    forbidden = page.goto(f"{api_engine.url}/exploitation")
    assert forbidden.status == 403
    accessible(page)
