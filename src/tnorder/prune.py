"""Build only the command being run: Typer turns every registered command into a Click command on
each start (~20 ms for tnorder's forty, a tenth of a store command's whole time); a copy of the app
holding only the path named on the command line parses the same arguments the same way.
"""

from __future__ import annotations

import copy

import typer

ROOT_WITH_VALUE = frozenset({"--db"})


def for_args(app: typer.Typer, args: list[str]) -> typer.Typer:
    """`app` with only the groups and command that `args` name; `app` itself when they name none
    (root help, a typo: the full tree answers, listing every command)."""
    words = _words(args)
    return _prune(app, words) or app


def _words(args: list[str]) -> list[str]:
    """The leading command words, after the root's options (which `argv.hoist` put first)."""
    words, i = [], 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in ROOT_WITH_VALUE else 1
    for arg in args[i:]:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def _prune(app: typer.Typer, words: list[str]) -> typer.Typer | None:
    if not words:
        return None
    name, rest = words[0], words[1:]
    for command in app.registered_commands:
        if (command.name or (command.callback.__name__ if command.callback else "")) == name:
            return _copy(app, [command], [])
    for group in app.registered_groups:
        if group.name == name:
            inner = _prune(group.typer_instance, rest) or group.typer_instance
            kept = copy.copy(group)
            kept.typer_instance = inner
            return _copy(app, [], [kept])
    return None


def _copy(app: typer.Typer, commands: list, groups: list) -> typer.Typer:
    kept = copy.copy(app)
    kept.registered_commands = commands
    kept.registered_groups = groups
    return kept
