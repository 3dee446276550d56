"""The DITP's pages over HTTP (httpx against the app), on the real Temporal server of tests/temporal_cycles:
rule editions (list, upload with every problem at its line, value-by-value difference, a cycle moved with a
reason), the what-if page (a scenario under two editions, recorded decisions re-evaluated) and the national
figures, for the DITP only (an operator reads the editions and figures, a body nothing)."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import pytest

from spplus import search_attributes
from spplus.api.tokens import Role
from spplus.rules.loader import default_rules_dir
from spplus.settings import PROJECT_ROOT
from tests.pages.conftest import csrf_of, error_beside, signed_in, started
from tests.temporal_cycles.conftest import env, worker  # noqa: F401

PROPOSAL = PROJECT_ROOT / "examples" / "editions" / "proposal-1"
SCENARIO = PROJECT_ROOT / "examples" / "scenarios" / "holiday.yaml"
RECORDS = PROJECT_ROOT / "examples" / "whatif-records.json"
PAGES = ["/ditp/editions", "/ditp/editions/nouvelle", "/ditp/editions/comparer", "/ditp/editions/changer",
         "/ditp/simulation", "/ditp/chiffres"]


def rule_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}


def dated_entry(example: str, current: str, rule: str, start: str = "2026-01-01") -> str:
    """``current`` with the value of ``rule`` dated ``start`` in ``example`` added at the end of its values."""
    section = example.split(f"\n{rule}:\n", 1)[1]
    block = section.split(f"    {start}:\n", 1)[1]
    block = f"    {start}:\n" + re.split(r"\n(?=\S)", block, maxsplit=1)[0].rstrip("\n") + "\n"
    head, tail = current.split(f"\n{rule}:\n", 1)
    own, *rest = re.split(r"\n(?=\S)", tail, maxsplit=1)
    return f"{head}\n{rule}:\n{own.rstrip(chr(10))}\n{block}" + (rest[0] if rest else "")


def proposal_files() -> dict[str, str]:
    """examples/editions/proposal-1 (bronze at 75/100 at the user survey and the report in 15 days, from 2026-01-01)
    written over the rules in force, so that it follows their files as they change."""
    files, example = rule_files(default_rules_dir()), rule_files(PROPOSAL)
    files["edition.yaml"] = example["edition.yaml"]
    files["tiers.yaml"] = dated_entry(example["tiers.yaml"], files["tiers.yaml"], "tiers")
    files["deadlines.yaml"] = dated_entry(example["deadlines.yaml"], files["deadlines.yaml"], "report")
    return files


def as_uploads(files: dict[str, str | bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The file input's parts, several .yaml files at once (as a browser sends them)."""
    return [("fichiers", (name, text.encode() if isinstance(text, str) else text, "application/x-yaml"))
            for name, text in files.items()]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def upload(client, files: dict[str, str | bytes], **fields: str):
    csrf = csrf_of((await client.get("/ditp/editions/nouvelle")).text)
    return await client.post("/ditp/editions/nouvelle", data={"csrf": csrf, **fields}, files=as_uploads(files))


async def with_proposal(site) -> None:
    """examples/editions/proposal-1 stored through the page (once per test's engine)."""
    async with signed_in(site, "ditp") as ditp:
        answer = await upload(ditp, proposal_files())
        assert answer.status_code == 303, text_of(answer.text)[:2000]


async def test_every_page_is_the_ditps_an_operator_reads_and_a_body_is_refused(site, tmp_path: Path):
    async with signed_in(site, "ditp") as ditp:
        for path in PAGES:
            page = await ditp.get(path)
            assert page.status_code == 200, (path, text_of(page.text)[:1000])
            assert '<html lang="fr"' in page.text and "<script>" not in page.text and " style=" not in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
            for form in re.findall(r'<form method="post".*?</form>', page.text, re.DOTALL):
                assert 'name="csrf"' in form, (path, form[:200])
            for field in re.findall(r'<(?:input|select|textarea) [^>]*id="([^"]+)"', page.text):
                assert f'for="{field}"' in page.text, (path, field)  # every field has its label
        listed = await ditp.get("/ditp/editions")
        assert 'id="edition-2025.12"' in listed.text and "sha256:" in listed.text and "en vigueur" in listed.text
    async with signed_in(site, "operator") as operator:
        for path, status in (("/ditp/editions", 200), ("/ditp/editions/comparer", 200), ("/ditp/chiffres", 200),
                             ("/ditp/editions/nouvelle", 403), ("/ditp/editions/changer", 403), ("/ditp/simulation", 403)):
            assert (await operator.get(path)).status_code == status, path
    async with signed_in(site, "alpha") as alpha:
        for path in PAGES:
            refused = await alpha.get(path)
            assert refused.status_code == 403 and "Accès refusé" in refused.text, path
        csrf = csrf_of((await alpha.get("/tableau-de-bord")).text)
        posted = await alpha.post("/ditp/editions/nouvelle", data={"csrf": csrf}, files=as_uploads(proposal_files()))
        assert posted.status_code == 403 and "Accès refusé" in posted.text
        moved = await alpha.post("/ditp/editions/changer", data={"csrf": csrf, "candidature": "x", "edition": "2025.12",
                                                                 "motif": "mine"})
        assert moved.status_code == 403
    anonymous = await site.get("/ditp/chiffres")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/connexion"
    assert not list((tmp_path / "editions").glob("*"))  # nothing stored by the body's upload


