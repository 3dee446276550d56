"""Issue 13: the operators' pages, a central service's page and the agenda in a real browser — Debian's chromium
driven by Playwright — against worker.py --api, with axe-core on each page (no serious or critical violation).

An operator signs in, lands on what is late (a cycle whose dossier was missed is there), opens the failing-task
page and the cycle's timeline rebuilt from history; a body opens its agenda (its deadline in the month's grid,
then the week), the subscription link, and its central service's page.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import httpx

from spplus.api.tokens import Role, TokenStore
from tests.pages.conftest import accessible, screenshot, sign_in
from tests.temporal_cycles.conftest import local_today, new_candidate
from tests.test_cli import ApiEngine, api_engine  # noqa: F401  (the engine fixture: worker.py --api on free ports)


def late_candidacy(api_engine: ApiEngine, body: str, token: str) -> str:  # noqa: F811
    """A candidacy whose visit is in 20 days: its dossier, due a month before (§3.5.1), is already missed."""
    candidate = new_candidate(local_today(), certification_body=body).model_dump(mode="json")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{api_engine.url}/cycles", json=candidate, headers=headers).status_code == 201
    visit = (local_today() + timedelta(days=20)).isoformat()
    dates = {"type": "audit_dates", "visit_start": visit, "visit_end": visit, "sites": ["hdv"]}
    for _ in range(100):  # the cycle opens (pins its rules) in a moment
        sent = httpx.post(f"{api_engine.url}/cycles/{candidate['id']}/events", json=dates, headers=headers, timeout=30)
        if sent.status_code == 200:
            return str(candidate["id"])
        time.sleep(0.1)
    raise AssertionError(sent.text)


def wait_for(page, url: str, text: str) -> None:
    """Open ``url`` until ``text`` is on it (the lists are visibility queries: eventually consistent)."""
    for _ in range(100):
        page.goto(url)
        if text in page.content():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text} not on {url}")


def test_an_operator_reads_what_is_late_what_fails_and_a_rebuilt_timeline(browser, api_engine: ApiEngine):  # noqa: F811
    body = f"oc-{uuid.uuid4().hex[:6]}"
    cid = late_candidacy(api_engine, body, api_engine.token(body))
    operator = TokenStore(api_engine.data).create(Role.operator, "astreinte")[1]

    page = sign_in(browser, api_engine.url, operator)
    assert page.url.endswith("/exploitation")  # operators land on what is late
    wait_for(page, f"{api_engine.url}/exploitation", cid)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator(f"#section-retard a[href='/exploitation/cycles/{cid}']").count() == 1
    accessible(page)
    screenshot(page, "exploitation")

    page.goto(f"{api_engine.url}/exploitation/taches-en-echec")
    assert page.locator("#table-echecs caption").inner_text().startswith("Workflows dont la tâche échoue")
    accessible(page)

    page.goto(f"{api_engine.url}/exploitation")  # the list's link, followed
    page.click(f"#section-retard a[href='/exploitation/cycles/{cid}']")
    page.wait_for_url(f"{api_engine.url}/exploitation/cycles/{cid}")
    assert "the dossier reaches the certification body" in page.locator("#table-chronologie").inner_text()
    accessible(page)

    # Keyboard: the skip link is the first stop, and it leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#contenu"


def test_a_body_reads_its_agenda_and_its_central_service(browser, api_engine: ApiEngine):  # noqa: F811
    body = f"oc-{uuid.uuid4().hex[:6]}"
    token = api_engine.token(body)
    cid = late_candidacy(api_engine, body, token)
    central = {"id": f"cnaf-{uuid.uuid4().hex[:8]}", "name": "Caisse nationale (essai)", "certification_body": body,
               "contract_signed": local_today().isoformat(),
               "local_services": [{"id": f"caf-{uuid.uuid4().hex[:4]}-{i}", "name": f"CAF {i}"} for i in range(4)]}
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{api_engine.url}/central", json=central, headers=headers, timeout=30).status_code == 201

    page = sign_in(browser, api_engine.url, token)
    page.goto(f"{api_engine.url}/agenda")
    visit = local_today() + timedelta(days=20)
    if visit.month != local_today().month:
        page.goto(f"{api_engine.url}/agenda?mois={visit:%Y-%m}")
    assert page.locator(f"#calendrier-mois a[href='/candidatures/{cid}']").count() >= 1  # the visit's day at least
    assert page.locator("#lien-abonnement").input_value().endswith("/echeances.ics")
    accessible(page)
    screenshot(page, "agenda")

    page.click("#calendrier-mois tbody th a >> nth=0")  # a week of the month
    assert "/agenda?semaine=" in page.url
    accessible(page)

    feed = httpx.get(page.locator("#lien-abonnement").input_value(), timeout=30)  # no cookie, no bearer
    assert feed.status_code == 200 and cid in feed.text.replace("\r\n ", "")

    for _ in range(100):
        answer = page.goto(f"{api_engine.url}/services-centraux/{central['id']}")
        if answer.status == 200:
            break
        time.sleep(0.1)
    assert answer.status == 200 and page.locator("#table-reseau tbody tr").count() == 4
    assert page.locator("#graine-1").inner_text().isdigit()
    accessible(page)
