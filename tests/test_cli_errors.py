"""A user's mistake on the command line is one plain line and a non-zero exit, never a traceback
(issue 10, kind 7): dates before the rules, unknown filter values, editions and ids, files too large,
malformed or missing, wrong settings, no engine running, no token or a profile others may read.

The commands run for real: in-process through click's runner, through the installed `spplus`
entry point as a process, against a real `worker.py --api` for a body's commands (they go through the
HTTP API) and a real `temporal server start-dev` for the operator's `cycle history` (it reads Temporal).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from spplus.cli import main
from spplus.limits import MAX_REQUEST_BYTES

from .temporal_cycles.conftest import local_today
from .test_cli import api_engine, own_profile  # noqa: F401  (worker.py --api; a home of the test's own, no token)
from .test_engine_restart import free_port
from .test_worker_kill import server  # noqa: F401  (a real temporal dev server, its address and folder)

SPPLUS = Path(sys.executable).parent / "spplus"
RULES_FROM = "2023-08-31"  # the first day of the rules in force (rules/*.yaml)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> str:
    """A Temporal address where nothing listens."""
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    return address


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> str:
    """A token, and an API address where nothing listens."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SPPLUS_API_URL", url)
    monkeypatch.setenv("SPPLUS_TOKEN", "spp_some-token")
    return url


def refused(result, code: int = 1) -> str:
    """The command stopped with `code`, one line on stderr, nothing on stdout, no traceback; that line."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.stderr.rstrip("\n")


def usage_error(result) -> str:
    """click's refusal of an option value: exit 2, no traceback; the error line."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output and result.stdout == ""
    return next(line for line in result.stderr.splitlines() if line.startswith("Error:"))


# ---------------------------------------------------------------- dates before the rules, or beyond the calendar
def test_deadlines_before_the_rules_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["deadlines", "--visit-start", "2023-05-10"])
    assert refused(result) == f"no rule in force on 2023-05-10; the rules apply from {RULES_FROM}"


def test_deadlines_with_any_fact_before_the_rules_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["deadlines", "--visit-start", "2026-05-15", "--initial-audit", "2021-01-04"])
    assert refused(result) == f"no rule in force on 2021-01-04; the rules apply from {RULES_FROM}"


def test_tier_on_a_scores_file_dated_before_the_rules(runner: CliRunner, tmp_path: Path) -> None:
    scores = tmp_path / "scores.yaml"
    scores.write_text("date: 2020-05-15\naudit:\n  engagements: {1: 80, 2: 81, 3: 90, 4: 80, 5: 85, 6: 80, 7: 80, 8: 99}\n"
                      "  gold_criteria: 79.99\nagent_survey: 82\nuser_survey: 91\n", encoding="utf-8")
    result = runner.invoke(main, ["tier", str(scores)])
    assert refused(result) == f"no rule in force on 2020-05-15; the rules apply from {RULES_FROM}"


def test_survey_closed_before_the_rules(runner: CliRunner, tmp_path: Path) -> None:
    csv_file = tmp_path / "users.csv"
    csv_file.write_text(",".join(f"Q{i}" for i in range(1, 16)) + ",termine\n" + ",".join(["1"] * 15) + ",oui\n", encoding="utf-8")
    result = runner.invoke(main, ["survey", str(csv_file), "--kind", "user", "--solicited", "10", "--at", "2020-01-01"])
    assert refused(result) == f"no rule in force on 2020-01-01; the rules apply from {RULES_FROM}"


def test_a_survey_export_that_is_not_utf8(runner: CliRunner, tmp_path: Path) -> None:
    csv_file = tmp_path / "users.csv"
    csv_file.write_bytes("Q1;Q2\n1;é\n".encode("latin-1"))
    line = refused(runner.invoke(main, ["survey", str(csv_file), "--kind", "user", "--solicited", "10", "--at", "2026-03-31"]))
    assert line.startswith(f"{csv_file}: not UTF-8 text") and line.endswith("export the survey as UTF-8 CSV")


def test_deadlines_too_far_ahead(runner: CliRunner) -> None:
    line = refused(runner.invoke(main, ["deadlines", "--visit-start", "9999-12-31"]))
    assert line.startswith("9999-12-31 is too far ahead") and "give dates before 9995-01-01" in line


def test_a_scores_file_that_is_not_a_mapping(runner: CliRunner, tmp_path: Path) -> None:
    scores = tmp_path / "scores.yaml"
    scores.write_text("- 1\n- 2\n", encoding="utf-8")
    assert refused(runner.invoke(main, ["tier", str(scores)])).startswith(f"{scores}: ")