async def test_a_broken_upload_shows_every_problem_at_its_line_then_a_good_one_is_listed(site, tmp_path: Path):
    files = rule_files(default_rules_dir())
    tiers = files["tiers.yaml"].replace("          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n", 1)
    deadlines = files["deadlines.yaml"].replace("unit: days", "unit: fortnights", 1)
    broken = {**files, "edition.yaml": files["edition.yaml"].replace('edition: "2025.12"', 'edition: "2027.1"'),
              "tiers.yaml": tiers, "deadlines.yaml": deadlines, "notes.yaml": b"\xff\xfe not text"}
    async with signed_in(site, "ditp") as ditp:
        refused = await upload(ditp, broken)
        assert refused.status_code == 422, text_of(refused.text)[:2000]
        duplicate, unit = line_of(tiers, "agent_survey: 55"), line_of(deadlines, "fortnights")
        problems = refused.text.split('id="liste-problemes"')[1].split("</ol>")[0]
        assert f'href="#ligne-tiers-yaml-{duplicate}">tiers.yaml:{duplicate}:11</a>' in problems
        assert "duplicate key" in problems and f'href="#ligne-deadlines-yaml-{unit}"' in problems
        assert "fortnights" in problems and "notes.yaml:1:1" in problems  # every problem of every file
        for anchor in (f"ligne-tiers-yaml-{duplicate}", f"ligne-deadlines-yaml-{unit}"):
            marked = re.search(rf'<mark id="{anchor}" tabindex="-1">(.*?)</mark>', refused.text)
            assert marked, anchor  # the faulty line, marked in the file's own text
        assert "agent_survey: 55" in re.search(rf'<mark id="ligne-tiers-yaml-{duplicate}"[^>]*>(.*?)</mark>', refused.text)[1]
        assert 'id="fichier-tiers-yaml"' in refused.text and 'id="fichier-edition-yaml"' not in refused.text
        assert "agent_survey: 55" in refused.text.split('id="texte-tiers-yaml"')[1].split("</textarea>")[0]  # kept to fix
        assert "2027.1" not in (await ditp.get("/ditp/editions")).text  # nothing stored

        good = await upload(ditp, proposal_files())
        assert good.status_code == 303 and good.headers["location"] == "/ditp/editions?ajoutee=proposal-1"
        listed = await ditp.get(good.headers["location"])
        row = listed.text.split('id="edition-proposal-1"')[1].split("</tr>")[0]
        assert 'id="edition-ajoutee"' in listed.text and "Proposition DITP" in row and "sha256:" in row
        assert "1er janvier 2026" in row  # its last dated value

        # The same edition again, typed in the textareas this time: never overwritten, said at edition.yaml's line.
        texts = {f"texte-{name}": text.replace("\n", "\r\n") for name, text in proposal_files().items()}
        again = await ditp.post("/ditp/editions/nouvelle", files={"fichiers": ("", b"", "application/octet-stream")},
                                data={"csrf": csrf_of(listed.text), **texts})
        assert again.status_code == 409 and "never overwritten" in again.text
        line = line_of(proposal_files()["edition.yaml"], "\nedition:") + 1
        assert f'<mark id="ligne-edition-yaml-{line}"' in again.text
        empty = await ditp.post("/ditp/editions/nouvelle", data={"csrf": csrf_of(listed.text)},
                                files={"fichiers": ("", b"", "application/octet-stream")})
        assert empty.status_code == 422 and "Choisissez les fichiers" in empty.text
        forged = await ditp.post("/ditp/editions/nouvelle", data={"csrf": "forged"}, files=as_uploads(proposal_files()))
        assert forged.status_code == 403 and "Formulaire refusé" in forged.text
        filled = await ditp.get("/ditp/editions/nouvelle", params={"depuis": "proposal-1"})
        assert "Proposition DITP" in filled.text.split('id="texte-edition-yaml"')[1].split("</textarea>")[0]
        assert (await ditp.get("/ditp/editions/nouvelle", params={"depuis": "nope"})).status_code == 404


