"""The README as a new user follows it (issue 12, « Examples and help », « Done when »).

* every file under ``examples/`` that the README names exists, and every example event is one the engine's
  models accept (one file per event type of a local cycle);
* the certification body's walkthrough, ``examples/walkthrough.sh``, runs start to decision against a real
  ``worker.py --api`` (embedded Temporal, its own ports and data folder), on today's date;
* the README's commands for the pure core (rules, tier, survey, deadlines) run on the example files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from spplus.interfaces.cli.common import read_event
from spplus.lifecycle.events import Candidate, CycleEvent
from spplus.network.events import CentralEvent
from spplus.settings import PROJECT_ROOT

from .temporal_cycles.conftest import local_today
from .test_cli import ApiEngine

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = PROJECT_ROOT / "examples"
EVENTS = EXAMPLES / "events"
SPPLUS = Path(sys.executable).parent / "spplus"
WALKTHROUGH = EXAMPLES / "walkthrough.sh"


# ---------------------------------------------------------------- the example files
def readme_example_paths() -> list[str]:
    """Every `examples/…` path the README writes, as written (an ellipsis or a trailing slash ends it)."""
    found = {match.rstrip("/.,:;") for match in re.findall(r"examples/[A-Za-z0-9_./-]*", README)}
    return sorted(path for path in found if path != "examples")


@pytest.mark.parametrize("path", ["examples/walkthrough.sh", "examples/scores.yaml", "examples/answers.csv",
                                  "examples/events/central/network_reports.yaml"])
def test_the_readme_points_to_the_examples(path: str) -> None:
    assert path in readme_example_paths(), f"README.md does not name {path}"


@pytest.mark.parametrize("path", readme_example_paths())
def test_every_example_the_readme_names_exists(path: str) -> None:
    assert (PROJECT_ROOT / path).exists(), f"README.md names {path}, which is not in the repository"


def event_types(union: object) -> set[str]:
    """The `type` values of a discriminated union of event models."""
    models = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(model.model_fields["type"].annotation)[0] for model in models}


def local_event_files() -> list[Path]:
    return sorted(path for path in EVENTS.glob("*.y*ml"))


def central_event_files() -> list[Path]:
    return sorted((EVENTS / "central").glob("*.y*ml"))


def read(path: Path) -> object:
    """Read as `spplus cycle event FILE` reads it (YAML or JSON, numbers exact)."""
    with path.open("rb") as stream:
        return read_event(stream)


def test_one_example_file_per_local_event_type() -> None:
    named = {path.stem for path in local_event_files()}
    missing = event_types(CycleEvent) - named
    assert not missing, f"no example under examples/events/ for {', '.join(sorted(missing))}"
    assert central_event_files(), "no central event example under examples/events/central/"


@pytest.mark.parametrize("path", local_event_files(), ids=lambda p: p.name)
def test_each_local_event_example_is_valid(path: Path) -> None:
    event = TypeAdapter(CycleEvent).validate_python(read(path))
    assert event.type == path.stem  # the file is named after its type


@pytest.mark.parametrize("path", central_event_files(), ids=lambda p: p.name)
def test_each_central_event_example_is_valid(path: Path) -> None:
    event = TypeAdapter(CentralEvent).validate_python(read(path))
    assert event.type == path.stem
    if event.type == "network_reports":  # names services of the example network
        network = {line.split(",")[0] for line in (EXAMPLES / "network.csv").read_text(encoding="utf-8").splitlines()[1:]}
        assert set(event.produced_by) <= network


def test_the_example_candidacy_is_valid() -> None:
    from spplus.interfaces.cli.common import read_data_file

    Candidate.model_validate(read_data_file(EXAMPLES / "candidate.yaml", sent=True))


# ---------------------------------------------------------------- the README's commands for the pure core
CORE_COMMANDS = [
    "rules check",
    "rules show --at 2026-05-15",
    "tier examples/scores.yaml",
    "survey examples/answers.csv --kind user --solicited 1200 --at 2026-03-31",
    "deadlines --territory moselle --visit-start 2026-04-17 --decision 2026-07-01",
]


def spplus(args: list[str], **kwargs: typing.Any) -> subprocess.CompletedProcess[str]:
    """The installed command, from the repository's root as the README's commands are written."""
    return subprocess.run([str(SPPLUS), *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.mark.parametrize("command", CORE_COMMANDS)
def test_the_readme_shows_the_command(command: str) -> None:
    assert f".venv/bin/spplus {command}" in README, f"README.md no longer shows `.venv/bin/spplus {command}`"


@pytest.mark.parametrize("command", CORE_COMMANDS)
def test_the_readme_core_command_runs(command: str) -> None:
    human = spplus(command.split())
    assert (human.returncode, human.stderr) == (0, ""), (human.stdout, human.stderr)
    assert human.stdout.strip()
    as_json = spplus([*command.split(), "--json"])
    assert (as_json.returncode, as_json.stderr) == (0, ""), (as_json.stdout, as_json.stderr)
    data = json.loads(as_json.stdout)
    if command.startswith("tier"):
        assert data["tier"] == "argent"  # gold criteria at 79.99 < 80: not « or » (§2.2.1)
    if command.startswith("survey"):
        assert data["valid"] is True and data["admissible"] >= 60
        summary = read(EVENTS / "survey.yaml")  # the survey example is this export's summary
        assert (f"{data['note']:.2f}", data["admissible"]) == (str(summary["summary"]["note"]), summary["summary"]["admissible"])
    if command.startswith("deadlines"):
        assert {d["key"]: d["date"] for d in data}["audit_plan"] == "2026-04-01"  # 10 working days in Moselle


def test_the_answers_export_is_a_semicolon_csv_with_a_completed_column() -> None:
    lines = (EXAMPLES / "answers.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    assert header == [f"Q{i}" for i in range(1, 16)] + ["termine"]  # rules/surveys.yaml, user questionnaire
    assert len(lines) - 1 >= 60 and all(line.count(";") == 15 for line in lines)


# ---------------------------------------------------------------- the walkthrough on the running engine
@pytest.fixture(scope="module")
def api_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEngine]:
    running = ApiEngine(tmp_path_factory.mktemp("readme-engine") / "data")
    running.start()
    yield running
    running.stop()


def walkthrough_env(engine: ApiEngine, home: Path, **extra: str) -> dict[str, str]:
    """The engine's own settings (the token is created in its records), no profile or token of the tester."""
    env = {**engine.env, "HOME": str(home), "SPPLUS_API_URL": engine.url, **extra}
    for name in ("SPPLUS_TOKEN", "SPPLUS_PROFILE", "SPPLUS_BODY", "SPPLUS"):
        if name not in extra:
            env.pop(name, None)
    return env


