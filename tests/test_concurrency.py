"""Several processes at once, on SQLite and on a real PostgreSQL server: nothing applied twice, no
history event doubled, no "database is locked" reaching the user, one order per number at a time."""

from __future__ import annotations

import os
import subprocess
import time

from sqlalchemy import create_engine, text

import forkserver
from tnorder.sim.world import World


def start(*args: str) -> subprocess.Popen:
    return forkserver.tnorder(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=os.environ.copy())


def finish(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        done.append((proc.returncode, out, err))
    return done


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_pollers_a_batch_and_an_operator_at_once(run, store_url):
    assert run("config", "carrier", "add", "quick", "--kind", "sandbox", "--option", "complete_after=1").code == 0
    assert run("config", "account", "add", "quick", "--carrier", "quick").code == 0
    assert run("config", "inventory-type", "add", "Quick", "--account", "quick").code == 0
    npas = ["212", "305", "312", "415", "503", "617", "704", "206"]
    for npa in npas[:6]:
        placed = run("inventory", "order", "--type", "Quick", "--area-code", npa, "--quantity", "3", "--all", "--yes")
        assert placed.code == 0, placed.err
    time.sleep(1.1)
    procs = [start("orders", "poll", "--wait", "--timeout", "90") for _ in range(2)]
    procs += [start("inventory", "order", "--type", "Quick", "--area-code", npa, "--quantity", "2", "--all",
                    "--yes") for npa in npas[6:]]
    procs += [start("inventory", "order", "--type", "Quick", "--area-code", "919", "--quantity", "4",
                    "--pick", "1,3", "--yes")]
    results = finish(procs)
    for code, _, err in results:
        assert code == 0, err
        assert "locked" not in err.lower() and "unexpected" not in err
    final = run("orders", "poll", "--wait", "--timeout", "60")
    assert final.code == 0, final.err
    orders = query(store_url, "SELECT ref, status FROM orders ORDER BY ref")
    assert len(orders) == 9 and {status for _, status in orders} == {"complete"}
    numbers = query(store_url, "SELECT count(*), count(DISTINCT number) FROM numbers WHERE status = 'available'")
    assert numbers == [(6 * 3 + 2 * 2 + 2, 6 * 3 + 2 * 2 + 2)]
    doubled = query(store_url, "SELECT number, event, count(*) FROM number_events GROUP BY number, event "
                               "HAVING count(*) > 1")
    assert doubled == []


def test_one_order_per_number_at_a_time(run, store_url, home, fast_sandbox):
    shown = run("inventory", "lookup", "--type", fast_sandbox, "--area-code", "415", "--quantity", "1", "--json")
    number = shown.json()[0]["number"]
    World(home / "sandbox" / "world.sqlite", complete_after=0).order([number], "a-third-party", "theirs")
    procs = [start("inventory", "order", "--type", fast_sandbox, "--numbers", number, "--yes") for _ in range(8)]
    results = finish(procs)
    placed = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] == 2]
    assert len(placed) == 1 and len(refused) == 7, results
    assert [err for _, _, err in refused if "already in inventory" not in err] == []
    assert query(store_url, "SELECT count(*) FROM orders") == [(1,)]
    polled = run("orders", "poll", "--json")
    assert polled.code == 3  # the carrier failed it: the third party holds the number
    assert query(store_url, f"SELECT count(*) FROM numbers WHERE number = '{number}'") == [(0,)]
    again = run("inventory", "order", "--type", fast_sandbox, "--numbers", number, "--yes")
    assert "already in inventory" not in again.err  # never left pending for good