async def test_the_difference_between_two_editions_value_by_value(site):
    await with_proposal(site)
    async with signed_in(site, "operator") as operator:
        page = await operator.get("/ditp/editions/comparer", params={"a": "2025.12", "b": "proposal-1"})
        assert page.status_code == 200
        rows = page.text.split('id="table-differences"')[1].split("</table>")[0]
        bronze = next(r for r in rows.split("<tr") if "bronze › user_survey" in r)
        assert "<code>70</code>" in bronze and "<code>75</code>" in bronze and "1er janvier 2026" in bronze
        assert "Proposition DITP n° 1" in bronze and "§2.2.1" in bronze  # its guide reference
        report = next(r for r in rows.split("<tr") if "report › amount" in r)
        assert "<code>21</code>" in report and "<code>15</code>" in report and "15 days after the visit" in report  # its note
        assert "weekend" not in rows  # what is the same is not listed
        unknown = await operator.get("/ditp/editions/comparer", params={"a": "2025.12", "b": "nope"})
        assert unknown.status_code == 422 and "Choisissez une édition" in error_beside(unknown.text, "b")


async def test_a_cycle_moves_to_another_edition_with_its_reason(site):
    cid = await started(site, "alpha")
    await with_proposal(site)
    async with signed_in(site, "ditp") as ditp:
        form = await ditp.get("/ditp/editions/changer", params={"candidature": cid})
        assert f'value="{cid}"' in form.text and '<option value="proposal-1"' in form.text
        csrf = csrf_of(form.text)
        no_reason = await ditp.post("/ditp/editions/changer", data={"csrf": csrf, "candidature": cid, "edition": "proposal-1",
                                                                   "motif": " "})
        assert no_reason.status_code == 422 and "motif" in error_beside(no_reason.text, "motif")
        same = await ditp.post("/ditp/editions/changer", data={"csrf": csrf, "candidature": cid, "edition": "2025.12",
                                                              "motif": "test"})
        assert same.status_code == 422 and "already runs on edition 2025.12" in error_beside(same.text, "edition")
        unknown = await ditp.post("/ditp/editions/changer", data={"csrf": csrf, "candidature": "no-such-cycle",
                                                                 "edition": "proposal-1", "motif": "test"})
        assert unknown.status_code == 422 and "Aucune candidature" in error_beside(unknown.text, "candidature")
        assert 'value="no-such-cycle"' in unknown.text  # what was typed is kept
        moved = await ditp.post("/ditp/editions/changer", data={"csrf": csrf, "candidature": cid, "edition": "proposal-1",
                                                               "motif": "arrêté du 30 novembre 2026", "cle": "move-1"})
        assert moved.status_code == 303, text_of(moved.text)[:2000]
        done = await ditp.get(moved.headers["location"])
        assert 'id="changement-fait"' in done.text and f'href="/candidatures/{cid}"' in done.text
    headers = {"Authorization": f"Bearer {site.secrets['alpha']}"}
    assert (await site.get(f"/cycles/{cid}", headers=headers)).json()["edition"] == "proposal-1"
    change = [e for e in (await site.get(f"/cycles/{cid}/timeline", headers=headers)).json() if e["kind"] == "rules_edition_change"]
    assert len(change) == 1 and "arrêté du 30 novembre 2026" in change[0]["summary"] and change[0]["actor"].startswith("ditp:")