def run_walkthrough(engine: ApiEngine, folder: Path, ident: str, **extra: str) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    return subprocess.run(["bash", str(WALKTHROUGH), ident, str(folder / "agenda.ics")], cwd=folder,
                          env=walkthrough_env(engine, folder, **extra), capture_output=True, text=True, timeout=600)


def test_the_walkthrough_labels_a_candidacy_on_todays_date(api_engine: ApiEngine, tmp_path: Path) -> None:
    """Token, start, every step recorded late to a decision today, the cycle, timeline, public list and agenda."""
    body = f"oc-{uuid.uuid4().hex[:8]}"
    ident = f"rive-{uuid.uuid4().hex[:8]}"
    done = run_walkthrough(api_engine, tmp_path / "walk", ident, SPPLUS_BODY=body)
    assert (done.returncode, done.stderr) == (0, ""), (done.stdout, done.stderr)
    steps = [line for line in done.stdout.splitlines() if line.startswith("==> ")]
    assert len(steps) >= 14, done.stdout  # each step says what it does
    assert "spp_" not in done.stdout  # the token is never printed

    token = api_engine.token(body)
    env = {**walkthrough_env(api_engine, tmp_path), "SPPLUS_TOKEN": token}
    shown = spplus(["cycle", "show", ident, "--json"], env=env)
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    today = local_today().isoformat()
    assert (view["phase"], view["label_status"], view["attestation"]["tier"]) == ("labelled", "valid", "bronze")
    assert view["attestation"]["valid_from"] == today
    assert view["breaches"] == 0  # recorded late, but each fact was on time
    timeline = json.loads(spplus(["cycle", "timeline", ident, "--json"], env=env).stdout)
    visit = next(e for e in timeline if e["kind"] == "visit")
    assert visit["on"] < today and visit["recorded"] == today  # dated when it happened, entered today

    public = spplus(["public-list", "--format", "json"], env=walkthrough_env(api_engine, tmp_path))  # no token
    assert public.returncode == 0, public.stderr
    row = next(r for r in json.loads(public.stdout) if r["candidate"] == ident)
    assert (row["tier"], row["certification_body"]) == ("bronze", body)

    agenda = (tmp_path / "walk" / "agenda.ics").read_text(encoding="utf-8")
    assert agenda.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in agenda and ident in agenda


def test_the_walkthrough_takes_the_token_from_the_environment(api_engine: ApiEngine, tmp_path: Path) -> None:
    """SPPLUS_TOKEN set: no token is created, the body's own token acts; run twice, two candidacies."""
    body = f"oc-{uuid.uuid4().hex[:8]}"
    token = api_engine.token(body)
    first = run_walkthrough(api_engine, tmp_path / "first", f"rive-{uuid.uuid4().hex[:8]}", SPPLUS_BODY=body, SPPLUS_TOKEN=token)
    assert (first.returncode, first.stderr) == (0, ""), (first.stdout, first.stderr)
    assert "creating a body token" not in first.stdout
    again = run_walkthrough(api_engine, tmp_path / "again", f"rive-{uuid.uuid4().hex[:8]}", SPPLUS_BODY=body, SPPLUS_TOKEN=token)
    assert (again.returncode, again.stderr) == (0, ""), (again.stdout, again.stderr)
    listed = spplus(["cycle", "list", "--json"], env={**walkthrough_env(api_engine, tmp_path), "SPPLUS_TOKEN": token})
    assert sorted(i["tier"] for i in json.loads(listed.stdout)) == ["bronze", "bronze"]
