"""Fuzzing every command with generated arguments (a seeded generator, in-process): every outcome
is a documented exit code, never 1; exit 2 is one line on stderr and nothing on stdout; exit 0 with
--json is JSON (issue 8)."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

SEED = int(os.environ.get("TNORDER_FUZZ_SEED", "8"))  # another seed explores further
INVOCATIONS = 1200
TYPE = "Sandbox DIDs"

VALUES = [
    "919", " 919", "919 ", "９１９", "٩١٩", "९१९", "0", "-1", "1", "2", "3", "99999999999999999999", "nan", "inf",
    "-inf", "1e309", "", " ", "\u200b", "a\nb", "X" * 300, "NC", " nc ", "ＮＣ", "RALEIGH", "27601", "２７６０１",
    "27601-1234", "426", "8**", "87*", "FLOWERS", "+19195550142", "919-555-0142", "+442079460000", "12345",
    "ORD-000001", "1", "ACME", "main", "Sandbox DIDs", " Sandbox DIDs", "sandbox", "available", "pending", "bogus",
    "'; DROP TABLE numbers;--", "%s%n", "{0}", "../../etc/passwd", "-", "--json", "k1", "k 1", "1,3-5", "all",
    "none", "\u202eevil", "\x1b[31mred", "complete_after=0", "complete_after=nan", "partial_alowed=1", "seed=x",
    "https://u:p@example.com/api", "ftp://x", "http://[::1/api", "BAD NAME", "GOOD_NAME",
]
TIMEOUTS = ["0.2", "0", "-1", "nan", "inf", "１", "99999999999999999999", "x"]
CRITERIA = ["--area-code", "--rate-center", "--state", "--city", "--zip", "--lata", "--toll-free", "--vanity"]
NUMBER = ["+19195550142", "9195550100", "12345", "９１９５５５０１４２", "+1numbers;--", "", " 919 555 0142 "]

# each command: (its words, positional slots, options taking a value, flags)
COMMANDS = [
    (("inventory", "lookup"), 0, ["--type", "--quantity", *CRITERIA], ["--json"]),
    (("inventory", "order"), 0, ["--type", "--quantity", "--pick", "--numbers", "--key", "--timeout", *CRITERIA],
     ["--all", "--select", "--yes", "--json", "--wait"]),
    (("inventory", "disconnect"), 2, ["--type", "--key", "--timeout"], ["--select", "--force", "--yes", "--json",
                                                                          "--wait"]),
    (("inventory", "list"), 0, ["--type", "--status", "--area-code", "--customer", "--limit"], ["--json", "--csv"]),
    (("inventory", "show"), 1, [], ["--json"]),
    (("inventory", "assign"), 2, ["--customer", "--line"], ["--json"]),
    (("inventory", "unassign"), 2, ["--reason"], ["--json"]),
    (("inventory", "move"), 2, ["--to-type"], ["--json"]),
    (("inventory", "import"), 1, ["--type"], ["--skip-invalid", "--json"]),
    (("inventory", "reconcile"), 0, ["--type"], ["--fix", "--yes", "--json"]),
    (("customer", "add"), 1, ["--name"], ["--json"]),
    (("customer", "list"), 0, [], ["--json"]),
    (("customer", "show"), 1, [], ["--json"]),
    (("customer", "remove"), 1, [], ["--json"]),
    (("customer", "line", "add"), 2, ["--description"], ["--json"]),
    (("customer", "line", "list"), 1, [], ["--json"]),
    (("customer", "line", "remove"), 2, [], ["--json"]),
    (("customer", "add-dids"), 1, ["--line", "--type", "--quantity", "--pick", "--numbers", "--from-inventory",
                                   "--key", "--timeout", *CRITERIA], ["--all", "--yes", "--json", "--wait"]),
    (("customer", "remove-dids"), 2, ["--reason", "--key"], ["--disconnect", "--yes", "--json"]),
    (("orders", "pending"), 0, [], ["--json"]),
    (("orders", "list"), 0, ["--status", "--limit"], ["--json"]),
    (("orders", "show"), 1, [], ["--json"]),
    (("orders", "poll"), 0, ["--timeout"], ["--wait", "--json"]),
    (("config", "path"), 0, [], []),
    (("config", "carrier", "add"), 1, ["--kind", "--url", "--option"], []),
    (("config", "carrier", "list"), 0, [], ["--json"]),
    (("config", "carrier", "remove"), 1, [], []),
    (("config", "account", "add"), 1, ["--carrier", "--account-id", "--site-id", "--peer-id", "--username-env",
                                       "--password-env", "--client-id-env", "--client-secret-env"], []),
    (("config", "account", "list"), 0, [], ["--json"]),
    (("config", "account", "remove"), 1, [], []),
    (("config", "inventory-type", "add"), 1, ["--account"], []),
    (("config", "inventory-type", "list"), 0, [], ["--json"]),
    (("config", "test"), 1, [], []),
]


def value_for(rng: random.Random, option: str) -> str:
    if option == "--timeout":
        return rng.choice(TIMEOUTS)
    if option == "--numbers" or (option == "" and rng.random() < 0.5):
        return rng.choice(NUMBER)
    return rng.choice(VALUES)


def invocation(rng: random.Random) -> tuple[list[str], bool]:
    """Generated arguments, and whether --json was given as a flag (not as some option's value)."""
    words, slots, options, flags = rng.choice(COMMANDS)
    args = list(words)
    args += [value_for(rng, "") for _ in range(rng.randint(0, slots))]
    for option in rng.sample(options, k=rng.randint(0, min(3, len(options)))):
        args += [option, value_for(rng, option)]
    chosen = rng.sample(flags, k=rng.randint(0, len(flags)))
    args += chosen
    if "--wait" in args and "--timeout" not in args:
        args += ["--timeout", "0.2"]  # a valid wait stays short: the fuzz run is bounded
    if rng.random() < 0.05:
        args.insert(0, "--db") if rng.random() < 0.5 else None
        if args[0] == "--db":
            args.insert(1, rng.choice([":memory:", "sqlite:///:memory:", "", "/", "postgresql://u:pw@127.0.0.1:1/x"]))
    return args, "--json" in chosen and "--csv" not in chosen


@pytest.fixture
def fuzz_home(home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose sandbox completes at once, with the exchange cache copied in (built once)."""
    from tnorder.sim.pool import Pool

    cache = tmp_path_factory.mktemp("pool")
    Pool(0, cache).exchanges  # noqa: B018 - builds and writes the cache file
    shutil.copytree(cache, home / "sandbox", dirs_exist_ok=True)
    (home / "config.toml").write_text(
        '[carriers.sandbox]\nkind = "sandbox"\ncomplete_after = 0\n\n[accounts.sandbox]\ncarrier = "sandbox"\n\n'
        f'[inventory_types."{TYPE}"]\naccount = "sandbox"\n', encoding="utf-8")
    return home


def test_fuzzing_every_command_never_ends_in_exit_1(run, fuzz_home, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal: prompts are refused, never waited on
    rng = random.Random(SEED)
    codes: Counter[int] = Counter()
    covered: set[tuple[str, ...]] = set()
    for _ in range(INVOCATIONS):
        args, as_json = invocation(rng)
        result = run(*args)
        codes[result.code] += 1
        covered.add(tuple(a for a in args[:3] if a in {w for c in COMMANDS for w in c[0]}))
        assert result.code != 1, (args, result.err)
        assert "Traceback" not in result.err, (args, result.err)
        assert result.code in (0, 2, 3, 4, 5, 8, 9), (args, result.code, result.err)
        if result.code == 2:
            lines = result.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("tnorder: error: "), (args, result.err)
            assert result.out == "", (args, result.out)
        if result.code == 0 and as_json and result.out.strip():
            try:
                json.loads(result.out)
            except ValueError:
                raise AssertionError((args, result.out[:300])) from None
    assert sum(codes.values()) >= 1000
    assert codes[0] > 50 and codes[2] > 300, codes
    assert len(covered) >= len(COMMANDS) - 2, covered
