"""The `spplus` command line (README « Two commands », « The core from the command line »)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from spplus.cli import main

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
