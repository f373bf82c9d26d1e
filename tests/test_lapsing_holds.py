"""Holds that lapse instead of being released (issue 15: Telnyx cannot cancel a reservation).

The carrier is `lapsing_carrier.LapsingSandbox`: the sandbox's world, with `releases=False` and
`extends=True`, a 30-minute hold that `extend` pushes back by 30 minutes, and a `release` that
raises. Nothing here reads the wall clock's time of day: expiries are the carrier's own, and the
moments a test needs ("4 minutes before the hold lapses") are given to the code as `now`.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pexpect
import pytest

import forkserver
import lapsing_carrier
from lapsing_carrier import HOLD, LapsingSandbox
from tnorder.clock import iso, utcnow

TYPE = "Lapsing DIDs"
LOOKUP = ("--type", TYPE, "--area-code", "919", "--quantity", "5")


@pytest.fixture(autouse=True)
def fresh_carrier():
    LapsingSandbox.calls.clear()
    LapsingSandbox.expiries.clear()
    LapsingSandbox.fail_extend = None
    LapsingSandbox.granted_at = None


@pytest.fixture
def lapsing(run, monkeypatch) -> str:
    """The test-only kind registered in this process (as an installed plugin is), configured."""
    import tnorder.carriers

    listed = tnorder.carriers.installed
    monkeypatch.setattr(tnorder.carriers, "installed", lambda: listed() | {"lapsing": lapsing_carrier.EntryPoint()})
    for args in (("config", "carrier", "add", "lp", "--kind", "lapsing", "--option", "complete_after=0"),
                 ("config", "account", "add", "lp", "--carrier", "lp"),
                 ("config", "inventory-type", "add", TYPE, "--account", "lp")):
        assert run(*args).code == 0
    return TYPE


def rows(home: Path) -> list[tuple]:
    with sqlite3.connect(home / "tnorder.db") as db:
        return db.execute("SELECT number, status, owner, hold_until FROM reservations ORDER BY id").fetchall()


def stored(row: tuple) -> datetime:
    """A row's hold_until as the moment it is (the store keeps UTC without its zone)."""
    return datetime.fromisoformat(row[3]).replace(tzinfo=UTC)


def called(method: str) -> list[tuple[str, ...]]:
    return [numbers for name, numbers in LapsingSandbox.calls if name == method]