async def test_a_scenario_runs_under_two_editions_side_by_side_and_decisions_are_re_evaluated(site):
    await with_proposal(site)
    async with signed_in(site, "ditp") as ditp:
        form = await ditp.get("/ditp/simulation", params={"exemple": "holiday"})
        assert "mairie-paques" in form.text.split('id="scenario"')[1].split("</textarea>")[0]
        csrf = csrf_of(form.text)
        scenario = SCENARIO.read_text(encoding="utf-8")
        fields = {"csrf": csrf, "scenario": scenario, "edition_a": "2025.12", "edition_b": "proposal-1", "debut": ""}
        # Refusals beside their fields, before anything runs.
        same = await ditp.post("/ditp/simulation", data={**fields, "edition_b": "2025.12"}, files={"x": ("", b"")})
        assert same.status_code == 422 and "autre édition" in error_beside(same.text, "edition_b")
        bad = await ditp.post("/ditp/simulation", data={**fields, "scenario": "name: x\nsteps: [", "debut": "demain"},
                              files={"x": ("", b"")})
        assert bad.status_code == 422 and "Scénario refusé" in error_beside(bad.text, "scenario")
        assert "AAAA-MM-JJ" in error_beside(bad.text, "debut")
        long = await ditp.post("/ditp/simulation", data={**fields, "scenario": scenario.replace("until_day: 140", "until_day: 90000")},
                               files={"x": ("", b"")})
        assert long.status_code == 422 and "at most 4000 days" in error_beside(long.text, "scenario")
        ran = await ditp.post("/ditp/simulation", files={"fichier-scenario": ("holiday.yaml", scenario.encode(), "application/x-yaml")},
                              data={**fields, "scenario": ""})
        assert ran.status_code == 200, text_of(ran.text)[:3000]
        changes = ran.text.split('id="table-ecarts"')[1].split("</table>")[0]
        row = next(r for r in changes.split("<tr") if "audit1.report" in r)
        assert "D+126" in row and "D+120" in row and "11 mai 2026" in row and "5 mai 2026" in row
        assert 'id="chronologie-1"' in ran.text and 'id="chronologie-2"' in ran.text
        assert "Sous 2025.12" in ran.text and "Sous proposal-1" in ran.text

        records = RECORDS.read_text(encoding="utf-8")
        whatif = await ditp.post("/ditp/simulation/decisions", files={"x": ("", b"")}, data={
            "csrf": csrf, "actuelle": "2025.12", "proposee": "proposal-1", "source": "fichier", "decisions": records})
        assert whatif.status_code == 200
        result = text_of(whatif.text.split('id="resultat-reevaluation"')[1])
        assert "6 décisions réévaluées sous proposal-1 : 3 changeraient" in result
        table = whatif.text.split('id="table-changements"')[1].split("</table>")[0]
        rive = next(r for r in table.split("<tr") if "mairie-de-rive" in r)
        assert "bronze" in rive and "aucun (refus)" in rive and "user survey 72 &lt; 75" in rive  # for whom, and why
        broken = await ditp.post("/ditp/simulation/decisions", files={"x": ("", b"")}, data={
            "csrf": csrf, "actuelle": "2025.12", "proposee": "proposal-1", "source": "fichier", "decisions": '[{"candidate": 1}]'})
        assert broken.status_code == 422 and "Décisions refusées" in error_beside(broken.text, "decisions")
        engine = await ditp.post("/ditp/simulation/decisions", files={"x": ("", b"")}, data={
            "csrf": csrf, "actuelle": "2025.12", "proposee": "proposal-1", "source": "moteur"})
        assert engine.status_code == 200 and 'id="resultat-reevaluation"' in engine.text


async def count_in(page: str, row_id: str) -> int:
    row = page.split(f'id="{row_id}"')[1].split("</tr>")[0]
    return int(re.findall(r"<td[^>]*>(\d+)</td>", row)[0])


async def test_the_figures_count_a_started_candidacy(site):
    body = f"fig-{uuid.uuid4().hex[:8]}"
    site.secrets[body] = site.tokens.create(Role.body, "OC Chiffres", f"oc-{body}")[1]
    async with signed_in(site, "ditp") as ditp:
        before = (await ditp.get("/ditp/chiffres")).text
        assert await count_in(before, f"par-organisme-oc-{body}") == 0  # a body the engine knows by its token
        await started(site, body)
        for _ in range(50):  # visibility is eventually consistent
            after = (await ditp.get("/ditp/chiffres")).text
            if await count_in(after, f"par-organisme-oc-{body}") == 1:
                break
            await asyncio.sleep(0.1)
        assert await count_in(after, f"par-organisme-oc-{body}") == 1
        assert await count_in(after, "par-etape-preparation") >= 1
        assert 'id="par-niveau-bronze"' in after and 'id="chiffre-manquements"' in after and 'id="chiffre-retard"' in after
        if getattr(search_attributes, "TERRITORY", None) is not None:
            assert await count_in(after, "par-territoire-metropole") >= 1
        else:
            assert 'id="territoires-indisponibles"' in after


@pytest.mark.parametrize("path", ["/ditp/editions/nouvelle", "/ditp/simulation", "/ditp/simulation/decisions"])
async def test_a_form_that_is_not_multipart_is_refused_in_french(site, path):
    async with signed_in(site, "ditp") as ditp:
        csrf = csrf_of((await ditp.get("/ditp/editions")).text)
        answer = await ditp.post(path, data={"csrf": csrf})  # url-encoded: its CSRF token cannot be read
        assert answer.status_code == 403 and "Formulaire refusé" in answer.text
