"""Bandwidth v2 end to end: the CLI, the plugin in `api=v2` mode and `tnorder sim serve` on `/api/v2`.

Also the edges the v1 face now makes testable (`--short-fill`, `--weird-status`) and the retirement
of Basic credentials.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import httpx
import pytest

import forkserver
from emulator import Emulator

TYPE = "BW2 DIDs"


@pytest.fixture
def v2(run, monkeypatch):
    """A `bandwidth` carrier in v2 mode (OAuth2, as v2 requires) on an emulator's `/api/v2`."""

    def configure(emu: Emulator) -> None:
        monkeypatch.setenv("BW_CLIENT", "tnorder-ci")
        monkeypatch.setenv("BW_SECRET", "Client-S3cret")
        added = run("config", "carrier", "add", "bw2", "--kind", "bandwidth", "--url", f"{emu.url}/v2",
                    "--option", "api=v2")
        assert added.code == 0, added.err
        added = run("config", "account", "add", "bw2", "--carrier", "bw2", "--account-id", "9900001",
                    "--site-id", "4410", "--client-id-env", "BW_CLIENT", "--client-secret-env", "BW_SECRET")
        assert added.code == 0, added.err
        assert "API user" not in added.err  # OAuth2: nothing retires
        assert run("config", "inventory-type", "add", TYPE, "--account", "bw2").code == 0

    return configure


@pytest.fixture
def v1_basic(run, monkeypatch):
    """A v1 `bandwidth` carrier with a legacy API user (Basic auth)."""

    def configure(emu: Emulator):
        monkeypatch.setenv("BW_USER", "rehearsal")
        monkeypatch.setenv("BW_PASS", "Rehearsal-Pa55")
        assert run("config", "carrier", "add", "bw1", "--kind", "bandwidth", "--url", emu.url).code == 0
        added = run("config", "account", "add", "bw1", "--carrier", "bw1", "--account-id", "9900001",
                    "--site-id", "4410", "--username-env", "BW_USER", "--password-env", "BW_PASS")
        assert added.code == 0, added.err
        assert run("config", "inventory-type", "add", TYPE, "--account", "bw1").code == 0
        return added

    return configure


def lookup(cli, *criteria: str, quantity: int = 3) -> list[dict]:
    result = cli("inventory", "lookup", "--type", TYPE, *criteria, "--quantity", str(quantity), "--json")
    assert result.code == 0, result.err
    return result.json()


def v2_requests(emu: Emulator, what: str) -> list[str]:
    return [line for line in emu.lines if f"/api/v2/accounts/9900001/{what}" in line]


# -- v2: every operation --------------------------------------------------------------------------
def test_every_lookup_criterion_on_v2(cli, emulator, v2):
    emu = emulator("--complete-after", "0", "--client-id", "tnorder-ci", "--client-secret", "Client-S3cret")
    v2(emu)
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
        (("--npa-nxx", sample["number"][2:8]), lambda n: n["number"].startswith(sample["number"][:8])),
        (("--local-vanity", "CAB", "--area-code", "919"),
         lambda n: n["number"].startswith("+1919") and "222" in n["number"][5:]),
        (("--local-vanity", "ABBA", "--state", "NC"), lambda n: n["state"] == "NC" and "2222" in n["number"][5:]),
    ]
    for criteria, matches in checks:
        found = lookup(cli, *criteria)
        assert found and all(matches(n) for n in found), (criteria, found)
    searches = v2_requests(emu, "availableNumbers")
    assert len(searches) == 1 + len(checks) and all(line.rstrip().endswith(" 200") for line in searches)
    assert all("countryCodeA3=USA" in line for line in searches if "areaCode=" in line or "city=" in line)
    assert all("LCA=false" in line for line in searches if "rateCenter=" in line or "npaNxx=" in line)
    assert "POST /api/v1/oauth2/token 200" in emu.log()


def test_select_with_release_on_v2(cli, emulator, v2):
    emu = emulator("--complete-after", "0")
    v2(emu)
    shown = lookup(cli, "--area-code", "415", quantity=4)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "415", "--quantity", "4", "--pick", "2,3",
                 "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    doc = placed.json()
    assert doc["status"] == "complete"
    assert sorted(doc["completed"]) == sorted([shown[1]["number"], shown[2]["number"]])
    again = {n["number"] for n in lookup(cli, "--area-code", "415", quantity=4)}
    assert {shown[0]["number"], shown[3]["number"]} <= again  # released at the carrier: offered again
    assert len([x for x in v2_requests(emu, "tnreservation") if "POST" in x and x.rstrip().endswith("201")]) == 4
    assert len([x for x in v2_requests(emu, "tnreservation/") if "DELETE" in x]) == 2


