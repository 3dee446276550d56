"""When the engine's Temporal server does not answer, a signed-in user gets a French page, never JSON or a 500.

The outage is real: the app's client connects to a loopback port where nothing listens.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from spplus import client as engine
from spplus.api.app import create_app
from spplus.api.tokens import Role, TokenStore
from spplus.rules.loader import default_rules_dir
from spplus.settings import Settings
from tests.pages.conftest import csrf_of


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_pages_say_in_french_that_the_engine_does_not_answer(tmp_path: Path):
    settings = Settings(address=f"127.0.0.1:{closed_port()}", namespace="default", task_queue="nowhere",
                        data_dir=tmp_path, rules_dir=default_rules_dir(), editions_dir=tmp_path / "editions",
                        port=0, ui_port=0)
    tokens = TokenStore(tmp_path / "tokens.json")
    secret = tokens.create(Role.body, "OC Alpha", "oc-alpha")[1]
    app = create_app(lambda: engine.connect(settings), tokens, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as browser:
        form = await browser.get("/connexion")
        signed = await browser.post("/connexion", data={"csrf": csrf_of(form.text), "jeton": secret})
        assert signed.status_code == 303  # signing in reads the token store only
        for path in ("/tableau-de-bord", "/candidatures", "/candidatures/c-1", "/liste-publique"):
            page = await browser.get(path)
            assert page.status_code == 503, (path, page.status_code)
            assert page.headers["content-type"].startswith("text/html"), path
            assert "Le moteur ne répond pas" in page.text and "Traceback" not in page.text
            assert "127.0.0.1" not in page.text  # nothing of the engine's internals
        api = await browser.get("/cycles", headers={"Authorization": f"Bearer {secret}"})
        assert api.status_code == 503 and api.headers["content-type"].startswith("application/problem+json")


async def test_a_browser_gets_a_french_page_for_an_unknown_address_and_an_api_caller_json(tmp_path: Path):
    settings = Settings(address=f"127.0.0.1:{closed_port()}", namespace="default", task_queue="nowhere",
                        data_dir=tmp_path, rules_dir=default_rules_dir(), editions_dir=tmp_path / "editions",
                        port=0, ui_port=0)
    app = create_app(lambda: engine.connect(settings), TokenStore(tmp_path / "tokens.json"), settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as http:
        page = await http.get("/pas-de-page", headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 404 and "Page introuvable" in page.text and '<html lang="fr"' in page.text
        api = await http.get("/pas-de-page")
        assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


async def test_a_browser_sending_too_much_gets_a_french_413_page_and_an_api_caller_json(tmp_path: Path):
    from spplus.limits import MAX_REQUEST_BYTES

    settings = Settings(address=f"127.0.0.1:{closed_port()}", namespace="default", task_queue="nowhere",
                        data_dir=tmp_path, rules_dir=default_rules_dir(), editions_dir=tmp_path / "editions",
                        port=0, ui_port=0)
    app = create_app(lambda: engine.connect(settings), TokenStore(tmp_path / "tokens.json"), settings)
    big = {"jeton": "x" * (MAX_REQUEST_BYTES + 1)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as http:
        page = await http.post("/connexion", data=big, headers={"Accept": "text/html"})
        assert page.status_code == 413 and "Envoi trop volumineux" in page.text and 'lang="fr"' in page.text
        piece = await http.post("/connexion", data=big, headers={"HX-Request": "true"})  # htmx asks for a piece of page
        assert piece.status_code == 413 and "Envoi trop volumineux" in piece.text
        api = await http.post("/cycles", content=b"x" * (MAX_REQUEST_BYTES + 1))
        assert api.status_code == 413 and api.json()["limit"] == MAX_REQUEST_BYTES


async def test_the_openapi_page_loads_swagger_ui_from_the_engine_not_a_cdn(tmp_path: Path):
    settings = Settings(address=f"127.0.0.1:{closed_port()}", namespace="default", task_queue="nowhere",
                        data_dir=tmp_path, rules_dir=default_rules_dir(), editions_dir=tmp_path / "editions",
                        port=0, ui_port=0)
    app = create_app(lambda: engine.connect(settings), TokenStore(tmp_path / "tokens.json"), settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://engine") as http:
        page = await http.get("/docs")
        assert page.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in page.text
        assert "cdn." not in page.text and "cdn." not in page.headers["content-security-policy"]
        script = await http.get("/static/swagger/swagger-ui-bundle.js")
        assert script.status_code == 200 and "SwaggerUIBundle" in script.text