def test_a_scores_file_in_broken_json(runner: CliRunner, tmp_path: Path) -> None:
    scores = tmp_path / "scores.json"
    scores.write_text('{"date": "2026-05-15",', encoding="utf-8")
    assert refused(runner.invoke(main, ["tier", str(scores)])).startswith(f"{scores}:1:")


# ---------------------------------------------------------------- filter values, editions
def test_cycle_list_refuses_an_unknown_phase_listing_the_phases(runner: CliRunner, no_engine: str) -> None:
    line = usage_error(runner.invoke(main, ["cycle", "list", "--phase", "bogus"]))
    assert "'bogus' is not one of" in line
    for phase in ("preparation", "labelled", "suspended", "renewing", "network_audits"):
        assert f"'{phase}'" in line


def test_cycle_list_refuses_an_unknown_label_status_listing_them(runner: CliRunner, no_engine: str) -> None:
    line = usage_error(runner.invoke(main, ["cycle", "list", "--status", "bogus"]))
    assert "'bogus' is not one of 'none', 'valid', 'suspended', 'withdrawn', 'expired'" in line


@pytest.mark.parametrize("option", ["--compare", "--edition"])
def test_simulate_refuses_an_unknown_edition_before_it_runs(runner: CliRunner, option: str) -> None:
    result = runner.invoke(main, ["simulate", "examples/scenarios/bronze.yaml", option, "nope"])
    assert refused(result, code=2).startswith(f"unknown edition 'nope' ({option}); the editions are: ")


# ---------------------------------------------------------------- files sent to the engine
def test_an_event_over_the_request_limit_is_refused_before_it_is_sent(runner: CliRunner, tmp_path: Path, no_engine: str) -> None:
    event = tmp_path / "plan.json"
    event.write_text('{"type": "audit_plan", "sent_on": "2026-04-01", "auditors": ["' + "x" * MAX_REQUEST_BYTES + '"]}',
                     encoding="utf-8")
    size = event.stat().st_size
    for command in (["cycle", "event", "rive", str(event)], ["central", "event", "cnaf", str(event)]):
        line = refused(runner.invoke(main, command))  # not "no engine": nothing was sent
        assert line == f"{event} is {size:,} bytes; an event is at most {MAX_REQUEST_BYTES:,} bytes"


def test_an_event_over_the_limit_on_standard_input(runner: CliRunner, no_engine: str) -> None:
    text = "type: audit_plan\nsent_on: 2026-04-01\nauditors: [" + "y" * MAX_REQUEST_BYTES + "]\n"
    line = refused(runner.invoke(main, ["cycle", "event", "rive", "-"], input=text))
    assert line == f"<stdin> is {len(text):,} bytes; an event is at most 2,000,000 bytes"


def test_a_candidacy_over_the_request_limit(runner: CliRunner, tmp_path: Path, no_engine: str) -> None:
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text("id: rive\nname: " + "n" * MAX_REQUEST_BYTES + "\n", encoding="utf-8")
    line = refused(runner.invoke(main, ["cycle", "start", str(candidate)]))
    assert line.endswith(f"bytes; a request is at most {MAX_REQUEST_BYTES:,} bytes")


@pytest.mark.parametrize(("content", "said"), [
    (b'{"type": "self_assessment", "type": "audit_dates"}', "key 'type' is written twice; keep one"),
    (b'{"type": "self_assessment",', ":1:28: not valid JSON"),
    (b"\xff\xfe\x00type", "not UTF-8 text"),
    (b"type: self_assessment\ntype: audit_dates\n", ":2:1: duplicate key 'type'"),
    (b"type: audit_dates\nvisit_start: 2027-02-30\n", ":2:14: '2027-02-30' is not a real date"),
])
def test_a_malformed_event_file_is_one_line(runner: CliRunner, tmp_path: Path, no_engine: str, content: bytes, said: str) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(content)
    line = refused(runner.invoke(main, ["cycle", "event", "rive", str(event)]))
    assert line.startswith(str(event)) and said in line and line.count(str(event)) == 1, line


def test_an_empty_network_file(runner: CliRunner, tmp_path: Path, no_engine: str) -> None:
    network = tmp_path / "network.csv"
    network.write_text("", encoding="utf-8")
    line = refused(runner.invoke(main, ["central", "start", "examples/central.yaml", "--network", str(network)]))
    assert line.startswith(f"{network}: empty")


def test_a_network_file_with_a_count_that_is_not_one(runner: CliRunner, tmp_path: Path, no_engine: str) -> None:
    network = tmp_path / "network.csv"
    network.write_text("id,name,agents_in_contact\ncaf-1,CAF 1,many\n", encoding="utf-8")
    line = refused(runner.invoke(main, ["central", "start", "examples/central.yaml", "--network", str(network)]))
    assert line == f"{network}:2: agents_in_contact is a whole number, not 'many'"