def at(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def test_select_then_order_2_of_5_keeps_3_lapsing_holds_with_their_expiry(run, lapsing, home):
    placed = run("inventory", "order", *LOOKUP, "--pick", "2,4", "--yes", "--json")
    assert placed.code == 0, placed.err
    reserved = [numbers[0] for numbers in called("reserve")]
    assert len(reserved) == 5 and called("release") == []
    assert set(placed.json()["numbers"]) == {reserved[1], reserved[3]}
    kept = [reserved[i] for i in (0, 2, 4)]
    until = LapsingSandbox.expiries[kept[0]]
    said = [line for line in placed.err.splitlines() if line.startswith("not ordered:")]
    assert said == [f"not ordered: 3 number(s) stay held at lp until {at(until)} UTC ({', '.join(kept)}); "
                    "lp cannot release a reservation: the hold lapses by itself then"]
    assert "released" not in placed.err
    shown = run("inventory", "reservations", "--json").json()
    assert [(r["number"], r["status"], r["in_use"], r["owner"]) for r in shown] == [
        (n, "lapsing", False, None) for n in kept]
    assert [r["hold_until"] for r in shown] == [iso(LapsingSandbox.expiries[n]) for n in kept]
    table = run("inventory", "reservations")
    assert table.code == 0 and table.out.count("lapsing") == 3 and iso(until)[11:16] in table.out
    # read to the minute like every other time a person reads (`Since`), not as the document's ISO text
    assert f"{iso(until)[:10]} {iso(until)[11:16]}" in table.out and iso(until) not in table.out


def test_poll_keeps_a_lapsing_hold_until_it_lapses_and_never_releases_it(run, lapsing, home):
    from tnorder.services import reservations
    from tnorder.services.context import Context

    assert run("inventory", "order", *LOOKUP, "--pick", "1", "--yes").code == 0
    until = max(LapsingSandbox.expiries.values())
    for args in (("orders", "poll"), ("inventory", "reservations", "--release")):
        polled = run(*args)
        assert polled.code == 0, (args, polled.err)  # nothing is wrong: it lapses by itself
        assert f"4 number(s) stay held at lp until {at(until)} UTC" in polled.err, polled.err
        assert "lapses by itself" in polled.err and "warning" not in polled.err
        assert len(rows(home)) == 4
    ctx = Context()
    early = reservations.release_stale(ctx, now=until - timedelta(seconds=1))
    assert len(early.lapsing) == 4 and early.released == [] and len(rows(home)) == 4
    late = reservations.release_stale(ctx, now=until + timedelta(seconds=1))
    assert late.lapsing == [] and late.released == [] and rows(home) == []
    ctx.close()
    assert called("release") == [] and called("find_reservation") == []  # a lapsing row needs no carrier
    assert run("orders", "poll").code == 0 and run("inventory", "reservations", "--json").json() == []


@pytest.fixture
def selection(run, lapsing):
    """A Selection of 5 held numbers on the lapsing carrier (the service, without a prompt)."""
    from tnorder.criteria import Criteria
    from tnorder.services import ordering
    from tnorder.services.context import Context

    ctx = Context()
    said: list[str] = []
    plan = ordering.plan(ctx, inventory_type=TYPE, criteria=Criteria(area_code="919"), quantity=5)
    sel = ordering.Selection(ctx, plan, notify=said.append)
    sel.said = said
    with sel:
        yield sel
    ctx.close()


def test_a_hold_is_extended_only_when_it_nears_its_expiry(selection, home):
    first = min(LapsingSandbox.expiries.values())
    assert selection.extend_due(now=first - timedelta(minutes=6)) == []  # 6 min left: not yet
    assert called("extend") == []
    extended = selection.extend_due(now=first - timedelta(minutes=4))
    assert len(extended) == 5 and called("extend") == [(n,) for n in extended]
    assert all(r.expires_at == first + HOLD for r in selection.reservations.values())
    assert {stored(row) for row in rows(home)} == {first + HOLD}
    assert selection.said == [f"extended the hold on 5 number(s) at lp until {at(first + HOLD)} UTC"]
    assert selection.extend_due(now=first - timedelta(minutes=3)) == []  # pushed back: not due again


def test_a_failing_extend_is_said_once_and_is_not_fatal(selection, home):
    from tnorder.carriers.base import AvailableNumber

    LapsingSandbox.fail_extend = "reservation cannot be extended"
    first = min(LapsingSandbox.expiries.values())
    for minutes in (4, 3):
        assert selection.extend_due(now=first - timedelta(minutes=minutes)) == []
    assert len(called("extend")) == 10  # tried again at the next tick while the hold lasts
    [line] = selection.said
    assert line.startswith("could not extend the hold on +1") and "reservation cannot be extended" in line
    assert line.endswith(f"it lapses at {at(first)} UTC unless ordered before")
    assert {stored(row) for row in rows(home)} == {first}  # its old expiry
    chosen = selection.results[0]
    assert selection.order([AvailableNumber(chosen.number)]).status in ("pending", "complete")


def test_the_margin_is_five_minutes_or_a_third_of_a_short_hold():
    from tnorder.services.ordering import extend_margin

    assert extend_margin(timedelta(minutes=30)) == timedelta(minutes=5)
    assert extend_margin(timedelta(hours=4)) == timedelta(minutes=5)
    assert extend_margin(timedelta(minutes=6)) == timedelta(minutes=2)


def test_the_extend_tick_runs_while_the_operator_chooses(run, lapsing, home, monkeypatch):
    """In the selection's own thread: the clock (the service's, injected) moved to 4 minutes before
    the holds lapse; the extends come from that thread and are recorded."""
    from tnorder.criteria import Criteria
    from tnorder.services import ordering
    from tnorder.services.context import Context

    extended = threading.Event()
    monkeypatch.setattr(ordering, "EXTEND_EVERY", 0.05)
    ctx = Context()
    said: list[str] = []
    plan = ordering.plan(ctx, inventory_type=TYPE, criteria=Criteria(area_code="919"), quantity=2)
    sel = ordering.Selection(ctx, plan, notify=lambda text: (said.append(text), extended.set()))
    with sel:
        first = min(LapsingSandbox.expiries.values())
        monkeypatch.setattr(ordering, "utcnow", lambda: first - timedelta(minutes=4))
        assert extended.wait(10), "no extend from the selection's thread"
        assert said == [f"extended the hold on 2 number(s) at lp until {at(first + HOLD)} UTC"]
    monkeypatch.setattr(ordering, "utcnow", utcnow)
    ctx.close()
    assert len(called("extend")) == 2 and called("release") == []
    assert [row[1] for row in rows(home)] == ["lapsing", "lapsing"]
    assert {stored(row) for row in rows(home)} == {first + HOLD}


def test_a_lost_reserve_answer_is_found_again_and_kept_as_lapsing(run, lapsing, home, monkeypatch):
    from tnorder.errors import CarrierUnreachable

    granted = LapsingSandbox.reserve

    def lost(self, numbers):
        held = granted(self, numbers)
        if len(called("reserve")) == 2:
            raise CarrierUnreachable(self.name, "POST /number_reservations did not complete: ReadTimeout")
        return held

    monkeypatch.setattr(LapsingSandbox, "reserve", lost)
    placed = run("inventory", "order", *LOOKUP, "--pick", "1", "--yes")
    assert placed.code == 3 and "may have been granted" in placed.err, placed.err
    assert "lp cannot release a reservation" in placed.err and "released" not in placed.err
    first, second = (numbers[0] for numbers in called("reserve"))
    assert [(r[0], r[1]) for r in rows(home)] == [(first, "lapsing"), (second, "requesting")]
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert called("find_reservation") == [(second,)] and called("release") == []
    [found] = [r for r in run("inventory", "reservations", "--json").json() if r["number"] == second]
    assert found["status"] == "lapsing" and found["hold_until"] == iso(LapsingSandbox.expiries[second])
    assert found["reservation_id"]


def test_a_killed_selection_leaves_holds_that_poll_keeps_as_lapsing(run, lapsing, home):
    """Held rows whose process is gone (kill -9 at the prompt): kept until their expiry, not released."""
    from sqlalchemy import text

    from tnorder.services import reservations
    from tnorder.services.context import Context

    [shown] = run("inventory", "lookup", "--type", TYPE, "--area-code", "919", "--quantity", "1", "--json").json()
    ctx = Context()
    carrier = ctx.carrier("lp")
    row = reservations.ask(ctx, carrier, "lp", shown["number"])
    reservations.granted(ctx, row, carrier, "lp", carrier.reserve([shown["number"]]))
    with ctx.store.begin() as conn:
        conn.execute(text("UPDATE reservations SET owner = 'gone:1', lease_until = '2000-01-01 00:00:00'"))
    out = reservations.release_stale(ctx)
    until = LapsingSandbox.expiries[shown["number"]]
    assert out.lapsing == [(shown["number"], "lp", until.replace(tzinfo=None))] and out.failed == []
    [kept] = rows(home)
    assert kept[:3] == (shown["number"], "lapsing", None) and stored(kept) == until
    ctx.close()
    assert called("release") == []


def test_a_store_that_cannot_record_a_grant_says_the_hold_lapses(run, lapsing, home, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from tnorder.services import reservations

    def locked(*_args):
        raise OperationalError("UPDATE reservations", {}, Exception("database is locked"))

    monkeypatch.setattr(reservations, "_record_grant", locked)
    placed = run("inventory", "order", *LOOKUP, "--pick", "1", "--yes")
    assert placed.code == 10, placed.err
    assert "lp cannot release a reservation: it lapses at" in placed.err and "nothing was ordered" in placed.err
    assert called("release") == []


# -- numbers refused at reserve time: said, for every carrier ------------------------------------------

def take_after_lookup(monkeypatch, home: Path, which: tuple[int, ...]) -> list[str]:
    """The sandbox's lookup answers, then another account takes some of its numbers at once."""
    from tnorder.carriers.sandbox import SandboxCarrier

    searched = SandboxCarrier.search
    taken: list[str] = []

    def then_taken(self, criteria, quantity):
        found = searched(self, criteria, quantity)
        for i in which:
            self.world.reserve(found[i].number, "someone-else")
            taken.append(found[i].number)
        return found

    monkeypatch.setattr(SandboxCarrier, "search", then_taken)
    return taken


def test_numbers_refused_at_reserve_are_said_at_the_sandbox(run, fast_sandbox, home, monkeypatch):
    taken = take_after_lookup(monkeypatch, home, (1, 3))
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "919", "--quantity", "5",
                 "--pick", "1", "--yes", "--json")
    assert placed.code == 0, placed.err
    assert (f"not offered: 2 number(s) the carrier refused to hold (taken since the lookup): {taken[0]}, "
            f"{taken[1]}") in placed.err
    assert placed.json()["not_offered"] == taken
    assert not set(placed.json()["numbers"]) & set(taken)
    assert "released 2 number(s)" in placed.err  # the other three offered: one ordered, two released


def test_all_refused_is_nothing_to_order(run, fast_sandbox, home, monkeypatch):
    taken = take_after_lookup(monkeypatch, home, (0, 1))
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "919", "--quantity", "2",
                 "--pick", "1", "--yes", "--json")
    assert placed.code == 9, placed.err
    assert "that the carrier would hold: nothing ordered" in placed.err
    assert placed.json()["status"] == "nothing-ordered" and placed.json()["not_offered"] == taken


