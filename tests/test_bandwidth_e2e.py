"""Whole flows through the CLI, the Bandwidth plugin and `tnorder sim serve` over a real socket."""

from __future__ import annotations

import re
import time

import httpx
import pytest

TYPE = "BW DIDs"


@pytest.fixture
def bandwidth(run, monkeypatch):
    """Point a `bandwidth` carrier, account and inventory type at an emulator URL."""

    def configure(url: str, *, oauth: bool = False, account_id: str = "9900001", name: str = "bw",
                  options: tuple[str, ...] = ()) -> None:
        monkeypatch.setenv("BW_USER", "rehearsal")
        monkeypatch.setenv("BW_PASS", "Rehearsal-Pa55")
        monkeypatch.setenv("BW_CLIENT", "tnorder-ci")
        monkeypatch.setenv("BW_SECRET", "Client-S3cret")
        options_args = [arg for option in options for arg in ("--option", option)]
        assert run("config", "carrier", "add", name, "--kind", "bandwidth", "--url", url, *options_args).code == 0
        creds = (["--client-id-env", "BW_CLIENT", "--client-secret-env", "BW_SECRET"] if oauth
                 else ["--username-env", "BW_USER", "--password-env", "BW_PASS"])
        added = run("config", "account", "add", name, "--carrier", name, "--account-id", account_id,
                    "--site-id", "4410", *creds)
        assert added.code == 0, added.err
        assert run("config", "inventory-type", "add", TYPE if name == "bw" else name, "--account", name).code == 0

    return configure


def lookup(cli, *criteria: str, quantity: int = 3) -> list[dict]:
    result = cli("inventory", "lookup", "--type", TYPE, *criteria, "--quantity", str(quantity), "--json")
    assert result.code == 0, result.err
    return result.json()


def test_every_lookup_criterion_through_the_emulator(cli, emulator, bandwidth):
    bandwidth(emulator("--complete-after", "0").url)
    sample = lookup(cli, "--area-code", "919", quantity=1)[0]
    assert sample["number"].startswith("+1919") and sample["state"] == "NC" and sample["lata"]
    checks = [
        (("--rate-center", sample["rate_center"], "--state", "NC"),
         lambda n: n["rate_center"] == sample["rate_center"]),
        (("--city", sample["city"], "--state", "NC"), lambda n: n["city"] == sample["city"]),
        (("--state", "NC"), lambda n: n["state"] == "NC"),
        (("--zip", sample["zip"] or "27601"), lambda n: n["state"] == "NC"),
        (("--lata", sample["lata"]), lambda n: n["lata"] == sample["lata"]),
        (("--toll-free", "87*"), lambda n: n["number"].startswith("+1877")),
        (("--vanity", "FLOWERS"), lambda n: n["number"].endswith("3569377")),
    ]
    for criteria, matches in checks:
        found = lookup(cli, *criteria)
        assert found and all(matches(n) for n in found), (criteria, found)


