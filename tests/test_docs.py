"""The README in step with the code: every command in its table, the schema version it names."""

from __future__ import annotations

import re

import typer

from vocmine import settings
from vocmine.cli import app
from vocmine.store.schema import SCHEMA_VERSION

README = (settings.PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix: str = "") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        if getattr(cmd, "hidden", False):
            continue
        if hasattr(cmd, "commands"):  # a sub-app such as `quarantine`
            out += _commands(cmd, f"{prefix}{name} ")
        else:
            out.append(f"{prefix}{name}")
    return out


def _table_commands() -> set[str]:
    """The commands the README's "Command line" table lists (its first column, up to the first option)."""
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `vocmine ([^`]*)`", section, flags=re.M)
    return {re.match(r"[a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)*", r).group(0) for r in rows}


def test_every_command_is_in_the_readme_table():
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 10  # the walk found the app's commands, sub-apps included
    listed = _table_commands()
    missing = [c for c in commands if c not in listed]
    assert not missing, f"README 'Command line' table lacks: {', '.join(missing)}"


def test_the_readme_table_lists_no_command_that_does_not_exist():
    commands = set(_commands(typer.main.get_command(app)))
    stale = sorted(_table_commands() - commands)
    assert not stale, f"README 'Command line' table lists unknown commands: {', '.join(stale)}"


def test_the_readme_names_the_current_schema_version():
    assert re.findall(r"schema v(\d+) now", README) == [str(SCHEMA_VERSION)]
