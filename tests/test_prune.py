"""`prune.for_args` builds only what the command line names: whatever it leaves out, the help, the
errors and the exit codes must be those of the full command tree."""

from __future__ import annotations

import contextlib
import io

import pytest
import typer

from tnorder import arguments, prune
from tnorder.argv import hoist
from tnorder.cli import app

ARGS = [
    ["--help"], [], ["--version"], ["-v", "--help"], ["--db", "x.db", "--help"], ["--help", "inventory"],
    ["inventroy"], ["inventroy", "list"], ["inventory"], ["inventory", "--help"], ["inventory", "lsit"],
    ["config"], ["config", "--help"], ["config", "carrier"], ["config", "carrier", "--help"],
    ["config", "carrier", "lst"], ["customer", "--help"], ["customer", "line"], ["orders", "--help"],
    ["sim", "--help"], ["completion", "--help"], ["inventory", "list", "--help"],
    ["orders", "show", "--help"], ["inventory", "list", "--nope"], ["orders", "list", "--limit"],
    ["--version", "inventory"], ["inventory", "list", "-v", "--help"], ["--db", "--help", "inventory"],
]


def _answer(tree: typer.Typer, args: list[str]) -> tuple[str, str, object]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = typer.main.get_command(tree).main(args=list(args), prog_name="tnorder", standalone_mode=False)
        except SystemExit as exc:
            code = ("exit", exc.code)
        except Exception as exc:  # a usage error is part of the answer compared
            code = (type(exc).__name__, exc.format_message() if hasattr(exc, "format_message") else str(exc))
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize("args", ARGS, ids=" ".join)
def test_the_pruned_tree_answers_as_the_full_one(args, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    args = hoist(arguments.normalise(args))  # as `cli.main` hands them over
    pruned = prune.for_args(app, args)
    assert _answer(pruned, args) == _answer(app, args)


def test_root_help_builds_no_command_inside_the_groups():
    tree = prune.for_args(app, ["--help"])
    assert tree is not app
    assert all(not g.typer_instance.registered_commands and not g.typer_instance.registered_groups
               for g in tree.registered_groups)
    assert [g.name for g in tree.registered_groups] == [g.name for g in app.registered_groups]
    # the full app is left as it was
    assert any(g.typer_instance.registered_commands for g in app.registered_groups)


def test_a_group_named_last_keeps_its_commands_and_empties_its_groups():
    tree = prune.for_args(app, ["config", "--help"])
    (config,) = tree.registered_groups
    assert config.typer_instance.registered_commands  # `config path`, `config test`, listed in its help
    assert all(not g.typer_instance.registered_commands for g in config.typer_instance.registered_groups)
