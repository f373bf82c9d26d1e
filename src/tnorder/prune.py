"""Build only the command being run: Typer turns every registered command into a Click command on
each start (~20 ms for tnorder's forty, a tenth of a store command's whole time); a copy of the app
holding only the path named on the command line parses the same arguments the same way.
"""

from __future__ import annotations

import copy

import typer

ROOT_WITH_VALUE = frozenset({"--db"})
ROOT_ANSWERS = frozenset({"--help", "--version"})  # the root answers these itself, whatever follows


def for_args(app: typer.Typer, args: list[str]) -> typer.Typer:
    """`app` with only the groups and command that `args` name; `app` itself when a word names
    nothing (a typo: the full tree answers it, suggesting the command meant)."""
    return _prune(app, _words(args)) or app


def _words(args: list[str]) -> list[str]:
    """The leading command words, after the root's options (which `argv.hoist` put first); none when
    the root answers before any word is read (`tnorder --help inventory` is the root's help)."""
    words, i = [], 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ROOT_ANSWERS:
            return []
        i += 2 if args[i] in ROOT_WITH_VALUE else 1
    for arg in args[i:]:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def _prune(app: typer.Typer, words: list[str]) -> typer.Typer | None:
    if not words:
        # the words end at this group (its help, or no command given): its help lists its commands
        # and its groups, not what is inside those groups. For root help that was building all forty
        # commands (0.14 of the 0.5 s of `tnorder --help` under the profiler).
        return _copy(app, app.registered_commands,
                     [_group(group, _copy(group.typer_instance, [], [])) for group in app.registered_groups])
    name, rest = words[0], words[1:]
    for command in app.registered_commands:
        if (command.name or (command.callback.__name__ if command.callback else "")) == name:
            return _copy(app, [command], [])
    for group in app.registered_groups:
        if group.name == name:
            return _copy(app, [], [_group(group, _prune(group.typer_instance, rest) or group.typer_instance)])
    return None


def _group(group, inner: typer.Typer):
    kept = copy.copy(group)
    kept.typer_instance = inner
    return kept


def _copy(app: typer.Typer, commands: list, groups: list) -> typer.Typer:
    kept = copy.copy(app)
    kept.registered_commands = commands
    kept.registered_groups = groups
    return kept
