"""Issue 12, examples and help: every command and option of the CLI says what it is for."""

from __future__ import annotations

import click

from spplus.cli import main


def walk(group: click.Group, prefix: str = "spplus"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from walk(command, path)


def test_every_command_and_option_has_help_text():
    missing = []
    for path, command in walk(main):
        if not (command.help or command.short_help):
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                missing.append(f"{path} {param.opts[0]}")
    assert not missing, "no help text: " + ", ".join(missing)


def test_every_command_that_prints_data_has_json():
    prints_data = {"spplus cycle show", "spplus cycle timeline", "spplus cycle list", "spplus cycle history",
                   "spplus central show", "spplus central table", "spplus token list", "spplus bodies list",
                   "spplus rules show", "spplus tier", "spplus survey", "spplus deadlines", "spplus public-list"}
    commands = dict(walk(main))
    for path in prints_data:
        options = {o for p in commands[path].params for o in getattr(p, "opts", [])}
        assert "--json" in options or "--format" in options, path
