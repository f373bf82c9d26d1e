"""How tnorder answers each shell's completion script (loaded only when a script calls in).

Typer's classes answer as they do, with two changes. Where the word being completed is a value
tnorder knows how to list (an inventory type, a customer, …; see `completing`), the shell is told
not to fall back to file names when nothing matches. And bash gets each value escaped, so that
`Sandbox DIDs` is inserted as one word.
"""

import contextlib
import os
import re
from collections.abc import Iterator

from typer._click.shell_completion import (
    CompletionItem,
    _resolve_context,
    _resolve_incomplete,
    add_completion_class,
)
from typer._coercion import RuntimeParam
from typer._completion_classes import BashComplete, FishComplete, ZshComplete
from typer.core import _TyperParameter

VALUES_MARK = "::values"  # bash: the first line, when the word is a value (no file names then)
_SAFE = re.compile(r"[A-Za-z0-9_./:@%+,=*-]")  # bash leaves these alone in a word (`*` is escaped below)


class _Values:
    """Remembers whether the word being completed is a value with its own completion callback."""

    values = False

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        ctx = _resolve_context(self.cli, self.ctx_args, self.prog_name, args)  # type: ignore[attr-defined]
        obj, incomplete = _resolve_incomplete(ctx, args, incomplete)
        self.values = getattr(obj, "_custom_shell_complete", None) is not None
        if self.values and args and args[-1].startswith("-"):
            self._parsed_before(ctx, args[:-1])
        return obj.shell_complete(ctx, incomplete)

    def _parsed_before(self, ctx, args: list[str]) -> None:
        """Fill `ctx.params` from the words before the option whose value is being completed.

        Click stops parsing at that option (it has no value yet), before the positional arguments:
        in `customer add-dids ACME-7 --line <Tab>` the lines to offer are ACME-7's, which only a
        parse without the dangling `--line` finds."""
        fuller = _resolve_context(self.cli, self.ctx_args, self.prog_name, args)  # type: ignore[attr-defined]
        for name, value in fuller.params.items():
            if ctx.params.get(name) is None:
                ctx.params[name] = value


def bash_escape(value: str) -> str:
    """`value` as one bash word: a backslash before anything bash would split on or expand."""
    return "".join(c if _SAFE.fullmatch(c) and c != "*" else "\\" + c for c in value)


class Bash(_Values, BashComplete):
    def format_completion(self, item: CompletionItem) -> str:
        return bash_escape(item.value)

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        out = [self.format_completion(item) for item in self.get_completions(args, incomplete)]
        return "\n".join(([VALUES_MARK] if self.values else []) + out)


class Zsh(_Values, ZshComplete):
    def complete(self) -> str:
        answer = super().complete()
        # Typer answers `_files` when nothing matched; for a value that would offer file names
        return "" if self.values and answer == "_files" else answer


class Fish(_Values, FishComplete):
    # Typer exits 1 for `is-args` when nothing matched, and fish then lists file names
    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        found = super().get_completions(args, incomplete)
        if self.values and not found and os.environ.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
            raise SystemExit(0)  # a value with nothing to offer: no file names either
        return found


def register() -> None:
    for cls in (Bash, Zsh, Fish):
        add_completion_class(cls, cls.name)


class _AsGiven(RuntimeParam):
    """Values as typed: completing only reads them as words."""

    def __init__(self) -> None:  # RuntimeParam declares fields it never needs here
        pass

    def _coerce_value(self, value, param, ctx):
        return value


@contextlib.contextmanager
def uncoerced() -> Iterator[None]:
    """Typer's coercion of parsed values turned off meanwhile.

    Typer checks every value through a Pydantic TypeAdapter: importing Pydantic and building the
    adapters took about 350 ms of a completion's 500, for values the completion only reads as words
    (an account, `--db`). Put back afterwards: tests complete in the same process as other commands."""
    as_given = _AsGiven()
    before = _TyperParameter.get_runtime_param
    _TyperParameter.get_runtime_param = lambda self: as_given
    try:
        yield
    finally:
        _TyperParameter.get_runtime_param = before
