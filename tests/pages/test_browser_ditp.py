"""Issue 13: the DITP's pages in a real browser — Debian's chromium driven by Playwright — against worker.py --api.

The DITP signs in with its token, uploads a broken edition (every problem listed at file:line:column, its line
marked in the file's text), then a good one (listed at once), compares it with the edition in force value by
value, moves a cycle onto it with a reason, runs a scenario under both editions side by side, re-evaluates
recorded decisions, and reads the national figures; axe-core finds no serious or critical violation on any page.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spplus.api.tokens import Role, TokenStore
from spplus.rules.loader import default_rules_dir
from spplus.settings import PROJECT_ROOT
from tests.pages.conftest import accessible, screenshot, sign_in
from tests.pages.test_ditp_http import line_of, proposal_files, rule_files
from tests.temporal_cycles.conftest import local_today, new_candidate
from tests.test_cli import ApiEngine, api_engine  # noqa: F401  (the engine fixture: worker.py --api on free ports)

RECORDS = PROJECT_ROOT / "examples" / "whatif-records.json"
SIMULATION_WAIT = 180_000  # ms: a simulation starts a Temporal server of its own and runs the scenario twice


@pytest.fixture(scope="module", autouse=True)
def own_editions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The engine's editions in a folder of this module's (set before worker.py --api starts: it reads SPPLUS_EDITIONS)."""
    folder = tmp_path_factory.mktemp("editions")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPPLUS_EDITIONS", str(folder))
        yield folder


def written(folder: Path, files: dict[str, str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [str(folder / name) for name in files]


def test_the_ditp_uploads_compares_moves_simulates_and_counts(browser, api_engine: ApiEngine, own_editions: Path,  # noqa: F811
                                                              tmp_path: Path):
    assert os.environ["SPPLUS_EDITIONS"] == str(own_editions) == api_engine.env["SPPLUS_EDITIONS"]
    ditp_token = TokenStore(api_engine.data).create(Role.ditp, "DITP")[1]
    body = f"oc-{uuid.uuid4().hex[:6]}"
    candidate = new_candidate(local_today(), certification_body=body).model_dump(mode="json")
    opened = httpx.post(f"{api_engine.url}/cycles", json=candidate,
                        headers={"Authorization": f"Bearer {api_engine.token(body)}"})
    assert opened.status_code == 201, opened.text
    edition = f"proposition-{uuid.uuid4().hex[:6]}"
    good = proposal_files()
    good["edition.yaml"] = good["edition.yaml"].replace('edition: "proposal-1"', f'edition: "{edition}"')
    assert f'edition: "{edition}"' in good["edition.yaml"]
    files = rule_files(default_rules_dir())
    tiers = files["tiers.yaml"].replace("          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n", 1)
    broken = {**files, "edition.yaml": good["edition.yaml"], "tiers.yaml": tiers}
    duplicate = line_of(tiers, "agent_survey: 55")

    page = sign_in(browser, api_engine.url, ditp_token)
    page.goto(f"{api_engine.url}/ditp/editions")
    assert page.locator('[id="edition-2025.12"]').is_visible()
    accessible(page)

    # A broken edition: every problem at file:line:column, its line marked in the file's own text.
    page.click("#lien-nouvelle-edition")
    accessible(page)
    page.set_input_files("#fichiers", written(tmp_path / "broken", broken))
    page.click("#bouton-deposer")
    page.wait_for_load_state()
    problem = page.locator(f'#liste-problemes a[href="#ligne-tiers-yaml-{duplicate}"]')
    assert problem.inner_text() == f"tiers.yaml:{duplicate}:11" and "duplicate key" in page.locator("#liste-problemes").inner_text()
    problem.click()
    marked = page.locator(f"#ligne-tiers-yaml-{duplicate}")
    assert marked.is_visible() and "agent_survey: 55" in marked.inner_text()
    accessible(page)

    # A good one: created, and in the list at once.
    page.set_input_files("#fichiers", written(tmp_path / "good", good))
    page.click("#bouton-deposer")
    page.wait_for_url(f"{api_engine.url}/ditp/editions?ajoutee={edition}")
    assert page.locator("#edition-ajoutee").is_visible() and page.locator(f"#edition-{edition}").is_visible()
    accessible(page)
    screenshot(page, "ditp-editions")

    # The difference, value by value.
    page.goto(f"{api_engine.url}/ditp/editions/comparer")
    page.select_option("#a", "2025.12")
    page.select_option("#b", edition)
    page.click("#bouton-comparer")
    page.wait_for_load_state()
    row = page.locator("#table-differences tr", has_text="bronze › user_survey")
    assert "70" in row.inner_text() and "75" in row.inner_text() and "§2.2.1" in row.inner_text()
    accessible(page)

    # The cycle moved onto the new edition, with its reason.
    page.goto(f"{api_engine.url}/ditp/editions/changer?candidature={candidate['id']}")
    page.select_option("#edition", edition)
    page.click("#bouton-changer")  # no reason: told beside the field
    assert "motif" in page.locator("#motif-erreur").inner_text()
    accessible(page)
    page.fill("#motif", "arrêté de test")
    page.click("#bouton-changer")
    page.wait_for_url(f"{api_engine.url}/ditp/editions/changer?fait=*")
    assert page.locator("#changement-fait").is_visible()

    # The what-if page: a scenario under both editions, side by side; recorded decisions re-evaluated.
    page.goto(f"{api_engine.url}/ditp/simulation")
    accessible(page)
    page.select_option("#exemple", "holiday")
    page.click("#bouton-exemple")
    page.wait_for_load_state()
    page.select_option("#edition_a", "2025.12")
    page.select_option("#edition_b", edition)
    page.click("#bouton-simuler", timeout=SIMULATION_WAIT)
    page.wait_for_selector("#table-ecarts", timeout=SIMULATION_WAIT)
    report = page.locator("#table-ecarts tr", has_text="audit1.report").inner_text()
    assert "D+126" in report and "D+120" in report
    assert page.locator("#chronologie-1").is_visible() and page.locator("#chronologie-2").is_visible()
    accessible(page)
    screenshot(page, "ditp-simulation")
    page.select_option("#actuelle", "2025.12")
    page.select_option("#proposee", edition)
    page.set_input_files("#fichier-decisions", str(RECORDS))
    page.click("#bouton-reevaluer")
    page.wait_for_selector("#resultat-reevaluation")
    assert "3 changeraient" in page.locator("#titre-changements").inner_text()
    assert "user survey 72 < 75" in page.locator("#table-changements tr", has_text="mairie-de-rive").inner_text()
    accessible(page)

    # The national figures: the candidacy started above, counted for its body.
    page.goto(f"{api_engine.url}/ditp/chiffres")
    assert page.locator(f"#par-organisme-{body} td").inner_text() == "1"
    accessible(page)
    screenshot(page, "ditp-chiffres")
