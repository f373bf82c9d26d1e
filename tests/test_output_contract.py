"""The output contract (README, "Output for scripts"): every command with --json prints one JSON
document with the same key names everywhere; --jsonl prints one object per line and nothing on a
quiet run; times are ISO-8601 UTC to the second; absent values are null, never missing."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tnorder.cli import app
from tnorder.commands.examples import attach

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
E164 = re.compile(r"\+1\d{10}")
ORDER_KEYS = {"order_ref", "kind", "method", "status", "carrier", "account", "inventory_type", "customer", "line",
              "criteria", "quantity", "key", "carrier_order_id", "numbers", "completed", "failed", "conflicts", "error",
              "actor", "created_at", "updated_at"}
NUMBER_KEYS = {"number", "status", "inventory_type", "carrier", "account", "customer", "line", "rate_center",
               "city", "state", "lata", "zip", "order_ref", "created_at", "updated_at", "activated_at",
               "disconnected_at"}


def check_keys(value: object, where: str) -> None:
    """Contract rules that hold at any depth of any document."""
    if isinstance(value, list):
        for item in value:
            check_keys(item, where)
        return
    if not isinstance(value, dict):
        return
    assert "ref" not in value, f"{where}: an order reference is `order_ref`"
    for key, item in value.items():
        assert key == key.lower() and " " not in key, f"{where}: key {key!r} is not snake_case"
        if key == "at" or key.endswith("_at"):
            assert item is None or ISO.fullmatch(item), f"{where}: {key}={item!r} is not ISO-8601 UTC to the second"
        if key == "number" and item is not None:
            assert E164.fullmatch(item), f"{where}: number {item!r} is not E.164"
        if key == "criteria":
            assert item is None or (isinstance(item, dict) and item), f"{where}: criteria {item!r}"
        check_keys(item, where)


@pytest.fixture
def json_of(run):
    """Run a command; its stdout must be exactly one JSON document (checked), which is returned."""

    def invoke(*args: str, code: int = 0):
        result = run(*args)
        assert result.code == code, (args, result.code, result.err)
        document = json.loads(result.out)  # one document: json.loads refuses anything after it
        check_keys(document, " ".join(args))
        return document

    return invoke


def commands_with_json() -> set[str]:
    from typer.main import get_command

    root = get_command(app)
    found = set()
    for path in attach(app):
        command = root
        for part in path.split():
            command = command.commands[part]  # type: ignore[attr-defined]
        if any("--json" in getattr(p, "opts", []) for p in command.params):
            found.add(path)
    return found


def test_every_command_with_json_keeps_the_contract(json_of, run, fast_sandbox, tmp_path):
    t = ("--type", "fast")  # a unique prefix of "Fast DIDs"
    covered: set[str] = set()

    def j(*args: str, code: int = 0):
        path = " ".join(a for a in args if re.fullmatch(r"[a-z][a-z-]*", a))
        for n in (3, 2, 1):  # the command's path: its first words that name commands
            if " ".join(path.split()[:n]) in all_paths:
                covered.add(" ".join(path.split()[:n]))
                break
        return json_of(*args, code=code)

    all_paths = commands_with_json()
    for section in ("carrier", "account", "inventory-type"):
        rows = j("config", section, "list", "--json")
        assert len({frozenset(r) for r in rows}) == 1, f"config {section} list: every row has every key"

    assert j("customer", "add", "ACME", "--name", "Acme", "--json")["customer"] == "ACME"
    j("customer", "line", "add", "ACME", "sales", "--json")
    j("customer", "add", "GONE", "--name", "Gone", "--json")
    j("customer", "line", "add", "GONE", "x", "--json")
    j("customer", "line", "list", "ACME", "--json")
    j("customer", "list", "--json")

    found = j("inventory", "lookup", *t, "--area-code", "919", "--quantity", "3", "--json")
    numbers = [n["number"] for n in found]
    placed = j("inventory", "order", *t, "--numbers", f"{numbers[0]}\n{numbers[1]}", "--yes", "--json")
    assert set(placed) == ORDER_KEYS and placed["order_ref"].startswith("ORD-")
    polled = j("orders", "poll", "--json")
    assert [o["order_ref"] for o in polled] == [placed["order_ref"]]
    assert j("orders", "pending", "--json") == []
    listed = j("orders", "list", "--json")
    assert all(set(o) == ORDER_KEYS for o in listed)
    number_only = placed["order_ref"].removeprefix("ORD-").lstrip("0")
    assert j("orders", "show", number_only, "--json")["order_ref"] == placed["order_ref"]

    inventory = j("inventory", "list", "--json")
    assert inventory and all(set(n) == NUMBER_KEYS for n in inventory)
    assert all(n["activated_at"] for n in inventory)
    shown = j("inventory", "show", numbers[0], "--json")
    assert set(shown) == NUMBER_KEYS | {"history"}
    assert j("inventory", "reservations", "--json") == []  # every reservation released or ordered
    summary = j("inventory", "summary", "--json")
    assert {"by_type", "available_by_area_code"} == set(summary)

    assigned = j("inventory", "assign", numbers[0], "--customer", "ACME", "--line", "sales", "--json")
    assert assigned[0]["status"] == "assigned"
    j("inventory", "unassign", numbers[0], "--json")
    j("customer", "show", "ACME", "--json")

    added = j("customer", "add-dids", "ACME", "--line", "sales", *t, "--area-code", "704", "--quantity", "1",
              "--all", "--yes", "--json")
    assert set(added) == ORDER_KEYS and added["line"] == "sales"
    j("orders", "poll", "--json")
    on_line = j("customer", "show", "ACME", "--json")["lines"][0]["numbers"]
    j("customer", "remove-dids", "ACME", on_line[0]["number"], "--yes", "--json")

    csv_file = tmp_path / "import.csv"
    csv_file.write_text("number\n+19842550199\n")
    j("inventory", "import", *t, str(csv_file), "--json")
    j("inventory", "reconcile", *t, "--json", code=8)  # the imported number is not at the carrier

    gone = j("inventory", "disconnect", *t, numbers[1], "--yes", "--json")
    assert set(gone) == ORDER_KEYS and gone["criteria"] is None
    nothing = j("inventory", "order", *t, "--rate-center", "NOWHERE", "--state", "NC", "--pick", "1", "--yes",
                "--json", code=9)
    # a selection's document also names the numbers found that the carrier would not hold
    assert set(nothing) == ORDER_KEYS | {"not_offered"} and nothing["status"] == "nothing-ordered"
    assert nothing["order_ref"] is None and nothing["not_offered"] == []

    j("customer", "line", "remove", "GONE", "x", "--json")
    j("customer", "remove", "GONE", "--json")
    spare = run("config", "inventory-type", "add", "Spare DIDs", "--account", "fast")  # text only: no --json
    assert spare.code == 0, spare.err
    j("inventory", "move", numbers[0], "--to-type", "Spare DIDs", "--json")

    missing = all_paths - covered
    assert not missing, f"commands with --json not covered by this test: {sorted(missing)}"


def test_jsonl_and_csv_on_every_list(run, fast_sandbox):
    for args in (("inventory", "list"), ("orders", "list"), ("orders", "poll")):
        quiet = run(*args, "--jsonl")
        assert quiet.code == 0 and quiet.out == "", args  # nothing at all when there is nothing
    for args in (("inventory", "list"), ("orders", "list")):
        header = run(*args, "--csv")
        assert header.code == 0 and header.out.count("\n") == 1, args
    assert "created_at" in run("inventory", "list", "--csv").out.splitlines()[0]
    assert run("orders", "list", "--json", "--csv").code == 2


def test_disconnected_numbers_are_listed_only_when_asked(run, fast_sandbox):
    found = run("inventory", "lookup", "--type", "fast", "--area-code", "919", "--quantity", "2", "--json").json()
    numbers = [n["number"] for n in found]
    assert run("inventory", "order", "--type", "fast", "--numbers", ",".join(numbers), "--yes").code == 0
    assert run("orders", "poll").code == 0
    assert run("inventory", "disconnect", "--type", "fast", numbers[0], "--yes").code == 0
    assert run("orders", "poll").code == 0
    listed = [n["number"] for n in run("inventory", "list", "--json").json()]
    assert listed == [numbers[1]]
    every = {n["number"]: n for n in run("inventory", "list", "--all-statuses", "--json").json()}
    assert set(every) == set(numbers) and every[numbers[0]]["disconnected_at"]
    only = run("inventory", "list", "--status", "disconnected", "--jsonl").out.splitlines()
    assert [json.loads(x)["number"] for x in only] == [numbers[0]]


def test_cron_poll_jsonl_appends_one_line_per_changed_order(cli, fast_sandbox, home, tmp_path):
    log = tmp_path / "poll.log"

    def cron() -> subprocess.CompletedProcess:
        return subprocess.run(f"{sys.executable} -m tnorder orders poll --jsonl >> {log}", shell=True,
                              capture_output=True, text=True, timeout=60)

    assert cron().returncode == 0 and log.read_text() == ""  # nothing pending: nothing appended
    refs = []
    for code in ("919", "704"):
        placed = cli("inventory", "order", "--type", "fast", "--area-code", code, "--quantity", "1", "--all",
                     "--yes", "--json")
        assert placed.code == 0, placed.err
        refs.append(placed.json()["order_ref"])
    assert cron().returncode == 0
    lines = log.read_text().splitlines()
    assert sorted(json.loads(x)["order_ref"] for x in lines) == sorted(refs)
    assert all(json.loads(x)["status"] == "complete" for x in lines)
    assert cron().returncode == 0
    assert len(log.read_text().splitlines()) == 2  # a quiet run appends nothing


def test_nothing_ordered_exit_codes(run, fast_sandbox):
    """9 when the carrier found nothing to order; 0 when the user chose none; a lookup that finds nothing is 0."""
    nowhere = ("--type", "fast", "--rate-center", "NOWHERE", "--state", "NC")
    assert run("inventory", "lookup", *nowhere).code == 0
    assert run("inventory", "order", *nowhere, "--pick", "1", "--yes").code == 9
    assert run("inventory", "order", "--type", "fast", "--area-code", "919", "--pick", "none", "--yes").code == 0
