"""Issue 13: the operators' pages, a central service's page and the agenda page, over HTTP (httpx against the
app) on a real Temporal dev server, cycles moved through their dates by time skipping.

This module runs its own dev server: it flags a workflow after 2 failed workflow tasks in a row
(``system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2``; the default 5 takes a minute of
Temporal's retry back-off), so the failing-task page is tested on a workflow whose task really fails.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time
from markupsafe import escape
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkippingConfig

from spplus import client as engine
from spplus import search_attributes
from spplus.api.agenda import section as section_of
from spplus.ids import cycle_id
from spplus.settings import temporal_cli
from tests.pages.conftest import signed_in, started
from tests.temporal_cycles.conftest import TASK_QUEUE, CycleDriver, local_today, new_candidate
from tests.temporal_cycles.steps import DOSSIER
from tests.temporal_cycles.test_central_cycle import CentralDriver
from worker import build_worker

FLAG_AFTER = 2  # failed workflow tasks in a row before the server flags the workflow


@pytest.fixture(scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """The dev server of tests/temporal_cycles, flagging failing workflow tasks after two failures."""
    os.environ["SPPLUS_DATA"] = str(tmp_path_factory.mktemp("data"))
    environment = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False), dev_server_existing_path=temporal_cli(),
        search_attributes=search_attributes.ALL, data_converter=pydantic_data_converter,
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true",
                               "--dynamic-config-value",
                               f"system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute={FLAG_AFTER}"],
    )
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="module")
async def worker(env: WorkflowEnvironment) -> AsyncIterator[str]:
    async with build_worker(env.client, TASK_QUEUE):
        yield TASK_QUEUE


async def late_cycle(site, env, who: str, send_dossier: bool) -> str:
    """A cycle whose dossier (due a month before the visit, §3.5.1) was missed: overdue and a breach; with
    ``send_dossier`` the dossier comes late, which the engine keeps as a breach."""
    cid = await started(site, who)
    driver = CycleDriver(env, new_candidate(local_today(), certification_body="oc-" + who).model_copy(update={"id": cid}))
    t0 = await driver.today()
    visit = t0 + timedelta(days=60)
    await driver.send({"type": "audit_dates", "audit": "initial", "visit_start": visit.isoformat(),
                       "visit_end": visit.isoformat(), "sites": ["hdv"]})
    await driver.go_to(visit - timedelta(days=25))  # past the dossier's due date, before the plan's
    if send_dossier:
        late = (visit - timedelta(days=25)).isoformat()
        await driver.send({"type": "dossier", "received_on": late, "contents": DOSSIER})
    return cid


async def listed(client, path: str, *markers: str, tries: int = 100) -> str:
    """The page once every one of ``markers`` shows on it (visibility is eventually consistent)."""
    for _ in range(tries):
        page = await client.get(path)
        assert page.status_code == 200, page.text[:500]
        if all(marker in page.text for marker in markers):
            return page.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{markers} not on {path}")


def section(text: str, key: str) -> str:
    return text.split(f'id="section-{key}"')[1].split("</section>")[0]


# ---------------------------------------------------------------------------------------------- operators
async def test_operators_see_overdue_cycles_and_breaches_of_every_body(site, env):
    overdue = await late_cycle(site, env, "alpha", send_dossier=False)
    breached = await late_cycle(site, env, "beta", send_dossier=True)
    fine = await started(site, "alpha")
    async with signed_in(site, "operator") as operator:
        page = await listed(operator, "/exploitation", overdue, breached)
        late, breaches = section(page, "retard"), section(page, "manquements")
        assert f'href="/candidatures/{overdue}"' in late and f'href="/exploitation/cycles/{overdue}"' in late
        assert f'href="/candidatures/{breached}"' in breaches and f'href="/exploitation/cycles/{breached}"' in breaches
        assert "oc-alpha" in late and "oc-beta" in breaches  # every body's cycles
        assert fine not in page
        assert "<caption>" in late and '<th scope="col">' in late
        assert "<script>" not in page and " style=" not in page
        # A forged page token is told and the list starts again from the beginning.
        forged = await operator.get("/exploitation", params={"page_retard": "forged"})
        assert forged.status_code == 200 and 'id="erreur-retard"' in forged.text and overdue in forged.text
    async with signed_in(site, "ditp") as ditp:
        assert overdue in (await ditp.get("/exploitation")).text  # the DITP reads every cycle too


async def test_a_body_is_refused_the_operator_pages(site, env):
    cid = await started(site, "alpha")
    async with signed_in(site, "alpha") as alpha:
        for path in ("/exploitation", "/exploitation/taches-en-echec", f"/exploitation/cycles/{cid}"):
            answer = await alpha.get(path)
            assert answer.status_code == 403 and "Accès refusé" in answer.text, path
    anonymous = await site.get("/exploitation")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/connexion"


async def test_a_workflow_whose_task_fails_is_listed_with_its_web_ui_link(site, env):
    """A cycle started with an input this worker cannot read (a candidacy missing its fields, as another version
    of the engine might send): every workflow task fails and Temporal retries it; the server flags it after two
    failures in a row, the page lists it."""
    broken = new_candidate(local_today(), certification_body="oc-beta")
    unreadable = {"candidate": {"id": broken.id, "name": broken.name}}
    handle = await env.client.start_workflow(
        "LabelCycle", unreadable, id=cycle_id(broken.id), task_queue=TASK_QUEUE,
        search_attributes=search_attributes.initial_search_attributes(broken))
    healthy = await started(site, "alpha")
    try:
        async with signed_in(site, "operator") as operator:
            page = await listed(operator, "/exploitation/taches-en-echec", broken.id, tries=300)
            row = page.split(f'id="echec-{handle.id}"')[1].split("</tr>")[0]
            ui = f'href="http://127.0.0.1:0/namespaces/default/workflows/{handle.id}/{handle.result_run_id}/history"'
            assert ui in row and "WorkflowTaskFailed" in row and "oc-beta" in row and "LabelCycle" in row
            assert f'href="/candidatures/{broken.id}"' in row
            assert healthy not in page
            assert "TemporalReportedProblems" in page and 'id="lien-ui-liste"' in page
        described = await handle.describe()
        assert described.raw_description.pending_workflow_task.attempt >= FLAG_AFTER  # it really keeps failing
    finally:
        await handle.terminate("test over")


async def test_the_timeline_is_rebuilt_from_history_for_operators(site, env):
    cid = await late_cycle(site, env, "alpha", send_dossier=True)
    recorded = await engine.get_timeline(env.client, cid)
    async with signed_in(site, "operator") as operator:
        page = await operator.get(f"/exploitation/cycles/{cid}")
        assert page.status_code == 200 and 'id="table-chronologie"' in page.text
        for entry in recorded:  # entry for entry, what the cycle recorded
            assert str(escape(entry.summary)) in page.text, entry.summary
        assert f"<caption>Chronologie reconstruite ({len(recorded)} entrées)" in page.text
        assert f'href="http://127.0.0.1:0/namespaces/default/workflows/{cycle_id(cid)}"' in page.text
        missing = await operator.get("/exploitation/cycles/no-such-cycle")
        assert missing.status_code == 404


# ---------------------------------------------------------------------------------------------- central services
async def test_a_central_service_page_for_its_body_and_404_for_another(site, env, tmp_path: Path):
    central = CentralDriver(env, 5)  # ⌈√5⌉ = 3 drawn; oc-alpha's
    await central.start()
    sample = await central.sample(0)
    t0 = await central.today()
    await central.run_local_audits(sample, t0, {})
    await central.central_audit(t0 + timedelta(days=120), validated=17, total=20, tier="or")
    state = await central.state()
    draw = state.samples[0]
    cid = central.candidate.id
    async with signed_in(site, "alpha") as alpha:
        page = await alpha.get(f"/services-centraux/{cid}")
        assert page.status_code == 200, page.text[:500]
        text = page.text
        network = text.split('id="table-reseau"')[1].split("</table>")[0]
        for local in central.candidate.local_services:  # each local service, audited or not
            assert f'id="local-{local.id}"' in network
        for local in sample:
            row = network.split(f'id="local-{local}"')[1].split("</tr>")[0]
            assert f'href="/candidatures/{local}"' in row and str(draw["year"]) in row and "Or" in row
        assert network.count("Pas encore tiré") == 5 - len(sample)
        assert f'<code id="graine-1">{draw["seed"]}</code>' in text
        command = re.search(r'<code id="commande-1">(.*?)</code>', text, re.S).group(1)
        population = await alpha.get(f"/services-centraux/{cid}/tirages/1/population.txt")
        assert population.status_code == 200 and sorted(population.text.split()) == population.text.split()
        (tmp_path / f"population-{cid}-1.txt").write_text(population.text)
        redone = subprocess.run(html.unescape(command).replace("python3 ", f"{sys.executable} ", 1), shell=True,
                                cwd=tmp_path, capture_output=True, text=True, check=True)
        assert redone.stdout.strip() == str(draw["drawn"])  # the exact command draws the same services again
        points = text.split('id="table-points-1"')[1].split("</table>")[0]
        assert points.count("<td>Oui</td>") == 17 and points.count("<td>Non</td>") == 3 and "17 points validés sur 20" in points
        assert 'id="table-chronologie-central"' in text and "central visit: 17/20" in text
        assert 'id="table-echeances-central"' in text
        missing = await alpha.get("/services-centraux/no-such-central")
        assert (await alpha.get(f"/services-centraux/{cid}/tirages/9/population.txt")).status_code == 404
    async with signed_in(site, "beta") as beta:
        hidden, absent = await beta.get(f"/services-centraux/{cid}"), await beta.get("/services-centraux/no-such-central")
        assert hidden.status_code == absent.status_code == missing.status_code == 404
        assert hidden.text == absent.text and cid not in hidden.text  # exactly as a missing one
        assert (await beta.get(f"/services-centraux/{cid}/tirages/1/population.txt")).status_code == 404
    async with signed_in(site, "operator") as operator:
        assert (await operator.get(f"/services-centraux/{cid}")).status_code == 200


# ---------------------------------------------------------------------------------------------- agenda
async def test_the_agenda_page_lists_a_deadline_by_month_and_week_with_its_feed(site, env):
    cid = await started(site, "alpha")
    visit = local_today() + timedelta(days=70)
    headers = {"Authorization": f"Bearer {site.secrets['alpha']}"}
    dates = {"type": "audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(), "sites": ["hdv"]}
    assert (await site.post(f"/cycles/{cid}/events", json=dates, headers=headers)).status_code == 200
    view = await engine.get_state(env.client, cid)
    dossier = next(d for d in view.open_deadlines if d.key.endswith("dossier"))
    # The page counts its month and week from "today": frozen on the dossier's due day (the cycles keep their clock).
    with freeze_time(datetime.combine(dossier.due, time(10, 0), tzinfo=timezone.utc), real_asyncio=True):
        async with signed_in(site, "alpha") as alpha:
            month = await alpha.get("/agenda")
            assert month.status_code == 200 and 'id="calendrier-mois"' in month.text
            cell = month.text.split(f'id="jour-{dossier.due.isoformat()}"')[1].split("</td>")[0]
            assert f'href="/candidatures/{cid}"' in cell and dossier.rule in cell and str(escape(section_of(dossier.reference))) in cell
            assert 'aria-current="date"' in month.text
            year, number, _ = dossier.due.isocalendar()
            week = await alpha.get("/agenda", params={"semaine": f"{year}-W{number:02d}"})
            day_table = week.text.split(f'id="table-{dossier.due.isoformat()}"')[1].split("</table>")[0]
            assert cid in day_table and dossier.rule in day_table and str(escape(dossier.explanation)) in day_table
            visit_month = await alpha.get("/agenda", params={"mois": f"{visit:%Y-%m}"})
            assert "visite" in visit_month.text.split(f'id="jour-{visit.isoformat()}"')[1].split("</td>")[0]
            day = await alpha.get("/agenda", params={"jour": dossier.due.isoformat()})
            assert f'href="/candidatures/{cid}"' in day.text.split(f'id="table-{dossier.due.isoformat()}"')[1]
            for wrong in ({"mois": "bientôt"}, {"semaine": "2026-W99"}, {"jour": "2026-02-30"}, {"mois": "9" * 19 + "-1"}):
                answer = await alpha.get("/agenda", params=wrong)  # a user's mistake: told beside the field, never a 5xx
                assert answer.status_code == 200 and 'id="mois-erreur"' in answer.text, wrong
            feed = re.search(r'id="lien-abonnement" name="lien-abonnement" value="([^"]+)"', month.text).group(1)
            assert site.secrets["alpha"] not in month.text and site.secrets["alpha"] not in feed
    calendar = await site.get(feed.removeprefix("http://engine"))  # no cookie, no bearer: what a calendar sends
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert f"UID:{cid}.cycle{view.cycle_number}.{dossier.key}@spplus" in calendar.text.replace("\r\n ", "")
    key = feed.split("/")[-2]
    forged = feed.replace(key, key.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAA")
    assert (await site.get(forged.removeprefix("http://engine"))).status_code == 404
    async with signed_in(site, "beta") as beta:
        assert cid not in (await beta.get("/agenda", params={"mois": f"{dossier.due:%Y-%m}"})).text
    token_id = next(t.id for t in site.tokens.list() if t.body == "oc-alpha")
    site.tokens.revoke(token_id)  # revoking the token closes its feed
    assert (await site.get(feed.removeprefix("http://engine"))).status_code == 404
