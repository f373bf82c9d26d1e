"""Local input (issue 14, points 15, 16, 17, 20, 21): store URLs never printed with their password,
spreadsheet formulas neutralised in CSV and tab-separated output, control characters refused in
names and the operator and stripped from output, a busy store its own exit code, mistyped paths
and options refused, echoed arguments cut short, private files, read commands on a read-only store."""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from lockstep import holding_write_lock


def one_line(result, code: int = 2, *words: str) -> str:
    assert result.code == code, (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and "unexpected" not in result.err, result.err
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])
    return lines[0]


# -- 15: a store URL's password is never printed, whatever it holds -------------------------------
SECRET_URLS = [
    pytest.param("postgresql+psycopg://ops:Zq@SECRETpw@127.0.0.1:1/tn", id="at-in-password"),
    pytest.param("postgresql+psycopg://ops:Zq@ss:SECRETpw@127.0.0.1:1/tn", id="at-and-colon"),
    pytest.param("postgresql+psycopg://ops:Zq%40ss:SECRETpw/x@127.0.0.1:1/tn", id="colon-and-slash"),
    pytest.param("postgresql+psycopg://ops:Zq#ss?SECRETpw@127.0.0.1:1/tn", id="hash-and-question"),
    pytest.param("postgresql+psycopg://ops:SECRETpw@127.0.0.1:1/tn", id="plain"),
    pytest.param("postgresql+psycopg://ops:Zq@SECRETpw@nohost.invalid:5432/tn", id="unresolvable"),
    pytest.param("postgresql+psycopg://ops:Zq%40ss%3ASECRETpw%2F%23@nohost.invalid:5432/tn", id="encoded-unresolvable"),
    pytest.param("postgresql+nodriver://ops:Zq@SECRETpw@127.0.0.1:1/tn", id="unknown-driver"),
    pytest.param("postgresql+psycopg://ops:SECRETpw@127.0.0.1:1/tn?password=SECRETpw", id="in-query"),
]


@pytest.mark.parametrize("url", SECRET_URLS)
@pytest.mark.parametrize("how", ["--db", "TNORDER_DB"])
def test_a_store_password_is_never_printed_whatever_it_holds(run, monkeypatch, url, how):
    args = ["--db", url] if how == "--db" else []
    if how == "TNORDER_DB":
        monkeypatch.setenv("TNORDER_DB", url)
    for command in (["inventory", "list"], ["orders", "poll"]):
        line = one_line(run(*args, *command), 2, "store")
        assert "SECRET" not in line and "Zq" not in line, line


def test_a_driver_text_quoting_part_of_a_password_is_scrubbed():
    from tnorder import storecheck

    url = "postgresql+psycopg://ops:p@ssSECRET@127.0.0.1/tn?password=QUERYpw"
    text = storecheck.scrub("failed to resolve host 'ssSECRET@127.0.0.1' (p@ssSECRET, QUERYpw)", url)
    assert "SECRET" not in text and "QUERYpw" not in text and "127.0.0.1" in text
    assert "SECRET" not in storecheck.shown(url) and "QUERYpw" not in storecheck.shown(url)


# -- 16: formulas neutralised in CSV and tab-separated output; control characters -----------------
FORMULA_TYPE, FORMULA_CUSTOMER, FORMULA_LINE = "=1+1", '=HYPERLINK("http://x.example","y")', "+cmd|calc!A0"
NUMBER = "+19195550142"


@pytest.fixture
def formulas(run, tmp_path: Path) -> None:
    assert run("config", "inventory-type", "add", FORMULA_TYPE, "--account", "sandbox").code == 0
    assert run("customer", "add", FORMULA_CUSTOMER, "--name", "@SUM(1,2)").code == 0
    assert run("customer", "line", "add", FORMULA_CUSTOMER, FORMULA_LINE, "--description", "-2+3").code == 0
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"{NUMBER}\n+19195550143\n")
    assert run("inventory", "import", "--type", FORMULA_TYPE, str(numbers)).code == 0
    result = run("inventory", "assign", NUMBER, "--customer", FORMULA_CUSTOMER, "--line", FORMULA_LINE)
    assert result.code == 0, result.err


def test_csv_cells_that_would_be_formulas_are_neutralised_and_numbers_stay(run, formulas):
    result = run("inventory", "list", "--csv")
    assert result.code == 0, result.err
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(result.out))}
    assert set(rows) == {NUMBER, "+19195550143"}  # E.164 numbers stay as they are
    assert rows[NUMBER]["customer"] == "'" + FORMULA_CUSTOMER
    assert rows[NUMBER]["line"] == "'" + FORMULA_LINE
    assert rows[NUMBER]["inventory_type"] == "'" + FORMULA_TYPE