def test_numbers_refused_at_reserve_are_said_at_bandwidth(run, httpx_mock, monkeypatch, home):
    import httpx

    from test_exactly_once import TYPE as BW_TYPE
    from test_exactly_once import FakeBandwidth

    class TakingBandwidth(FakeBandwidth):
        def _reserve(self, request: httpx.Request) -> httpx.Response:
            if b"9195550143" in request.content:
                return httpx.Response(400, text="<ReservationResponse><ResponseStatus><ErrorCode>5041</ErrorCode>"
                                                "<Description>Reservation failed: telephone number 9195550143 is "
                                                "not available.</Description></ResponseStatus></ReservationResponse>")
            return super()._reserve(request)

    bandwidth = TakingBandwidth()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "rate_limit_wait=0"),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", BW_TYPE, "--account", "bw")):
        assert run(*args).code == 0
    placed = run("inventory", "order", "--type", BW_TYPE, "--area-code", "919", "--quantity", "4", "--pick", "1",
                 "--yes", "--json")
    assert placed.code == 0, placed.err
    assert "not offered: 1 number(s) the carrier refused to hold (taken since the lookup): +19195550143" in placed.err
    assert placed.json()["not_offered"] == ["+19195550143"]
    assert sorted(bandwidth.deletes()) == ["rid-2", "rid-3"]  # Bandwidth releases: the two not ordered


