"""Screens in a real 80-column terminal: numbers and order references are never cut."""

from __future__ import annotations

import os
import re
import sys

import pexpect
import pytest

import forkserver

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen(*args: str) -> str:
    child = forkserver.spawn(*args, env=dict(os.environ, COLUMNS="80"),
                          encoding="utf-8", timeout=30, dimensions=(60, 80))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return ANSI.sub("", child.before)


def check_width(text: str) -> None:
    assert all(len(row.rstrip("\r")) <= 80 for row in text.splitlines()), text


@pytest.fixture
def ordered(run, fast_sandbox):
    """Two orders on a customer's line and into inventory: long names in every column."""
    assert run("customer", "add", "ACME-INDUSTRIAL", "--name", "Acme Industrial Supply").code == 0
    assert run("customer", "line", "add", "ACME-INDUSTRIAL", "headquarters-sales").code == 0
    first = run("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "3", "--all",
                "--yes", "--json").json()
    second = run("customer", "add-dids", "ACME-INDUSTRIAL", "--line", "headquarters-sales", "--type", "fast",
                 "--area-code", "704", "--quantity", "2", "--all", "--yes", "--json").json()
    assert run("orders", "poll").code == 0
    numbers = [n["number"] for n in run("inventory", "list", "--json").json()]
    assert len(numbers) == 5
    return numbers, [first["order_ref"], second["order_ref"]]


def test_inventory_list_at_80_columns_shows_whole_numbers_and_references(ordered):
    numbers, refs = ordered
    text = screen("inventory", "list")
    check_width(text)
    for number in numbers:
        assert number in text
    for ref in refs:
        assert ref in text
    assert "…" not in text


def test_orders_list_at_80_columns_shows_whole_references(ordered):
    _, refs = ordered
    text = screen("orders", "list")
    check_width(text)
    for ref in refs:
        assert ref in text
    assert "comple\n" not in text and "complete" in text  # a status is not cut in the middle


def test_lookup_at_80_columns_shows_whole_numbers(fast_sandbox, run):
    found = [n["number"] for n in run("inventory", "lookup", "--type", "fast", "--city", "chapel hill", "--state",
                                      "NC", "--quantity", "4", "--json").json()]
    text = screen("inventory", "lookup", "--type", "fast", "--city", "chapel hill", "--state", "NC",
                  "--quantity", "4")
    check_width(text)
    assert found and all(number in text for number in found)


def test_select_screen_at_80_columns_shows_whole_numbers(fast_sandbox, run):
    args = ("--type", "fast", "--state", "NC", "--quantity", "4")
    found = [n["number"] for n in run("inventory", "lookup", *args, "--json").json()]
    child = forkserver.spawn("inventory", "order", *args, "--select",
                          env=dict(os.environ, COLUMNS="80", TERM="dumb"), encoding="utf-8", timeout=30,
                          dimensions=(60, 80))
    child.expect(r"Order which numbers\?")
    shown = ANSI.sub("", child.before)
    child.sendline("none")
    child.expect(pexpect.EOF)
    child.close()
    check_width(shown)
    assert all(number in shown for number in found), shown
    assert child.exitstatus == 0


def test_empty_results_say_so_instead_of_an_empty_box(fast_sandbox):
    assert "no pending orders" in screen("orders", "pending")
    assert "no orders yet" in screen("orders", "list")
    assert "┏" not in screen("inventory", "list")


def test_tables_show_times_to_the_minute(ordered):
    text = screen("orders", "list").split("left out at")[0]  # the table, not the footer naming columns
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", text) or "Placed" not in text
    assert not re.search(r"\d\d:\d\d:\d\d", text)


def test_help_shows_no_type_beside_a_flag():
    text = screen("inventory", "order", "--help")
    assert "<bool>" not in text
    assert re.search(r"--yes\s+-y\s+Do not ask", text), text  # a flag: its name, then what it does
    assert re.search(r"--type\s+-t\s+<str>", text)  # an option that takes a value still says what


def test_an_error_longer_than_the_terminal_wraps_between_words():
    said = "tnorder: error: --from-file cannot be combined with --area-code: each line of the file says it"
    child = forkserver.spawn("inventory", "order", "--from-file", "x.csv",
                                           "--area-code", "919", env=dict(os.environ, COLUMNS="80"),
                          encoding="utf-8", timeout=30, dimensions=(24, 80))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    text = ANSI.sub("", child.before)
    rows = [row.strip() for row in text.replace("\r", "").splitlines() if row.strip()]
    assert len(rows) > 1 and all(len(row) <= 80 for row in rows), rows
    assert " ".join(rows) == said  # broken only where a space was


def test_a_long_message_wraps_between_words(run, monkeypatch):
    import io

    from rich.console import Console

    from tnorder import render

    err = io.StringIO()
    console = Console(file=err, force_terminal=True, width=80, color_system=None, highlight=False, soft_wrap=True)
    monkeypatch.setattr(render, "_console", lambda stderr: console)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    said = "customer ACME-INDUSTRIAL has no service lines: add one with `tnorder customer line add`"
    render.message(said)
    rows = err.getvalue().splitlines()
    assert len(rows) == 2 and all(len(row) <= 80 for row in rows), rows
    assert " ".join(row.strip() for row in rows) == said
