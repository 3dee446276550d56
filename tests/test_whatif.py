"""Re-evaluating recorded decisions under a proposed edition (issue 5), from the pure core alone."""

from __future__ import annotations

import random
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from spplus.analysis.whatif import reevaluate
from spplus.lifecycle.decisions import RecordedDecision
from spplus.rules.loader import default_rules_dir, load_rules
from spplus.tiers import AuditScores


def stricter_bronze(tmp_path: Path):
    """A proposed edition from 2027: bronze needs 75/100 at the user survey instead of 70."""
    folder = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), folder)
    tiers = folder / "tiers.yaml"
    text = tiers.read_text(encoding="utf-8")
    block = text[text.index("tiers:\n"):text.index("comparison:")]
    new_value = block[block.index("      value:"):].replace("user_survey: 70", "user_survey: 75", 1)
    text = text.replace(block, block + "    2027-01-01:\n      reference: Guide (projet 2027) §2.2.1\n" + new_value)
    tiers.write_text(text, encoding="utf-8")
    (folder / "edition.yaml").write_text((folder / "edition.yaml").read_text().replace('"2025.12"', '"2027.1"'))
    return load_rules(folder)


def record(user: str, visit: date, name: str = "c") -> RecordedDecision:
    return RecordedDecision(candidate=name, audit=1, visit_start=visit, tier="bronze",
                            scores=AuditScores(engagements={n: Decimal(60) for n in range(1, 9)}),
                            agent_survey=Decimal(55), user_survey=Decimal(user))


def test_a_stricter_threshold_moves_only_the_labels_it_catches(tmp_path: Path) -> None:
    current, proposed = load_rules(), stricter_bronze(tmp_path)
    records = [record("72", date(2027, 3, 1), "caught"), record("76", date(2027, 3, 1), "clear"),
               record("72", date(2026, 11, 1), "before-the-date")]
    changes = reevaluate(records, current, proposed)
    assert [c.candidate for c in changes] == ["caught"]
    assert changes[0].proposed_now == "bronze" and changes[0].proposed_then is None
    assert changes[0].failed == ["user survey 72 < 75"]


def test_thousands_of_decisions_are_re_evaluated(tmp_path: Path) -> None:
    current, proposed = load_rules(), stricter_bronze(tmp_path)
    draw = random.Random(7)
    records = [record(str(draw.choice([70, 72, 74, 75, 80])), date(2027, 6, 1), f"c{i}") for i in range(3000)]
    changes = reevaluate(records, current, proposed)
    caught = sum(1 for r in records if r.user_survey < 75)
    assert len(changes) == caught


# ---------------------------------------------------------------- the shipped examples (issue 12)
PROJECT = Path(__file__).resolve().parents[1]
PROPOSAL = PROJECT / "examples" / "editions" / "proposal-1"
RECORDS = PROJECT / "examples" / "whatif-records.json"


def example_records() -> list[RecordedDecision]:
    import json

    return [RecordedDecision.model_validate(r) for r in json.loads(RECORDS.read_text(encoding="utf-8"))]


def test_the_example_records_under_the_example_proposal() -> None:
    """Bronze at 75 from 2026-01-01: the 2026 bronzes below 75 at the user survey move; a 2025 visit, a note of 78
    and an « or » do not. Engagement scores or control points (mairie-de-sete) are both read."""
    records = example_records()
    assert len(records) == 6 and any(r.scores.control_points for r in records)
    changes = reevaluate(records, load_rules(), load_rules(PROPOSAL))
    assert [(c.candidate, c.proposed_now, c.proposed_then) for c in changes] == [
        ("mairie-de-rive", "bronze", None), ("caf-de-rive", "bronze", None), ("mairie-de-sete", "bronze", None)]
    assert changes[1].failed == ["user survey 74.5 < 75"]


def test_whatif_runs_on_the_example_files(monkeypatch) -> None:
    """`spplus whatif examples/editions/proposal-1 --records examples/whatif-records.json`, as the README shows it."""
    import json

    from click.testing import CliRunner

    from spplus.cli import main

    runner = CliRunner()
    monkeypatch.chdir(PROJECT)  # the README's paths are relative to the repository
    human = runner.invoke(main, ["whatif", "examples/editions/proposal-1", "--records", "examples/whatif-records.json"])
    as_json = runner.invoke(main, ["whatif", "examples/editions/proposal-1", "--records", "examples/whatif-records.json", "--json"])
    assert human.exit_code == 0, human.output
    lines = human.output.splitlines()
    assert lines[0] == "6 decisions re-evaluated under proposal-1: 3 would change"
    assert lines[1] == "mairie-de-rive audit 1: bronze → refusal (decided bronze; user survey 72 < 75)"
    assert "None" not in human.output
    data = json.loads(as_json.output)
    assert data["decisions"] == 6 and [c["candidate"] for c in data["changes"]] == ["mairie-de-rive", "caf-de-rive", "mairie-de-sete"]
