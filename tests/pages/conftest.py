"""What the pages' tests share.

* Over HTTP (httpx against the app, on the real Temporal server of tests/temporal_cycles): ``site`` (the
  app with three tokens: two bodies and an operator, and the DITP), ``signed_in(site, who)``, ``csrf_of``,
  ``error_beside``, ``started``.
* In a real browser (Debian's chromium driven by Playwright with ``executable_path``; no browser is
  downloaded) against ``worker.py --api``: ``browser``, ``sign_in(browser, url, token)``,
  ``accessible(page)`` — axe-core (npm, ``node_modules/axe-core``) run in the page, which fails on any
  serious or critical violation — and ``screenshot(page, name)``, which writes ``docs/screenshots/<name>.jpg``
  when ``SPPLUS_SCREENSHOTS=1`` (the README's pictures are made this way, never by hand).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from spplus.api.app import create_app
from spplus.api.tokens import Role, TokenStore
from spplus.rules.loader import default_rules_dir
from spplus.settings import PROJECT_ROOT, Settings
from tests.temporal_cycles.conftest import TASK_QUEUE, env, local_today, new_candidate, worker  # noqa: F401

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless, and no background connections: this machine's network is closed (see the workplace's notes).
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"


# ---------------------------------------------------------------------------------------------- over HTTP
def make_app(env, tmp_path: Path, theme: str = "dsfr"):
    tokens = TokenStore(tmp_path / "tokens.json")
    settings = Settings(address=None, namespace="default", task_queue=TASK_QUEUE, data_dir=tmp_path,
                        rules_dir=default_rules_dir(), editions_dir=tmp_path / "editions", port=0, ui_port=0, theme=theme)

    async def connect():
        return env.client

    return create_app(connect, tokens, settings), tokens


@pytest.fixture
async def site(env, worker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    """The app over ASGI, with ``site.secrets``: ``alpha`` and ``beta`` (bodies oc-alpha, oc-beta), ``ditp``, ``operator``."""
    monkeypatch.setenv("SPPLUS_EDITIONS", str(tmp_path / "editions"))
    app, tokens = make_app(env, tmp_path)
    secrets = {
        "alpha": tokens.create(Role.body, "OC Alpha", "oc-alpha")[1],
        "beta": tokens.create(Role.body, "OC Beta", "oc-beta")[1],
        "ditp": tokens.create(Role.ditp, "DITP")[1],
        "operator": tokens.create(Role.operator, "astreinte")[1],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
        http.app, http.secrets, http.tokens = app, secrets, tokens  # type: ignore[attr-defined]
        yield http


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "every form carries a CSRF token"
    return found.group(1)


def error_beside(html: str, field_id: str) -> str:
    found = re.search(rf'id="{re.escape(field_id)}-erreur"[^>]*>(.*?)</(?:p|div)>', html, re.S)
    assert found, f"no error beside {field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


@asynccontextmanager
async def signed_in(site, who: str, base_url: str = "http://engine") -> AsyncIterator[httpx.AsyncClient]:
    """A fresh browser-like client (its own cookie jar) signed in as ``who`` (a key of ``site.secrets``)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url=base_url) as client:
        form = await client.get("/connexion")
        signed = await client.post("/connexion", data={"csrf": csrf_of(form.text), "jeton": site.secrets[who]})
        assert signed.status_code == 303, signed.text
        yield client


async def started(site, who: str = "alpha", **changes) -> str:
    """A candidacy of ``oc-<who>`` started through the API and opened; its id."""
    data = new_candidate(local_today(), certification_body="oc-" + who, **changes).model_dump(mode="json")
    headers = {"Authorization": f"Bearer {site.secrets[who]}"}
    response = await site.post("/cycles", json=data, headers=headers)
    assert response.status_code == 201, response.text
    for _ in range(100):
        if (await site.get(f"/cycles/{data['id']}", headers=headers)).status_code == 200:
            break
    return data["id"]


# ---------------------------------------------------------------------------------------------- in a browser
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def sign_in(browser, url: str, token: str):
    """A new browser context signed in with ``token``; the page it landed on."""
    page = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{url}/connexion")
    page.fill("#jeton", token)
    page.click("#bouton-connexion")
    page.wait_for_load_state()
    assert "/connexion" not in page.url, page.content()[:2000]
    return page


def accessible(page) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is: no serious or critical violation.

    axe is evaluated through the browser's devtools protocol, so the page's CSP (no inline script) stays as served.
    """
    if not AXE.is_file():
        pytest.fail("node_modules/axe-core is missing: run make install (npm ci --ignore-scripts)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}:\n" + "\n".join(bad)


def screenshot(page, name: str) -> None:
    """``docs/screenshots/<name>.jpg`` of the viewport, when ``SPPLUS_SCREENSHOTS=1`` (kept small: the viewport
    only, JPEG at quality 55, about 60 KB each)."""
    if os.environ.get("SPPLUS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.jpg"), type="jpeg", quality=55)
