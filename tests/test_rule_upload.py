"""A rules edition uploaded by the DITP (POST /rules/editions): limits, positions, no server paths (issue 11, door 7).

Each hostile upload of the issue used to answer 500 (or stall the process for 14 s and answer 35 MB):
here each is refused by :func:`spplus.rules.upload.check_upload` with 413 or 422, every problem at
``file:line:column`` where it has a position, and the files named by their name only. Positions are
derived by hand from the project's rule files in the comments.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from spplus.limits import MAX_ERRORS_SHOWN, RULE_EDITION_MAX_BYTES, RULE_FILE_MAX_BYTES, RULE_YAML_MAX_DEPTH, RULE_YAML_MAX_NODES
from spplus.rules.loader import load_rules
from spplus.rules.models import RULE_FILES
from spplus.rules.upload import RuleUploadRefused, check_upload
from spplus.rules.yamlsource import RuleFileError, read_yaml

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


def project_files() -> dict[str, str]:
    return {name: (RULES_DIR / name).read_text(encoding="utf-8") for name in RULE_FILES}


def changed(name: str, old: str, new: str) -> dict[str, str]:
    """The project's edition with the one occurrence of ``old`` in ``name`` replaced."""
    files = project_files()
    assert files[name].count(old) == 1, f"{old!r} must occur exactly once in {name}"
    files[name] = files[name].replace(old, new)
    return files


def refused(files: dict[str, str], status: int) -> RuleUploadRefused:
    with pytest.raises(RuleUploadRefused) as caught:
        check_upload(files)
    refusal = caught.value
    assert refusal.status == status, str(refusal)
    # Never a path of the server: no temporary folder, no folder at all, in any file name or message.
    shown = str(refusal) + repr(refusal.problem_errors())
    assert tempfile.gettempdir() not in shown and "spplus-edition-" not in shown and str(RULES_DIR) not in shown
    for error in refusal.errors:
        assert error.file in RULE_FILES, error
    return refusal


def only(refusal: RuleUploadRefused) -> RuleFileError:
    assert len(refusal.errors) == 1, str(refusal)
    return refusal.errors[0]


def at(error: RuleFileError) -> tuple[str, int, int]:
    return error.file, error.line, error.column


# ------------------------------------------------------------------ what passes
def test_the_project_edition_passes_with_the_hash_of_its_folder() -> None:
    rules = check_upload(project_files())
    assert rules.edition_id == load_rules(RULES_DIR).edition_id
    assert rules.content_hash == load_rules(RULES_DIR).content_hash  # stored with write_text(…, "utf-8"): same bytes


# ------------------------------------------------------------------ the hostile uploads
def test_an_edition_id_of_300_characters() -> None:
    error = only(refused(changed("edition.yaml", 'edition: "2025.12"', 'edition: "' + "a" * 300 + '"'), 422))
    # rules/edition.yaml line 4 'edition: "2025.12"': the value's opening quote after "edition: " (9), column 10.
    assert at(error) == ("edition.yaml", 4, 10)
    assert "at most 64 characters" in error.message


def test_a_nul_character() -> None:
    error = only(refused(changed("tiers.yaml", "label: Bronze", "label: Bro\x00nze"), 422))
    # rules/tiers.yaml line 19 "          label: Bronze": ten spaces, "label: Bro" (10), the NUL at column 21.
    assert at(error) == ("tiers.yaml", 19, 21)
    assert "control character U+0000" in error.message


@pytest.mark.parametrize("character", ["\x1b", "\x7f", "\x85", "\r"])
def test_other_control_characters(character: str) -> None:
    error = only(refused(changed("tiers.yaml", "label: Bronze", f"label: Bro{character}nze"), 422))
    assert at(error) == ("tiers.yaml", 19, 21)  # as above


def test_tabs_and_windows_line_ends_are_text() -> None:
    files = project_files()
    files["edition.yaml"] = files["edition.yaml"].replace("\n", "\r\n").replace("# The edition a", "# The edition\ta", 1)
    assert check_upload(files).edition_id == load_rules(RULES_DIR).edition_id


def test_a_lone_surrogate() -> None:
    error = only(refused(changed("tiers.yaml", "label: Argent", "label: Arg\ud800ent"), 422))
    # rules/tiers.yaml line 25 "          label: Argent": ten spaces, "label: Arg" (10), U+D800 at column 21.
    assert at(error) == ("tiers.yaml", 25, 21)
    assert "U+D800" in error.message and "surrogate" in error.message


def test_nesting_1000_deep() -> None:
    files = project_files()
    files["tiers.yaml"] = "a: " + "[" * 1000 + "]" * 1000 + "\n"
    error = only(refused(files, 422))
    # The mapping is level 1, its key "a" and the first "[" (column 4) level 2, so the (RULE_YAML_MAX_DEPTH + 1)th
    # level is the "[" at column 4 + (RULE_YAML_MAX_DEPTH + 1 - 2) = 23 for a depth of 20.
    assert RULE_YAML_MAX_DEPTH == 20
    assert at(error) == ("tiers.yaml", 1, 23)
    assert "nested more than 20 levels deep" in error.message


def test_nesting_1000_deep_is_refused_by_the_reader_itself() -> None:
    """`spplus` reads event and candidacy files with the same reader: no RecursionError there either."""
    with pytest.raises(RuleFileError) as caught:
        read_yaml("a:\n" + "".join("  " * level + "- \n" for level in range(1, 1000)), "event.yaml")
    assert "nested more than" in caught.value.message


