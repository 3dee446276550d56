"""The `spplus` command line (README « Two commands », « The core from the command line », « Running cycles »).

A body's commands run against a real `worker.py --api`, with body tokens: they go through the HTTP API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from spplus.api.tokens import Role, TokenStore
from spplus.cli import main
from spplus.settings import PROJECT_ROOT

from .temporal_cycles.conftest import local_today
from .temporal_cycles.steps import one_day_cycle
from .test_engine_restart import free_port

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
EDITION = yaml.safe_load((RULES_DIR / "edition.yaml").read_text(encoding="utf-8"))["edition"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()  # click 8.2+: result.stdout and result.stderr are kept apart


def test_rules_check_prints_the_edition(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert EDITION in result.stdout and "sha256:" in result.stdout
    assert result.stderr == ""


def test_rules_check_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "check", "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["ok"] is True and data["edition"] == EDITION


def test_rules_check_refuses_a_broken_folder_with_positions(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "tiers.yaml"
    text = path.read_text(encoding="utf-8").replace("          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n", 1)
    path.write_text(text, encoding="utf-8")
    line = text[: text.index("agent_survey: 55")].count("\n") + 1  # column 11: ten spaces of indentation
    result = runner.invoke(main, ["rules", "check", str(folder)])
    assert result.exit_code == 1
    assert re.search(rf"tiers\.yaml:{line}:11: duplicate key 'agent_survey'", result.stderr), result.stderr
    assert result.stdout == ""


def test_commands_refuse_to_run_on_broken_rules(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    (folder / "central.yaml").unlink()
    result = runner.invoke(main, ["--rules", str(folder), "deadlines", "--visit-start", "2026-05-15"])
    assert result.exit_code == 1
    assert "central.yaml:1:1: missing rule file" in result.stderr


def test_rules_show_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "show", "--at", "2026-05-15", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["edition"] == EDITION and data["at"] == "2026-05-15"
    tiers = data["tiers"]["tiers"]
    assert [t["id"] for t in tiers["value"]] == ["bronze", "argent", "or"]
    assert [t["user_survey"] for t in tiers["value"]] == [70, 80, 90]  # §2.2.1
    assert "§2.2.1" in tiers["reference"]


def test_tier_on_a_scores_file(runner: CliRunner, tmp_path: Path) -> None:
    """The README's example: gold criteria at 79.99 → argent (§2.2.1)."""
    scores = tmp_path / "scores.yaml"
    scores.write_text(
        "date: 2026-05-15\n"
        "audit:\n"
        "  engagements: {1: 80, 2: 81, 3: 90, 4: 80, 5: 85, 6: 80, 7: 80, 8: 99}\n"
        "  gold_criteria: 79.99\n"
        "agent_survey: 82\n"
        "user_survey: 91\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["tier", str(scores), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tier"] == "argent"
    assert [c["criterion"] for c in data["criteria"] if not c["passed"]] == ["audit gold criteria"]
    human = runner.invoke(main, ["tier", str(scores)])
    assert human.exit_code == 0 and "Argent" in human.stdout


def test_tier_refuses_a_point_off_the_scale(runner: CliRunner, tmp_path: Path) -> None:
    scores = tmp_path / "scores.yaml"
    points = ", ".join(f"{n}: [1, 0.75]" for n in range(1, 8))
    scores.write_text(f"date: 2026-05-15\naudit:\n  control_points: {{{points}, 8: [0.5]}}\nagent_survey: 90\nuser_survey: 95\n", encoding="utf-8")
    result = runner.invoke(main, ["tier", str(scores)])
    assert result.exit_code == 1
    assert "0.5" in result.stderr and "engagement 8" in result.stderr


