"""Running a batch file again (issue 14, point 13): a line whose order failed is reported failed,
never "placed before"; `--retry-failed` places again only the lines whose order bought nothing,
under an attempt key derived from the line's key; runs of one file at once each report only what
they placed. Real processes against the sandbox carrier; the races through tests/lockstep.py."""

from __future__ import annotations

import json
import signal
import time
from contextlib import ExitStack

from sqlalchemy import create_engine, text

from lockstep import paused

FICTIONAL = "(919) 555-0142"  # the sandbox refuses it: its order fails once polled, buying nothing


def results(out: str) -> list[dict]:
    return [json.loads(row) for row in out.splitlines()]


def order_file(cli, path, *extra: str, timeout: float = 120):
    return cli("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes", "--json", *extra,
               timeout=timeout)


def count_orders(run) -> int:
    return len(run("orders", "list", "--json").json())


def a_real_number(run) -> str:
    found = run("inventory", "lookup", "--type", "fast", "--area-code", "704", "--quantity", "1", "--json").json()
    return found[0]["number"]


def test_a_rerun_reports_failed_lines_failed_and_retry_places_only_those(cli, run, fast_sandbox, tmp_path):
    path = tmp_path / "orders.jsonl"
    lines = [{"numbers": FICTIONAL}, {"area_code": "919", "quantity": 1},
             {"numbers": f"{a_real_number(run)},(919) 555-0143"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    first = order_file(cli, path)
    assert first.code == 0, first.err
    assert [r["result"] for r in results(first.out)] == ["placed"] * 3
    assert cli("orders", "poll").code != 0  # line 1 failed, line 3 partial
    statuses = {r["order_ref"]: run("orders", "show", r["order_ref"], "--json").json()["status"]
                for r in results(first.out)}
    assert sorted(statuses.values()) == ["complete", "failed", "partial"]

    again = order_file(cli, path)
    rerun = results(again.out)
    assert again.code == 4, again.err  # some failed (before), one placed before
    assert [r["result"] for r in rerun] == ["failed", "exists", "failed"]
    assert "0 order(s) placed, 1 placed before, 2 failed" in again.err
    assert "1 line(s) whose order failed bought nothing: run again with --retry-failed" in again.err
    assert count_orders(run) == 3

    retried = order_file(cli, path, "--retry-failed")
    placed = results(retried.out)
    assert retried.code == 4, retried.err  # line 3 (partial: numbers were bought) is not placed again
    assert [r["result"] for r in placed] == ["placed", "exists", "failed"]
    first_key = rerun[0]["key"]  # derived from the line: 38 characters, so its retry keys are cut short
    assert placed[0]["key"].startswith(first_key[:15]) and placed[0]["key"].endswith("-retry-1")
    assert len(placed[0]["key"]) == 40 and placed[0]["order_ref"] != rerun[0]["order_ref"]
    assert placed[2]["order_ref"] == rerun[2]["order_ref"]
    assert "1 again, for lines that had failed" in retried.err
    assert count_orders(run) == 4

    assert cli("orders", "poll").code == 3  # the retry fails too (the sandbox never sells that number)
    second = results(order_file(cli, path, "--retry-failed").out)
    assert second[0]["result"] == "placed" and second[0]["key"] == placed[0]["key"].replace("-retry-1", "-retry-2")
    assert count_orders(run) == 5
    plain = order_file(cli, path)  # without the flag, a line's latest attempt is what it reports
    latest = results(plain.out)[0]
    assert latest["order_ref"] == second[0]["order_ref"] and latest["result"] == "exists"  # pending: not polled yet


def never_reached(cli, run, path, lines: int) -> None:
    """Run the batch, kill it once every line is written ahead (before any is sent), let poll conclude."""
    with paused("before-send", "inventory", "order", "--type", "fast", "--from-file", str(path), "--yes") as stuck:
        deadline = time.monotonic() + 60
        while count_orders(run) < lines and time.monotonic() < deadline:  # every line written ahead
            time.sleep(0.05)
        stuck.proc.send_signal(signal.SIGKILL)
        stuck.proc.communicate(timeout=30)  # reaped: its pid is gone, so its leases are void
    assert cli("orders", "poll").code == 3
    failed = run("orders", "list", "--json").json()
    assert [o["status"] for o in failed] == ["failed"] * lines and "never reached" in failed[0]["error"]


def test_a_batch_killed_before_sending_is_failed_on_rerun_then_retried(cli, run, fast_sandbox, tmp_path):
    """The issue's case: orders concluded "never reached the carrier" (their sender died before sending).
    A plain rerun said `0 placed, 3 placed before, 0 failed`, exit 0; now they are failed (exit 3), and
    --retry-failed places them, once."""
    path = tmp_path / "orders.csv"
    path.write_text("area_code,quantity\n919,1\n704,1\n336,1\n")
    never_reached(cli, run, path, 3)

    again = cli("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes")
    assert again.code == 3, again.err
    assert "0 order(s) placed, 0 placed before, 3 failed" in again.err
    assert again.out.count("--retry-failed places it again") == 3

    retried = order_file(cli, path, "--retry-failed")
    assert retried.code == 0, retried.err
    assert [r["result"] for r in results(retried.out)] == ["placed"] * 3
    assert count_orders(run) == 6
    assert cli("orders", "poll").code == 0
    once_more = order_file(cli, path, "--retry-failed")
    assert once_more.code == 0 and {r["result"] for r in results(once_more.out)} == {"exists"}
    assert count_orders(run) == 6  # nothing placed twice


def test_four_runs_of_one_file_at_once_each_report_only_their_own(cli, run, store_url, fast_sandbox, tmp_path):
    """All four decide "not placed yet" (paused after the friendly check); the write-ahead's key check
    under the lock decides who places each order, and each run reports what happened to it."""
    path = tmp_path / "orders.csv"
    npas = ("919", "704", "336", "828", "910")
    path.write_text("area_code,quantity\n" + "".join(f"{npas[i % 5]},1\n" for i in range(20)))
    args = ("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes", "--json")
    with ExitStack() as stack:
        runs = [stack.enter_context(paused("batch-decided", *args)) for _ in range(4)]
        for each in runs:
            each.release()
        done = [each.result() for each in runs]
    placed_by: dict[str, int] = {}
    for number, (code, out, err) in enumerate(done):
        assert code == 0, err
        rows = results(out)
        assert len(rows) == 20 and {r["result"] for r in rows} <= {"placed", "exists"}
        mine = [r["order_ref"] for r in rows if r["result"] == "placed"]
        assert f"{len(mine)} order(s) placed, {20 - len(mine)} placed before" in err, err
        for ref in mine:
            assert ref not in placed_by, f"{ref} reported placed by runs {placed_by[ref]} and {number}"
            placed_by[ref] = number
    assert len(placed_by) == 20  # each order placed by exactly one run
    assert count_orders(run) == 20


def _failed_line(cli, tmp_path):
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps({"numbers": FICTIONAL}) + "\n")
    assert order_file(cli, path).code == 0
    assert cli("orders", "poll").code == 3
    return path


def test_two_retries_at_once_place_one_order(cli, run, store_url, fast_sandbox, tmp_path):
    path = _failed_line(cli, tmp_path)
    args = ("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes", "--json", "--retry-failed")
    with paused("batch-decided", *args) as first, paused("batch-decided", *args) as second:
        first.release()
        second.release()
        done = [first.result(), second.result()]
    outcomes = sorted(results(out)[0]["result"] for _, out, _ in done)
    assert outcomes == ["exists", "placed"], done
    assert any("1 by another run" in err for _, _, err in done), done
    assert count_orders(run) == 2  # the failed order and one retry


def test_a_retry_decides_again_under_the_write_lock(cli, run, store_url, fast_sandbox, tmp_path):
    """Decided "bought nothing", then the order it replaces turns out to have bought a number (as a poll
    reopening it would record): the retry is refused, nothing placed."""
    path = _failed_line(cli, tmp_path)
    args = ("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes", "--retry-failed")
    with paused("batch-decided", *args) as retry:
        engine = create_engine(store_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE order_items SET status = 'complete' WHERE order_id = "
                              "(SELECT id FROM orders WHERE ref = 'ORD-000001')"))
        engine.dispose()
        code, out, err = retry.result()
    assert code == 3, (out, err)
    assert "ORD-000001 changed since this run read it" in out
    assert count_orders(run) == 1


