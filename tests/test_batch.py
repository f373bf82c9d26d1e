"""Batch orders from a file in one process, against `tnorder sim serve` over a real socket."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

import forkserver
from emulator import Emulator

TYPE = "BW DIDs"
NPAS = ("919", "704", "336", "828", "910", "252", "980", "984")


@pytest.fixture
def emulator(tmp_path):
    emu = Emulator(tmp_path / "emulator", "--complete-after", "0")
    yield emu
    emu.stop()


@pytest.fixture
def bandwidth(run, emulator, monkeypatch):
    monkeypatch.setenv("BW_CLIENT", "tnorder-ci")
    monkeypatch.setenv("BW_SECRET", "Client-S3cret")
    assert run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", emulator.url).code == 0
    assert run("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "4410",
               "--client-id-env", "BW_CLIENT", "--client-secret-env", "BW_SECRET").code == 0
    assert run("config", "inventory-type", "add", TYPE, "--account", "bw").code == 0
    return emulator


def carrier_orders(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "emulator" / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM orders WHERE kind = 'order'").fetchone()[0]


def two_hundred(path, bad_line: int | None = None) -> None:
    rows = ["area_code,quantity"] + [f"{NPAS[i % len(NPAS)]},1" for i in range(200)]
    if bad_line:
        rows[bad_line - 1] = "99,1"  # line 1 is the header
    path.write_text("\n".join(rows) + "\n")


def test_two_hundred_orders_once_and_a_rerun_orders_nothing(cli, run, bandwidth, tmp_path):
    orders_file = tmp_path / "orders.csv"
    two_hundred(orders_file, bad_line=137)
    refused = cli("inventory", "order", "--type", TYPE, "--from-file", str(orders_file), "--yes", "--json")
    assert refused.code == 2 and "line 137" in refused.err, refused.err
    assert refused.out == "" and carrier_orders(tmp_path) == 0  # nothing was sent
    assert run("orders", "list", "--json").json() == []

    two_hundred(orders_file)
    placed = cli("inventory", "order", "--type", TYPE, "--from-file", str(orders_file), "--yes", "--json",
                 timeout=180)
    results = [json.loads(row) for row in placed.out.splitlines()]
    assert placed.code == 0, (placed.err, [(r["file_line"], r["error"]) for r in results if r["result"] != "placed"])
    assert [r["file_line"] for r in results] == list(range(2, 202))
    assert {r["result"] for r in results} == {"placed"}
    assert len({r["order_ref"] for r in results}) == 200
    assert carrier_orders(tmp_path) == 200

    again = cli("inventory", "order", "--type", TYPE, "--from-file", str(orders_file), "--yes", "--json",
                timeout=180)
    assert again.code == 0, again.err
    rerun = [json.loads(row) for row in again.out.splitlines()]
    assert {r["result"] for r in rerun} == {"exists"}
    assert [r["order_ref"] for r in rerun] == [r["order_ref"] for r in results]
    assert carrier_orders(tmp_path) == 200  # nothing ordered twice


def test_add_dids_from_json_lines_on_stdin(run, bandwidth, home, tmp_path):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "sales").code == 0
    lines = [{"area_code": "919", "quantity": 2}, {"state": "NC", "quantity": 1, "key": "acme-nc-1"}]
    done = forkserver.run("customer", "add-dids", "ACME", "--line", "sales",
                          "--type", TYPE, "--from-file", "-", "--yes", "--json",
                          input="".join(json.dumps(x) + "\n" for x in lines), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    results = [json.loads(row) for row in done.stdout.splitlines()]
    assert [(r["file_line"], r["customer"], r["line"]) for r in results] == [(1, "ACME", "sales"), (2, "ACME", "sales")]
    assert results[1]["key"] == "acme-nc-1"


@pytest.mark.parametrize(("content", "message"), [
    ("area_code,quantity\n919,1\n919,lots\n", "line 3: quantity must be a whole number"),
    ("area_code,colour\n919,red\n", "line 1: unknown column 'colour'"),
    ('{"area_code": "919"}\n{"area_code": "919", "numbers": "9195550142"}\n', "line 2: give lookup criteria"),
    ("numbers\n(919) 555-0142\n919-555-0142\n", "line 3: +19195550142 is ordered on line 2 too"),
    ("area_code\n", "the file holds no orders"),
])
def test_a_bad_file_is_refused_before_anything_is_sent(run, fast_sandbox, tmp_path, content, message):
    path = tmp_path / "orders.txt"
    path.write_text(content)
    result = run("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes")
    assert result.code == 2 and message in result.err, result.err
    assert run("orders", "list", "--json").json() == []


def test_from_file_refuses_single_order_flags(run, fast_sandbox, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("area_code\n919\n")
    result = run("inventory", "order", "--from-file", str(path), "--area-code", "919", "--yes")
    assert result.code == 2 and "--from-file cannot be combined with --area-code" in result.err


def test_an_interrupted_batch_sends_nothing_more_and_loses_nothing(run, tmp_path, monkeypatch):
    """SIGINT part way: orders not yet started are never sent; every order sent is recorded and named."""
    import os
    import signal
    import time

    slow = Emulator(tmp_path / "emulator", "--complete-after", "0", "--latency-ms", "150")
    try:
        monkeypatch.setenv("BW_CLIENT", "c")
        monkeypatch.setenv("BW_SECRET", "s")
        assert run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", slow.url).code == 0
        assert run("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id",
                   "4410", "--client-id-env", "BW_CLIENT", "--client-secret-env", "BW_SECRET").code == 0
        assert run("config", "inventory-type", "add", TYPE, "--account", "bw").code == 0
        orders_file = tmp_path / "orders.csv"
        two_hundred(orders_file)
        proc = forkserver.tnorder("inventory", "order", "--type", TYPE, "--from-file", str(orders_file), "--yes",
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=os.environ.copy())
        deadline = time.monotonic() + 30
        while carrier_orders(tmp_path) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        sent = carrier_orders(tmp_path)
        assert 5 <= sent < 200  # the rest were never started
        time.sleep(0.5)
        assert carrier_orders(tmp_path) == sent  # and nothing went out after the exit
        recorded = run("orders", "list", "--json").json()
        assert len(recorded) == sent  # every order the carrier has is in the store
        assert "orders poll" in err and recorded[0]["order_ref"] in err
    finally:
        slow.stop()


def _hostile_files(tmp_path):
    """(name, path) of files a batch must refuse with one line: bytes, sizes and kinds it cannot read."""
    import os

    made = {
        "non-utf8": b"area_code,quantity\n9\xff9,1\n",
        "csv-128k-field": b"area_code,quantity\n" + b"9" * 131_100 + b",1\n",
        "json-128k-field": json.dumps({"area_code": "919", "key": "k" * 131_100}).encode() + b"\n",
        "json-nested": b'{"area_code": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n",
        "json-huge-int": b'{"area_code": "919", "quantity": 1' + b"0" * 5000 + b"}\n",
    }
    paths = []
    for name, content in made.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append((name, str(path)))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero-link"
    zero.symlink_to("/dev/zero")
    return [*paths, ("dev-zero", "/dev/zero"), ("link-to-dev-zero", str(zero)), ("fifo", str(fifo)),
            ("folder", str(tmp_path))]


def test_a_file_it_cannot_read_is_one_line_and_nothing_sent(cli, fast_sandbox, tmp_path):
    """Issue 14, point 17: non-UTF-8 bytes, a 128 KB field, deep nesting, /dev/zero, a FIFO: exit 2."""
    for name, path in _hostile_files(tmp_path):
        result = cli("inventory", "order", "--type", "fast", "--from-file", path, "--yes", timeout=30)
        assert result.code == 2, (name, result.code, result.err[-500:])
        assert len(result.err.strip().splitlines()) == 1 and len(result.err) < 300, (name, result.err[:500])
        assert result.out == "", name
    assert cli("orders", "list", "--json").out.strip() == "[]"  # nothing was sent


def test_standard_input_is_read_with_a_bound(home, fast_sandbox, tmp_path):
    with open("/dev/zero", "rb") as zero:
        done = forkserver.run("inventory", "order", "--type", "fast",
                              "--from-file", "-", "--yes", stdin=zero, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "larger than" in done.stderr, done.stderr[-500:]
    assert len(done.stderr.strip().splitlines()) == 1