# -- the contract's boundary ------------------------------------------------------------------------------

def test_checked_extend_takes_only_the_reservations_asked_with_aware_expiries(home):
    from tnorder.carriers.base import Reservation
    from tnorder.carriers.validate import CarrierAnswerUnknown, CheckedCarrier

    asked = [Reservation("r-1", "+19195550142", datetime(2026, 11, 15, 14, 0, tzinfo=UTC))]
    later = datetime(2026, 11, 15, 14, 30, tzinfo=UTC)

    class Answering:
        name = "lp"

        def __init__(self, answer):
            self.answer = answer

        def extend(self, _reservations):
            return self.answer

        def reserve(self, _numbers):
            return self.answer

    good = [Reservation("r-1", "+19195550142", later)]
    assert CheckedCarrier(Answering(good)).extend(asked) == good
    assert CheckedCarrier(Answering([Reservation("r-1", "+19195550142")])).extend(asked)[0].expires_at is None
    for bad in ([Reservation("r-2", "+19195550142", later)], [], good + good, "r-1",
                [Reservation("r-1", "+19195550143", later)],
                [Reservation("r-1", "+19195550142", later.replace(tzinfo=None))],
                [Reservation("r-1", "+19195550142", "14:30")]):  # type: ignore[arg-type]
        with pytest.raises(CarrierAnswerUnknown):
            CheckedCarrier(Answering(bad)).extend(asked)
    with pytest.raises(CarrierAnswerUnknown, match="time zone"):
        CheckedCarrier(Answering([Reservation("r-1", "+19195550142", later.replace(tzinfo=None))])).reserve(
            ["+19195550142"])