def test_add_dids_from_file_retries_what_bought_nothing(cli, run, fast_sandbox, tmp_path):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "sales").code == 0
    path = tmp_path / "dids.jsonl"
    path.write_text(json.dumps({"numbers": FICTIONAL, "key": "acme-1"}) + "\n")
    args = ("customer", "add-dids", "ACME", "--line", "sales", "--type", "fast", "--from-file", str(path), "--yes",
            "--json")
    assert cli(*args).code == 0
    assert cli("orders", "poll").code == 3
    again = cli(*args)
    assert again.code == 3 and results(again.out)[0]["result"] == "failed", again.err
    retried = cli(*args, "--retry-failed")
    assert retried.code == 0, retried.err
    placed = results(retried.out)[0]
    assert (placed["result"], placed["key"], placed["customer"], placed["line"]) == (
        "placed", "acme-1-retry-1", "ACME", "sales")


def test_retry_failed_goes_with_from_file(run, fast_sandbox):
    refused = run("inventory", "order", "--type", "fast", "--area-code", "919", "--all", "--yes", "--retry-failed")
    assert refused.code == 2 and "--retry-failed goes with --from-file" in refused.err
    assert run("orders", "list", "--json").json() == []


def test_no_retry_while_the_carrier_holds_the_failed_order_after_all(cli, run, fast_sandbox, tmp_path):
    """Concluded "never reached", yet the carrier has an order under its key (a stalled sender's): the
    retry asks the carrier by key first, and places nothing."""
    path = tmp_path / "orders.csv"
    path.write_text("area_code,quantity,key\n919,1,late-1\n")
    never_reached(cli, run, path, 1)
    other_store = tmp_path / "elsewhere.db"  # the same sandbox carrier, another store: the key is free there
    late = run("--db", str(other_store), "inventory", "order", "--type", "fast", "--area-code", "919", "--quantity",
               "1", "--all", "--yes", "--key", "late-1")
    assert late.code == 0, late.err
    retried = cli("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes", "--retry-failed")
    assert retried.code == 3, retried.err
    assert "0 order(s) placed" in retried.err and "--retry-failed places it again" not in retried.out
    assert "the carrier has an order under its key after all" in retried.out
    assert count_orders(run) == 1  # nothing placed again
