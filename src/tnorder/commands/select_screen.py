"""Where the selection step can be drawn as a screen, and the hand-over to it.

Light on purpose: Textual is imported only by `select_app`, when a screen really opens, so
`--help`, the store commands and scripts never pay for it.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence

NO_SCREEN = {"", "dumb", "unknown"}  # terminals that cannot draw one: the typed `1,3-5` answer instead


def drawable() -> bool:
    """A terminal on both ends that can place the cursor: stdin for the keys, stderr for the
    screen (stdout stays free for --json)."""
    return sys.stdin.isatty() and sys.stderr.isatty() and os.environ.get("TERM", "") not in NO_SCREEN


def choose(rows: Sequence[dict], columns: Sequence[tuple[str, str]], *, title: str,
           held: Callable[[], str] | None = None, verb: str = "order") -> list[int]:
    """The rows ticked, by index, in the order shown. Esc or Ctrl-C raises `Interrupted` (SIGINT),
    so the caller's clean-up runs as it does for a signal: every reservation is released."""
    from tnorder.commands.select_app import SelectApp
    from tnorder.interrupts import Interrupted

    chosen = SelectApp(rows, columns, title=title, held=held, verb=verb).run()
    if chosen is None:  # aborted, or the screen could not run
        raise Interrupted(signal.SIGINT)
    return chosen
