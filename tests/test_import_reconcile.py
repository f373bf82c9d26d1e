"""Numbers from outside tnorder: CSV import, and reconciling an inventory type with its carrier."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

import forkserver
from tnorder.sim.world import World

FORMS = ("{a}{b}{c}", "({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}.{b}.{c}")
BAD_LINES = {57: "12345", 402: "+442071234567", 871: "919-555-01xx"}


def numbers_csv(path: Path, count: int, bad: dict[int, str] | None = None, seed: int = 5) -> list[str]:
    """`count` data rows (line 1 is the header), numbers in mixed forms; returns their E.164 forms."""
    rng = random.Random(seed)
    rows, good = ["number,state,rate_center"], []
    for i in range(count):
        line = i + 2
        if bad and line in bad:
            rows.append(f"{bad[line]},NC,RALEIGH")
            continue
        a, b, c = "919", f"{rng.randint(200, 999)}", f"{i:04d}"
        rows.append(f"\"{rng.choice(FORMS).format(a=a, b=b, c=c)}\",NC,RALEIGH")
        good.append(f"+1{a}{b}{c}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return good


def store_count(home: Path, sql: str = "SELECT count(*) FROM numbers") -> int:
    with sqlite3.connect(home / "tnorder.db") as db:
        return db.execute(sql).fetchone()[0]


def test_a_file_with_bad_rows_is_refused_whole_naming_each(run, home, tmp_path):
    path = tmp_path / "dids.csv"
    numbers_csv(path, 1000, BAD_LINES)
    refused = run("inventory", "import", str(path))
    assert refused.code == 2
    assert len(refused.err.strip().splitlines()) == 1 and refused.out == ""
    for line in BAD_LINES:
        assert f"line {line}:" in refused.err
    assert "3 invalid row(s), nothing imported" in refused.err
    assert not (home / "tnorder.db").exists() or store_count(home) == 0


def test_skip_invalid_imports_the_rest_and_a_second_import_adds_nothing(run, home, tmp_path):
    path = tmp_path / "dids.csv"
    good = numbers_csv(path, 1000, BAD_LINES)
    first = run("inventory", "import", str(path), "--skip-invalid", "--json")
    assert first.code == 0, first.err
    report = first.json()
    assert len(report["imported"]) == 997 and sorted(report["imported"]) == sorted(good)
    assert [s["line"] for s in report["skipped"]] == sorted(BAD_LINES)
    assert store_count(home) == 997
    listed = run("inventory", "list", "--status", "available", "--json").json()
    assert {n["state"] for n in listed} == {"NC"} and {n["rate_center"] for n in listed} == {"RALEIGH"}
    again = run("inventory", "import", str(path), "--skip-invalid", "--json")
    assert again.code == 0
    assert again.json()["imported"] == [] and len(again.json()["already_held"]) == 997
    assert store_count(home) == 997
    assert store_count(home, "SELECT count(*) FROM number_events") == 997
    history = run("inventory", "show", good[0], "--json").json()["history"]
    assert [(h["event"], h["to_status"]) for h in history] == [("imported", "available")]


def test_import_from_stdin_with_customers_lines_and_no_header(home, run, tmp_path):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "main").code == 0
    with_lines = "number,customer,line,zip,lata\n7045550150,ACME,main,28202,422\n704 555 0151,,,28202,\n"
    done = forkserver.run("inventory", "import", "-", "--json",
                          input=with_lines, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = run("customer", "show", "ACME", "--json").json()["lines"][0]["numbers"]
    assert [(n["number"], n["status"]) for n in shown] == [("+17045550150", "assigned")]
    bare = tmp_path / "bare.csv"
    bare.write_text("7045550152\n7045550153\n", encoding="utf-8")  # a carrier's spreadsheet: no header
    assert run("inventory", "import", str(bare)).code == 0
    assert store_count(home) == 4


@pytest.mark.parametrize(("content", "words"), [
    ("number,colour\n9195550100,red\n", ["unknown column", "colour"]),
    ("number,customer,line\n9195550100,NOBODY,main\n", ["line 2", "NOBODY"]),
    ("number,customer\n9195550100,ACME\n", ["line 2", "customer and line"]),
    ("number,status\n9195550100,disconnected\n", ["line 2", "status"]),
    ("number\n9195550100\n919-555-0100\n", ["line 3", "line 2"]),
    ("number,zip\n9195550100,2760\n", ["line 2", "zip"]),
    ("number\n", ["no numbers"]),
])
def test_bad_files_are_refused(run, home, tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    refused = run("inventory", "import", str(path))
    assert refused.code == 2, refused.err
    assert len(refused.err.strip().splitlines()) == 1
    for word in words:
        assert word in refused.err
    assert not (home / "tnorder.db").exists() or store_count(home) == 0


def world(home: Path) -> World:
    return World(home / "sandbox" / "world.sqlite", complete_after=0)


def behind_the_back(home: Path, account: str, area_code: str = "312") -> str:
    """A number put in service on the account at the carrier, without tnorder."""
    from tnorder.criteria import build

    w = world(home)
    placed = w.search_and_order(build(area_code=area_code), 1, account, "portal-order")
    w.settle_due(account)
    assert w.get(placed.id, account).status == "COMPLETE"
    return w.get(placed.id, account).completed[0].number


def test_reconcile_finds_both_sides_and_fix_makes_them_agree(run, home, tmp_path, fast_sandbox):
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "919", "--quantity", "2",
                 "--all", "--yes", "--wait")
    assert placed.code == 0, placed.err
    agree = run("inventory", "reconcile", "--type", fast_sandbox, "--json")
    assert agree.code == 0 and agree.json()["agree"] is True
    extra = behind_the_back(home, "fast")
    ghost = tmp_path / "ghost.csv"
    ghost.write_text("9195550199\n", encoding="utf-8")  # tnorder believes in it; the carrier never had it
    assert run("inventory", "import", "--type", fast_sandbox, str(ghost)).code == 0
    differ = run("inventory", "reconcile", "--type", fast_sandbox, "--json")
    assert differ.code == 8
    doc = differ.json()
    assert (doc["carrier_only"], doc["tnorder_only"], doc["agree"]) == ([extra], ["+19195550199"], False)
    declined_without_yes = run("inventory", "reconcile", "--type", fast_sandbox, "--fix")
    assert declined_without_yes.code == 2  # no terminal, no --yes: nothing fixed
    fixed = run("inventory", "reconcile", "--type", fast_sandbox, "--fix", "--yes", "--json")
    assert fixed.code == 0 and fixed.json()["fixed"] is True
    again = run("inventory", "reconcile", "--type", fast_sandbox)
    assert again.code == 0
    assert run("inventory", "show", extra, "--json").json()["status"] == "available"
    ghost_history = run("inventory", "show", "+19195550199", "--json").json()["history"]
    assert [(h["event"], h["to_status"]) for h in ghost_history] == [
        ("imported", "available"), ("reconciled", "disconnected")]


def test_reconcile_sees_a_number_disconnected_in_tnorder_but_in_service(run, home, fast_sandbox):
    assert run("inventory", "order", "--type", fast_sandbox, "--area-code", "202", "--quantity", "1",
                "--all", "--yes", "--wait").code == 0
    number = run("inventory", "list", "--json").json()[0]["number"]
    with sqlite3.connect(home / "tnorder.db") as db:  # a store restored from an old backup, say
        db.execute("UPDATE numbers SET status = 'disconnected' WHERE number = ?", (number,))
    differ = run("inventory", "reconcile", "--type", fast_sandbox, "--json")
    assert differ.code == 8
    assert differ.json()["status_mismatch"] == [
        {"number": number, "status": "disconnected", "carrier_status": "in service"}]
    assert run("inventory", "reconcile", "--type", fast_sandbox, "--fix", "--yes").code == 0
    assert run("inventory", "show", number, "--json").json()["status"] == "available"


def test_an_import_file_that_is_not_a_regular_file_is_refused_without_hanging(cli, home, tmp_path):
    """A FIFO made `inventory import` wait for ever for a writer; /dev/zero read without end."""
    import os

    fifo = tmp_path / "numbers.fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero, tmp_path):
        result = cli("inventory", "import", str(path), timeout=20)
        assert result.code == 2 and "not a regular file" in result.err and result.err.count("\n") == 1, result.err
    assert cli("inventory", "list", "--json").json() == []


def test_an_import_file_with_stray_bytes_is_one_line(run, home, tmp_path):
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("number,city\n+19194390001,Cary\n+19194390002,M\xfcnster\n".encode("latin-1"))
    result = run("inventory", "import", str(bad))
    assert result.code == 2 and "utf-8" in result.err.lower() and result.err.count("\n") == 1, result.err
    assert run("inventory", "list", "--json").json() == []