def test_existing_carriers_keep_releasing_and_do_not_extend(home):
    from tnorder.carriers.bandwidth import BandwidthCarrier
    from tnorder.carriers.sandbox import SandboxCarrier

    for kind in (SandboxCarrier, BandwidthCarrier):
        assert kind.capabilities.releases and not kind.capabilities.extends


def test_a_hold_whose_number_was_bought_while_poll_decided_is_dropped_not_kept(run, lapsing, home, tmp_path,
                                                                             store_url):
    """`orders poll` listed a lapsing hold; its number was bought (an order applied) before the poll
    decided, and the write lock was held from another process at that point: whether the number is
    the account's is read again in the transaction that drops or keeps the row."""
    from lockstep import holding_write_lock, paused
    from tnorder.carriers.base import AvailableNumber
    from tnorder.services import lifecycle
    from tnorder.services.context import Context

    assert run("inventory", "order", *LOOKUP, "--pick", "1", "--yes").code == 0
    kept = [r["number"] for r in run("inventory", "reservations", "--json").json()]
    assert len(kept) == 4
    path = os.pathsep.join([str(lapsing_carrier.plugin_dir(tmp_path / "plugin")), str(Path(__file__).parent)])
    with paused("reservations-listed", "orders", "poll", env={"PYTHONPATH": path}) as poller:
        ctx = Context()
        try:
            with ctx.store.write() as s:  # bought meanwhile: in the account's inventory, pending no more
                lifecycle.add(s, [AvailableNumber(kept[0])], status="available", inventory_type=TYPE, carrier="lp",
                              account="lp", ref=None, actor="tester", event="imported", note="bought meanwhile")
        finally:
            ctx.close()
        with holding_write_lock(store_url, 1.0):
            poller.release()
            code, _, err = poller.result()
    assert code == 0, err
    shown = run("inventory", "reservations", "--json").json()
    assert [r["number"] for r in shown] == kept[1:] and {r["status"] for r in shown} == {"lapsing"}
    assert called("release") == []


# -- Ctrl-C and SIGTERM at a real prompt, the plugin registered through entry points ---------------------

def plugin_env(tmp_path: Path) -> dict[str, str]:
    tests = str(Path(__file__).parent)
    path = os.pathsep.join([str(lapsing_carrier.plugin_dir(tmp_path / "plugin")), tests])
    return dict(os.environ, COLUMNS="120", TERM="dumb", PYTHONPATH=path, LAPSING_CALLS=str(tmp_path / "calls.log"))


def spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    return forkserver.spawn(*args, env=plugin_env(tmp_path), encoding="utf-8",
                         timeout=30, dimensions=(50, 120))


