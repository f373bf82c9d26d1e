"""Poll claims are tied to a live process: a poller killed with kill -9 blocks no other poller, and a
poller waiting on another live one's claims says so (issue 14 point 8). SQLite and PostgreSQL."""

from __future__ import annotations

from lockstep import paused


def place(run, inventory_type: str) -> str:
    placed = run("inventory", "order", "--type", inventory_type, "--area-code", "704", "--quantity", "1", "--all",
                 "--yes", "--json")
    assert placed.code == 0 and placed.json()["status"] == "pending", placed.err
    return placed.json()["order_ref"]


def test_a_poller_killed_holding_claims_blocks_no_other_poller(run, cli, store_url, fast_sandbox):
    refs = [place(run, fast_sandbox) for _ in range(3)]
    with paused("poll-claimed", "orders", "poll") as first:  # it has claimed all three
        first.proc.kill()
        first.proc.wait()
    polled = cli("orders", "poll", "--wait", "--timeout", "30", "--json")
    assert polled.code == 0, polled.err
    assert sorted((o["order_ref"], o["status"]) for o in polled.json()) == [(ref, "complete") for ref in refs]
    assert "another poller" not in polled.err
    assert run("orders", "pending", "--json").json() == []


def test_a_poller_waiting_on_a_live_pollers_claims_says_so(run, cli, store_url, fast_sandbox):
    refs = [place(run, fast_sandbox) for _ in range(2)]
    with paused("poll-claimed", "orders", "poll", "--json") as first:
        waited = cli("orders", "poll", "--wait", "--timeout", "1", "--json")
        assert waited.code == 5 and waited.json() == [], waited.err
        assert "waiting for another poller" in waited.err and f":{first.proc.pid}" in waited.err
        assert waited.err.count("another poller") == 1  # said once, not on every round
        quiet = cli("orders", "poll")  # a cron run leaves them to it, quietly
        assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    code, out, err = first.result()
    assert code == 0, err
    assert run("orders", "pending", "--json").json() == []
    assert all(ref in out for ref in refs)