@pytest.mark.parametrize("criteria", [("--area-code", "312"), ("--npa-nxx", None)])
def test_lookup_and_order_on_v2(cli, emulator, v2, criteria):
    emu = emulator("--complete-after", "0")
    v2(emu)
    if criteria[1] is None:
        criteria = ("--npa-nxx", lookup(cli, "--area-code", "312", quantity=1)[0]["number"][2:8])
    placed = cli("inventory", "order", "--type", TYPE, *criteria, "--quantity", "3", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "complete" and len(placed.json()["completed"]) == 3
    numbers = cli("inventory", "list", "--type", TYPE, "--json").json()
    prefix = "+1" + criteria[1]
    assert len(numbers) == 3 and all(n["number"].startswith(prefix) and n["rate_center"] for n in numbers)
    assert len([x for x in v2_requests(emu, "orders") if "POST" in x]) == 1  # one search-and-order request


def test_lookup_and_order_by_lata_on_v2(cli, emulator, v2):
    """`LATASearchAndOrderType` with the v2 schema's `<LATA>`, filled by the emulator."""
    emu = emulator("--complete-after", "0")
    v2(emu)
    lata = lookup(cli, "--area-code", "919", quantity=1)[0]["lata"]
    placed = cli("inventory", "order", "--type", TYPE, "--lata", lata, "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "complete" and len(placed.json()["completed"]) == 2
    numbers = cli("inventory", "list", "--type", TYPE, "--json").json()
    assert len(numbers) == 2 and {n["lata"] for n in numbers} == {lata}
    assert len([x for x in v2_requests(emu, "orders") if "POST" in x]) == 1


def test_config_test_on_v2_reads_what_every_credential_may(cli, emulator, v2):
    emu = emulator("--complete-after", "0")
    v2(emu)
    tested = cli("config", "test", "bw2")
    assert tested.code == 0, tested.err
    assert tested.out.startswith("bw2: ok (Bandwidth account 9900001, site 4410, ")
    assert [line.split()[1:4] for line in v2_requests(emu, "")] == [
        ["GET", "/api/v2/accounts/9900001/orders?page=1&size=1", "200"],
        ["GET", "/api/v2/accounts/9900001/sites/4410/sippeers", "200"]]


def test_a_partial_order_on_v2_exits_4(cli, emulator, v2):
    emu = emulator("--complete-after", "0")
    v2(emu)
    shown = lookup(cli, "--area-code", "617", quantity=2)
    taken = shown[0]["number"]
    # another customer orders one of them first, through v1 (same world, 10-digit)
    other = httpx.post(f"{emu.url}/accounts/7700007/orders", auth=("someone", "else"), content=(
        "<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList>"
        f"<TelephoneNumber>{taken[2:]}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType>"
        "</Order>"), headers={"Content-Type": "application/xml"})
    assert other.status_code == 201
    both = ",".join(n["number"] for n in shown)
    placed = cli("inventory", "order", "--type", TYPE, "--numbers", both, "--yes", "--wait", "--json")
    assert placed.code == 4, placed.err
    shown_order = cli("orders", "show", placed.json()["order_ref"])
    assert shown_order.code == 4 and f"{taken} failed: 5005" in shown_order.out
    assert [n["number"] for n in cli("inventory", "list", "--json").json()] == [shown[1]["number"]]


def test_a_disconnect_on_v2(cli, emulator, v2):
    emu = emulator("--complete-after", "0")
    v2(emu)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "206", "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    number = placed.json()["completed"][0]
    gone = cli("inventory", "disconnect", number, "--yes", "--wait", "--json")
    assert gone.code == 0, gone.err
    assert (gone.json()["kind"], gone.json()["status"]) == ("disconnect", "complete")
    assert cli("inventory", "show", number, "--json").json()["status"] == "disconnected"
    assert [x for x in v2_requests(emu, "disconnects") if "POST" in x and x.rstrip().endswith("201")]


def test_in_service_pages_over_1200_numbers_on_v2(cli, emulator, v2, home):
    emu = emulator("--complete-after", "0")
    v2(emu)
    # 1,200 numbers in service on the account's site, ordered through v1 by the same account
    body = ("<Order><SiteId>4410</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>1200</Quantity>"
            "</AreaCodeSearchAndOrderType></Order>")
    placed = httpx.post(f"{emu.url}/accounts/9900001/orders", auth=("u", "p"), content=body,
                        headers={"Content-Type": "application/xml"})
    assert placed.status_code == 201
    from tnorder.services.context import Context

    ctx = Context()
    try:
        numbers = list(ctx.carrier("bw2").in_service())
    finally:
        ctx.close()
    assert len(numbers) == len(set(numbers)) == 1200
    assert all(re.fullmatch(r"\+1919\d{7}", n) for n in numbers)
    pages = v2_requests(emu, "sites/4410/inserviceNumbers")
    assert len(pages) == 3 and all("size=500" in p and p.rstrip().endswith(" 200") for p in pages)


def kill_mid_request(cli_args: list[str], emu: Emulator, home) -> None:
    """Run tnorder and kill it (SIGKILL) while its create request is still inside the emulator."""
    process = forkserver.tnorder(*cli_args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=os.environ | {"TNORDER_HOME": str(home)})
    tokens = emu.log().count("POST /api/v1/oauth2/token 200")
    try:
        deadline = time.monotonic() + 60
        while emu.log().count("POST /api/v1/oauth2/token 200") == tokens:  # then the create goes out at once
            assert time.monotonic() < deadline and process.poll() is None, emu.log()
            time.sleep(0.05)
        time.sleep(1.0)  # the create is in the emulator's 3 s latency now
    finally:
        process.kill()
        process.wait(10)
    time.sleep(2.5)  # the emulator finishes the request the killed process no longer waits for


def test_a_killed_order_is_recovered_by_key_on_v2(cli, emulator, v2, home):
    emu = emulator("--complete-after", "0", "--latency-ms", "3000")
    v2(emu)
    kill_mid_request(["inventory", "order", "--type", TYPE, "--area-code", "503", "--quantity", "2", "--all",
                      "--yes", "--key", "killed-1"], emu, home)
    assert cli("orders", "pending", "--json").json()[0]["status"] == "submitting"
    polled = cli("orders", "poll", "--json", timeout=120)
    assert polled.code == 0, polled.err
    (doc,) = polled.json()
    assert (doc["key"], doc["status"], len(doc["completed"])) == ("killed-1", "complete", 2)
    assert len([x for x in v2_requests(emu, "orders") if "POST" in x]) == 1  # never ordered twice
    assert any("customerOrderId=killed-1" in x for x in v2_requests(emu, "orders"))


def test_a_killed_disconnect_is_recovered_from_the_numbers(cli, emulator, v2, home):
    emu = emulator("--complete-after", "0", "--latency-ms", "3000")
    v2(emu)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "971", "--quantity", "1", "--all", "--yes",
                 "--wait", "--json", timeout=120)
    assert placed.code == 0, placed.err
    number = placed.json()["completed"][0]
    kill_mid_request(["inventory", "disconnect", number, "--yes", "--key", "killed-2"], emu, home)
    polled = cli("orders", "poll", "--json", timeout=120)
    assert polled.code == 0, polled.err
    (doc,) = polled.json()
    assert (doc["kind"], doc["status"], doc["completed"]) == ("disconnect", "complete", [number])
    assert "no longer in service" in doc["error"]  # what it concluded, and from what
    assert cli("inventory", "show", number, "--json").json()["status"] == "disconnected"


# -- v1 face: the edges ---------------------------------------------------------------------------
def test_a_short_filled_search_and_order_is_a_shortfall(cli, emulator, v1_basic):
    v1_basic(emulator("--complete-after", "0", "--short-fill"))
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "5", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 4, placed.err
    doc = placed.json()
    assert (doc["status"], len(doc["completed"])) == ("partial", 3)
    shown = cli("orders", "show", doc["order_ref"])
    assert shown.code == 4 and "asked 5, completed 3" in shown.out


def test_an_unknown_carrier_status_stays_pending_and_is_shown(cli, emulator, v1_basic):
    v1_basic(emulator("--complete-after", "60", "--weird-status", "ON_HOLD"))
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "1", "--all", "--yes",
                 "--json")
    assert placed.code == 0, placed.err
    polled = cli("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    assert "carrier status ON_HOLD is unknown to tnorder; kept pending" in polled.err
    assert "ON_HOLD" not in polled.out.replace('"carrier status ON_HOLD"', "")
    shown = cli("orders", "show", placed.json()["order_ref"])
    assert "pending" in shown.out and "carrier status ON_HOLD" in shown.out


# -- Basic credentials ------------------------------------------------------------------------------
def test_basic_credentials_warn_once_per_command_on_stderr_only(cli, emulator, v1_basic, monkeypatch):
    monkeypatch.setenv("TNORDER_NOW", "2026-11-30")  # before the retirement: the warning says "stops"
    added = v1_basic(emulator("--complete-after", "0"))
    assert added.err.count("2026-12-02") == 1 and "2026-12-02" not in added.out
    assert "--client-id-env" in added.err
    for args in (("inventory", "lookup", "--type", TYPE, "--area-code", "919", "--json"), ("config", "test")):
        result = cli(*args)
        assert result.code == 0, result.err
        assert result.err.count("stops accepting API-user credentials on 2026-12-02") == 1, result.err
        assert "2026-12-02" not in result.out
    assert cli("inventory", "lookup", "--type", TYPE, "--area-code", "919", "--json").json()  # stdout stays JSON


def test_a_401_on_basic_after_the_retirement_date_explains_it(cli, emulator, v1_basic):
    emu = emulator("--username", "rehearsal", "--password", "Retired-Pa55")
    v1_basic(emu)
    late = cli("inventory", "lookup", "--type", TYPE, "--area-code", "919", env={"TNORDER_NOW": "2026-12-03"})
    assert late.code == 6
    assert "stopped accepting API-user credentials on 2026-12-02" in late.err
    assert "Account > API Credentials" in late.err and "Rehearsal-Pa55" not in late.out + late.err
    early = cli("inventory", "lookup", "--type", TYPE, "--area-code", "919", env={"TNORDER_NOW": "2026-11-30"})
    assert early.code == 6 and "check the credential variables" in early.err


def test_basic_keeps_working_after_the_date_if_bandwidth_accepts_it(cli, emulator, v1_basic):
    v1_basic(emulator("--complete-after", "0"))
    result = cli("inventory", "lookup", "--type", TYPE, "--area-code", "919", "--json",
                 env={"TNORDER_NOW": "2027-01-15"})
    assert result.code == 0, result.err  # never refused on the date alone
    assert "stopped accepting API-user credentials" in result.err


def test_v2_refuses_basic_credentials_when_the_account_is_added(run, monkeypatch):
    assert run("config", "carrier", "add", "bw2", "--kind", "bandwidth", "--option", "api=v2").code == 0
    refused = run("config", "account", "add", "bw2", "--carrier", "bw2", "--account-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS")
    assert refused.code == 2 and refused.out == ""
    assert "OAuth2 client credentials only" in refused.err and refused.err.count("\n") == 1
    assert [a["name"] for a in run("config", "account", "list", "--json").json()] == ["sandbox"]


@pytest.mark.parametrize("option", ["api=v3", "environment=staging"])
def test_bad_v2_options_are_refused(run, option):
    result = run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", option)
    assert result.code == 2 and "bandwidth option" in result.err


# -- criteria refused before any request ----------------------------------------------------------
def test_bad_criteria_never_reach_the_carrier(cli, emulator, v2):
    emu = emulator("--complete-after", "0")
    v2(emu)
    for args in (("--toll-free", "8*0"), ("--toll-free", "800"), ("--npa-nxx", "91943"), ("--npa-nxx", "919139"),
                 ("--local-vanity", "TACOS"), ("--local-vanity", "TACOS", "--zip", "27601")):
        result = cli("inventory", "lookup", "--type", TYPE, *args)
        assert result.code == 2 and result.out == "" and result.err.count("\n") == 1, (args, result.err)
    assert not v2_requests(emu, "availableNumbers")


def test_the_sandbox_refuses_local_vanity_and_runs_npa_nxx(run):
    refused = run("inventory", "lookup", "--local-vanity", "TACOS", "--state", "NC")
    assert refused.code == 2 and "cannot look up by --local-vanity" in refused.err
    found = run("inventory", "lookup", "--area-code", "919", "--quantity", "1", "--json").json()[0]
    by_exchange = run("inventory", "lookup", "--npa-nxx", found["number"][2:8], "--quantity", "2", "--json")
    assert by_exchange.code == 0, by_exchange.err
    assert all(n["number"].startswith(found["number"][:8]) for n in by_exchange.json())
