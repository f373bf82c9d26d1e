"""Where the selection step can be drawn as a screen, and the hand-over to it.

Light on purpose: Textual is imported only by `select_app`, when a screen really opens, so
`--help`, the store commands and scripts never pay for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

NO_SCREEN = {"", "dumb", "unknown"}  # terminals that cannot draw one: the typed `1,3-5` answer instead
_notes: list[list[str]] = []  # while a screen is open: what other threads had to say, shown by the screen


def drawable() -> bool:
    """A terminal on both ends that can place the cursor: stdin for the keys, stderr for the
    screen (stdout stays free for --json)."""
    return sys.stdin.isatty() and sys.stderr.isatty() and os.environ.get("TERM", "") not in NO_SCREEN


def choose(rows: Sequence[dict], columns: Sequence[tuple[str, str]], *, title: str,
           held: Callable[[], str] | None = None, verb: str = "order") -> list[int]:
    """The rows ticked, by index, in the order shown. Esc or Ctrl-C raises `Interrupted` (SIGINT),
    so the caller's clean-up runs as it does for a signal: every reservation is released."""
    from tnorder import render
    from tnorder.commands.select_app import SelectApp
    from tnorder.interrupts import by_operator

    notes: list[str] = []
    _notes.append(notes)
    try:
        chosen = SelectApp(rows, columns, title=title, held=held, verb=verb, notes=notes).run()
    finally:
        _notes.clear()
        for text in notes:  # kept on the terminal once the screen is gone
            render.warning(text)
    if chosen is None:  # aborted, or the screen could not run
        raise by_operator()
    return chosen


def tell(text: str) -> bool:
    """A note from another thread (a hold extended, or not) for the open screen, which shows it
    (stderr written to meanwhile would tear the drawing); False when no screen is open."""
    if not _notes:
        return False
    _notes[-1].append(text)  # list.append is atomic: the screen polls the list from its own loop
    return True


def preload() -> None:
    """Import the screen (Textual: ~0.5 s) in a thread while the carrier is searched and holds are
    made, so the screen opens as soon as the numbers are there."""
    import threading

    from tnorder.interrupts import main_thread_hears

    with main_thread_hears():
        threading.Thread(target=_import_app, name="select-screen-import", daemon=True).start()


def _import_app() -> None:
    import tnorder.commands.select_app  # noqa: F401