def test_a_150000_key_file_is_refused_before_it_is_parsed() -> None:
    files = project_files()
    files["tiers.yaml"] = "".join(f"k{i}: 1\n" for i in range(150_000))  # about 1.5 MB, under the request limit
    refusal = refused(files, 413)
    error = only(refusal)
    assert at(error) == ("tiers.yaml", 1, 1)
    assert f"a rule file is at most {RULE_FILE_MAX_BYTES:,} bytes" in error.message


def test_too_many_nodes_under_the_size_limit() -> None:
    files = project_files()
    files["tiers.yaml"] = "[" + "0, " * 30_000 + "0]\n"  # 90 KB, 30,002 nodes
    error = only(refused(files, 413))
    # Node 1 is the list; item k (from 0) is node k + 2, at column 2 + 3k. The first node over the
    # limit is node RULE_YAML_MAX_NODES + 1, item RULE_YAML_MAX_NODES - 1: column 2 + 3 × 4,999 = 14,999.
    assert RULE_YAML_MAX_NODES == 5_000  # the project's files hold at most 535 nodes
    assert at(error) == ("tiers.yaml", 1, 14_999)
    assert "more than 5,000" in error.message


def test_an_oversized_file() -> None:
    files = project_files()
    files["deadlines.yaml"] += "# " + "x" * RULE_FILE_MAX_BYTES + "\n"
    error = only(refused(files, 413))
    assert at(error) == ("deadlines.yaml", 1, 1)
    assert "bytes; a rule file is at most 256,000 bytes" in error.message


def test_an_oversized_edition() -> None:
    files = project_files()
    filler = "# " + "x" * (RULE_FILE_MAX_BYTES - 20_000) + "\n"  # each file under its own limit
    for name in ("tiers.yaml", "surveys.yaml", "central.yaml", "procedures.yaml"):
        files[name] += filler
    files["deadlines.yaml"] += filler + "#" * 1_000  # the largest
    assert sum(len(text.encode()) for text in files.values()) > RULE_EDITION_MAX_BYTES
    error = only(refused(files, 413))
    assert at(error) == ("deadlines.yaml", 1, 1)
    assert "an edition is at most 1,000,000 bytes" in error.message


@pytest.mark.parametrize("name", ["notes.yaml", "../tiers.yaml", "/etc/passwd", "tiers.yaml\x00", "", "x" * 300])
def test_an_unknown_file_name(name: str) -> None:
    files = project_files()
    files[name] = "a: 1\n"
    with pytest.raises(RuleUploadRefused) as caught:
        check_upload(files)
    refusal = caught.value
    assert refusal.status == 422
    (error,) = refusal.errors
    assert (error.line, error.column) == (1, 1) and "unknown rule file" in error.message and "tiers.yaml" in error.message
    assert error.file.isprintable() and len(error.file) <= 2 + 4 * 64 + 3  # echoed, escaped and cut, never used


def test_a_missing_file_is_named() -> None:
    files = project_files()
    del files["central.yaml"]
    assert at(only(refused(files, 422))) == ("central.yaml", 1, 1)


# ------------------------------------------------------------------ every problem, capped
def test_every_problem_of_every_file_in_one_refusal() -> None:
    """A NUL in one file hides neither a tier inversion in another nor a duplicate key in a third."""
    files = changed("edition.yaml", "title: Guide", "title: Gu\x00ide")
    files["tiers.yaml"] = files["tiers.yaml"].replace("          user_survey: 80\n", "          user_survey: 65\n")
    n = files["central.yaml"].count("\n")  # central.yaml's lines: the two appended below are n + 1 and n + 2
    files["central.yaml"] += "description: again\ndescription: twice\n"  # not a key of central.yaml, and twice
    assert str(refused(files, 422)).splitlines() == [
        f"central.yaml:{n + 1}:1: unknown key 'description'; allowed here: criteria, followup_lower_majority, sampling",
        f"central.yaml:{n + 2}:1: duplicate key 'description' (first written at line {n + 1}); keep one",
        # edition.yaml line 5 "title: Gu…": "title: Gu" is 9 characters, the NUL at column 10.
        "edition.yaml:5:10: the control character U+0000 is not allowed in a rule file; only tab and line breaks are",
        # tiers.yaml line 29 "          user_survey: 65": ten spaces and "user_survey: " (13), the value at column 24.
        "tiers.yaml:29:24: argent.user_survey (65) is below bronze.user_survey (70); tiers are listed lowest first"
        " and each asks at least as much as the one below",
    ]


def test_a_long_list_of_problems_is_capped() -> None:
    files = project_files()
    for name in ("tiers.yaml", "surveys.yaml", "central.yaml"):
        files[name] += "#" + "\x01" * 30 + "\n"  # 30 control characters each: 90 problems
    refusal = refused(files, 422)
    assert len(refusal.errors) == 90 and refusal.more == 90 - MAX_ERRORS_SHOWN
    lines = refusal.lines()
    assert len(lines) == MAX_ERRORS_SHOWN + 1 and lines[-1] == "and 40 more"
    assert len(refusal.problem_errors()) == MAX_ERRORS_SHOWN
    assert [line.split(":")[0] for line in lines[:-1]] == ["central.yaml"] * 30 + ["surveys.yaml"] * 20  # sorted by file