def test_order_csv_neutralises_free_text_and_keeps_its_numbers(run, monkeypatch, fast_sandbox):
    assert run("config", "inventory-type", "add", FORMULA_TYPE, "--account", "fast").code == 0
    monkeypatch.setenv("TNORDER_OPERATOR", "@ops")
    result = run("inventory", "order", "--type", FORMULA_TYPE, "--area-code", "919", "--quantity", "2",
                 "--all", "--yes")
    assert result.code == 0, result.err
    assert run("orders", "poll").code == 0
    listed = run("orders", "list", "--csv")
    (row,) = list(csv.DictReader(io.StringIO(listed.out)))
    assert row["inventory_type"] == "'" + FORMULA_TYPE and row["actor"] == "'@ops"
    numbers = row["completed"].split(" ")
    assert len(numbers) == 2 and all(n.startswith("+1") for n in numbers), row["completed"]


def test_tab_separated_tables_neutralise_formulas_too(run, formulas):
    result = run("inventory", "list")  # not a terminal: tab-separated columns
    assert result.code == 0, result.err
    cells = [line.split("\t") for line in result.out.splitlines()[1:]]
    flat = [c for row in cells for c in row]
    assert NUMBER in flat and "'" + FORMULA_CUSTOMER in flat and FORMULA_CUSTOMER not in flat


@pytest.mark.parametrize("operator", ["\x1b[31mevil\x1b[0m", "a\nb", "bidi\u202eevil", "bell\x07"])
def test_an_operator_with_control_characters_is_refused(cli, operator):
    line = one_line(cli("customer", "add", "ACME", "--name", "Acme", env={"TNORDER_OPERATOR": operator}), 2,
                    "TNORDER_OPERATOR")
    assert "evil" not in line
    assert "ACME" not in cli("customer", "list").out


@pytest.mark.parametrize(("args", "what"), [
    (("customer", "add", "\x1b[2JX", "--name", "n"), "customer"),
    (("customer", "add", "X", "--name", "\x1b]0;t\x07"), "customer"),
    (("config", "inventory-type", "add", "T\x1b[2J", "--account", "sandbox"), "inventory type"),
    (("config", "carrier", "add", "c\x1b", "--kind", "sandbox"), "carrier"),
    (("config", "account", "add", "a\x9b1m", "--carrier", "sandbox"), "account"),
])
def test_names_with_control_characters_are_refused(run, args, what):
    line = one_line(run(*args), 2, what)
    assert "\x1b" not in line and "\x9b" not in line and "\x07" not in line


def test_control_characters_already_stored_are_stripped_from_tables_and_messages(run, cli, home: Path,
                                                                                  tmp_path: Path):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    numbers = tmp_path / "n.csv"
    numbers.write_text(NUMBER + "\n")
    assert run("inventory", "import", "--type", "Sandbox DIDs", str(numbers)).code == 0
    assert run("customer", "line", "add", "ACME", "main").code == 0  # `customer show` lists its numbers
    assert run("inventory", "assign", NUMBER, "--customer", "ACME", "--line", "main").code == 0
    evil = "\x1b[2J\x1b]0;pwned\x07Acme\x9b"
    with sqlite3.connect(home / "tnorder.db") as db:  # as a store written by another tool would hold it
        db.execute("UPDATE customers SET name = ? WHERE account = 'ACME'", (evil,))
        db.execute("UPDATE numbers SET rate_center = ?", (evil,))
    for args in (("customer", "list"), ("customer", "list", "--json"), ("inventory", "list"),
                 ("inventory", "list", "--csv"), ("inventory", "show", NUMBER),
                 ("customer", "show", "ACME")):
        shown = cli(*args)
        assert shown.code == 0 and "Acme" in shown.out, (args, shown.err)
        assert not any(c in shown.out for c in "\x1b\x07\x9b"), (args, shown.out)
    refused = cli("customer", "show", "\x1b[31mNOPE")
    assert refused.code == 2 and "\x1b" not in refused.err


# -- 17: a busy store is its own exit code, after TNORDER_LOCK_TIMEOUT ------------------------------
@pytest.mark.parametrize("args", [
    ("customer", "add", "ACME", "--name", "Acme"),  # Store.begin
    ("inventory", "order", "--area-code", "919", "--quantity", "1", "--all", "--yes"),  # Store.write, before send
])
def test_a_busy_store_is_exit_10_naming_the_store_and_the_variable(run, monkeypatch, store_url, args):
    assert run("customer", "list").code == 0  # the store exists (and is migrated) before the lock is held
    monkeypatch.setenv("TNORDER_LOCK_TIMEOUT", "1")
    with holding_write_lock(store_url, 3):  # in this process: a new one's start-up could outlast the hold
        busy = run(*args)
    line = one_line(busy, 10, "busy", "TNORDER_LOCK_TIMEOUT")
    assert "sqlalche.me" not in line
    assert (str(Path(store_url.split(":///")[-1]).name) if store_url.startswith("sqlite") else "127.0.0.1") in line
    assert "ACME" not in run("customer", "list").out
    assert run("orders", "list", "--json").json() == []


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", "0x10"])
def test_a_bad_lock_timeout_is_refused(run, monkeypatch, value):
    monkeypatch.setenv("TNORDER_LOCK_TIMEOUT", value)
    one_line(run("customer", "list"), 2, "TNORDER_LOCK_TIMEOUT")