def test_whatif_records_that_are_not_a_list(runner: CliRunner, tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text('{"candidate": "rive"}', encoding="utf-8")
    line = refused(runner.invoke(main, ["whatif", "rules", "--records", str(records)]))
    assert line == f"{records}: recorded decisions are a JSON list, not a dict"


def test_a_missing_file_is_a_usage_error(runner: CliRunner) -> None:
    line = usage_error(runner.invoke(main, ["cycle", "event", "rive", "nowhere/event.yaml"]))
    assert "nowhere/event.yaml" in line and "No such file" in line


# ---------------------------------------------------------------- settings and the engine
def test_a_wrong_port_setting_is_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    monkeypatch.setenv("SPPLUS_TEMPORAL_PORT", "seven")
    line = refused(runner.invoke(main, ["cycle", "history", "rive"]))
    assert line == "SPPLUS_TEMPORAL_PORT='seven' is not a port: write a number from 1 to 65535"


def test_serve_on_a_port_taken(runner: CliRunner) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refused(runner.invoke(main, ["serve", "--port", str(port)]))
    assert line.startswith(f"port {port} on 127.0.0.1 cannot be used") and "set SPPLUS_API_PORT (or --port)" in line


@pytest.mark.parametrize("command", [["cycle", "history", "rive"], ["whatif", "rules"]])
def test_no_engine_running_is_one_line(runner: CliRunner, no_engine: str, command: list[str]) -> None:
    """The operator's and the DITP's tools that read Temporal directly."""
    line = refused(runner.invoke(main, command))
    assert line == f"no engine at {no_engine}: start it with make run (or set TEMPORAL_ADDRESS to where it runs)"


BODY_COMMANDS = [["cycle", "show", "rive"], ["cycle", "timeline", "rive"], ["cycle", "list"], ["central", "show", "cnaf"],
                 ["central", "table", "cnaf"], ["cycle", "event", "rive", "examples/events/audit_dates.yaml"],
                 ["cycle", "start", "examples/candidate.yaml"]]


@pytest.mark.parametrize("command", [*BODY_COMMANDS, ["public-list"]])
def test_no_api_running_is_one_line(runner: CliRunner, no_engine: str, no_api: str, command: list[str]) -> None:
    line = refused(runner.invoke(main, command))
    assert line == (f"no API at {no_api}: start the engine with make run (or set SPPLUS_API_URL, or api_url in the "
                    "profile, to where it runs)")


@pytest.mark.parametrize("command", BODY_COMMANDS)
def test_no_token_is_one_line(runner: CliRunner, no_engine: str, command: list[str]) -> None:
    assert refused(runner.invoke(main, command)) == "no token: set SPPLUS_TOKEN or a profile"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_profile_others_may_read_is_refused(runner: CliRunner, own_profile: Path, mode: int) -> None:  # noqa: F811
    profile = own_profile / ".config" / "spplus" / "profile.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text('api_url = "http://127.0.0.1:9"\ntoken = "spp_secret"\n', encoding="utf-8")
    profile.chmod(mode)
    line = refused(runner.invoke(main, ["cycle", "list"]))
    assert line == f"{profile} may be read by others (mode {mode:04o}); it holds a token: chmod 600 {profile}"
    named = own_profile / "named.toml"
    named.write_text('token = "spp_secret"\n', encoding="utf-8")
    named.chmod(mode)
    line = refused(runner.invoke(main, ["cycle", "show", "rive"], env={"SPPLUS_PROFILE": str(named)}))
    assert line == f"{named} may be read by others (mode {mode:04o}); it holds a token: chmod 600 {named}"


@pytest.mark.parametrize(("text", "said"), [
    ('token = "spp_x"\npassword = "y"\n', "unknown key 'password'; a profile has api_url and token"),
    ('token = spp_x\n', "not valid TOML"),
    ("token = 42\n", "token is text, written in quotes"),
])
def test_a_profile_that_cannot_be_read_is_one_line(runner: CliRunner, tmp_path: Path, text: str, said: str) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(text, encoding="utf-8")
    profile.chmod(0o600)
    line = refused(runner.invoke(main, ["cycle", "list"], env={"SPPLUS_PROFILE": str(profile)}))
    assert line.startswith(f"{profile}: ") and said in line


def test_a_profile_named_but_missing(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    line = refused(runner.invoke(main, ["cycle", "list"], env={"SPPLUS_PROFILE": str(missing)}))
    assert line == f"SPPLUS_PROFILE={missing}: no such file"


def test_an_api_address_that_is_not_one(runner: CliRunner) -> None:
    line = refused(runner.invoke(main, ["cycle", "list"], env={"SPPLUS_API_URL": "127.0.0.1:8000", "SPPLUS_TOKEN": "spp_x"}))
    assert line.startswith("SPPLUS_API_URL='127.0.0.1:8000' is not the API's address: write http(s)://host[:port]")


def test_the_installed_command_says_it_in_one_line(tmp_path: Path) -> None:
    """The `spplus` entry point itself, as a process: the same lines, and no traceback on its way out."""
    address = f"127.0.0.1:{free_port()}"
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "HOME": str(tmp_path)}
    for name in ("SPPLUS_TOKEN", "SPPLUS_API_URL", "SPPLUS_PROFILE"):
        env.pop(name, None)
    cases = [
        (["deadlines", "--visit-start", "2023-05-10"], {}, f"no rule in force on 2023-05-10; the rules apply from {RULES_FROM}\n"),
        (["cycle", "history", "nope"], {}, f"no engine at {address}: start it with make run (or set TEMPORAL_ADDRESS to where it runs)\n"),
        (["cycle", "show", "nope"], {}, "no token: set SPPLUS_TOKEN or a profile\n"),
        (["cycle", "show", "nope"], {"SPPLUS_TOKEN": "spp_x", "SPPLUS_API_URL": url},
         f"no API at {url}: start the engine with make run (or set SPPLUS_API_URL, or api_url in the profile, to where it runs)\n"),
    ]
    for args, more, said in cases:
        done = subprocess.run([str(SPPLUS), *args], env={**env, **more}, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", said)


@pytest.fixture
def engine_env(server, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    """A real Temporal dev server (no worker needed to find that an id is unknown), once it answers queries:
    its port opens a moment before its namespace and search attributes are ready."""
    import asyncio
    import time

    from temporalio.client import Client

    address, _ = server
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)

    async def ready() -> None:
        client = await Client.connect(address)
        give_up = time.monotonic() + 30
        while True:
            try:
                await client.count_workflows("WorkflowType = 'LabelCycle'")
                return
            except Exception:
                if time.monotonic() > give_up:
                    raise
                await asyncio.sleep(0.2)

    asyncio.run(ready())
    return address


def test_an_unknown_history_is_one_line(runner: CliRunner, engine_env: str) -> None:
    assert refused(runner.invoke(main, ["cycle", "history", "nope"])) == \
        "no cycle for nope: the engine has no history under workflow id cycle-nope"


def test_unknown_ids_are_one_line_each(runner: CliRunner, api_engine) -> None:  # noqa: F811
    """Through the API: the same line for an id nobody has and for another body's (nothing leaks)."""
    env = api_engine.env_for(api_engine.token("oc-errors"))
    for command in (["cycle", "show", "nope"], ["cycle", "timeline", "nope"], ["central", "show", "nope"],
                    ["central", "table", "nope"], ["cycle", "event", "nope", "examples/events/audit_dates.yaml"]):
        assert refused(runner.invoke(main, command, env=env)) == "no cycle nope that this token may read"


def test_a_refused_event_is_the_engines_line(runner: CliRunner, api_engine, tmp_path: Path) -> None:  # noqa: F811
    """The API's problem detail is the one line: the cycle's own refusal, naming what is expected."""
    env = api_engine.env_for(api_engine.token("oc-errors"))
    today = local_today()
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text("id: rive-errors\nname: Mairie\nsites: [{id: hdv, name: Hôtel de ville}]\nagents_in_contact: 40\n"
                         f"certification_body: oc-errors\ncontract_signed: {today.isoformat()}\n", encoding="utf-8")
    started = runner.invoke(main, ["cycle", "start", str(candidate)], env=env)
    assert started.exit_code == 0 and started.stdout == "started cycle-rive-errors\n", started.output
    visit = (today + timedelta(days=120)).isoformat()
    event = tmp_path / "dates.yaml"
    event.write_text(f"type: audit_dates\nvisit_start: {visit}\nvisit_end: {visit}\nsites: [nowhere]\n", encoding="utf-8")
    line = refused(runner.invoke(main, ["cycle", "event", "rive-errors", str(event)], env=env))
    assert line == "sites: unknown site(s) nowhere; the candidate's sites are hdv"
    again = refused(runner.invoke(main, ["cycle", "start", str(candidate)], env=env))
    assert again.startswith("rive-errors already has a cycle under way")


def test_a_filter_that_matches_nothing_is_not_an_error(runner: CliRunner, api_engine) -> None:  # noqa: F811
    env = api_engine.env_for(api_engine.token("oc-nothing"))
    for filters in (["--phase", "labelled", "--status", "suspended"], ["--edition", "bogus"]):
        result = runner.invoke(main, ["cycle", "list", *filters], env=env)
        assert result.exit_code == 0 and result.stdout == "no cycle matches\n" and result.stderr == ""
