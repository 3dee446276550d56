"""Issue 13: the pages in a real browser — Debian's chromium driven by Playwright — against worker.py --api.

A body signs in with its token, opens its candidacy, records a self-assessment through the form (first one
dated in the future: the engine's refusal appears beside the field, then a good one), and sees it on the
timeline; another body signs in and finds nothing of the first's candidacy.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from tests.pages.conftest import sign_in
from tests.temporal_cycles.conftest import local_today, new_candidate
from tests.test_cli import ApiEngine, api_engine  # noqa: F401  (the engine fixture: worker.py --api on free ports)



def test_a_body_records_an_event_through_the_form_and_another_body_finds_nothing(browser, api_engine: ApiEngine):
    alpha, beta = f"oc-{uuid.uuid4().hex[:6]}", f"oc-{uuid.uuid4().hex[:6]}"
    alpha_token, beta_token = api_engine.token(alpha), api_engine.token(beta)
    candidate = new_candidate(local_today(), certification_body=alpha).model_dump(mode="json")
    started = httpx.post(f"{api_engine.url}/cycles", json=candidate, headers={"Authorization": f"Bearer {alpha_token}"})
    assert started.status_code == 201, started.text
    cid = candidate["id"]

    page = sign_in(browser, api_engine.url, alpha_token)
    assert page.locator("html").get_attribute("lang") == "fr"
    page.goto(f"{api_engine.url}/candidatures/{cid}")
    assert cid in page.content()
    page.goto(f"{api_engine.url}/candidatures/{cid}/evenements/self_assessment")
    page.fill("#champ-done_on", (local_today() + timedelta(days=3)).isoformat())
    page.click("#bouton-envoyer")
    error = page.locator("#champ-done_on-erreur")
    assert "in the future" in error.inner_text()  # the engine's own refusal, beside its field
    page.fill("#champ-done_on", local_today().isoformat())
    page.click("#bouton-envoyer")
    page.wait_for_url(f"{api_engine.url}/candidatures/{cid}*")
    assert "enregistre=self_assessment" in page.url  # back on the candidacy page, the event saved
    timeline = httpx.get(f"{api_engine.url}/cycles/{cid}/timeline", headers={"Authorization": f"Bearer {alpha_token}"}).json()
    assert [e["kind"] for e in timeline].count("self_assessment") == 1  # the refused one left no trace

    other = sign_in(browser, api_engine.url, beta_token)
    answer = other.goto(f"{api_engine.url}/candidatures/{cid}")
    assert answer.status == 404 and "Mairie de Test" not in other.content()
