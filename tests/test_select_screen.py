"""The selection screen at a real terminal (a pseudo-terminal driven by pexpect, drawn by pyte).

Textual redraws with escape sequences, so what the operator sees is read off a pyte screen of the
same size; what is printed once the screen has closed (the confirmation, the exit line) is read
from the raw transcript with the escapes taken out. Every wait is for content, never a sleep.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import time

import pexpect
import pyte
import pytest

import forkserver

SIZES = [pytest.param((24, 80), id="80x24"), pytest.param((40, 120), id="120x40")]
ESC, CTRL_C, DOWN, PGDN = "\x1b", "\x03", "\x1b[B", "\x1b[6~"
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


class Screen:
    """One tnorder run at a terminal of `size` (rows, columns)."""

    def __init__(self, args: tuple[str, ...], size: tuple[int, int], env: dict[str, str] | None = None) -> None:
        rows, cols = size
        self.child = forkserver.spawn(*args, encoding="utf-8", timeout=60,
                                   dimensions=size, env=dict(env or os.environ, TERM="xterm-256color"))
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.Stream(self.screen)
        self.log = ""
        self.ended = False

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def plain(self) -> str:
        return ANSI.sub("", self.log)

    def _read(self) -> None:
        try:
            chunk = self.child.read_nonblocking(65536, timeout=0.2)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self.ended = True
            return
        self.log += chunk
        self.stream.feed(chunk)

    def wait(self, seen, what: str, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while not seen():
            if self.ended or time.monotonic() > end:
                raise AssertionError(f"never saw {what}; screen:\n{self.text()}\nafter:\n{self.plain()[-1500:]}")
            self._read()

    def shows(self, pattern: str, timeout: float = 90) -> None:
        """`pattern` (a regex) drawn on the screen."""
        self.wait(lambda: re.search(pattern, self.text()), repr(pattern), timeout)

    def says(self, pattern: str, timeout: float = 90) -> None:
        """`pattern` printed anywhere in the run (after the screen closed, too)."""
        self.wait(lambda: re.search(pattern, self.plain()), repr(pattern), timeout)

    def press(self, keys: str, then: str) -> None:
        self.child.send(keys)
        self.shows(then)

    def finish(self) -> int:
        self.wait(lambda: self.ended, "the end")
        self.child.close()
        return self.child.exitstatus


def reserved(home) -> int:
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0]


def numbers(run, *args: str) -> dict[str, str]:
    return {n["number"]: n["status"] for n in run("inventory", "list", "--all-statuses", *args, "--json").json()}


@pytest.fixture
def lookup_args(fast_sandbox):
    return ("--type", fast_sandbox, "--area-code", "919", "--quantity", "8")


@pytest.fixture
def acme(run):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "sales").code == 0
    return ("customer", "add-dids", "ACME", "--line", "sales")


def digits_of(number: str, shown: list[dict]) -> str:
    """The shortest tail of `number` that no other shown number has: a filter matching one row."""
    for size in range(4, 11):
        tail = number[-size:]
        if sum(tail in n["number"] for n in shown) == 1:
            return tail
    raise AssertionError(number)


def tick_filter_confirm(s: Screen, shown: list[dict], verb: str) -> set[str]:
    """Tick the first row, filter down to the sixth by its digits, tick it, confirm: those two."""
    s.shows(f"0 ticked to {verb}")
    s.press(" ", rf"1 ticked to {verb}")
    s.press("/", "filter: digits or rate center")
    s.child.send(digits_of(shown[5]["number"], shown) + "\r")
    s.shows(rf"1 ticked to {verb}, 1 shown")
    # the status line can be drawn a frame before the rows: wait for the filtered rows themselves
    s.wait(lambda: shown[5]["number"] in s.text() and shown[0]["number"] not in s.text(), "the filtered row")
    s.press(" ", rf"2 ticked to {verb}, 1 shown")
    s.child.send("\r")
    s.says(r"\[y/N\]")
    s.child.sendline("y")
    return {shown[0]["number"], shown[5]["number"]}


@pytest.mark.parametrize("size", SIZES)
def test_lookup_and_select_orders_what_was_ticked(run, home, lookup_args, size):
    shown = run("inventory", "lookup", *lookup_args, "--json").json()
    s = Screen(("inventory", "order", *lookup_args, "--select"), size)
    s.shows("held for you until .* min left")  # the carrier holds them: the time left is on screen
    assert reserved(home) == 8
    chosen = tick_filter_confirm(s, shown, "order")
    s.says("released 6 number")
    assert s.finish() == 0, s.plain()[-2000:]
    assert set(numbers(run)) == chosen
    assert reserved(home) == 0


@pytest.mark.parametrize("size", SIZES)
def test_add_from_carrier_ticks_a_rate_center_onto_the_line(run, home, lookup_args, acme, size):
    shown = run("inventory", "lookup", *lookup_args, "--json").json()
    center = shown[2]["rate_center"]
    chosen = {n["number"] for n in shown if n["rate_center"] == center}
    s = Screen((*acme, *lookup_args, "--select"), size)
    s.shows("0 ticked to order")
    s.press("/", "filter: digits or rate center")
    s.child.send(center.lower() + "\r")
    s.shows(rf"0 ticked to order, {len(chosen)} shown")
    s.press("a", rf"{len(chosen)} ticked to order")
    s.child.send("\r")
    s.says(r"\[y/N\]")
    s.child.sendline("y")
    assert s.finish() == 0, s.plain()[-2000:]
    assert reserved(home) == 0
    assert run("orders", "poll").code == 0
    assert numbers(run, "--customer", "ACME") == dict.fromkeys(chosen, "assigned")


@pytest.fixture
def stocked(run, fast_sandbox):
    """Eight 919 numbers and three 212 numbers in the inventory, all available."""
    for npa, count in (("919", "8"), ("212", "3")):
        done = run("inventory", "order", "--type", fast_sandbox, "--area-code", npa, "--quantity", count,
                   "--all", "--yes")
        assert done.code == 0, done.err
    assert run("orders", "poll").code == 0
    held = numbers(run)
    assert len(held) == 11 and set(held.values()) == {"available"}
    return fast_sandbox


@pytest.mark.parametrize("size", SIZES)
def test_select_and_disconnect_narrowed_by_area_code(run, stocked, size):
    in_919 = [{"number": n} for n in sorted(numbers(run, "--area-code", "919"))]
    s = Screen(("inventory", "disconnect", "--type", stocked, "--select", "--area-code", "919",
                "--status", "available"), size)
    s.shows("0 ticked to disconnect")
    s.wait(lambda: in_919[0]["number"] in s.text(), "the first row")
    assert "+1212" not in s.text()  # --area-code narrows what is listed
    chosen = tick_filter_confirm(s, in_919, "disconnect")
    assert s.finish() == 0, s.plain()[-2000:]
    assert run("orders", "poll").code == 0
    after = numbers(run)
    assert {n for n, status in after.items() if status != "available"} == chosen
    assert {after[n] for n in chosen} == {"disconnected"}


FLOWS = ["order", "add-dids", "disconnect"]
ABORTS = [pytest.param(ESC, (24, 80), id="esc-80x24"), pytest.param(CTRL_C, (40, 120), id="ctrl-c-120x40"),
          pytest.param(CTRL_C, (24, 80), id="ctrl-c-80x24")]


@pytest.mark.parametrize(("key", "size"), ABORTS)
def test_abort_while_ordering_releases_every_reservation(run, home, lookup_args, key, size):
    s = Screen(("inventory", "order", *lookup_args, "--select"), size)
    s.shows("0 ticked to order")
    assert reserved(home) == 8
    s.press(" ", "1 ticked to order")  # a tick is not an order
    s.child.send(key)
    s.says("interrupted: 8 reservation\\(s\\) released at fast, nothing ordered")
    assert s.finish() == 130
    assert reserved(home) == 0
    assert numbers(run) == {}
    assert run("orders", "list", "--json").json() == []


@pytest.mark.parametrize(("key", "size"), ABORTS[:2])
def test_abort_while_adding_from_carrier_releases_every_reservation(run, home, lookup_args, acme, key, size):
    s = Screen((*acme, *lookup_args, "--select"), size)
    s.shows("0 ticked to order")
    s.press("a", "8 ticked to order")
    s.child.send(key)
    s.says("interrupted: 8 reservation\\(s\\) released at fast, nothing ordered")
    assert s.finish() == 130
    assert reserved(home) == 0
    assert numbers(run) == {}


@pytest.mark.parametrize(("key", "size"), ABORTS[:2])
def test_abort_while_disconnecting_sends_nothing(run, stocked, key, size):
    s = Screen(("inventory", "disconnect", "--type", stocked, "--select"), size)
    s.shows("0 ticked to disconnect")
    s.press("a", "11 ticked to disconnect")
    s.child.send(key)
    s.says("interrupted: nothing disconnected")
    assert s.finish() == 130
    assert set(numbers(run).values()) == {"available"}
    assert [o for o in run("orders", "list", "--json").json() if o["kind"] == "disconnect"] == []


def test_two_hundred_results_scroll(run, home, fast_sandbox):
    """At 80 × 24 only a few rows fit: page down and arrow to the 150th, tick it, order it."""
    args = ("--type", fast_sandbox, "--area-code", "919", "--quantity", "200")
    shown = run("inventory", "lookup", *args, "--json").json()
    assert len(shown) == 200
    s = Screen(("inventory", "order", *args, "--select"), (24, 80))
    s.shows("0 ticked to order")
    assert shown[149]["number"] not in s.text()
    row = 1
    while row < 140:  # a page at a time, each move waited for
        s.child.send(PGDN)
        s.wait(lambda before=row: _row(s) > before, "a page down")
        row = _row(s)
    while row != 150:
        s.child.send(DOWN if row < 150 else "\x1b[A")
        s.wait(lambda before=row: _row(s) != before, "a row down")
        row = _row(s)
    target = shown[149]["number"]
    s.wait(lambda: target in s.text(), "the 150th row drawn")
    s.press(" ", "1 ticked to order")
    # the status line may be drawn a frame before the row's box: wait for the row itself
    s.wait(lambda: re.search(rf"\[x\]\s+\{target}", s.text()), "the 150th row ticked")
    s.child.send("\r")
    s.says(r"\[y/N\]")
    s.child.sendline("y")
    s.says("released 199 number")
    assert s.finish() == 0, s.plain()[-2000:]
    assert set(numbers(run)) == {target}
    assert reserved(home) == 0


def _row(s: Screen) -> int:
    found = re.search(r"row (\d+) of 200", s.text())
    return int(found[1]) if found else 0


def test_the_filter_reads_digits_as_the_number_and_words_as_the_rate_center():
    from tnorder.commands.select_app import matches

    row = {"number": "+19195550142", "rate_center": "RESEARCH TRIANGLE PARK"}
    assert matches(row, "555-01") and matches(row, "(919) 555") and matches(row, "0142")
    assert not matches(row, "0143")
    assert matches(row, "triangle") and matches(row, " Research ")
    assert not matches(row, "raleigh")
    assert matches(row, "")  # an empty filter shows every row


def test_a_terminal_that_cannot_draw_gets_the_typed_answer(monkeypatch):
    from tnorder.commands import select_screen

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    for term, drawn in (("xterm-256color", True), ("dumb", False), ("", False)):
        monkeypatch.setenv("TERM", term)
        assert select_screen.drawable() is drawn, term
    monkeypatch.delenv("TERM")
    assert select_screen.drawable() is False
