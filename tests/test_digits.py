"""One digit rule (issue 14, point 19): a count, a seconds value or an order reference is written in
ASCII digits 0-9, on the command line and in batch files alike. Python's `int()` reads `1_0` as 10
and `١` or `３` as 1 or 3; tnorder refuses them (exit 2, one line) before any store or carrier is
touched."""

from __future__ import annotations

import json

import pytest

from tnorder.services.order_reads import normalize_ref


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("args", [
    ("inventory", "order", "--area-code", "919", "--quantity", "1_0", "--all", "--yes"),
    ("inventory", "order", "--area-code", "919", "--quantity=1_0", "--all", "--yes"),
    ("inventory", "order", "--area-code", "919", "-q1_0", "--all", "--yes"),
    ("inventory", "order", "--area-code", "919", "--quantity", "+5", "--all", "--yes"),
    ("inventory", "order", "--area-code", "919", "--quantity", "١", "--all", "--yes"),
    ("inventory", "list", "--limit", "1_000"),
    ("orders", "poll", "--wait", "--timeout", "1_0"),
    ("orders", "poll", "--wait", "--timeout", "1e1"),
])
def test_command_line_counts_take_ascii_digits_only(run, args):
    result = run(*args)
    assert result.code == 2, (result.code, result.err)
    assert "ASCII digits" in _one_line(result.err), result.err
    assert run("orders", "list", "--json").json() == []  # nothing was ordered


def test_a_real_process_refuses_an_underscored_quantity(cli):
    result = cli("inventory", "order", "--area-code", "919", "--quantity", "1_0", "--all", "--yes")
    assert result.code == 2 and "--quantity '1_0'" in _one_line(result.err), result.err
    assert cli("orders", "list", "--json").out.strip() == "[]"


def test_plain_digits_still_count(run, fast_sandbox):
    placed = run("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", " 2", "--all",
                 "--yes", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["quantity"] == 2
    assert run("orders", "poll", "--wait", "--timeout", "1.5").code == 0


@pytest.mark.parametrize("quantity", ["١", "1_2", "+1", "-1", "１"])
@pytest.mark.parametrize("form", ["csv", "json"])
def test_batch_quantities_take_ascii_digits_only(run, fast_sandbox, tmp_path, quantity, form):
    path = tmp_path / f"orders.{form}"
    if form == "csv":
        path.write_text(f'area_code,quantity\n919,"{quantity}"\n', encoding="utf-8")
    else:
        path.write_text(json.dumps({"area_code": "919", "quantity": quantity}) + "\n", encoding="utf-8")
    result = run("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes")
    assert result.code == 2, (result.code, result.out, result.err)
    line = 2 if form == "csv" else 1
    assert f"line {line}: quantity must be" in _one_line(result.err), result.err
    assert result.out == ""
    assert run("orders", "list", "--json").json() == []


def test_batch_quantity_as_a_json_number_still_counts(run, fast_sandbox, tmp_path):
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps({"area_code": "919", "quantity": 2}) + "\n")
    placed = run("inventory", "order", "--type", "fast", "--from-file", str(path), "--yes", "--json")
    assert placed.code == 0, placed.err
    assert json.loads(placed.out)["quantity"] == 2


@pytest.mark.parametrize("ref", ["３", "٤٢", "ORD-٤٢", "1_0", "+1", "-1"])
def test_order_references_take_ascii_digits_only(ref):
    assert normalize_ref(ref) is None


def test_orders_show_refuses_a_non_ascii_reference(run, fast_sandbox):
    for _ in range(3):
        assert run("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "1", "--all",
                   "--yes").code == 0
    assert run("orders", "show", "3", "--json").json()["order_ref"] == "ORD-000003"
    shown = run("orders", "show", "３")
    assert shown.code == 2 and "no order" in _one_line(shown.err), shown.err


@pytest.mark.parametrize("value", ["complete_after=1_0", "complete_after=١", "complete_after=1e1", "seed=+5",
                                   "seed=1_2", "complete_after=٣.٥"])
def test_carrier_options_follow_the_one_digit_rule(run, value):
    """`--option complete_after=1_0` was read as 10 by Python's own float()."""
    result = run("config", "carrier", "add", "odd", "--kind", "sandbox", "--option", value)
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert "odd" not in run("config", "carrier", "list").out


@pytest.mark.parametrize("value", ["complete_after=0", "complete_after=2.5", "complete_after=.5", "seed=42"])
def test_carrier_options_in_plain_digits_still_count(run, value):
    assert run("config", "carrier", "add", "fine", "--kind", "sandbox", "--option", value).code == 0