def test_esc_at_the_selection_screen_orders_nothing_and_says_the_holds_lapse(run, lapsing, home, tmp_path):
    from test_select_screen import ESC, Screen

    s = Screen(("inventory", "order", *LOOKUP, "--select"), (40, 120), env=plugin_env(tmp_path))
    s.shows(r"held for you until (\d\d:\d\d) UTC, \d+ min left; extended while you choose")
    until = re.search(r"held for you until (\d\d:\d\d)", s.text())[1]
    s.shows("lp cannot release a reservation: numbers not ordered are not released, their holds lapse")
    s.press("a", "5 ticked to order")
    s.child.send(ESC)
    s.says("interrupted: nothing ordered; 5 hold\\(s\\) at lp lapse by themselves")
    assert s.finish() == 130
    said = re.sub(r"\s+", " ", s.plain())
    assert f"not ordered: 5 number(s) stay held at lp until {until} UTC" in said
    log = (tmp_path / "calls.log").read_text().splitlines()
    assert [line.split()[0] for line in log] == ["reserve"] * 5  # no release, no order
    assert run("orders", "list", "--json").json() == [] and run("inventory", "list", "--json").json() == []
    shown = run("inventory", "reservations", "--json").json()
    assert [r["status"] for r in shown] == ["lapsing"] * 5


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_at_the_prompt_orders_nothing_and_lists_every_hold(run, lapsing, home, tmp_path, signum, code):
    child = spawn(tmp_path, "inventory", "order", *LOOKUP, "--select")
    child.expect(r"held for you until (\d\d:\d\d) UTC, (\d+) min left; extended while you choose\)")
    shown_until, left = child.match.group(1), int(child.match.group(2))
    assert 28 <= left <= 30
    said = "lp cannot release a reservation: numbers not ordered are not released, their holds lapse"
    child.expect(r"\s+".join(map(re.escape, said.split(" "))))  # a message wraps between words on a terminal
    child.expect(r"Order which numbers\?")
    if signum == signal.SIGINT:
        child.sendintr()
    else:
        child.kill(signum)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == code, child.before
    said = re.sub(r"\s+", " ", child.before)
    log = (tmp_path / "calls.log").read_text().splitlines()
    held = [line.split()[1] for line in log if line.startswith("reserve ")]
    assert [line.split()[0] for line in log] == ["reserve"] * 5  # no release, nothing else
    assert f"not ordered: 5 number(s) stay held at lp until {shown_until} UTC ({', '.join(held)})" in said
    assert "the hold lapses by itself then" in said and "released" not in said
    assert "interrupted: nothing ordered; 5 hold(s) at lp lapse by themselves" in said
    assert run("orders", "list", "--json").json() == [] and run("inventory", "list", "--json").json() == []
    shown = run("inventory", "reservations", "--json").json()
    assert [(r["number"], r["status"]) for r in shown] == [(n, "lapsing") for n in held]
    assert {r["hold_until"][11:16] for r in shown} == {shown_until}


def test_time_at_the_prompt_does_not_count_against_the_commands_carrier_time(monkeypatch):
    """An operator may choose for longer than TNORDER_COMMAND_TIMEOUT while holds are extended; the
    extends meanwhile, and the order after, still have the time the command had left."""
    from tnorder import deadline

    clock = [100.0]
    monkeypatch.setattr(deadline, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setenv("TNORDER_COMMAND_TIMEOUT", "60")
    monkeypatch.setattr(deadline, "_started", None)
    deadline.start()
    clock[0] = 110.0  # 10 s of carrier traffic: 50 s left
    with deadline.waiting():
        clock[0] = 110.0 + 1800  # half an hour at the prompt
        assert deadline.command_deadline() - clock[0] == 50.0  # an extend now has the 50 s
    clock[0] += 20
    assert deadline.command_deadline() - clock[0] == 30.0
