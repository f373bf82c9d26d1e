"""Tables at an 80-column terminal: the columns that say what a row is (number, order reference,
inventory type, customer, line, event, note) are always there; when a table leaves a column out to
fit, a footer under it names the columns and how to see them; when it leaves nothing out, no footer.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys

import pytest
from rich.console import Console

from tnorder import render
from tnorder.commands.inventory import LIST_COLUMNS

FOOTER = "left out at"


@pytest.fixture
def at(run, monkeypatch):
    """`at(80, "inventory", "list")` -> what a terminal that wide shows (stdout, then stderr)."""

    def show(width: int, *args: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        consoles = {stderr: Console(file=buffer, force_terminal=True, width=width, color_system=None,
                                    highlight=False, soft_wrap=True)
                    for stderr, buffer in ((False, out), (True, err))}
        with monkeypatch.context() as m:
            m.setattr(render, "_console", consoles.__getitem__)
            m.setattr(sys.stdout, "isatty", lambda: True)
            m.setattr(sys.stderr, "isatty", lambda: True)
            result = run(*args)
        assert result.code == 0, result.err + err.getvalue()
        return result.out + out.getvalue() + result.err + err.getvalue()

    return show


def fits(text: str, width: int = 80) -> str:
    assert all(len(row) <= width for row in text.splitlines()), text
    return text


_STOCKED: dict[str, object] = {}  # the home built once, copied for each test (orders take seconds)


@pytest.fixture
def stocked(run, fast_sandbox, home, tmp_path_factory):
    """Two inventory types, a customer with three lines (one empty), numbers on two of them."""
    if "home" not in _STOCKED:
        _STOCKED["numbers"] = _stock(run)
        _STOCKED["home"] = tmp_path_factory.mktemp("stocked") / "home"
        shutil.copytree(home, _STOCKED["home"])
    else:
        shutil.copytree(_STOCKED["home"], home, dirs_exist_ok=True)
    return _STOCKED["numbers"]


def _stock(run) -> list[dict]:
    assert run("config", "inventory-type", "add", "Second Inventory Type", "--account", "fast").code == 0
    assert run("customer", "add", "ACME-INDUSTRIAL", "--name", "Acme Industrial Supply").code == 0
    for line in ("headquarters-sales", "fax", "empty-line"):
        assert run("customer", "line", "add", "ACME-INDUSTRIAL", line).code == 0
    for args in (("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "3"),
                 ("inventory", "order", "--type", "second", "--area-code", "919", "--quantity", "2"),
                 ("customer", "add-dids", "ACME-INDUSTRIAL", "--line", "headquarters-sales", "--type", "fast",
                  "--area-code", "704", "--quantity", "2"),
                 ("customer", "add-dids", "ACME-INDUSTRIAL", "--line", "fax", "--type", "fast",
                  "--area-code", "704", "--quantity", "1")):
        assert run(*args, "--all", "--yes", "--json").code == 0
    assert run("orders", "poll").code == 0
    return run("inventory", "list", "--json").json()


def test_summary_at_80_columns_names_every_inventory_type(stocked, at):
    text = fits(at(80, "inventory", "summary"))
    assert "Fast DIDs" in text and "Second" in text and "Inventory" in text
    assert "Total" in text


def test_summary_footer_names_the_count_left_out(stocked, at):
    text = fits(at(80, "inventory", "summary"))
    footer = [row for row in text.splitlines() if FOOTER in row]
    assert len(footer) == 1 and "Disconnecting" in footer[0] and "--format csv" in footer[0]
    assert "Disconnecting" not in text.replace(footer[0], "")  # the footer's column is not in the table


def test_inventory_list_of_several_types_keeps_the_type(stocked, at):
    text = fits(at(80, "inventory", "list"))
    assert "Inventory" in text and "Fast DIDs" in text and "Second" in text
    for number in stocked:
        assert number["number"] in text
    assert "ORD-000001" in text and "ORD-000002" in text


def test_inventory_list_keeps_customer_and_line_and_names_what_it_left_out(stocked, at):
    text = fits(at(80, "inventory", "list"))
    assert "ACME-INDUSTRIAL" in text
    assert "fax" in text and "headquart" in text  # a line name too long for its column folds
    footer = next(row for row in text.splitlines() if FOOTER in row)
    assert "Activated" in footer and "Rate center" in footer


def test_inventory_list_of_a_customer_keeps_the_line(stocked, at):
    text = fits(at(80, "inventory", "list", "--customer", "ACME-INDUSTRIAL"))
    assert "Line" in text and "fax" in text and "headquart" in text
    assert "Customer" in text and "Inventory" in text and "ORD-000003" in text


def test_inventory_list_wide_enough_has_no_footer(stocked, at):
    text = fits(at(160, "inventory", "list"), 160)
    assert "Activated" in text and "Rate center" in text
    assert FOOTER not in text


def test_inventory_show_keeps_the_note(stocked, run, at):
    number = next(n["number"] for n in stocked if n["line"] == "fax")
    reason = "customer asked to stop the fax line for good"
    assert run("inventory", "unassign", number, "--reason", reason).code == 0
    text = fits(at(80, "inventory", "show", number))
    assert "Note" in text and "Event" in text and "unassigned" in text
    for word in ("customer", "ACME-INDUSTRIAL", "fax", "asked", "stop", "good"):
        assert word in text  # the assignment's note and the typed reason, folded in their column


def test_inventory_show_a_narrow_history_has_no_footer(stocked, at):
    number = next(n["number"] for n in stocked if n["status"] == "available")
    text = fits(at(80, "inventory", "show", number))
    assert "History" in text and FOOTER not in text


def test_customer_list_fits_without_a_footer(stocked, at):
    text = fits(at(80, "customer", "list"))
    assert "ACME-INDUSTRIAL" in text and FOOTER not in text


def test_customer_show_names_the_line_on_every_row(stocked, at):
    text = fits(at(80, "customer", "show", "ACME-INDUSTRIAL"))
    rows = [row for row in text.splitlines() if "+1" in row]
    assert len(rows) == 3
    assert all("headquart" in row or "fax" in row for row in rows), rows
    assert text.count("┏") == 1  # one table, not one a line
    assert "empty-line: no numbers" in text


def test_toll_free_lookup_leaves_out_the_columns_toll_free_numbers_lack(fast_sandbox, at):
    text = fits(at(80, "inventory", "lookup", "--type", "fast", "--toll-free", "8**", "--quantity", "3"))
    assert "Number" in text
    for head in ("Rate center", "City", "State", "LATA"):
        assert head not in text
    assert FOOTER not in text  # nothing was hidden: they were empty


def test_local_lookup_keeps_its_place_columns(fast_sandbox, at):
    text = fits(at(80, "inventory", "lookup", "--type", "fast", "--area-code", "919", "--quantity", "3"))
    assert "Rate center" in text and "State" in text


def test_vanity_lookup_shows_the_word_in_the_number(fast_sandbox, run, at):
    text = fits(at(80, "inventory", "lookup", "--type", "fast", "--vanity", "FLOWERS", "--quantity", "3"))
    assert text.count("-FLOWERS") == 3, text
    assert "+1 8" in text
    found = run("inventory", "lookup", "--type", "fast", "--vanity", "FLOWERS", "--quantity", "3", "--json").json()
    assert all(n["number"].startswith("+18") and n["number"].endswith("3569377") for n in found)


def test_a_shorter_vanity_word_is_spelled_where_it_stands():
    assert render.spelled("+18003569377", "FLOWERS") == "+1 800-FLOWERS"
    assert render.spelled("+18885552277", "CARS") == "+1 888-555-CARS"
    assert render.spelled("+18885552277", "DOGS") == "+18885552277"  # not in the number: as it is


def test_a_spelled_number_reads_back_as_the_number():
    from tnorder.numbers import parse_numbers

    assert parse_numbers([render.spelled("+18885552277", "CARS")]) == ["+18885552277"]


def test_a_column_too_wide_for_the_terminal_is_named_in_the_footer():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=40, color_system=None)
    rows = [{"number": "+19195550142", "line": "main", "city": "RESEARCH TRIANGLE PARK", "state": "NC"}]
    render.table(rows, [("number", "Number"), ("line", "Line"), ("city", "City"), ("state", "State")],
                 console=console)
    text = fits(out.getvalue(), 40)
    assert "+19195550142" in text and "main" in text
    assert FOOTER in text and "City" in text.split(FOOTER)[1]


def test_a_pipe_gets_every_column_and_no_footer(stocked, cli):
    done = cli("inventory", "list")
    header = done.out.splitlines()[0].split("\t")
    assert header == [head for _, head in LIST_COLUMNS]
    assert FOOTER not in done.out + done.err


def test_customer_show_in_a_pipe_is_one_tsv_with_the_line_in_every_row(stocked, cli):
    done = cli("customer", "show", "ACME-INDUSTRIAL")
    assert done.code == 0, done.err
    rows = list(csv.reader(io.StringIO(done.out), delimiter="\t"))
    assert rows[0][:2] == ["Line", "Number"]
    on_lines = {(n["line"], n["number"]) for n in stocked if n["customer"] == "ACME-INDUSTRIAL"}
    assert {(row[0], row[1]) for row in rows[1:]} == on_lines and len(rows) == 4
    assert "empty-line: no numbers" in done.err  # a line without numbers: said, not an empty header
    assert "Acme Industrial Supply" not in done.out  # nothing but the TSV on stdout


def test_summary_in_a_pipe_has_no_bar_column(stocked, cli):
    done = cli("inventory", "summary")
    assert done.code == 0, done.err
    assert "█" not in done.out
    assert "Area code\tAvailable\n919\t" in done.out


def test_summary_on_a_terminal_draws_the_bars(stocked, at):
    assert "█" in fits(at(80, "inventory", "summary"))
