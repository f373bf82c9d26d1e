"""Everyday input: one number parser, order references in any form, --type by prefix, global
options anywhere, completion scripts, help examples, and a sandbox that sells only real numbers."""

from __future__ import annotations

import pytest

from tnorder.cli import app
from tnorder.commands.examples import EXAMPLES, attach
from tnorder.criteria import build
from tnorder.numbers import parse_numbers
from tnorder.services.order_reads import normalize_ref
from tnorder.sim.pool import Pool, fictional


@pytest.mark.parametrize(("given", "expected"), [
    (["(919) 555-0142"], ["+19195550142"]),
    (["919-555-0142, (919) 555 0143\n+1 919 555 0144"], ["+19195550142", "+19195550143", "+19195550144"]),
    (["+19195550142 +19195550143"], ["+19195550142", "+19195550143"]),
    (["9195550142;9195550142"], ["+19195550142"]),
])
def test_numbers_in_any_common_form(given, expected):
    assert parse_numbers(given) == expected


def test_order_references_in_any_form():
    assert normalize_ref("42") == normalize_ref("ORD-42") == normalize_ref("ord-000042") == "ORD-000042"
    assert normalize_ref("tn-abc") is None


def test_orders_show_by_number_and_short_ref(run, fast_sandbox):
    placed = run("inventory", "order", "--type", "FAST", "--area-code", "919", "--quantity", "1", "--all", "--yes",
                 "--json").json()
    assert placed["order_ref"] == "ORD-000001"
    for form in ("1", "ORD-1", "ord-000001", placed["key"]):
        shown = run("orders", "show", form, "--json")
        assert shown.code == 0 and shown.json()["order_ref"] == "ORD-000001", form
    assert run("orders", "show", "2").code == 2


def test_type_matches_case_insensitively_and_by_unique_prefix(run, fast_sandbox):
    assert run("inventory", "list", "--type", "fast dids").code == 0
    assert run("inventory", "list", "--type", "Fa").code == 0
    assert run("config", "inventory-type", "add", "Fax DIDs", "--account", "fast").code == 0
    ambiguous = run("inventory", "list", "--type", "fa")
    assert ambiguous.code == 2 and "Fast DIDs, Fax DIDs" in ambiguous.err
    assert run("inventory", "list", "--type", "nope").code == 2


def test_global_options_after_the_command(run, tmp_path):
    other = tmp_path / "other.db"
    assert run("orders", "list", "--json", "--db", str(other)).code == 0
    assert other.exists()
    assert run("orders", "pending", "-v").code == 0


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(run, shell):
    script = run("completion", shell)
    assert script.code == 0 and "_TNORDER_COMPLETE" in script.out


def test_every_command_has_help_examples(run):
    paths = attach(app)
    assert sorted(set(paths) - set(EXAMPLES)) == []
    shown = run("orders", "poll", "--help")
    assert "Examples" in shown.out and "tnorder orders poll --jsonl" in shown.out


def test_the_sandbox_never_offers_fictional_numbers(tmp_path):
    pool = Pool()
    offered = [n.number for n in pool.candidates(build(area_code="919"))]
    assert offered and not any(fictional(n) for n in offered)
    exchanges = [e for e in pool.exchanges if e.nxx == "555"]
    for ex in exchanges:
        numbers = [n.number for n in pool.candidates(build(npa_nxx=ex.npa + ex.nxx))]
        assert not any(fictional(n) for n in numbers)


def test_sandbox_refuses_to_order_a_fictional_number(run, fast_sandbox):
    placed = run("inventory", "order", "--type", "fast", "--numbers", "(919) 555-0142", "--yes", "--json").json()
    assert run("orders", "poll").code == 3  # the poll applied an order that failed
    shown = run("orders", "show", placed["order_ref"], "--json").json()
    assert shown["status"] == "failed" and shown["failed"][0]["number"] == "+19195550142"


def test_a_rate_center_has_one_city_zip_and_lata():
    seen: dict[tuple[str, str], tuple[str, str, str]] = {}
    for ex in Pool().exchanges:
        assert seen.setdefault((ex.state, ex.rate_center), (ex.city, ex.zip, ex.lata)) == (ex.city, ex.zip, ex.lata)
