"""What the human output says about orders that did not simply complete: why, for each number."""

from __future__ import annotations

import signal

from lockstep import paused


def test_a_partial_order_shows_each_failed_numbers_reason(run, fast_sandbox):
    """9195550142 is fictional (555-01xx): the sandbox never sells it."""
    assert run("inventory", "order", "--type", "fast", "--numbers", "9195550142,9195551234", "--yes").code == 0
    assert run("orders", "poll").code == 4
    shown = run("orders", "show", "ORD-000001")
    assert shown.code == 4
    first, *rest = shown.out.splitlines()
    assert first.startswith("ORD-000001 partial: 1 of 2 numbers from fast into 'Fast DIDs'; 1 failed")
    assert "(5005 The telephone number is unavailable for ordering)" in first
    assert "  +19195550142 failed: 5005 The telephone number is unavailable for ordering" in rest
    assert "  " not in shown.out.replace("\n  ", "\n")  # no gap where something is missing


def test_a_failed_order_shows_why(cli, run, fast_sandbox):
    """The issue's `orders show 122`: an order whose sender died before sending, concluded by poll."""
    with paused("before-send", "inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "2",
                "--all", "--yes") as stuck:
        stuck.proc.send_signal(signal.SIGKILL)
        stuck.proc.communicate(timeout=30)  # reaped: its pid is gone, so its lease is void
    assert cli("orders", "poll").code == 3
    doc = run("orders", "show", "ORD-000001", "--json").json()
    assert doc["status"] == "failed" and doc["error"] == "the order never reached the carrier"
    shown = run("orders", "show", "ORD-000001")
    assert shown.code == 3
    first = shown.out.splitlines()[0]
    assert first.startswith("ORD-000001 failed: 0 of 2 numbers from fast into 'Fast DIDs'")
    assert first.endswith("(the order never reached the carrier)")
    for failed in doc["failed"]:
        assert f"failed: {failed['reason']}" in shown.out or f"failed: {failed['code']} {failed['reason']}" \
            in shown.out
    assert "  " not in shown.out.replace("\n  ", "\n")


def test_an_unknown_outcome_is_not_called_pending_at_the_carrier(run, fast_sandbox, monkeypatch):
    from tnorder.carriers.sandbox import SandboxCarrier

    def lost(self, numbers, key, reservations=None):
        raise RuntimeError("the connection dropped after the request left")

    monkeypatch.setattr(SandboxCarrier, "order", lost)
    placed = run("inventory", "order", "--type", "fast", "--numbers", "9195551234", "--yes")
    assert placed.code == 5, placed.err
    assert "outcome unknown" in placed.err and "pending at" not in placed.err
    shown = run("orders", "show", "ORD-000001")
    assert shown.code == 0
    assert "outcome unknown until fast answers" in shown.err and "pending at" not in shown.err
    assert "orders poll" in shown.err


def test_a_pending_order_is_said_pending_at_its_carrier(run):
    placed = run("config", "carrier", "add", "later", "--kind", "sandbox", "--option", "complete_after=3600")
    assert placed.code == 0
    assert run("config", "account", "add", "later", "--carrier", "later").code == 0
    assert run("config", "inventory-type", "add", "Later DIDs", "--account", "later").code == 0
    assert run("inventory", "order", "--type", "later", "--numbers", "9195551234", "--yes").code == 0
    shown = run("orders", "show", "ORD-000001")
    assert "Order ORD-000001 is pending at later" in shown.err and "outcome unknown" not in shown.err