# -- 20: mistyped paths and options, long arguments -------------------------------------------------
@pytest.mark.parametrize("how", ["--db", "TNORDER_DB"])
def test_a_store_in_a_folder_that_does_not_exist_is_refused(cli, tmp_path: Path, how):
    path = tmp_path / "nope" / "dir" / "x.db"
    args, env = (["--db", str(path)], None) if how == "--db" else ([], {"TNORDER_DB": str(path)})
    one_line(cli(*args, "inventory", "list", env=env), 2, str(path.parent))
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("args", [
    ("inventory", "order", "--area-code", "919", "--quantity", "1", "--all", "--yes", "--timeout", "5"),
    ("customer", "add-dids", "ACME", "--line", "L", "--area-code", "919", "--all", "--yes", "--timeout=5"),
    ("customer", "remove-dids", "ACME", NUMBER, "--disconnect", "--yes", "--timeout", "5"),
    ("orders", "poll", "--timeout", "5"),
])
def test_timeout_without_wait_is_refused(run, home: Path, args):
    one_line(run(*args), 2, "--timeout", "--wait")
    assert run("orders", "list", "--json").json() == []


@pytest.mark.parametrize("args", [
    ("customer", "show", "{}"), ("inventory", "show", "{}"), ("orders", "show", "{}"),
    ("inventory", "list", "--type", "{}"), ("inventory", "lookup", "--area-code", "{}"),
    ("customer", "add", "{}", "--name", "x"), ("inventory", "list", "--status", "{}"),
])
def test_errors_echo_a_long_argument_cut_short(run, args):
    huge = "9" * 100_000
    line = one_line(run(*(huge if a == "{}" else a for a in args)), 2)
    assert len(line) < 400, len(line)


# -- 21: private files, read commands on a read-only store ------------------------------------------
def test_sim_serve_creates_its_world_0600_in_0700_folders(emulator):
    emu = emulator()
    for folder in (emu.home, emu.home / "sandbox"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((emu.home / "sandbox" / "world.sqlite").stat().st_mode) == 0o600


READ_COMMANDS = [("inventory", "list"), ("inventory", "show", NUMBER), ("inventory", "summary"),
                 ("orders", "list"), ("orders", "show", "1"), ("orders", "pending"), ("customer", "list"),
                 ("customer", "show", "ACME")]


@pytest.fixture
def read_only_store(run, home: Path, tmp_path: Path):
    """A copy of a store in a folder nobody may write, the file not writable either (as root, whom
    permissions do not stop: both immutable)."""
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    numbers = tmp_path / "n.csv"
    numbers.write_text(NUMBER + "\n")
    assert run("inventory", "import", "--type", "Sandbox DIDs", str(numbers)).code == 0
    assert run("inventory", "order", "--area-code", "919", "--quantity", "1", "--all", "--yes").code in (0, 5)
    folder = tmp_path / "ro"
    folder.mkdir()
    copy = folder / "tnorder.db"
    with sqlite3.connect(home / "tnorder.db") as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # a WAL store without its -wal and -shm files, as after a clean close
    copy.chmod(0o444)
    folder.chmod(0o555)
    locked = os.geteuid() == 0
    if locked and (not shutil.which("chattr")
                   or subprocess.run(["chattr", "+i", str(copy), str(folder)]).returncode):
        folder.chmod(0o755)
        pytest.skip("cannot make a file read-only for root here (no chattr)")
    try:
        yield copy
    finally:
        if locked:
            subprocess.run(["chattr", "-i", str(copy), str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize("args", READ_COMMANDS)
def test_read_commands_work_on_a_read_only_store(cli, read_only_store: Path, args):
    result = cli("--db", str(read_only_store), *args)
    assert result.code == 0, result.err


def test_a_write_to_a_read_only_store_is_exit_2_saying_so(cli, read_only_store: Path):
    one_line(cli("--db", str(read_only_store), "customer", "add", "NEW", "--name", "New"), 2, "read-only")


def test_table_cells_on_a_terminal_are_text_never_rich_markup():
    """A customer named `[link=https://evil.example]Acme[/link]` was drawn as a link on a terminal
    (and `[/]` in a name broke the table): cells are shown as typed."""
    import io

    from rich.console import Console

    from tnorder import render

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    rows = [{"customer": "[link=https://evil.example]Acme[/link]", "line": "[bold]main[/]"}]
    render.table(rows, [("customer", "Customer"), ("line", "Line")], console=console)
    shown = out.getvalue()
    assert "[link=https://evil.example]Acme[/link]" in shown and "[bold]main[/]" in shown
    assert "\x1b]8;" not in shown  # no terminal hyperlink escape
