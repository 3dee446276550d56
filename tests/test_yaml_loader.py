"""The strict YAML reader and the rule loader: a wrong rule file is refused with file:line:column.

The DITP edits the rule files by hand (README « The rule files »): every value is dated and
referenced to the guide, and a mistake must be refused where it stands, never misread. The
positions below are computed from the text each test writes (see :func:`where`), not copied
from a run of the loader.
"""

from __future__ import annotations

import re

import shutil
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from spplus.rules.loader import RuleSetInvalid, content_hash, load_rules
from spplus.rules.models import RULE_FILES
from spplus.rules.yamlsource import RuleFileError, read_yaml, read_yaml_collecting

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


# ------------------------------------------------------------------ helpers
@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the project's rule folder, to break."""
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def edit(folder: Path, name: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` in ``folder/name``; return the new text."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {name}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def where(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def refusal(folder: Path) -> list[RuleFileError]:
    with pytest.raises(RuleSetInvalid) as caught:
        load_rules(folder)
    return caught.value.errors


def the_error(errors: list[RuleFileError], folder: Path, name: str, fragment: str) -> RuleFileError:
    """The one error on ``name`` whose message holds ``fragment``."""
    matching = [
        e for e in errors if Path(e.file).resolve() == (folder / name).resolve() and fragment in e.message
    ]
    assert len(matching) == 1, f"expected one error on {name} saying {fragment!r}, got: {[str(e) for e in errors]}"
    return matching[0]


def at(error: RuleFileError) -> tuple[int, int]:
    return error.line, error.column


# ------------------------------------------------------------------ the reader alone
def test_reader_refuses_a_duplicate_key_at_the_second_one() -> None:
    text = "tiers:\n  bronze: 50\n  bronze: 55\n"
    with pytest.raises(RuleFileError) as caught:
        read_yaml(text, "x.yaml")
    error = caught.value
    assert (error.file, error.line, error.column) == ("x.yaml", 3, 3)
    assert "duplicate key 'bronze'" in error.message and "line 2" in error.message
    assert str(error).startswith("x.yaml:3:3: ")


def test_reader_reads_decimals_exactly() -> None:
    """0.75 (§2.2.2: 75 % of control points) is three quarters exactly, not a binary float."""
    data = read_yaml("share: 0.75\nrate: 0.05\nwhole: 50\n", "x.yaml").data
    assert type(data["share"]) is Decimal and data["share"] == Decimal("0.75")
    assert Fraction(data["share"]) == Fraction(3, 4)
    assert Fraction(data["rate"]) == Fraction(1, 20)
    assert data["whole"] == 50 and type(data["whole"]) is int


def test_reader_keeps_yaml_1_1_booleans_as_text() -> None:
    """Only true/false are booleans; `no` stays the word it is (so a schema can refuse it)."""
    assert read_yaml("a: no\nb: yes\nc: true\nd: false\n", "x.yaml").data == {"a": "no", "b": "yes", "c": True, "d": False}


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("a: 1\nvalidity: 2026-13-01\n", 2, 11, "'2026-13-01' is not a real date"),
        ("a: 1\nvalidity: 2026-02-29\n", 2, 11, "'2026-02-29' is not a real date"),  # 2026 is not a leap year
        ("a: 017\n", 1, 4, "plain decimal digits"),  # YAML 1.1 would read octal 15
        ("a:\n  <<: {b: 1}\n", 2, 3, "merge keys"),
    ],
)
def test_reader_refuses_what_it_would_misread(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        read_yaml(text, "x.yaml")
    assert (caught.value.line, caught.value.column) == (line, column)
    assert fragment in caught.value.message


def test_reader_accepts_29_february_of_a_leap_year() -> None:
    assert read_yaml("d: 2028-02-29\n", "x.yaml").data == {"d": date(2028, 2, 29)}


def test_reader_refuses_an_alias() -> None:
    with pytest.raises(RuleFileError) as caught:
        read_yaml("bronze: &pass 50\nargent: *pass\n", "x.yaml")
    assert caught.value.file == "x.yaml"
    assert "anchors and aliases are not allowed" in caught.value.message


def test_reader_places_an_anchor_or_alias_where_it_stands() -> None:
    with pytest.raises(RuleFileError) as caught:
        read_yaml("bronze: &pass 50\nargent: *pass\n", "x.yaml")
    assert (caught.value.line, caught.value.column) == (1, 9)  # the anchor, met first
    with pytest.raises(RuleFileError) as caught:
        read_yaml("bronze: 50\nargent: [60, *pass]\n", "x.yaml")
    assert (caught.value.line, caught.value.column) == (2, 14)


def test_reader_refuses_an_anchor_even_without_alias() -> None:
    with pytest.raises(RuleFileError):
        read_yaml("bronze: &pass 50\n", "x.yaml")


# ------------------------------------------------------------------ the loader on a broken folder
def test_the_project_rules_load(rules) -> None:
    assert rules.edition_id


def test_duplicate_key_in_a_rule_file(folder: Path) -> None:
    text = edit(folder, "tiers.yaml", "          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n")
    error = the_error(refusal(folder), folder, "tiers.yaml", "duplicate key 'agent_survey'")
    assert at(error) == where(text, "agent_survey: 55")
    assert f"first written at line {where(text, 'agent_survey: 50')[0]}" in error.message


def test_misspelt_key_gets_a_did_you_mean(folder: Path) -> None:
    text = edit(folder, "tiers.yaml", "          user_survey: 80\n", "          user_surveys: 80\n")
    error = the_error(refusal(folder), folder, "tiers.yaml", "unknown key 'user_surveys'")
    assert at(error) == where(text, "user_surveys")
    assert "did you mean 'user_survey'?" in error.message


@pytest.mark.parametrize(("bad", "why"), [("2026-13-01", "month"), ("2026-02-29", "day")])
def test_impossible_start_date(folder: Path, bad: str, why: str) -> None:
    """A dated value (README: « each value dated ») must start on a real day."""
    old = "    2023-08-31:\n      reference: Guide §3.7.1 (« à compter"
    text = edit(folder, "deadlines.yaml", old, old.replace("2023-08-31", bad))
    error = the_error(refusal(folder), folder, "deadlines.yaml", f"'{bad}' is not a real date")
    assert at(error) == where(text, bad)
    assert why in error.message


def test_no_where_a_boolean_is_expected(folder: Path) -> None:
    text = edit(folder, "surveys.yaml", "strictly_more: true", "strictly_more: no")
    error = the_error(refusal(folder), folder, "surveys.yaml", "strictly_more")
    line, column = where(text, "strictly_more: no")
    assert at(error) == (line, column + len("strictly_more: "))
    assert "write true or false" in error.message and "'no'" in error.message


def test_quoted_number_is_refused_where_it_stands(folder: Path) -> None:
    text = edit(folder, "tiers.yaml", "audit_per_engagement: 50", 'audit_per_engagement: "50"')
    error = the_error(refusal(folder), folder, "tiers.yaml", "audit_per_engagement")
    assert at(error) == where(text, '"50"')


def test_quoted_number_gets_a_plain_message(folder: Path) -> None:
    edit(folder, "tiers.yaml", "audit_per_engagement: 50", 'audit_per_engagement: "50"')
    error = the_error(refusal(folder), folder, "tiers.yaml", "audit_per_engagement")
    assert "number" in error.message and "'50'" in error.message


def test_alias_in_a_rule_file(folder: Path) -> None:
    edit(folder, "tiers.yaml", "          audit_per_engagement: 50\n", "          audit_per_engagement: &pass 50\n")
    text = edit(folder, "tiers.yaml", "          agent_survey: 50\n", "          agent_survey: *pass\n")
    errors = refusal(folder)
    anchor = the_error(errors, folder, "tiers.yaml", "an anchor (&) stands here")
    alias = the_error(errors, folder, "tiers.yaml", "an alias (*) stands here")
    assert at(anchor) == where(text, "&pass")  # each where it stands
    assert at(alias) == where(text, "*pass")
    assert [e for e in errors if e not in (anchor, alias)] == []  # the value the alias left unread is not reported again


def test_unknown_extra_rule_file(folder: Path) -> None:
    (folder / "notes.yaml").write_text("anything: 1\n", encoding="utf-8")
    error = the_error(refusal(folder), folder, "notes.yaml", "unknown rule file 'notes.yaml'")
    assert at(error) == (1, 1)
    assert "tiers.yaml" in error.message  # names the files that are expected


def test_missing_rule_file(folder: Path) -> None:
    (folder / "central.yaml").unlink()
    error = the_error(refusal(folder), folder, "central.yaml", "missing rule file")
    assert at(error) == (1, 1)


def test_silver_threshold_below_bronze(folder: Path) -> None:
    """§2.2.1: each tier asks at least as much as the one below (argent user survey 80 ≥ bronze 70)."""
    text = edit(folder, "tiers.yaml", "          user_survey: 80\n", "          user_survey: 65\n")
    error = the_error(refusal(folder), folder, "tiers.yaml", "argent.user_survey (65) is below bronze.user_survey (70)")
    line, column = where(text, "user_survey: 65")
    assert at(error) == (line, column + len("user_survey: "))


def test_overlapping_headcount_bands(folder: Path) -> None:
    """§3.4.2: < 50, 50–300, > 300 agents; 49 belongs to one band only."""
    text = edit(folder, "surveys.yaml", "{min_agents: 50, max_agents: 300", "{min_agents: 49, max_agents: 300")
    error = the_error(refusal(folder), folder, "surveys.yaml", "overlaps")
    line, column = where(text, "{min_agents: 49")
    assert at(error) == (line, column + len("{min_agents: "))


def test_gapped_headcount_bands(folder: Path) -> None:
    text = edit(folder, "surveys.yaml", "{min_agents: 50, max_agents: 300", "{min_agents: 52, max_agents: 300")
    error = the_error(refusal(folder), folder, "surveys.yaml", "fall in no band")
    line, column = where(text, "{min_agents: 52")
    assert at(error) == (line, column + len("{min_agents: "))
    assert "50–51" in error.message


def test_headcount_bands_start_at_one_agent(folder: Path) -> None:
    edit(folder, "surveys.yaml", "{min_agents: 1, max_agents: 49", "{min_agents: 5, max_agents: 49")
    the_error(refusal(folder), folder, "surveys.yaml", "band")


def test_user_question_on_an_engagement_that_does_not_exist(folder: Path) -> None:
    """The 8 engagements (engagements.yaml); a user-survey question cannot score engagement 9."""
    text = edit(folder, "surveys.yaml", "{id: u8, column: Q14, engagement: 8}", "{id: u8, column: Q14, engagement: 9}")
    errors = refusal(folder)
    error = the_error(errors, folder, "surveys.yaml", "engagement 9 does not exist")
    line, column = where(text, "{id: u8, column: Q14, engagement: 9}")
    assert at(error) == (line, column + len("{id: u8, column: Q14, engagement: "))
    # and engagement 8 is now scored by no question
    the_error(errors, folder, "surveys.yaml", "engagement(s) [8]")


def test_a_folder_is_refused_as_a_whole_with_every_problem(folder: Path) -> None:
    """README: « A wrong rule file is refused as a whole, each problem on a line of its own »."""
    edit(folder, "tiers.yaml", "          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n")
    edit(folder, "calendars.yaml", "value: keep", "value: sometimes")
    errors = refusal(folder)
    the_error(errors, folder, "tiers.yaml", "duplicate key")
    the_error(errors, folder, "calendars.yaml", "'sometimes'")


# ------------------------------------------------------------------ every problem of every file, in one run (issue 11, door 7)
def test_reader_reports_every_duplicate_key_and_keeps_the_first_value() -> None:
    text = "tiers:\n  bronze: 50\n  bronze: 55\n  argent: 60\n  argent: 65\n"
    doc = read_yaml_collecting(text, "x.yaml")
    # Line 3 "  bronze: 55" and line 5 "  argent: 65": each second key at column 3 (two spaces before it).
    assert [(e.line, e.column) for e in doc.problems] == [(3, 3), (5, 3)]
    assert "duplicate key 'bronze' (first written at line 2)" in doc.problems[0].message
    assert "duplicate key 'argent' (first written at line 4)" in doc.problems[1].message
    assert doc.complete and doc.data == {"tiers": {"bronze": 50, "argent": 60}}


def test_reader_goes_on_after_a_value_it_cannot_read() -> None:
    text = "a: 2026-13-01\nb: 017\nc: 2026-02-29\nd: ok\n"
    doc = read_yaml_collecting(text, "x.yaml")
    # Each value starts at column 4, after "a: ": line 1 (month 13), line 2 (octal-looking), line 3 (no 29 February 2026).
    assert [(e.line, e.column) for e in doc.problems] == [(1, 4), (2, 4), (3, 4)]
    assert doc.data == {"a": None, "b": None, "c": None, "d": "ok"}
    assert doc.unreadable == {("a",), ("b",), ("c",)}
    with pytest.raises(RuleFileError) as caught:  # read_yaml still raises the first
        read_yaml(text, "x.yaml")
    assert at(caught.value) == (1, 4)


def test_a_duplicate_key_does_not_hide_a_misspelt_key_in_the_same_file(folder: Path) -> None:
    edit(folder, "tiers.yaml", "          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n")
    edit(folder, "tiers.yaml", "          user_survey: 80\n", "          user_surveys: 80\n")
    errors = refusal(folder)
    # rules/tiers.yaml: bronze's "agent_survey: 50" is line 22; the copy goes in as line 23, its key after
    # ten spaces (column 11). Argent's "user_survey: 80" was line 29, one line down now: 30, column 11.
    duplicate = the_error(errors, folder, "tiers.yaml", "duplicate key 'agent_survey' (first written at line 22)")
    misspelt = the_error(errors, folder, "tiers.yaml", "unknown key 'user_surveys'; did you mean 'user_survey'?")
    assert at(duplicate) == (23, 11)
    assert at(misspelt) == (30, 11)
    # And, truly, argent now lacks its user_survey: said at the argent item, "- id: argent" (line 24, now
    # 25), whose mapping starts at "id", column 11.
    missing = the_error(errors, folder, "tiers.yaml", "missing key 'user_survey'")
    assert at(missing) == (25, 11)
    assert errors == [duplicate, missing, misspelt]  # sorted by position, nothing else


def test_a_syntax_error_in_one_file_does_not_hide_a_tier_inversion_in_another(folder: Path) -> None:
    edit(folder, "deadlines.yaml", "      reference: Guide §3.5.1 (« au plus", "      reference: Guide: §3.5.1 (« au plus")
    edit(folder, "tiers.yaml", "          user_survey: 80\n", "          user_survey: 65\n")
    errors = refusal(folder)
    # deadlines.yaml line 9: six spaces, "reference: " (11), "Guide" (5): the second ':' is column 23.
    syntax = the_error(errors, folder, "deadlines.yaml", "not valid YAML: mapping values are not allowed here")
    assert at(syntax) == (9, 23)
    # tiers.yaml line 29 "          user_survey: 65": ten spaces and "user_survey: " (13): the value at column 24.
    inversion = the_error(errors, folder, "tiers.yaml", "argent.user_survey (65) is below bronze.user_survey (70)")
    assert at(inversion) == (29, 24)
    assert errors == [syntax, inversion]  # sorted by file, then position


def test_checks_needing_a_broken_file_wait_for_it_and_the_others_run(folder: Path) -> None:
    """A broken engagements.yaml holds back the user survey's engagement check, not the headcount bands."""
    edit(folder, "engagements.yaml", "engagements:\n", "engagements:\n  bogus: 1\n")
    edit(folder, "surveys.yaml", "{min_agents: 50, max_agents: 300", "{min_agents: 52, max_agents: 300")
    errors = refusal(folder)
    the_error(errors, folder, "engagements.yaml", "unknown key 'bogus'")
    the_error(errors, folder, "surveys.yaml", "headcounts 50–51 fall in no band")
    assert not [e for e in errors if "engagement(s)" in e.message or "does not exist on" in e.message]


def test_errors_are_sorted_by_file_then_position(folder: Path) -> None:
    edit(folder, "tiers.yaml", "          user_survey: 80\n", "          user_survey: 65\n")
    edit(folder, "tiers.yaml", "          label: Bronze\n", "          labels: Bronze\n")  # schema: no consistency then
    edit(folder, "surveys.yaml", "strictly_more: true", "strictly_more: no")
    edit(folder, "calendars.yaml", "value: keep", "value: sometimes")
    edit(folder, "deadlines.yaml", "      reference: Guide §3.5.1 (« au plus", "      reference: Guide: §3.5.1 (« au plus")
    errors = refusal(folder)
    assert sorted({Path(e.file).name for e in errors}) == ["calendars.yaml", "deadlines.yaml", "surveys.yaml", "tiers.yaml"]
    assert errors == sorted(errors, key=lambda e: (e.file, e.line, e.column))


def test_rules_check_prints_every_problem_of_two_broken_files(tmp_path: Path) -> None:
    """`spplus rules check` on a folder with two broken files: every problem, one line each, sorted."""
    from click.testing import CliRunner

    from spplus.cli import main

    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    edit(folder, "deadlines.yaml", "      reference: Guide §3.5.1 (« au plus", "      reference: Guide: §3.5.1 (« au plus")
    edit(folder, "tiers.yaml", "          agent_survey: 50\n", "          agent_survey: 50\n          agent_survey: 55\n")
    edit(folder, "tiers.yaml", "          user_survey: 80\n", "          user_survey: 65\n")
    result = CliRunner().invoke(main, ["rules", "check", str(folder)])
    assert result.exit_code == 1 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # deadlines.yaml line 9, column 23 (see above); tiers.yaml: the duplicate at line 23, column 11; argent's
    # user_survey moved from line 29 to 30, its value at column 24 (ten spaces and "user_survey: ").
    expected = [
        ("deadlines.yaml", 9, 23, "not valid YAML: mapping values are not allowed here"),
        ("tiers.yaml", 23, 11, "duplicate key 'agent_survey' (first written at line 22); keep one"),
        ("tiers.yaml", 30, 24, "argent.user_survey (65) is below bronze.user_survey (70)"),
    ]
    assert len(lines) == len(expected), result.stderr
    for line, (name, row, column, message) in zip(lines, expected):
        assert f"{name}:{row}:{column}: {message}" in line, result.stderr


def test_a_control_character_on_disk_is_placed(folder: Path) -> None:
    text = edit(folder, "tiers.yaml", "          label: Bronze\n", "          label: Bro\x00nze\n")
    error = the_error(refusal(folder), folder, "tiers.yaml", "control character U+0000")
    # rules/tiers.yaml line 19: ten spaces and "label: Bro" (10): the NUL is column 21.
    assert at(error) == (19, 21) == where(text, "\x00")


def test_a_lone_surrogate_on_disk_is_placed(folder: Path) -> None:
    path = folder / "tiers.yaml"
    raw = path.read_bytes().replace(b"label: Argent", b"label: Arg\xed\xa0\x80ent", 1)  # U+D800 as UTF-8 would write it
    path.write_bytes(raw)
    error = the_error(refusal(folder), folder, "tiers.yaml", "U+D800 is half of a UTF-16 surrogate pair")
    assert at(error) == (25, 21)  # line 25 "          label: Argent": ten spaces, "label: Arg" (10)


def test_bytes_that_are_not_utf8_are_placed(folder: Path) -> None:
    path = folder / "tiers.yaml"
    path.write_bytes(path.read_bytes().replace(b"label: Argent", b"label: Arg\xffent", 1))
    error = the_error(refusal(folder), folder, "tiers.yaml", "not UTF-8 text")
    assert at(error) == (25, 21)


# ------------------------------------------------------------------ time zones (issue 10, kind 5)
def test_an_unknown_time_zone_is_refused_where_it_stands(folder: Path) -> None:
    """The zone must be one the tz database knows; a near miss gets the name it was meant to be."""
    text = edit(folder, "calendars.yaml", "nouvelle-caledonie: Pacific/Noumea", "nouvelle-caledonie: Pacific/Noumeaa")
    error = the_error(refusal(folder), folder, "calendars.yaml", "unknown time zone 'Pacific/Noumeaa'")
    line, column = where(text, "nouvelle-caledonie: Pacific/Noumeaa")
    assert at(error) == (line, column + len("nouvelle-caledonie: "))  # at the value, not the key
    assert "did you mean 'Pacific/Noumea'?" in error.message and "nouvelle-caledonie" in error.message


def test_a_utc_offset_is_not_a_time_zone(folder: Path) -> None:
    """« UTC+11 » looks like a name but is none (the tz database writes Etc/GMT-11, sign reversed): refused."""
    text = edit(folder, "calendars.yaml", "nouvelle-caledonie: Pacific/Noumea", "nouvelle-caledonie: UTC+11")
    error = the_error(refusal(folder), folder, "calendars.yaml", "unknown time zone 'UTC+11'")
    line, column = where(text, "nouvelle-caledonie: UTC+11")
    assert at(error) == (line, column + len("nouvelle-caledonie: "))


def test_a_time_zone_name_not_written_as_one_is_refused_where_it_stands(folder: Path) -> None:
    text = edit(folder, "calendars.yaml", "polynesie-francaise: Pacific/Tahiti", "polynesie-francaise: Pacific/Tahïti")
    error = the_error(refusal(folder), folder, "calendars.yaml", "'Pacific/Tahïti' is not written as an IANA time zone name")
    line, column = where(text, "polynesie-francaise: Pacific/Tahïti")
    assert at(error) == (line, column + len("polynesie-francaise: "))


def test_every_territory_needs_a_time_zone(folder: Path) -> None:
    """Dropping Wallis's line leaves a territory without its legal time: refused at the time zones' value,
    and the misspelt key that took its place is refused at the key."""
    text = edit(folder, "calendars.yaml", "        wallis-et-futuna: Pacific/Wallis", "        wallis-et-futun: Pacific/Wallis")
    errors = refusal(folder)
    missing = the_error(errors, folder, "calendars.yaml", "no time zone for territory(ies) wallis-et-futuna")
    # The value in force is the mapping under time_zones' 2023-08-31 entry: its first line.
    assert at(missing) == where(text, "metropole: Europe/Paris")
    unknown = the_error(errors, folder, "calendars.yaml", "unknown territory 'wallis-et-futun'")
    assert at(unknown) == where(text, "wallis-et-futun: ")


def test_the_time_zones_must_be_written(folder: Path) -> None:
    path = folder / "calendars.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("time_zones:")], encoding="utf-8")
    the_error(refusal(folder), folder, "calendars.yaml", "missing key(s) 'time_zones'")


def test_a_rule_set_from_before_time_zones_still_reads(rules) -> None:
    """Rules pinned in histories recorded before time zones lack the key: they load, with no zone."""
    from spplus.rules.models import RuleSet

    data = rules.model_dump(mode="json")
    del data["calendars"]["time_zones"]
    old = RuleSet.model_validate(data)
    assert old.calendars.time_zones is None and old.time_zone("metropole", date(2026, 1, 1)) is None
    assert rules.time_zone("metropole", date(2026, 1, 1)) == "Europe/Paris"


# The Open choices the rules took over from the code (issue 14): each a key a rule file must write, which rules
# pinned in histories recorded before it may lack (tests/test_replay.py replays such histories).
OPEN_CHOICES = [("central.yaml", "central", "followup_lower_majority"),
                ("procedures.yaml", "procedures", "repeated_postponements"),
                ("deadlines.yaml", "deadlines", "late_followup_target"),
                ("procedures.yaml", "procedures", "quality_indicators_too_recent")]


def without_key(text: str, key: str, replacement: str = "") -> str:
    """``text`` with the top-level ``key`` and its block replaced (the keys after it kept)."""
    start = text.index(f"\n{key}:") + 1
    following = re.compile(r"^\S", re.M).search(text, text.index("\n", start) + 1)
    end = len(text) if following is None else following.start()
    return text[:start] + replacement + text[end:]


@pytest.mark.parametrize(("name", "section", "key"), OPEN_CHOICES)
def test_an_open_choice_must_be_written(folder: Path, name: str, section: str, key: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    path.write_text(without_key(text, key), encoding="utf-8")
    the_error(refusal(folder), folder, name, f"missing key(s) '{key}'")


@pytest.mark.parametrize(("name", "section", "key"), OPEN_CHOICES)
def test_an_open_choice_written_null_is_refused_where_it_stands(folder: Path, name: str, section: str, key: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    text = without_key(text, key, f"{key}: null\n")
    path.write_text(text, encoding="utf-8")
    error = the_error(refusal(folder), folder, name, f"{key}: a rule file gives it dated values")
    line, column = where(text, f"{key}: null")
    assert at(error) == (line, column + len(f"{key}: "))  # at the null


@pytest.mark.parametrize(("name", "section", "key"), OPEN_CHOICES)
def test_a_rule_set_from_before_an_open_choice_still_reads(rules, name: str, section: str, key: str) -> None:
    """Rules pinned in histories recorded before the key existed lack it: they load, with None (the code then
    keeps the behaviour those cycles had: tests/lifecycle, tests/network)."""
    from spplus.rules.models import RuleSet

    data = rules.model_dump(mode="json")
    del data[section][key]
    old = RuleSet.model_validate(data)
    assert getattr(getattr(old, section), key) is None
    assert getattr(getattr(rules, section), key) is not None


def test_the_late_follow_up_counts_from_the_withdrawal(folder: Path) -> None:
    text = edit(folder, "deadlines.yaml", "{amount: 2, unit: months, direction: after, anchor: withdrawal_effective, movable: false}",
                "{amount: 2, unit: months, direction: before, anchor: decision, movable: false}")
    errors = refusal(folder)
    assert "anchor: withdrawal_effective" in the_error(errors, folder, "deadlines.yaml", "counts late_followup_target from").message
    the_error(errors, folder, "deadlines.yaml", "comes after the withdrawal")
    assert len(errors) == 2 and all(e.line == where(text, "direction: before, anchor: decision, movable: false}")[0] for e in errors)


# ------------------------------------------------------------------ what a cycle pins: edition and hash
def test_thresholds_are_decimals_exactly(rules) -> None:
    criteria = rules.central.criteria.at(date(2026, 1, 1))
    assert type(criteria.control_points_min_share) is Decimal
    assert criteria.control_points_min_share == Decimal("0.75")
    assert Fraction(criteria.local_labelled_min_share) * 4 == 3


def test_edition_id_is_read_from_edition_yaml(folder: Path, rules) -> None:
    written = yaml.safe_load((RULES_DIR / "edition.yaml").read_text(encoding="utf-8"))["edition"]
    assert rules.edition_id == written
    edit(folder, "edition.yaml", f'edition: "{written}"', 'edition: "2099.1-test"')
    assert load_rules(folder).edition_id == "2099.1-test"


def test_same_bytes_same_hash(folder: Path, rules) -> None:
    assert content_hash(folder) == content_hash(RULES_DIR) == rules.content_hash
    assert rules.content_hash.startswith("sha256:") and len(rules.content_hash) == len("sha256:") + 64


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_any_byte_changes_the_hash(folder: Path, name: str) -> None:
    before = content_hash(folder)
    path = folder / name
    original = path.read_bytes()
    path.write_bytes(original + b" ")  # one trailing space: the rules still mean the same
    assert content_hash(folder) != before
    path.write_bytes(original.replace(b"#", b"%", 1))  # one byte changed in place
    assert content_hash(folder) != before
    path.write_bytes(original)
    assert content_hash(folder) == before


def test_the_loaded_hash_follows_the_bytes(folder: Path, rules) -> None:
    path = folder / "tiers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    changed = load_rules(folder)
    assert changed.content_hash != rules.content_hash
    assert changed.edition_id == rules.edition_id  # the edition id alone does not tell the two apart


def test_a_wrong_date_key_does_not_hide_the_problems_written_under_it(folder: Path) -> None:
    # Found by a new user: an impossible date hid the word written where a number belongs under it, so the DITP had
    # to upload twice. Every problem at once, each at its line and column.
    text = edit(folder, "tiers.yaml", "  values:\n    2023-08-31:\n      reference: Guide §2.2.1 «",
                "  values:\n    2026-13-01:\n      reference: Guide §2.2.1 «")
    text = edit(folder, "tiers.yaml", "audit_per_engagement: 65\n", "audit_per_engagement: soixante-cinq\n")
    errors = refusal(folder)
    date_error = the_error(errors, folder, "tiers.yaml", "is not a real date")
    word = the_error(errors, folder, "tiers.yaml", "expected a number, got 'soixante-cinq'")
    assert at(date_error) == where(text, "2026-13-01")
    assert at(word) == where(text, "soixante-cinq")
    assert "remove the quotes" not in word.message  # no quotes to remove: the hint is for '70'
    edit(folder, "tiers.yaml", "user_survey: 70\n", "user_survey: '70'\n")
    quoted = the_error(refusal(folder), folder, "tiers.yaml", "got '70'")
    assert quoted.message.endswith("(remove the quotes)")


def test_a_whole_number_of_thousands_of_digits_is_a_problem_at_its_place_not_a_crash(folder: Path) -> None:
    # Found by the pages' hostile-input test: Python refuses int() past 4,300 digits, and the reader let it out (a 500).
    text = edit(folder, "tiers.yaml", "audit_per_engagement: 65\n", "audit_per_engagement: " + "9" * 5000 + "\n")
    error = the_error(refusal(folder), folder, "tiers.yaml", "5,000 digits")
    assert at(error) == where(text, "9999")
