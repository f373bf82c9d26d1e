"""SIGINT, SIGTERM and SIGHUP: stop at a safe point, release what is held, name what was sent.

A signal becomes `Interrupted` (a BaseException, so no `except Exception` swallows it, and not
KeyboardInterrupt, which Typer turns into a silent exit 130). Inside `shield()` a signal is held
back until the block ends: a request to the carrier and the store write recording its answer are
never split by an interrupt. Once one signal is acting, later ones are ignored, so the cleanup
that releases reservations runs to its end.

Orders that were sent, or may have been, are noted here as they go out; whatever interrupts the
command, `cli.main` names them on stderr with the next step (`tnorder orders poll`).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(SIGNALS.get(signum, str(signum)))
        self.signum = signum
        self.said: str | None = None  # what the interrupted flow left behind, said on exit instead

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 SIGINT, 143 SIGTERM, 129 SIGHUP


_held_back: list[int] = []
_shield_depth = 0
_acting = False
_sent: dict[str, str] = {}  # order reference -> what is known of it ("sent", "may have been sent")


def _handler(signum: int, _frame: object) -> None:
    global _acting
    if _acting:
        return  # cleanup of the first signal is under way: let it finish
    if _shield_depth:
        _held_back.append(signum)
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            sys.stderr.write("tnorder: finishing the request in flight, then stopping\n")
        return
    _acting = True
    raise Interrupted(signum)


def install() -> None:
    """Route the three signals to `Interrupted` (main thread only, as Python requires)."""
    global _acting
    _acting = False
    _held_back.clear()
    _sent.clear()
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        signal.signal(signum, _handler)


def restore() -> None:
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)


@contextmanager
def shield() -> Iterator[None]:
    """Hold signals back while the block runs; act on the first one when it ends.

    Signals interrupt only the main thread; a worker thread's block runs to its end anyway, and the
    main thread waits for its workers before it exits, so off the main thread this does nothing.
    """
    global _shield_depth, _acting
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _shield_depth += 1
    try:
        yield
    finally:
        _shield_depth -= 1
    if not _shield_depth and _held_back and not _acting:
        signum = _held_back[0]
        _held_back.clear()
        _acting = True
        raise Interrupted(signum)


@contextmanager
def main_thread_hears() -> Iterator[None]:
    """Threads started inside the block block the three signals for their whole life.

    The kernel hands a signal sent to the process to any thread that does not block it. One taken
    by a worker only sets Python's flag: the main thread, asleep in a prompt's read or a lock wait,
    is not woken and Ctrl-C goes unanswered. A new thread inherits its starter's mask, so starting
    it with the signals blocked leaves the main thread the only one that can take them. A signal
    that comes meanwhile waits, and is acted on as the block ends.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # a worker's own threads inherit its mask, blocked already
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def read_line(prompt: str) -> str:
    """`input(prompt)` for the prompts (click's `visible_prompt_func`), which a signal cannot slip past.

    CPython runs a signal's Python handler at its next check: one whose C handler ran just before
    `input()` entered its blocking read, or ran on another thread (which does not even mark the main
    thread's check), is not acted on until a line is typed, and Ctrl-C at the prompt goes unanswered.
    Here the wait is `select()` with a short timeout, and each turn asks for the pending handlers to
    run (`pthread_sigmask` runs them, whichever thread took the signal). Not a terminal on both
    ends: `input()`.
    """
    import select

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return input(prompt)  # as input() decides between its two ways
    sys.stdout.flush()
    sys.stderr.write(prompt)  # where input() writes a terminal's prompt
    sys.stderr.flush()
    fd = sys.stdin.fileno()
    while not select.select([fd], [], [], 0.2)[0]:
        signal.pthread_sigmask(signal.SIG_BLOCK, ())  # changes nothing; runs any pending handler
    line = sys.stdin.readline()  # a terminal reports readable with a whole line (or at end of input)
    if not line:
        raise EOFError
    return line[:-1] if line.endswith("\n") else line


def by_operator() -> Interrupted:
    """An abort the operator typed (Esc, or Ctrl-C where the terminal sends it as a key): acted on as
    a SIGINT is, so a second Ctrl-C cannot cut the clean-up short."""
    global _acting
    _acting = True
    return Interrupted(signal.SIGINT)


def note_sent(ref: str, how: str = "sent") -> None:
    _sent[ref] = how


def forget_sent(ref: str) -> None:
    """The carrier refused it: nothing to follow."""
    _sent.pop(ref, None)


def sent() -> dict[str, str]:
    return dict(_sent)
