"""Telnyx-specific refusals, under the rules of test_bad_input.py: exit 2, one line on stderr,
nothing on stdout, no carrier call and no HTTP request, store, config and world byte-identical.

The home holds the sandbox order of test_bad_input.py's setup, a Telnyx carrier account (its key
set) and a number in the Telnyx inventory type.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_bad_input import (  # noqa: F401 - fixtures shared with the main bad-input table
    CARRIER_METHODS,
    assert_refused,
    case,
    configured,
    no_terminal,
    placed,
    pool_cache,
    recording_calls,
    snapshot,
)
from tnorder.carriers.base import AvailableNumber
from tnorder.carriers.sandbox import SandboxCarrier
from tnorder.carriers.telnyx import TelnyxCarrier

TX = "TX DIDs"
HELD = "+19195550100"
KEY = "KEYbad-input-secret_0001"
METHODS = (*CARRIER_METHODS, "extend", "find_reservation", "recover_disconnect")


def lookup(*args: str) -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", TX, *args)


def order(*args: str) -> tuple[str, ...]:
    return ("inventory", "order", "--type", TX, *args)


def account_add(*args: str) -> tuple[str, ...]:
    return ("config", "account", "add", "tx2", "--carrier", "tx", *args)


CASES = [
    # criteria Telnyx's v2 search has no filter for: refused naming the carrier and what it supports
    case("tx-zip", lookup("--zip", "27601"), "telnyx", "--zip", "--area-code", "--npa-nxx", "--vanity"),
    case("tx-lata", lookup("--lata", "426"), "telnyx", "--lata", "--area-code"),
    case("tx-order-zip-all", order("--zip", "27601", "--all", "--yes"), "telnyx", "--zip"),
    case("tx-order-lata-pick", order("--lata", "426", "--pick", "1", "--yes"), "telnyx", "--lata"),
    case("tx-add-dids-zip", ("customer", "add-dids", "ACME", "--line", "main", "--type", TX, "--zip", "27601",
                             "--all", "--yes"), "telnyx", "--zip"),
    # wildcard forms and words with no Telnyx equivalent never reach it
    case("tx-toll-free-81", lookup("--toll-free", "81*"), "toll-free pattern", "81*"),
    case("tx-toll-free-star-first", lookup("--toll-free", "*8*"), "toll-free pattern"),
    case("tx-toll-free-digits", lookup("--toll-free", "800"), "toll-free pattern", "800"),
    case("tx-vanity-punctuation", lookup("--vanity", "FLO*ERS"), "vanity word"),
    case("tx-local-vanity-alone", lookup("--local-vanity", "TACOS"), "--local-vanity", "--area-code"),
    case("tx-npa-nxx-short", lookup("--npa-nxx", "91943"), "NPA-NXX"),
    case("tx-npa-nxx-bad-exchange", lookup("--npa-nxx", "919139"), "exchange"),
    case("tx-quantity-above-max", lookup("--area-code", "919", "--quantity", "1001"), "--quantity", "1000"),
    # garbage numbers
    case("tx-numbers-garbage", order("--numbers", "919-555-01xx", "--yes"), "919-555-01xx"),
    case("tx-numbers-short", order("--numbers", "12345", "--yes"), "12345"),
    case("tx-numbers-foreign", order("--numbers", "+442079460000", "--yes"), "North American"),
    case("tx-numbers-fullwidth", order("--numbers", "９１９５５５０１４２", "--yes"), "ASCII"),
    case("tx-disconnect-garbage", ("inventory", "disconnect", "--type", TX, "abcdefghij", "--yes"), "abcdefghij"),
    case("tx-disconnect-not-held", ("inventory", "disconnect", "--type", TX, "+19195550199", "--yes"),
         "not in the inventory"),
    # settings
    case("tx-url-not-v2", ("config", "carrier", "add", "tx2", "--kind", "telnyx", "--url", "https://api.telnyx.com"),
         "/v2"),
    case("tx-unknown-carrier-option", ("config", "carrier", "add", "tx2", "--kind", "telnyx", "--option",
                                       "partial_allowed=false"), "partial_allowed"),
    case("tx-account-no-key", account_add(), "--api-key-env"),
    case("tx-account-basic", account_add("--username-env", "U", "--password-env", "P"), "--api-key-env"),
    case("tx-account-unknown-option", account_add("--api-key-env", "K", "--option", "site_id2=3"), "site_id2",
         "connection_id"),
    case("tx-account-bad-option", account_add("--api-key-env", "K", "--option", "connection_id=a\tb"),
         "connection_id"),
]


@pytest.fixture
def telnyx_home(run, home: Path, home_templates, request: pytest.FixtureRequest,
                monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A Telnyx account beside the sandbox order, and one number in the Telnyx type; its snapshot."""
    monkeypatch.setenv("TELNYX_API_KEY", KEY)
    setup = [
        ("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", "http://127.0.0.1:9/telnyx/v2"),
        ("config", "account", "add", "tx", "--carrier", "tx", "--api-key-env", "TELNYX_API_KEY",
         "--option", "connection_id=123"),
        ("config", "inventory-type", "add", TX, "--account", "tx"),
    ]

    def build() -> dict[str, object]:
        request.getfixturevalue("placed")
        return configured(run, home, setup, AvailableNumber(HELD, "RALEIGH", None, "NC"), TX, "tx")

    made = home_templates.home("bad-input-telnyx", home, build)  # built once per worker, then copied
    assert snapshot(home) == made
    return made


@pytest.fixture
def carrier_calls(telnyx_home, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """After the setup, reaching the Telnyx or sandbox carrier is recorded and fails."""
    return recording_calls(monkeypatch, (TelnyxCarrier, SandboxCarrier), METHODS)


@pytest.mark.parametrize(("args", "keywords"), CASES)
def test_telnyx_bad_input_exits_2_sends_nothing_changes_nothing(
    args, keywords, run, home: Path, telnyx_home, carrier_calls, no_terminal, httpx_mock  # noqa: F811
):
    result = run(*args)

    assert_refused(result, keywords, KEY)
    assert carrier_calls == []
    assert httpx_mock.get_requests() == []
    assert snapshot(home) == telnyx_home


def test_distinct_telnyx_cases():
    assert len({p.id for p in CASES}) == len(CASES) >= 20


def test_the_recorder_sees_a_telnyx_call(run, telnyx_home, carrier_calls, no_terminal, httpx_mock):  # noqa: F811
    """The recorder is live for Telnyx: a valid lookup reaches the plugin (and fails, not exit 2)."""
    result = run(*lookup("--area-code", "919", "--quantity", "1"))
    assert carrier_calls == ["search"] and result.code == 1