def test_survey_on_a_csv(runner: CliRunner, tmp_path: Path) -> None:
    """30 agents answer everything (1 point), 5 answer « NC » only: 30 admissible of 50 (§3.4.2)."""
    header = ";".join(f"Q{i}" for i in range(1, 12)) + ";termine\n"
    rows = ";".join(["1"] * 11) + ";oui\n"
    neutral = ";".join(["NC"] * 11) + ";oui\n"
    csv_file = tmp_path / "agents.csv"
    csv_file.write_text("\ufeff" + header + rows * 30 + neutral * 5, encoding="utf-8")
    result = runner.invoke(main, ["survey", str(csv_file), "--kind", "agent", "--solicited", "50", "--at", "2026-03-31", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["respondents"], data["admissible"], data["note"], data["valid"]) == (35, 30, 100, True)


def test_survey_refuses_an_unknown_answer(runner: CliRunner, tmp_path: Path) -> None:
    csv_file = tmp_path / "users.csv"
    csv_file.write_text(",".join(f"Q{i}" for i in range(1, 16)) + ",termine\n" + ",".join(["1"] * 14 + ["peut-être"]) + ",oui\n", encoding="utf-8")
    result = runner.invoke(main, ["survey", str(csv_file), "--kind", "user", "--solicited", "10", "--at", "2026-03-31"])
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "Q15" in result.stderr


def test_deadlines_json(runner: CliRunner) -> None:
    """§3.7.1: a visit on Friday 15 May 2026 in metropolitan France → audit plan by Tuesday 28 April."""
    result = runner.invoke(main, ["deadlines", "--visit-start", "2026-05-15", "--json"])
    assert result.exit_code == 0, result.output
    by_key = {d["key"]: d for d in json.loads(result.stdout)}
    assert by_key["audit_plan"]["date"] == "2026-04-28"
    assert by_key["audit_plan"]["rule"] == "deadlines.audit_plan" and by_key["audit_plan"]["edition"] == EDITION
    assert by_key["report"]["date"] == "2026-06-05"


def test_deadlines_in_moselle(runner: CliRunner) -> None:
    result = runner.invoke(main, ["deadlines", "--territory", "moselle", "--visit-start", "2026-04-17", "--json"])
    assert {d["key"]: d["date"] for d in json.loads(result.stdout)}["audit_plan"] == "2026-04-01"


def test_deadlines_unknown_territory(runner: CliRunner) -> None:
    result = runner.invoke(main, ["deadlines", "--territory", "atlantis", "--visit-start", "2026-05-15"])
    assert result.exit_code == 1 and "atlantis" in result.stderr


def test_deadlines_need_a_date(runner: CliRunner) -> None:
    result = runner.invoke(main, ["deadlines"])
    assert result.exit_code == 2 and "--visit-start" in result.stderr


# ---------------------------------------------------------------- a body's cycles, through the engine's HTTP API
# `spplus cycle …`, `central …` and `public-list` are clients of the API: they run here against `worker.py --api`
# (its own ports, data folder and embedded Temporal), with body tokens made by the engine's TokenStore.
SPPLUS = Path(sys.executable).parent / "spplus"


class ApiEngine:
    """`python worker.py --api` as a process of its own: embedded Temporal, worker and HTTP API."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SPPLUS_DATA": str(data), "SPPLUS_TEMPORAL_PORT": str(free_port()),
                    "SPPLUS_UI_PORT": str(free_port()), "SPPLUS_API_PORT": str(self.port), "SPPLUS_METRICS": "off",
                    "SPPLUS_TASK_QUEUE": f"cli-{uuid.uuid4().hex[:8]}"}
        self.env.pop("TEMPORAL_ADDRESS", None)
        self.log = data.parent / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "worker.py"), "--api"], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        give_up = time.monotonic() + 90
        while time.monotonic() < give_up:
            if '"API serving"' in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"worker.py --api did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def token(self, body: str) -> str:
        """A new body token, made as `spplus token create --role body` makes it (shown once)."""
        _, secret = TokenStore(self.data).create(Role.body, f"{body}, test", body)
        return secret

    def env_for(self, token: str | None) -> dict[str, str | None]:
        return {"SPPLUS_API_URL": self.url, "SPPLUS_TOKEN": token}


@pytest.fixture(scope="module")
def api_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiEngine]:
    running = ApiEngine(tmp_path_factory.mktemp("api-engine") / "data")
    running.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def own_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No token, address or profile of the person running the tests: a home of the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("SPPLUS_TOKEN", "SPPLUS_API_URL", "SPPLUS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return home


def new_body() -> str:
    return f"oc-{uuid.uuid4().hex[:8]}"


def candidacy(folder: Path, body: str, ident: str | None = None) -> tuple[str, Path]:
    ident = ident or f"mairie-{uuid.uuid4().hex[:8]}"
    path = folder / f"{ident}.yaml"
    path.write_text(f"id: {ident}\nname: Mairie de Rive\nterritory: metropole\nsites: [{{id: hdv, name: Hôtel de ville}}]\n"
                    f"agents_in_contact: 40\ncertification_body: {body}\ncontract_signed: {local_today().isoformat()}\n",
                    encoding="utf-8")
    return ident, path


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == ""
    return result.stdout


AGENTS_CSV = (";".join(f"Q{i}" for i in range(1, 12)) + ";termine\n" + (";".join(["1"] * 11) + ";oui\n") * 30
              + (";".join(["NC"] * 11) + ";oui\n") * 5)


def test_a_body_labels_a_candidacy_through_the_api(runner: CliRunner, api_engine: ApiEngine, tmp_path: Path) -> None:
    """Start, every step to a decision (YAML and JSON files, a raw survey export scored by the API), show,
    timeline, list, and the public list: each through the API with the body's token."""
    body = new_body()
    env = api_engine.env_for(api_engine.token(body))
    ident, path = candidacy(tmp_path, body)
    assert ok(runner.invoke(main, ["cycle", "start", str(path)], env=env)) == f"started cycle-{ident}\n"
    today = local_today().isoformat()
    for number, event in enumerate(one_day_cycle(today)):
        if event["type"] == "survey" and event["kind"] == "agent":  # the raw export: the API scores it
            event = {"type": "survey", "kind": "agent", "closed_on": today, "solicited": 40, "csv": AGENTS_CSV}
        file = tmp_path / (f"step{number}.yaml" if number % 2 else f"step{number}.json")
        file.write_text(yaml.safe_dump(event, allow_unicode=True) if number % 2 else json.dumps(event), encoding="utf-8")
        said = ok(runner.invoke(main, ["cycle", "event", ident, str(file), "--id", f"{ident}-{number}"], env=env))
        assert said.startswith("applied: "), said
        if event.get("csv"):
            assert "agent survey" in said and "note 100.00/100" in said
    again = ok(runner.invoke(main, ["cycle", "event", ident, str(tmp_path / "step0.json"), "--id", f"{ident}-0"], env=env))
    assert again.startswith("already applied: ")

    view = json.loads(ok(runner.invoke(main, ["cycle", "show", ident, "--json"], env=env)))
    assert (view["phase"], view["label_status"], view["attestation"]["tier"]) == ("labelled", "valid", "bronze")
    assert "phase: labelled   label: valid Bronze" in ok(runner.invoke(main, ["cycle", "show", ident], env=env))
    timeline = json.loads(ok(runner.invoke(main, ["cycle", "timeline", ident, "--json"], env=env)))
    acted = {e["actor"] for e in timeline if e["kind"] in ("self_assessment", "visit", "decision")}
    assert acted == {f"body:{body}"}  # the token says who acts
    listed = json.loads(ok(runner.invoke(main, ["cycle", "list", "--json"], env=env)))
    assert [(i["candidate"], i["label_status"]) for i in listed] == [(ident, "valid")]
    assert ok(runner.invoke(main, ["cycle", "list", "--status", "suspended"], env=env)) == "no cycle matches\n"
    public = json.loads(ok(runner.invoke(main, ["public-list", "--format", "json"], env={"SPPLUS_API_URL": api_engine.url})))
    assert {"candidate": ident, "tier": "bronze", "certification_body": body}.items() <= \
        next(row for row in public if row["candidate"] == ident).items()
    csv_text = ok(runner.invoke(main, ["public-list"], env={"SPPLUS_API_URL": api_engine.url}))
    assert csv_text.startswith("candidate,tier,status,suspended,certification_body,expires,name,territory,sites,valid_from,"
                               "last_valid_day\n") and f"{ident},bronze" in csv_text


def test_numbers_reach_the_engine_exactly(runner: CliRunner, api_engine: ApiEngine, tmp_path: Path) -> None:
    """49.99999999999999999 stays below 50 on its way (YAML or JSON): it cannot reach Bronze (§3.4)."""
    body = new_body()
    env = api_engine.env_for(api_engine.token(body))
    ident, path = candidacy(tmp_path, body)
    ok(runner.invoke(main, ["cycle", "start", str(path)], env=env))
    today = local_today().isoformat()
    agents = tmp_path / "agents.yaml"
    agents.write_text(f"type: survey\nkind: agent\nclosed_on: {today}\nsolicited: 40\n"
                      "summary: {note: 49.99999999999999999, admissible: 30}\n", encoding="utf-8")
    users = tmp_path / "users.json"
    users.write_text('{"type": "survey", "kind": "user", "closed_on": "%s", "solicited": 1000, '
                     '"summary": {"note": 69.99999999999999999, "admissible": 150}}' % today, encoding="utf-8")
    ok(runner.invoke(main, ["cycle", "event", ident, str(agents)], env=env))
    receipt = json.loads(ok(runner.invoke(main, ["cycle", "event", ident, str(users), "--json"], env=env)))
    assert {d["key"] for d in receipt["open_deadlines"]} >= {"survey.agent.new_campaign", "survey.user.new_campaign"}


def test_another_bodys_cycle_is_not_found(runner: CliRunner, api_engine: ApiEngine, tmp_path: Path) -> None:
    """A body's token reads and acts on its own candidacies only; another's answers as one that does not exist."""
    alpha, beta = new_body(), new_body()
    ident, path = candidacy(tmp_path, alpha)
    ok(runner.invoke(main, ["cycle", "start", str(path)], env=api_engine.env_for(api_engine.token(alpha))))
    as_beta = api_engine.env_for(api_engine.token(beta))
    event = tmp_path / "sa.yaml"
    event.write_text(f"type: self_assessment\ndone_on: {local_today().isoformat()}\n", encoding="utf-8")
    for target in (ident, "nobody-has-this-id"):
        for command in (["cycle", "show", target], ["cycle", "timeline", target], ["cycle", "event", target, str(event)]):
            result = runner.invoke(main, command, env=as_beta)
            assert (result.exit_code, result.stdout) == (1, ""), result.output
            assert result.stderr == f"no cycle {target} that this token may read\n"
    assert ok(runner.invoke(main, ["cycle", "list"], env=as_beta)) == "no cycle matches\n"
    result = runner.invoke(main, ["cycle", "list", "--body", alpha], env=as_beta)
    assert (result.exit_code, result.stderr) == (1, f"{beta} lists its own candidacies only\n")
    result = runner.invoke(main, ["cycle", "start", str(path)], env=as_beta)  # a candidacy is opened by its own body
    assert result.exit_code == 1 and result.stderr == f"{beta} opens candidacies for itself, not for {alpha}\n"


def test_the_acting_commands_never_reach_temporal_themselves(api_engine: ApiEngine, tmp_path: Path) -> None:
    """The installed `spplus`, with TEMPORAL_ADDRESS on a closed port: every body's command works, through the API."""
    body = new_body()
    env = {**os.environ, "HOME": str(tmp_path), "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
           "SPPLUS_API_URL": api_engine.url, "SPPLUS_TOKEN": api_engine.token(body)}
    env.pop("SPPLUS_PROFILE", None)
    ident, path = candidacy(tmp_path, body)
    central = tmp_path / "central.yaml"
    central_id = f"cnaf-{uuid.uuid4().hex[:6]}"
    central.write_text(f"id: {central_id}\nname: Caisse nationale\ncertification_body: {body}\n"
                       f"contract_signed: {local_today().isoformat()}\n", encoding="utf-8")
    event = tmp_path / "sa.yaml"
    event.write_text(f"type: self_assessment\ndone_on: {local_today().isoformat()}\n", encoding="utf-8")
    commands = [["cycle", "start", str(path)], ["cycle", "event", ident, str(event), "--id", "sa"], ["cycle", "show", ident],
                ["cycle", "timeline", ident], ["cycle", "list"], ["public-list"],
                ["central", "start", str(central), "--network", str(PROJECT_ROOT / "examples" / "network.csv")],
                ["central", "show", central_id], ["central", "table", central_id]]
    for command in commands:
        done = subprocess.run([str(SPPLUS), *command], env=env, capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (0, ""), (command, done.stdout, done.stderr)
    history = subprocess.run([str(SPPLUS), "cycle", "history", ident], env=env, capture_output=True, text=True, timeout=60)
    assert history.returncode == 1 and history.stderr.startswith("no engine at ")  # the operator's tool is Temporal's


def test_a_profile_gives_the_address_and_the_token(runner: CliRunner, api_engine: ApiEngine, tmp_path: Path,
                                                   own_profile: Path) -> None:
    """~/.config/spplus/profile.toml (mode 0600), or the file SPPLUS_PROFILE names; the environment wins over it."""
    body = new_body()
    ident, path = candidacy(tmp_path, body)
    profile = own_profile / ".config" / "spplus" / "profile.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text(f'api_url = "{api_engine.url}"\ntoken = "{api_engine.token(body)}"\n', encoding="utf-8")
    profile.chmod(0o600)
    assert ok(runner.invoke(main, ["cycle", "start", str(path)])) == f"started cycle-{ident}\n"
    assert ok(runner.invoke(main, ["cycle", "list"])).startswith(ident)
    named = tmp_path / "elsewhere.toml"
    named.write_text(f'api_url = "{api_engine.url}"\ntoken = "{api_engine.token(new_body())}"\n', encoding="utf-8")
    named.chmod(0o600)
    assert ok(runner.invoke(main, ["cycle", "list"], env={"SPPLUS_PROFILE": str(named)})) == "no cycle matches\n"
    result = runner.invoke(main, ["cycle", "list"], env={"SPPLUS_TOKEN": "spp_not-a-token"})
    assert (result.exit_code, result.stderr) == (1, "unknown or revoked token: send Authorization: Bearer <token>\n")


def test_the_ditp_keeps_the_register_of_bodies_from_the_command_line(tmp_path, monkeypatch):
    """Issue 11, door 1: the register the renewal's body change is checked against (§1.2, §1.3)."""
    import json as _json

    from click.testing import CliRunner

    from spplus.cli import main

    monkeypatch.setenv("SPPLUS_DATA", str(tmp_path))
    monkeypatch.delenv("SPPLUS_DATABASE_URL", raising=False)
    run = CliRunner().invoke
    assert run(main, ["bodies", "add", "oc-beta", "--name", "OC Beta", "--from", "2024-01-01", "--by", "ditp"]).exit_code == 0
    assert run(main, ["bodies", "end", "oc-beta", "--on", "2026-06-30", "--by", "ditp"]).exit_code == 0
    ended = run(main, ["bodies", "check", "oc-beta", "--on", "2026-07-01"])
    assert ended.exit_code == 1 and "oc-beta's authorisation ended on 2026-06-30" in ended.output
    assert run(main, ["bodies", "check", "oc-beta", "--on", "2026-06-30"]).exit_code == 0
    unknown = run(main, ["bodies", "check", "oc-zeta"])
    assert unknown.exit_code == 1 and "not in the register" in unknown.output
    formula = run(main, ["bodies", "add", "=HYPERLINK(1)", "--name", "x", "--from", "2024-01-01", "--by", "ditp"])
    assert formula.exit_code != 0 and "Traceback" not in formula.output
    listed = _json.loads(run(main, ["bodies", "list", "--json"]).output)
    assert [b["id"] for b in listed] == ["oc-beta"] and listed[0]["authorised_until"] == "2026-06-30"
    tokens = run(main, ["token", "create", "--role", "operator", "--name", "astreinte"])
    assert tokens.exit_code == 0
    as_json = _json.loads(run(main, ["token", "list", "--json"]).output)
    assert as_json[0]["role"] == "operator" and "hash" not in as_json[0]


def test_an_import_refused_by_the_rules_names_the_files_line(runner: CliRunner, api_engine: ApiEngine, tmp_path: Path) -> None:
    """`cycle import FILE` (issue 12): a fact the rules refuse is said at its line in the file, and nothing starts;
    the same file, once corrected, brings the candidacy in with its facts."""
    from datetime import timedelta

    body = new_body()
    env = api_engine.env_for(api_engine.token(body))
    ident = f"mairie-{uuid.uuid4().hex[:8]}"
    start = (local_today() - timedelta(days=30)).isoformat()
    visit = (local_today() + timedelta(days=60)).isoformat()
    text = (f"candidate:\n  id: {ident}\n  name: Mairie de Rive\n  territory: metropole\n"
            f"  sites: [{{id: hdv, name: Hôtel de ville}}]\n  agents_in_contact: 40\n  certification_body: {body}\n"
            f"  contract_signed: {start}\n"
            "facts:\n"
            f"  - on: {start}\n    event: {{type: self_assessment, done_on: {start}}}\n"
            f"  - on: {start}\n    event:\n      type: survey\n      kind: user\n      closed_on: {start}\n"
            "      solicited: 1000\n      summary: {note: 75, admissible: 150}\n"
            f"  - on: {start}\n    event: {{type: survey, kind: agent, closed_on: {start}, solicited: 40, "
            "summary: {note: 55, admissible: 30}}\n"
            f"  - on: {start}\n    event:\n      type: audit_dates\n      visit_start: {visit}\n      visit_end: {visit}\n"
            "      sites: [gare]\n")
    path = tmp_path / "import.yaml"
    path.write_text(text, encoding="utf-8")
    at = text.index("[gare]")  # the value at fault: its line and column in the file
    line, column = text[:at].count("\n") + 1, at - text.rfind("\n", 0, at)
    result = runner.invoke(main, ["cycle", "import", str(path)], env=env)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert re.fullmatch(rf"{re.escape(str(path))}:{line}:{column}: facts\.3: sites: unknown site\(s\) gare; .*\n", result.stderr), result.stderr
    shown = runner.invoke(main, ["cycle", "show", ident], env=env)
    assert shown.stderr == f"no cycle {ident} that this token may read\n"  # nothing started

    path.write_text(text.replace("sites: [gare]", "sites: [hdv]"), encoding="utf-8")
    said = ok(runner.invoke(main, ["cycle", "import", str(path)], env=env))
    assert said.startswith(f"imported cycle-{ident} (sha256 ")
    digest = said.split("sha256 ", 1)[1].split(" ", 1)[0]
    timeline = json.loads(ok(runner.invoke(main, ["cycle", "timeline", ident, "--json"], env=env)))
    assert any(e["kind"] == "imported" and digest in e["summary"] for e in timeline)
    assert [e["kind"] for e in timeline].count("audit_dates") == 1