def test_toll_free_lookups_ask_no_detail_and_show_numbers_without_a_place(cli, emulator, bandwidth):
    """Toll-free searches take only quantity and orderBy (bandwidth.md §2): the plain number list
    comes back, and a toll-free number has no rate center, city, state or LATA to show."""
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    for criteria in (("--toll-free", "87*"), ("--vanity", "FLOWERS")):
        found = lookup(cli, *criteria)
        assert found and all(n["number"].startswith("+18") for n in found), (criteria, found)
        assert all((n["rate_center"], n["city"], n["state"], n["lata"]) == (None, None, None, None) for n in found)
    searches = [line for line in emu.lines if "/availableNumbers" in line]
    assert len(searches) == 2 and not any("enableTNDetail" in line for line in searches)
    placed = cli("inventory", "order", "--type", TYPE, "--toll-free", "87*", "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    listed = cli("inventory", "list", "--type", TYPE, "--json").json()
    assert len(listed) == 2 and all(n["number"].startswith("+1877") for n in listed)


def test_lookup_and_order_by_lata(cli, emulator, bandwidth):
    """`LATASearchAndOrderType` with the schema's `<LATA>`: the emulator takes it and fills the order."""
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    lata = lookup(cli, "--area-code", "919", quantity=1)[0]["lata"]
    placed = cli("inventory", "order", "--type", TYPE, "--lata", lata, "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "complete" and len(placed.json()["completed"]) == 2
    listed = cli("inventory", "list", "--type", TYPE, "--json").json()
    assert len(listed) == 2 and {n["lata"] for n in listed} == {lata}
    assert emu.log().count("POST /api/accounts/9900001/orders 201") == 1  # one search-and-order


def test_lookup_and_select_releases_what_was_not_picked(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    shown = lookup(cli, "--area-code", "415", quantity=4)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "415", "--quantity", "4", "--pick", "2,3",
                 "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    doc = placed.json()
    assert doc["status"] == "complete"
    assert sorted(doc["completed"]) == sorted([shown[1]["number"], shown[2]["number"]])
    again = {n["number"] for n in lookup(cli, "--area-code", "415", quantity=4)}
    assert {shown[0]["number"], shown[3]["number"]} <= again  # released at the carrier: offered again
    assert "POST /api/accounts/9900001/tnreservation 201" in emu.log()
    assert "DELETE /api/accounts/9900001/tnreservation/" in emu.log()


def test_lookup_and_order_completes_through_poll(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "1")
    bandwidth(emu.url)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "312", "--quantity", "3", "--all", "--yes",
                 "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "pending" and placed.json()["carrier_order_id"]
    done = cli("orders", "poll", "--wait", "--timeout", "30", "--json")
    assert done.code == 0, done.err
    assert [o["status"] for o in done.json()] == ["complete"]
    numbers = cli("inventory", "list", "--type", TYPE, "--json").json()
    assert len(numbers) == 3 and {n["status"] for n in numbers} == {"available"}
    assert all(n["number"].startswith("+1312") and n["state"] == "IL" and n["rate_center"] for n in numbers)
    assert emu.log().count("POST /api/accounts/9900001/orders 201") == 1  # one request: search-and-order


def test_a_partial_order_exits_4_and_shows_the_5005_reason(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    shown = lookup(cli, "--area-code", "617", quantity=2)
    taken = shown[0]["number"]
    # another customer of the carrier orders one of them first
    other = httpx.post(f"{emu.url}/accounts/7700007/orders", auth=("someone", "else"), content=(
        "<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList>"
        f"<TelephoneNumber>{taken[2:]}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType>"
        "</Order>"), headers={"Content-Type": "application/xml"})
    assert other.status_code == 201
    both = ",".join(n["number"] for n in shown)
    placed = cli("inventory", "order", "--type", TYPE, "--numbers", both, "--yes", "--wait", "--json")
    assert placed.code == 4, placed.err
    shown_order = cli("orders", "show", placed.json()["order_ref"])
    assert shown_order.code == 4
    assert f"{taken} failed: 5005" in shown_order.out
    assert "unavailable" in shown_order.out
    listed = cli("inventory", "list", "--json").json()
    assert [n["number"] for n in listed] == [shown[1]["number"]]


def test_disconnect_through_the_emulator(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "206", "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    number = placed.json()["completed"][0]
    gone = cli("inventory", "disconnect", number, "--yes", "--wait", "--json")
    assert gone.code == 0, gone.err
    assert (gone.json()["kind"], gone.json()["status"]) == ("disconnect", "complete")
    assert cli("inventory", "show", number, "--json").json()["status"] == "disconnected"
    # sent without a DisconnectMode, the order takes the default, echoed lower-case as documented
    echo = httpx.get(f"{emu.url}/accounts/9900001/disconnects/{gone.json()['carrier_order_id']}", auth=("a", "b"))
    assert "<DisconnectMode>normal</DisconnectMode>" in echo.text


def test_oauth2_client_credentials(cli, emulator, bandwidth):
    emu = emulator("--client-id", "tnorder-ci", "--client-secret", "Client-S3cret")
    bandwidth(emu.url, oauth=True)
    assert len(lookup(cli, "--area-code", "919", quantity=2)) == 2
    assert "POST /api/v1/oauth2/token 200" in emu.log()
    tested = cli("config", "test", "bw")
    assert tested.code == 0, tested.err
    assert tested.out.startswith("bw: ok (Bandwidth account 9900001, site 4410, default SIP peer ")
    # reads every credential may make, roles or not; never GET /accounts/{id} (bandwidth.md §1)
    assert "GET /api/accounts/9900001/orders?page=1&size=1 200" in emu.log()
    assert "GET /api/accounts/9900001/sites/4410/sippeers 200" in emu.log()
    assert not re.search(r"GET /api/accounts/9900001 ", emu.log())


def test_wrong_credentials_exit_6_and_no_secret_is_shown(cli, emulator, bandwidth, monkeypatch):
    emu = emulator("--username", "rehearsal", "--password", "Another-Pa55")
    bandwidth(emu.url)
    result = cli("--verbose", "inventory", "lookup", "--type", TYPE, "--area-code", "919", "--json")
    assert result.code == 6, result.err
    assert "Rehearsal-Pa55" not in result.out + result.err
    assert "authentication failed" in result.err
    assert "availableNumbers" in result.err  # --verbose logged the request, without credentials


def test_wrong_oauth_secret_exits_6(cli, emulator, bandwidth, monkeypatch):
    emu = emulator("--client-id", "tnorder-ci", "--client-secret", "Right-Secret")
    bandwidth(emu.url, oauth=True)
    result = cli("-v", "config", "test", "bw")
    assert result.code == 6
    assert "Client-S3cret" not in result.out + result.err


def place_retrying(cli, code: str, key: str) -> dict:
    """An order refused by the rate limit (exit 7) is retried with the same key: it is placed once."""
    for _ in range(10):
        placed = cli("inventory", "order", "--type", TYPE, "--area-code", code, "--quantity", "1", "--all",
                     "--yes", "--key", key, "--json")
        if placed.code != 7:
            assert placed.code == 0, placed.err
            return placed.json()
        assert "rate limited" in placed.err
        time.sleep(1)
    raise AssertionError("still rate limited")


def test_rate_limits_are_waited_out_for_reads(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "0", "--rate-limit", "1")
    bandwidth(emu.url)
    refs = [place_retrying(cli, code, f"rl-{code}")["order_ref"] for code in ("919", "704", "336")]
    polled = cli("orders", "poll", "--json")  # three status reads at once: two meet a 429 and wait
    assert polled.code == 0, polled.err
    assert sorted((o["order_ref"], o["status"]) for o in polled.json()) == [(r, "complete") for r in sorted(refs)]
    assert re.search(r"GET /api/accounts/9900001/orders/\S+ 429", emu.log())
    assert emu.log().count("POST /api/accounts/9900001/orders 201") == 3  # never ordered twice


def test_a_rate_limit_longer_than_allowed_exits_7(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "0", "--rate-limit", "1")
    bandwidth(emu.url, options=("rate_limit_wait=0",))
    for code in ("919", "704", "336"):
        place_retrying(cli, code, f"rl7-{code}")
    polled = cli("orders", "poll", "--json")
    assert polled.code == 7, polled.err
    assert "rate limited" in polled.err
    still = cli("orders", "pending", "--json").json()
    assert 1 <= len(still) <= 2  # what was read was applied; the rest waits for the next poll


def rehearsal_commands() -> list[str]:
    """The shell block of the README's "Rehearse against `tnorder sim serve`", one command a line."""
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index("### Rehearse against `tnorder sim serve`"):]
    block = section[section.index("```sh\n") + 6:section.index("```", section.index("```sh\n") + 6)]
    return [line.split("  #")[0].strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_the_readmes_rehearsal_orders_and_polls_without_the_basic_warning(cli, emulator, monkeypatch):
    """Run as written (past Bandwidth's retirement of API users): OAuth2 client credentials, so no
    command warns about Basic, and the order placed completes through `orders poll --wait`."""
    import shlex

    monkeypatch.setenv("TNORDER_NOW", "2026-12-07")
    commands = rehearsal_commands()
    serve = shlex.split(commands[0].rstrip("&"))
    assert serve[:3] == ["tnorder", "sim", "serve"] and "--username" not in serve
    flags = serve[3:]
    del flags[flags.index("--port"):flags.index("--port") + 2]
    emu = emulator(*flags)
    origin = emu.url.removesuffix("/api")
    ran = []
    for command in commands[1:]:
        words = shlex.split(command.replace("http://127.0.0.1:8735", origin))
        if words[0] == "export":
            for pair in words[1:]:
                monkeypatch.setenv(*pair.split("=", 1))
            continue
        assert words[0] == "tnorder", command
        result = cli(*words[1:], "--json") if words[1:3] in (["inventory", "order"], ["orders", "poll"]) \
            else cli(*words[1:])
        assert result.code == 0, (command, result.err)
        assert not re.search(r"API user|Basic|retire", result.err), (command, result.err)
        ran.append((words[1:3], result))
    assert any("--client-id-env" in c for c in commands) and not any("--username-env" in c for c in commands)
    placed = next(r for words, r in ran if words == ["inventory", "order"]).json()
    polled = next(r for words, r in ran if words == ["orders", "poll"]).json()
    assert placed["status"] == "pending" and placed["carrier_order_id"]
    assert [o["status"] for o in polled] == ["complete"] and len(polled[0]["completed"]) == 3
    assert "POST /api/v1/oauth2/token 200" in emu.log()
    assert all(n["number"].startswith("+1919") for n in cli("inventory", "list", "--json").json())
