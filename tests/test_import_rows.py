"""CSV import read as compact rows and written as plain tuples (issue 18): every bad row is still
named, in line order, with a number's repeats naming its first line; one bad row anywhere (the last
of 20,000 included) refuses the whole file; a held number is left, a disconnected one comes back
with its history; and all of it alike on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def write(path: Path, rows: list[str]) -> str:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_one_bad_row_at_the_end_of_a_long_file_imports_nothing(run, home, tmp_path):
    rows = ["number,state,rate_center"] + [f"+1919{200 + i // 10_000}{i % 10_000:04d},NC,RALEIGH"
                                           for i in range(20_000)]
    refused = run("inventory", "import", write(tmp_path / "long.csv", [*rows, "919-555-01xx,NC,RALEIGH"]))
    assert refused.code == 2
    assert "1 invalid row(s), nothing imported (line 20002: not a North American number: '919-555-01xx')" \
        in refused.err
    url = f"sqlite:///{home / 'tnorder.db'}"
    assert not (home / "tnorder.db").exists() or query(url, "SELECT (SELECT count(*) FROM numbers) + "
                                                          "(SELECT count(*) FROM number_events)") == [(0,)]
    assert run("inventory", "import", write(tmp_path / "good.csv", rows)).code == 0
    assert query(url, "SELECT count(*), count(DISTINCT number) FROM numbers") == [(20_000, 20_000)]
    assert query(url, "SELECT count(*) FROM number_events WHERE event = 'imported'") == [(20_000,)]


def test_bad_rows_and_repeats_are_named_in_line_order(run, home, tmp_path):
    path = write(tmp_path / "mixed.csv", [
        "number,state,status",          # line 1
        "9195550103,NC,",               # 2
        "(919) 555-0101,NC,",           # 3
        "919-555-01xx,NC,",             # 4: not a number
        "+1 919 555 0101,NC,",          # 5: line 3's number again
        "9195550102,ZZ,",               # 6: no such state
        "9195550102,NC,sold",           # 7: a status that cannot be imported
        "19195550101,NC,",              # 8: line 3's again
        "9195550104,NC,available",      # 9
        "9195550103,NC,",               # 10: line 2's
    ])
    refused = run("inventory", "import", path)
    assert refused.code == 2 and "6 invalid row(s), nothing imported" in refused.err
    named = [int(part.split(":")[0]) for part in refused.err.split("line ")[1:] if part.split(":")[0].isdigit()]
    assert named[:6] == [4, 5, 6, 7, 8, 10]
    done = run("inventory", "import", path, "--skip-invalid", "--json")
    assert done.code == 0, done.err
    report = done.json()
    assert report["imported"] == ["+19195550101", "+19195550103", "+19195550104"]  # by number
    assert [(s["line"], s["reason"]) for s in report["skipped"]] == [
        (4, "not a North American number: '919-555-01xx'"),
        (5, "+19195550101 is on line 3 already"),
        (6, report["skipped"][2]["reason"]),
        (7, "status 'sold' cannot be imported: use available or assigned"),
        (8, "+19195550101 is on line 3 already"),
        (10, "+19195550103 is on line 2 already"),
    ]
    assert "ZZ" in report["skipped"][2]["reason"]


def test_held_numbers_are_left_and_a_disconnected_one_comes_back(run, home, tmp_path, store_url):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "main").code == 0
    first = write(tmp_path / "first.csv", ["number,rate_center,state", "9195550201,RALEIGH,NC",
                                           "9195550202,RALEIGH,NC", "9195550203,RALEIGH,NC"])
    assert run("inventory", "import", first).code == 0
    with create_engine(store_url).begin() as conn:
        conn.execute(text("UPDATE numbers SET status = 'disconnected' WHERE number = '+19195550202'"))
    again = write(tmp_path / "again.csv", ["number,customer,line,zip", "9195550203,,,27601",
                                           "9195550202,ACME,main,27601", "7045550299,ACME,main,28202",
                                           "7045550298,,,28202"])
    done = run("inventory", "import", again, "--json")
    assert done.code == 0, done.err
    report = done.json()
    assert report["imported"] == ["+17045550298", "+17045550299", "+19195550202"]
    assert report["already_held"] == [{"line": 2, "number": "+19195550203", "status": "available"}]
    assert query(store_url, "SELECT number, status, customer, line, rate_center, zip FROM numbers "
                            "ORDER BY number") == [
        ("+17045550298", "available", None, None, None, "28202"),
        ("+17045550299", "assigned", "ACME", "main", None, "28202"),
        ("+19195550201", "available", None, None, "RALEIGH", None),
        ("+19195550202", "assigned", "ACME", "main", None, "27601"),
        ("+19195550203", "available", None, None, "RALEIGH", None),
    ]
    history = run("inventory", "show", "+19195550202", "--json").json()["history"]
    assert [(h["event"], h["to_status"]) for h in history] == [("imported", "available"), ("imported", "assigned")]
    assert query(store_url, "SELECT from_status, to_status, actor, event, note FROM number_events "
                            "WHERE number = '+17045550299'") == [
        (None, "assigned", "tester", "imported", "imported; assigned to customer ACME line main")]
    assert query(store_url, "SELECT from_status FROM number_events WHERE number = '+19195550202' "
                            "ORDER BY id") == [(None,), ("disconnected",)]


def indexes(url: str) -> list[tuple]:
    return query(url, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")


def test_a_large_import_builds_the_indexes_it_set_aside_again_and_a_failed_one_keeps_them(
        run, home, tmp_path, monkeypatch):
    from tnorder import store

    url = f"sqlite:///{home / 'tnorder.db'}"
    assert run("inventory", "import", write(tmp_path / "one.csv", ["9195550100"])).code == 0
    before = indexes(url)
    assert {(name, table) for name, table, _ in before} >= {
        ("ix_numbers_status_number", "numbers"), ("ix_number_events_number", "number_events")}
    monkeypatch.setattr(store, "SET_ASIDE_FROM", 10)  # "large" for this test: the same path as 100,000 rows
    rows = ["number,state"] + [f"+1704555{i:04d},NC" for i in range(50)]
    assert run("inventory", "import", write(tmp_path / "fifty.csv", rows)).code == 0
    assert indexes(url) == before
    assert query(url, "SELECT count(*) FROM numbers INDEXED BY ix_numbers_status_number "
                      "WHERE status = 'available'") == [(51,)]
    assert query(url, "PRAGMA integrity_check") == [("ok",)]
    engine = store.Store(url).engine
    aside = "SELECT count(*) FROM sqlite_master WHERE name = 'ix_numbers_account'"
    with pytest.raises(RuntimeError), engine.connect() as conn, conn.begin(), \
            store.indexes_set_aside(conn, ("numbers",), 1000):
        assert conn.exec_driver_sql(aside).scalar_one() == 0  # dropped inside the transaction
        raise RuntimeError("the import fails half-way")
    engine.dispose()
    assert indexes(url) == before
