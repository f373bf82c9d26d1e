"""Broadvox-specific refusals, under the rules of test_bad_input.py: exit 2, one line on stderr,
nothing on stdout, no carrier call and no HTTP request, store, config and world byte-identical.

The home holds the sandbox order of test_bad_input.py's setup, two Broadvox carrier accounts (one
well configured, one with OAuth variables that Broadvox cannot use) and a number in the Broadvox
inventory type.
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
from tnorder.carriers.broadvox import BroadvoxCarrier
from tnorder.carriers.sandbox import SandboxCarrier

BVX = "BVX DIDs"
HELD = "+12165550100"


def lookup(*args: str, type_: str = BVX) -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", type_, *args)


def order(*args: str) -> tuple[str, ...]:
    return ("inventory", "order", "--type", BVX, *args)


def carrier_add(*args: str) -> tuple[str, ...]:
    return ("config", "carrier", "add", "bvx2", "--kind", "broadvox", *args)


CASES = [
    # criteria Broadvox cannot search by: refused naming the carrier and what it supports
    case("bvx-zip", lookup("--zip", "44101"), "broadvox", "--zip", "--area-code", "--rate-center", "--state"),
    case("bvx-city", lookup("--city", "Cleveland", "--state", "OH"), "broadvox", "--city", "--area-code"),
    case("bvx-lata", lookup("--lata", "320"), "broadvox", "--lata", "--area-code"),
    case("bvx-toll-free", lookup("--toll-free", "8**"), "broadvox", "--toll-free", "--area-code"),
    case("bvx-vanity", lookup("--vanity", "FLOWERS"), "broadvox", "--vanity", "--area-code"),
    case("bvx-order-zip", order("--zip", "44101", "--all", "--yes"), "broadvox", "--zip"),
    case("bvx-order-lata-pick", order("--lata", "320", "--pick", "1", "--yes"), "broadvox", "--lata"),
    # an area code must bring a US state, which Broadvox's search needs
    case("bvx-npa-canada", lookup("--area-code", "416"), "area code 416", "--state"),
    case("bvx-npa-toll-free", order("--area-code", "800", "--all", "--yes"), "area code 800", "--state"),
    case("bvx-quantity-above-max", lookup("--area-code", "216", "--quantity", "501"), "--quantity", "500"),
    # no disconnect operation
    case("bvx-disconnect", ("inventory", "disconnect", HELD, "--yes"), "broadvox", "disconnect", "directly"),
    case("bvx-disconnect-typed", ("inventory", "disconnect", "--type", BVX, HELD, "--key", "d-1", "--yes"),
         "broadvox", "directly"),
    # credentials Broadvox can use, and present
    case("bvx-oauth-account", lookup("--state", "OH", type_="BVX OAuth"), "--username-env", "--password-env"),
    case("bvx-config-test-oauth", ("config", "test", "bvx-oauth"), "--username-env"),
    # carrier settings
    case("bvx-no-url", carrier_add(), "--url", "no default"),
    case("bvx-url-not-http", carrier_add("--url", "ftp://broadvox.example.net/did"), "http"),
    case("bvx-url-no-host", carrier_add("--url", "https:///did"), "http"),
    case("bvx-empty-namespace", carrier_add("--url", "https://b.example.net/did", "--option", "namespace="),
         "namespace"),
    case("bvx-unknown-option", carrier_add("--url", "https://b.example.net/did", "--option", "partial_allowed=false"),
         "partial_allowed", "namespace"),
]


@pytest.fixture
def broadvox_home(run, home: Path, home_templates, request: pytest.FixtureRequest,
                  monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Broadvox accounts beside the sandbox order, and one number in the Broadvox type; its snapshot."""
    monkeypatch.setenv("BVX_USER", "bvx-user")
    monkeypatch.setenv("BVX_PASS", "bvx-secret")
    setup = [
        ("config", "carrier", "add", "bvx", "--kind", "broadvox", "--url", "http://127.0.0.1:9/broadvox"),
        ("config", "account", "add", "bvx", "--carrier", "bvx", "--username-env", "BVX_USER",
         "--password-env", "BVX_PASS"),
        ("config", "account", "add", "bvx-oauth", "--carrier", "bvx", "--client-id-env", "BVX_USER",
         "--client-secret-env", "BVX_PASS"),
        ("config", "inventory-type", "add", BVX, "--account", "bvx"),
        ("config", "inventory-type", "add", "BVX OAuth", "--account", "bvx-oauth"),
    ]

    def build() -> dict[str, object]:
        request.getfixturevalue("placed")
        return configured(run, home, setup, AvailableNumber(HELD, "CLEVELAND", None, "OH"), BVX, "bvx")

    made = home_templates.home("bad-input-broadvox", home, build)  # built once per worker, then copied
    assert snapshot(home) == made
    return made


@pytest.fixture
def carrier_calls(broadvox_home, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """After the setup, reaching the Broadvox or sandbox carrier is recorded and fails."""
    return recording_calls(monkeypatch, (BroadvoxCarrier, SandboxCarrier), CARRIER_METHODS)


@pytest.mark.parametrize(("args", "keywords"), CASES)
def test_broadvox_bad_input_exits_2_sends_nothing_changes_nothing(
    args, keywords, run, home: Path, broadvox_home, carrier_calls, no_terminal, httpx_mock  # noqa: F811
):
    result = run(*args)

    assert_refused(result, keywords, "bvx-secret")
    assert carrier_calls == []
    assert httpx_mock.get_requests() == []
    assert snapshot(home) == broadvox_home


def test_distinct_broadvox_cases():
    assert len({p.id for p in CASES}) == len(CASES) >= 15


def test_the_recorder_sees_a_broadvox_call(run, broadvox_home, carrier_calls, no_terminal, httpx_mock):  # noqa: F811
    """The recorder is live for Broadvox: a valid lookup reaches the plugin (and fails, not exit 2)."""
    result = run(*lookup("--area-code", "216", "--quantity", "1"))
    assert carrier_calls == ["search"] and result.code == 1
