"""The Telnyx plugin's exact requests and its reading of every documented answer (pytest-httpx).

Answers are written by hand in the shapes of shared/carriers/telnyx.md (SPEC's examples: the
`{"data": …}` envelope, `errors[]`, `meta` paging), not built with the plugin's own helpers; the
query strings are pinned as Telnyx's SDK sends them (percent-encoded brackets, `+` for a space).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tnorder.carriers.base import Reservation
from tnorder.carriers.telnyx import TelnyxCarrier
from tnorder.carriers.validate import CarrierAnswerUnknown, CarrierUnexpected, CheckedCarrier
from tnorder.criteria import build
from tnorder.errors import (
    CarrierAuthError,
    CarrierError,
    CarrierRateLimited,
    CarrierUnreachable,
    ConfigError,
    Unsupported,
)
from tnorder.settings import AccountConfig, CarrierConfig

BASE = "https://api.telnyx.com/v2"
KEY = "KEY0190AB_secret-value-xyz"
JSON = {"Content-Type": "application/json"}
N1, N2, N3 = "+19195550142", "+19195550143", "+19195550666"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", KEY)


@pytest.fixture
def slept(monkeypatch):
    """Waits the plugin asked for, without waiting."""
    from tnorder.carriers import http

    waits: list[float] = []
    monkeypatch.setattr(http.time, "sleep", waits.append)
    return waits


def carrier(home, url: str | None = None, options: dict | None = None, **account_options) -> TelnyxCarrier:
    return TelnyxCarrier(CarrierConfig("tx", "telnyx", url, options or {}),
                         AccountConfig("tx-main", "tx", env={"api_key_env": "TELNYX_API_KEY"},
                                       options=account_options), home)


def query(request: httpx.Request) -> str:
    return request.url.query.decode()


def sent(request: httpx.Request, method: str, path: str) -> None:
    """Every request: its method and path under /v2, the Bearer key, JSON asked for, tnorder's agent."""
    assert (request.method, request.url.path) == (method, "/v2" + path)
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("tnorder/")
    if method in ("POST", "DELETE"):
        assert request.headers["Content-Type"] == "application/json"
    else:
        assert "Content-Type" not in request.headers


def error(status: int, code: str, title: str, detail: str) -> dict:
    return {"status_code": status, "json": {"errors": [{
        "code": code, "title": title, "detail": detail,
        "meta": {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"}}]}}


# -- search ------------------------------------------------------------------------------------
FLAGS = ("filter%5Blimit%5D=7&filter%5Bbest_effort%5D=false&filter%5Breservable%5D=true"
         "&filter%5Bexclude_held_numbers%5D=true")
US = "filter%5Bcountry_code%5D=US&"


@pytest.mark.parametrize(("criteria", "filters"), [
    ({"area_code": "919"}, "filter%5Bnational_destination_code%5D=919&filter%5Bphone_number_type%5D=local"),
    ({"area_code": "888"}, "filter%5Bnational_destination_code%5D=888&filter%5Bphone_number_type%5D=toll_free"),
    ({"rate_center": "chicago heights", "state": "il"},
     "filter%5Brate_center%5D=CHICAGO+HEIGHTS&filter%5Badministrative_area%5D=IL"),
    ({"state": "North Carolina"}, "filter%5Badministrative_area%5D=NC"),
    ({"city": "WINSTON-SALEM", "state": "NC"}, "filter%5Blocality%5D=Winston-Salem&filter%5Badministrative_area%5D=NC"),
    ({"npa_nxx": "919439"}, "filter%5Bnational_destination_code%5D=919&filter%5Bphone_number_type%5D=local"
                            "&filter%5Bphone_number%5D%5Bstarts_with%5D=439"),
    ({"toll_free": "8**"}, "filter%5Bphone_number_type%5D=toll_free"),
    ({"toll_free": "80*"}, "filter%5Bphone_number_type%5D=toll_free&filter%5Bnational_destination_code%5D=800"),
    ({"toll_free": "87*"}, "filter%5Bphone_number_type%5D=toll_free&filter%5Bnational_destination_code%5D=877"),
    ({"toll_free": "83*"}, "filter%5Bphone_number_type%5D=toll_free&filter%5Bnational_destination_code%5D=833"),
    ({"vanity": "flowers"}, "filter%5Bphone_number_type%5D=toll_free&filter%5Bphone_number%5D%5Bcontains%5D=3569377"),
    ({"vanity": "CALL4U"}, "filter%5Bphone_number_type%5D=toll_free&filter%5Bphone_number%5D%5Bcontains%5D=225548"),
    ({"local_vanity": "tacos", "area_code": "919"},
     "filter%5Bnational_destination_code%5D=919&filter%5Bphone_number_type%5D=local"
     "&filter%5Bphone_number%5D%5Bcontains%5D=82267"),
    ({"local_vanity": "TACOS", "state": "NC"},
     "filter%5Bphone_number_type%5D=local&filter%5Badministrative_area%5D=NC"
     "&filter%5Bphone_number%5D%5Bcontains%5D=82267"),
])
def test_search_sends_each_criterion_as_telnyx_filters(httpx_mock, home, key, criteria, filters):
    httpx_mock.add_response(json={"data": [], "meta": {"total_results": 0, "best_effort_results": 0}})
    assert carrier(home).search(build(**criteria), 7) == []
    request = httpx_mock.get_request()
    sent(request, "GET", "/available_phone_numbers")
    assert query(request) == US + filters + "&" + FLAGS
    assert "*" not in query(request)  # Telnyx answers a wildcard with nothing (D-SEARCH)


def available(number: str, best_effort: bool = False, **regions: str) -> dict:
    return {"phone_number": number, "record_type": "available_phone_number", "phone_number_type": "local",
            "best_effort": best_effort, "reservable": True, "quickship": False, "vanity_format": None,
            "region_information": [{"region_type": t, "region_name": n} for t, n in regions.items()]
            + [{"region_type": "country_code", "region_name": "US"}],
            "cost_information": {"upfront_cost": "1.00000", "monthly_cost": "1.00000", "currency": "USD"},
            "features": [{"name": "sms"}, {"name": "voice"}]}


RALEIGH = {"state": "NC", "rate_center": "RALEIGH", "location": "RALEIGH (RALEIGH)"}


def test_search_reads_numbers_and_regions_and_drops_near_matches(httpx_mock, home, key):
    httpx_mock.add_response(json={
        "data": [available(N1, **RALEIGH), available(N2, best_effort=True, **RALEIGH),
                 available("+19195550144", state="North Carolina", rate_center="CARY"),
                 {"phone_number": "+18005550100", "record_type": "available_phone_number", "best_effort": False}],
        "meta": {"total_results": 4, "best_effort_results": 1}, "metadata": {"total_results": 4}})
    found = carrier(home).search(build(area_code="919"), 5)
    assert [(n.number, n.rate_center, n.city, n.state, n.lata, n.zip) for n in found] == [
        (N1, "RALEIGH", "RALEIGH", "NC", None, None),
        ("+19195550144", "CARY", None, "NC", None, None),  # a state by name is its code; no location, no city
        ("+18005550100", None, None, None, None, None),  # toll-free records carry only the country
    ]


@pytest.mark.parametrize(("answer", "word"), [
    ({"data": {"phone_number": N1}}, "not a list"),
    ({"data": ["+19195550142"]}, "not a record"),
    ({"data": [{"record_type": "available_phone_number"}]}, "phone_number"),
    ({"data": [available(N1) | {"best_effort": "no"}]}, "best_effort"),
    ({"data": [available(N1) | {"record_type": "phone_number"}]}, "record"),
    ({"data": [available(N1) | {"region_information": "NC"}]}, "region_information"),
    ({"meta": {"total_results": 0}}, "no data"),
    ([N1], "envelope"),
    ({"errors": [{"code": "10007", "title": "Unexpected error"}]}, "error envelope"),
])
def test_a_search_answer_in_another_shape_is_unexpected_not_empty(httpx_mock, home, key, answer, word):
    httpx_mock.add_response(json=answer)
    with pytest.raises(CarrierUnexpected) as caught:
        carrier(home).search(build(area_code="919"), 5)
    assert caught.value.exit_code == 3 and word in str(caught.value)


@pytest.mark.parametrize("criteria", [{"zip": "27601"}, {"lata": "426"}])
def test_zip_and_lata_are_refused_before_any_request(httpx_mock, home, key, criteria):
    with pytest.raises(Unsupported) as caught:
        carrier(home).search(build(**criteria), 5)
    text = str(caught.value)
    supported = text.split("supports")[1]
    assert "telnyx" in text and "--area-code" in supported and "--vanity" in supported and "--zip" not in supported
    assert caught.value.exit_code == 2
    assert httpx_mock.get_requests() == []


def test_the_carrier_says_what_it_can_and_cannot_do(home, key):
    caps = TelnyxCarrier.capabilities
    assert (caps.reserve, caps.releases, caps.extends, caps.disconnect, caps.realtime, caps.search_and_order) == (
        True, False, True, True, False, False)
    assert {"zip", "lata"}.isdisjoint(caps.criteria) and TelnyxCarrier.reservation_hold_seconds == 1800
    with pytest.raises(Unsupported, match="Telnyx has none"):
        carrier(home).search_and_order(build(area_code="919"), 1, "k")


# -- reservations ------------------------------------------------------------------------------
def reservation(entries: list[tuple[str, str, str | None]], status: str = "success", rid: str = "res-1") -> dict:
    return {"data": {
        "id": rid, "record_type": "number_reservation", "status": status, "customer_reference": "tnorder",
        "created_at": "2026-11-15T10:00:00.000000Z", "updated_at": "2026-11-15T10:00:00.000000Z",
        "errors": "Number is already on hold" if status == "failure" else None,
        "phone_numbers": [{"id": f"rpn-{n[-4:]}", "record_type": "reserved_phone_number", "phone_number": n,
                           "status": s, "expired_at": until, "created_at": "2026-11-15T10:00:00.000000Z",
                           "errors": None} for n, s, until in entries]}}


def test_a_reservation_is_one_post_per_number_and_keeps_its_expiry(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", json=reservation([(N1, "success", "2026-11-15T10:30:00.000000Z")]))
    httpx_mock.add_response(method="POST", json=reservation([(N2, "success", "2026-11-15T10:30:05.123Z")], rid="r2"))
    held = carrier(home).reserve([N1, N2])
    assert held == [Reservation("res-1", N1, datetime(2026, 11, 15, 10, 30, tzinfo=UTC)),
                    Reservation("r2", N2, datetime(2026, 11, 15, 10, 30, 5, 123000, tzinfo=UTC))]
    first, second = httpx_mock.get_requests()
    sent(first, "POST", "/number_reservations")
    assert first.content == b'{"customer_reference":"tnorder","phone_numbers":[{"phone_number":"+19195550142"}]}'
    assert json.loads(second.content)["phone_numbers"] == [{"phone_number": N2}]


@pytest.mark.parametrize("answer", [
    reservation([(N1, "failure", None)], status="failure"),
    reservation([(N1, "failed", None)], status="partial_success"),  # D-RES's prose spelling
    reservation([], status="failure"),
    error(422, "10015", "Bad Request", "Number is already on hold"),
    error(404, "10005", "Resource not found", "Number not found"),
])
def test_a_number_telnyx_will_not_hold_is_absent_from_the_answer(httpx_mock, home, key, answer):
    httpx_mock.add_response(method="POST", **({"json": answer} if "data" in answer else answer))
    assert carrier(home).reserve([N1]) == []


def test_a_pending_hold_without_expiry_is_held_and_the_flow_falls_back_to_the_documented_hold(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", json=reservation([(N1, "pending", None)], status="pending"))
    assert carrier(home).reserve([N1]) == [Reservation("res-1", N1, None)]


@pytest.mark.parametrize(("answer", "word"), [
    (reservation([(N1, "on_hold", None)]), "on_hold"),
    (reservation([(N1, "success", "tomorrow")]), "ISO 8601"),
    (reservation([(N2, "success", None)]), "does not name"),
    ({"data": {"status": "success"}}, "id"),
])
def test_a_reservation_answer_tnorder_cannot_read_is_an_unknown_outcome(httpx_mock, home, key, answer, word):
    httpx_mock.add_response(method="POST", json=answer)
    with pytest.raises(CarrierAnswerUnknown, match=word):
        carrier(home).reserve([N1])
    assert len(httpx_mock.get_requests()) == 1


def test_a_reservation_is_never_sent_twice(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", status_code=503, json={"errors": []})
    with pytest.raises(CarrierUnreachable, match="outcome unknown"):
        carrier(home).reserve([N1])
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), method="POST")
    with pytest.raises(CarrierUnreachable, match="did not complete"):
        carrier(home).reserve([N1])
    assert len(httpx_mock.get_requests()) == 2


def test_a_refused_reservation_request_is_an_error_not_an_absent_number(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", **error(400, "10016", "Phone number must be in +E.164 format", "bad"))
    with pytest.raises(CarrierError) as caught:
        carrier(home).reserve([N1])
    assert caught.value.code == "10016"


def test_extend_posts_no_body_and_returns_the_new_expiry(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", url=f"{BASE}/number_reservations/res-1/actions/extend",
                            json=reservation([(N1, "success", "2026-11-15T11:00:00Z")]))
    old = Reservation("res-1", N1, datetime(2026, 11, 15, 10, 30, tzinfo=UTC))
    assert carrier(home).extend([old]) == [Reservation("res-1", N1, datetime(2026, 11, 15, 11, 0, tzinfo=UTC))]
    request = httpx_mock.get_request()
    sent(request, "POST", "/number_reservations/res-1/actions/extend")
    assert request.content == b"" and request.headers["Content-Length"] == "0"


def test_an_extend_telnyx_refuses_is_an_error_the_flow_says(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", **error(422, "10015", "Bad Request", "Every hold has lapsed"))
    with pytest.raises(CarrierError, match="Every hold has lapsed"):
        carrier(home).extend([Reservation("res-1", N1)])


def test_extend_through_the_boundary_answers_the_very_reservations_asked(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", json=reservation([(N1, "success", "2026-11-15T11:00:00Z")], rid="other"))
    with pytest.raises(CarrierAnswerUnknown):
        CheckedCarrier(carrier(home)).extend([Reservation("res-1", N1)])


def test_release_is_refused_without_a_request(httpx_mock, home, key):
    with pytest.raises(Unsupported, match="lapses"):
        carrier(home).release([Reservation("res-1", N1)])
    assert httpx_mock.get_requests() == []


def listed(records: list[dict], page: int = 1, pages: int = 1, size: int = 250) -> dict:
    return {"data": records, "meta": {"page_number": page, "page_size": size, "total_pages": pages,
                                      "total_results": len(records)}}


def test_find_reservation_takes_the_newest_live_hold_on_exactly_that_number(httpx_mock, home, key):
    soon = datetime.now(UTC) + timedelta(minutes=20)
    later = soon + timedelta(minutes=5)
    stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
    records = [reservation([(N1, "success", (soon - timedelta(hours=2)).strftime(stamp))], rid="lapsed")["data"],
               reservation([(N1, "success", later.strftime(stamp))], rid="newest")["data"],
               reservation([(N1, "success", soon.strftime(stamp))], rid="older")["data"],
               reservation([(N2, "success", (later + timedelta(minutes=1)).strftime(stamp))], rid="not-ours")["data"],
               reservation([(N1, "failure", None)], status="failure", rid="refused")["data"]]
    httpx_mock.add_response(json=listed(records))
    found = carrier(home).find_reservation(N1)
    assert (found.id, found.number) == ("newest", N1)
    request = httpx_mock.get_request()
    sent(request, "GET", "/number_reservations")
    assert query(request) == ("filter%5Bphone_numbers.phone_number%5D=%2B19195550142&filter%5Bstatus%5D=success"
                              "&page%5Bnumber%5D=1&page%5Bsize%5D=250")


def test_find_reservation_finds_none(httpx_mock, home, key):
    httpx_mock.add_response(json=listed([], pages=0))
    assert carrier(home).find_reservation(N1) is None


# -- number orders -----------------------------------------------------------------------------
def order_record(status: str, lines: list[tuple[str, str]], oid: str = "ord-1", reference: str = "key-1") -> dict:
    return {"data": {
        "id": oid, "record_type": "number_order", "status": status, "phone_numbers_count": len(lines),
        "customer_reference": reference, "connection_id": None, "messaging_profile_id": None,
        "billing_group_id": None, "requirements_met": True, "sub_number_orders_ids": ["sub-1"],
        "phone_numbers": [{"id": f"line-{n[-4:]}", "record_type": "number_order_phone_number", "phone_number": n,
                           "status": s, "requirements_met": True, "regulatory_requirements": []} for n, s in lines],
        "created_at": "2026-11-26T10:00:00.000000Z", "updated_at": "2026-11-26T10:00:00.000000Z"}}


def test_an_order_carries_the_key_and_the_accounts_ids(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", json=order_record("pending", [(N1, "pending"), (N2, "pending")]))
    answer = carrier(home, connection_id=123, messaging_profile_id="mp-1", billing_group_id="bg-1").order(
        [N1, N2], "key-1", [Reservation("res-1", N1)])
    request = httpx_mock.get_request()
    sent(request, "POST", "/number_orders")
    assert request.content == (b'{"billing_group_id":"bg-1","connection_id":"123","customer_reference":"key-1",'
                               b'"messaging_profile_id":"mp-1","phone_numbers":[{"phone_number":"+19195550142"},'
                               b'{"phone_number":"+19195550143"}]}')
    assert (answer.id, answer.status, answer.key, answer.completed, answer.failed) == ("ord-1", "pending", "key-1",
                                                                                       [], [])


def test_an_order_without_account_ids_sends_only_the_numbers_and_key(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", json=order_record("pending", [(N1, "pending")]))
    carrier(home).order([N1], "key-1")
    assert httpx_mock.get_request().content == (
        b'{"customer_reference":"key-1","phone_numbers":[{"phone_number":"+19195550142"}]}')


@pytest.mark.parametrize("failure", [
    {"status_code": 504, "text": "Gateway Timeout"},
    error(500, "10007", "Unexpected error", "An unexpected error occurred."),
])
def test_an_order_create_answered_5xx_is_never_sent_again(httpx_mock, home, key, slept, failure):
    httpx_mock.add_response(method="POST", **failure)
    with pytest.raises(CarrierUnreachable, match="outcome unknown"):
        carrier(home).order([N1], "key-1")
    assert len(httpx_mock.get_requests()) == 1 and slept == []


def test_an_order_create_whose_answer_is_lost_is_never_sent_again(httpx_mock, home, key):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), method="POST")
    with pytest.raises(CarrierUnreachable, match="did not complete"):
        carrier(home).order([N1], "key-1")
    assert len(httpx_mock.get_requests()) == 1


def test_an_order_that_never_left_says_nothing_reached_the_carrier(httpx_mock, home, key):
    from tnorder.errors import CarrierNotReached

    httpx_mock.add_exception(httpx.ConnectError("refused"), method="POST")
    with pytest.raises(CarrierNotReached, match="nothing reached the carrier"):
        carrier(home).order([N1], "key-1")


@pytest.mark.parametrize(("body", "word"), [
    ({"content": b'{"data": {"id": "', "headers": JSON}, "not JSON"),
    ({"html": "<html><body>Bad gateway</body></html>"}, "web page"),
    ({"json": {"data": {"status": "pending"}}}, "id"),
    ({"json": {"data": {"id": "ord-1", "status": 7}}}, "order status"),
])
def test_an_order_answer_tnorder_cannot_read_is_an_unknown_outcome(httpx_mock, home, key, body, word):
    httpx_mock.add_response(method="POST", **body)
    with pytest.raises(CarrierAnswerUnknown, match=word) as caught:
        carrier(home).order([N1], "key-1")
    assert "outcome unknown" in str(caught.value) and len(httpx_mock.get_requests()) == 1


def test_a_refused_order_is_a_carrier_error_with_telnyxs_code(httpx_mock, home, key):
    httpx_mock.add_response(method="POST", **error(422, "10015", "Bad Request", "1000 numbers is the maximum allowed."))
    with pytest.raises(CarrierError) as caught:
        carrier(home).order([N1], "key-1")
    assert (caught.value.code, caught.value.exit_code) == ("10015", 3)
    assert "1000 numbers is the maximum allowed." in str(caught.value)
    assert not isinstance(caught.value, CarrierUnreachable)


def test_a_rate_limited_order_waits_the_reset_and_sends_the_same_order_again(httpx_mock, home, key, slept):
    httpx_mock.add_response(method="POST", headers={"x-ratelimit-reset": "3"},
                            **error(429, "10011", "Too many requests", "You have exceeded the maximum number."))
    httpx_mock.add_response(method="POST", json=order_record("pending", [(N1, "pending")]))
    assert carrier(home).order([N1], "key-1").id == "ord-1"
    first, second = httpx_mock.get_requests()
    assert first.content == second.content and slept == [3.0]  # seconds until the reset, not an epoch


@pytest.mark.parametrize(("status", "lines", "expected", "completed", "failed", "note"), [
    ("pending", [(N1, "pending"), (N2, "pending")], "pending", [], [], None),
    ("pending", [(N1, "success"), (N2, "pending")], "pending", [N1], [], None),
    ("success", [(N1, "success"), (N2, "success")], "complete", [N1, N2], [], None),
    ("failure", [(N1, "failure"), (N2, "failure")], "failed", [], [N1, N2], None),
    ("partial_success", [(N1, "success"), (N2, "failure")], "partial", [N1], [N2], "carrier status 'partial_success'"),
    ("success", [(N1, "success"), (N2, "failure")], "partial", [N1], [N2], None),  # the numbers decide
    ("processing", [(N1, "pending")], "pending", [], [], "carrier status 'processing'"),
    ("success", [(N1, "success"), (N2, "on_hold")], "pending", [N1], [], "carrier status 'on_hold' of a number"),
    ("failure", [], "failed", [], [], None),
    ("success", [], "pending", [], [], None),  # no number said success: nothing is complete
])
def test_order_status_is_decided_by_each_numbers_status(httpx_mock, home, key, status, lines, expected, completed,
                                                        failed, note):
    httpx_mock.add_response(url=f"{BASE}/number_orders/ord-1", json=order_record(status, lines))
    answer = carrier(home).order_status("ord-1")
    sent(httpx_mock.get_request(), "GET", "/number_orders/ord-1")
    assert answer.status == expected
    assert [n.number for n in answer.completed] == completed
    assert [f.number for f in answer.failed] == failed
    assert answer.note == note
    assert (answer.key, answer.id) == ("key-1", "ord-1")
    if failed:
        assert answer.errors == [(None, f"{len(failed)} of {len(lines)} number(s) failed at Telnyx")]


def test_an_unknown_status_is_warned_about_and_kept_pending(httpx_mock, home, key, capsys):
    httpx_mock.add_response(json=order_record("processing", [(N1, "pending")]))
    assert carrier(home).order_status("ord-1").status == "pending"
    assert "carrier status 'processing' is unknown to tnorder; kept pending" in capsys.readouterr().err


def test_an_unknown_order_id_is_telnyxs_404(httpx_mock, home, key):
    httpx_mock.add_response(**error(404, "10005", "Resource not found", "Number order ord-9 was not found."))
    with pytest.raises(CarrierError) as caught:
        carrier(home).order_status("ord-9")
    assert caught.value.code == "10005" and "ord-9 was not found" in str(caught.value)


def list_entry(oid: str, reference: str) -> dict:
    record = order_record("pending", [(N1, "pending")], oid, reference)["data"]
    return record | {"phone_numbers": [{"id": "line-1", "phone_number": N1}]}  # SPEC `NumberOrder`: no status


def test_find_order_reads_every_page_compares_the_key_exactly_then_reads_the_order(httpx_mock, home, key):
    httpx_mock.add_response(url=f"{BASE}/number_orders?filter%5Bcustomer_reference%5D=key-1&page%5Bnumber%5D=1"
                                "&page%5Bsize%5D=250",
                            json=listed([list_entry("o-a", "key-10"), list_entry("o-b", "KEY-1")], 1, 2))
    httpx_mock.add_response(url=f"{BASE}/number_orders?filter%5Bcustomer_reference%5D=key-1&page%5Bnumber%5D=2"
                                "&page%5Bsize%5D=250",
                            json=listed([list_entry("o-c", "key-1")], 2, 2))
    httpx_mock.add_response(url=f"{BASE}/number_orders/o-c", json=order_record("success", [(N1, "success")], "o-c"))
    found = carrier(home).find_order("key-1")
    assert (found.id, found.status) == ("o-c", "complete")
    for request in httpx_mock.get_requests():
        sent(request, "GET", request.url.path[3:])


def test_find_order_finds_nothing(httpx_mock, home, key):
    httpx_mock.add_response(json=listed([], 1, 0))
    assert carrier(home).find_order("key-1") is None
    assert len(httpx_mock.get_requests()) == 1


def test_two_orders_under_one_key_follow_the_first_and_say_so(httpx_mock, home, key, capsys):
    httpx_mock.add_response(url=f"{BASE}/number_orders?filter%5Bcustomer_reference%5D=key-1&page%5Bnumber%5D=1"
                                "&page%5Bsize%5D=250",
                            json=listed([list_entry("o-a", "key-1"), list_entry("o-b", "key-1")]))
    httpx_mock.add_response(url=f"{BASE}/number_orders/o-a", json=order_record("pending", [(N1, "pending")], "o-a"))
    assert carrier(home).find_order("key-1").id == "o-a"
    assert "2 orders under key key-1" in capsys.readouterr().err


# -- in-service list and access ----------------------------------------------------------------
def phone(number: str, pid: str, status: str = "active") -> dict:
    return {"id": pid, "record_type": "phone_number", "phone_number": number, "status": status,
            "country_iso_alpha2": "US", "tags": [], "external_pin": None, "phone_number_type": "local",
            "purchased_at": "2019-10-23T18:10:00.000Z", "deletion_lock_enabled": False,
            "created_at": "2019-10-23T18:10:00.000Z"}


def in_service_url(page: int) -> str:
    return f"{BASE}/phone_numbers?filter%5Bstatus%5D=active&page%5Bnumber%5D={page}&page%5Bsize%5D=250"


def test_in_service_walks_every_page_by_total_pages(httpx_mock, home, key):
    first = [phone(f"+1919555{i:04d}", str(1293384261075731000 + i)) for i in range(250)]
    httpx_mock.add_response(url=in_service_url(1), json=listed(first, 1, 3))
    httpx_mock.add_response(url=in_service_url(2), json=listed([phone(N3, "77"), phone("+19195550667", "78",
                                                                                      "port-out-pending")], 2, 3))
    httpx_mock.add_response(url=in_service_url(3), json=listed([phone("+19195550668", "79")], 3, 3))
    numbers = list(carrier(home).in_service())
    assert len(numbers) == 252 and numbers[-2:] == [N3, "+19195550668"]
    for request in httpx_mock.get_requests():
        sent(request, "GET", "/phone_numbers")


def test_in_service_without_meta_stops_at_a_short_page(httpx_mock, home, key):
    httpx_mock.add_response(url=in_service_url(1), json={"data": [phone(N1, "1")]})
    assert list(carrier(home).in_service()) == [N1]


@pytest.mark.parametrize(("second", "word"), [
    (listed([phone(N1, "1")] * 250, 2, 5), "repeats page 1"),  # a server that ignores page[number]
    (listed([phone(N2, "2")], 1, 5), "page 1 answered where page 2"),
    (listed([phone(N2, "2")], 2, -1) | {"meta": {"total_pages": "lots"}}, "total_pages"),
])
def test_a_list_that_pages_wrongly_is_refused(httpx_mock, home, key, second, word):
    httpx_mock.add_response(url=in_service_url(1), json=listed([phone(N1, "1")] * 250, 1, 5))
    httpx_mock.add_response(url=in_service_url(2), json=second)
    with pytest.raises(CarrierUnexpected, match=word):
        list(carrier(home).in_service())


def test_check_access_is_one_cheap_read_and_never_shows_the_key(httpx_mock, home, key):
    httpx_mock.add_response(url=f"{BASE}/phone_numbers?page%5Bsize%5D=1",
                            json={"data": [phone(N1, "1")], "meta": {"page_number": 1, "page_size": 1,
                                                                     "total_pages": 42, "total_results": 42}})
    seen = carrier(home, connection_id="1234").check_access()
    assert seen == ("Telnyx API https://api.telnyx.com/v2: the API key in $TELNYX_API_KEY was accepted; "
                    "42 phone number(s) on the account; orders go with connection_id 1234")
    assert KEY not in seen
    sent(httpx_mock.get_request(), "GET", "/phone_numbers")


# -- disconnect --------------------------------------------------------------------------------
def lookup_url(number: str) -> str:
    return f"{BASE}/phone_numbers?filter%5Bphone_number%5D={number[1:]}"


def deleted(number: str, pid: str) -> dict:
    return {"data": phone(number, pid) | {"status": "deleted"}}


def test_disconnect_looks_up_each_id_then_deletes_it(httpx_mock, home, key):
    inexact = phone("+191955501429", "9")  # the filter's match is not documented as exact
    httpx_mock.add_response(url=lookup_url(N1), json=listed([inexact, phone(N1, "1293384261075731499")]))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/phone_numbers/1293384261075731499",
                            json=deleted(N1, "1293384261075731499"))
    httpx_mock.add_response(url=lookup_url(N2), json=listed([phone(N2, "55")]))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/phone_numbers/55", json=deleted(N2, "55"))
    answer = carrier(home).disconnect([N1, N2], "dis-1")
    assert (answer.status, [n.number for n in answer.completed], answer.failed) == ("complete", [N1, N2], [])
    assert answer.key == "dis-1" and answer.id == "deleted:dis-1"
    lookup, delete = httpx_mock.get_requests()[:2]
    sent(lookup, "GET", "/phone_numbers")
    assert query(lookup) == "filter%5Bphone_number%5D=19195550142"  # digits, never the `+`
    sent(delete, "DELETE", "/phone_numbers/1293384261075731499")
    assert delete.content == b""


def test_disconnect_records_each_numbers_outcome(httpx_mock, home, key):
    httpx_mock.add_response(url=lookup_url(N1), json=listed([phone(N1, "1")]))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/phone_numbers/1", status_code=204)
    httpx_mock.add_response(url=lookup_url(N2), json=listed([phone(N2, "2")]))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/phone_numbers/2",
                            **error(422, "10015", "Bad Request", "Deletion lock is enabled"))
    httpx_mock.add_response(url=lookup_url(N3), json=listed([]))
    httpx_mock.add_response(url=lookup_url("+19195550667"), json=listed([phone("+19195550667", "4", "deleted")]))
    answer = CheckedCarrier(carrier(home)).disconnect([N1, N2, N3, "+19195550667"], "dis 2")
    assert answer.status == "partial" and answer.id == "deleted:dis-2"
    assert [n.number for n in answer.completed] == [N1, "+19195550667"]  # found released already: released
    assert [(f.number, f.code, f.reason) for f in answer.failed] == [
        (N2, "10015", "not released: Bad Request: Deletion lock is enabled"),
        (N3, "not-found", "not a number of this Telnyx account")]


def test_a_disconnect_refused_before_any_release_is_the_refusal(httpx_mock, home, key):
    httpx_mock.add_response(url=lookup_url(N1), **error(401, "10009", "Authentication failed", "Could not understand"))
    with pytest.raises(CarrierAuthError):
        carrier(home).disconnect([N1, N2], "dis-3")


def test_a_refusal_after_a_release_leaves_the_rest_recorded_as_not_released(httpx_mock, home, key):
    httpx_mock.add_response(url=lookup_url(N1), json=listed([phone(N1, "1")]))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/phone_numbers/1", json=deleted(N1, "1"))
    httpx_mock.add_response(url=lookup_url(N2), **error(403, "10006", "Not authorized", "You are not authorized"))
    answer = carrier(home).disconnect([N1, N2, N3], "dis-4")
    assert answer.status == "partial" and [n.number for n in answer.completed] == [N1]
    assert [(f.number, f.code) for f in answer.failed] == [(N2, "10006"), (N3, "10006")]
    assert len(httpx_mock.get_requests()) == 3  # N3 was never asked about


@pytest.mark.parametrize("failure", [{"status_code": 502, "text": "Bad gateway"}, {"json": {"data": "gone"}},
                                     {"json": {"data": phone(N1, "1") | {"status": "port-out-pending"}}}])
def test_a_release_with_an_unknown_outcome_stops_and_is_unknown(httpx_mock, home, key, failure):
    httpx_mock.add_response(url=lookup_url(N1), json=listed([phone(N1, "1")]))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/phone_numbers/1", **failure)
    with pytest.raises(CarrierUnreachable, match=r"0 of 2 number\(s\) released, then \+19195550142"):
        carrier(home).disconnect([N1, N2], "dis-5")
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "DELETE"]  # one DELETE, N2 untouched


def test_a_lookup_that_never_completes_before_any_release_changed_nothing(httpx_mock, home, key, slept):
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), is_reusable=True)
    with pytest.raises(CarrierError, match="could not be looked up") as caught:
        carrier(home).disconnect([N1, N2], "dis-7")
    assert not isinstance(caught.value, CarrierUnreachable)  # a refusal: the order row is undone, exit 3
    assert {r.method for r in httpx_mock.get_requests()} == {"GET"}


def test_recover_disconnect_reads_the_in_service_list(httpx_mock, home, key):
    httpx_mock.add_response(url=in_service_url(1), json=listed([phone(N2, "2")]))
    answer = carrier(home).recover_disconnect("dis-6", [N1, N2])
    assert (answer.id, answer.status) == ("", "partial")
    assert [n.number for n in answer.completed] == [N1] and [f.number for f in answer.failed] == [N2]
    assert "in-service list" in answer.note


def test_disconnect_status_is_refused_plainly(home, key):
    with pytest.raises(CarrierError, match="no disconnect order"):
        carrier(home).disconnect_status("deleted:dis-1")


# -- errors, rate limits, bounds ---------------------------------------------------------------
@pytest.mark.parametrize(("answer", "kind", "code", "words"), [
    (error(400, "10015", "Bad Request", "filter[limit] must be a whole number"), CarrierError, "10015",
     ["Bad Request: filter[limit] must be a whole number"]),
    (error(401, "10009", "Authentication failed", "Could not understand the provided credentials."),
     CarrierAuthError, "10009", ["refused the API key in $TELNYX_API_KEY", "Mission Control → Auth"]),
    (error(403, "10006", "Not authorized", "You are not authorized to access the requested resource."),
     CarrierAuthError, "10006", ["lacks permission", "not a wrong key", "$TELNYX_API_KEY"]),
    (error(404, "10005", "Resource not found", "The requested resource doesn't exist."), CarrierError, "10005",
     ["doesn't exist"]),
    ({"status_code": 404, "text": "Not Found"}, CarrierError, "404", ["--url", "/v2"]),
    (error(422, "10015", "Bad Request", "Check the 'detail' field"), CarrierError, "10015", ["detail"]),
    (error(500, "10007", "Unexpected error", "An unexpected error occurred."), CarrierError, "10007",
     ["HTTP 500", "An unexpected error occurred."]),
])
def test_error_envelopes_become_one_carrier_error(httpx_mock, home, key, slept, answer, kind, code, words):
    httpx_mock.add_response(is_reusable=True, **answer)
    with pytest.raises(kind) as caught:
        carrier(home).search(build(area_code="919"), 2)
    assert isinstance(caught.value, CarrierAuthError) == (kind is CarrierAuthError)
    assert caught.value.code == code and KEY not in str(caught.value)
    for word in words:
        assert word in str(caught.value)
    assert len(httpx_mock.get_requests()) == (3 if answer["status_code"] >= 500 else 1)  # reads retry a 5xx


def test_a_429_honours_x_ratelimit_reset_then_gives_up_with_exit_7(httpx_mock, home, key, slept):
    limited = error(429, "10011", "Too many requests", "You have exceeded the maximum number of allowed requests.")
    httpx_mock.add_response(headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0",
                                     "x-ratelimit-reset": "2"}, is_reusable=True, **limited)
    with pytest.raises(CarrierRateLimited) as caught:
        carrier(home).search(build(area_code="919"), 2)
    assert caught.value.exit_code == 7 and "resets in 2 s" in str(caught.value)
    assert slept == [2.0, 2.0] and len(httpx_mock.get_requests()) == 3


def test_retry_after_is_honoured_and_a_long_wait_is_not_slept(httpx_mock, home, key, slept):
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "4", "x-ratelimit-reset": "9"})
    httpx_mock.add_response(json={"data": []})
    assert carrier(home).search(build(area_code="919"), 2) == [] and slept == [4.0]
    httpx_mock.add_response(status_code=429, headers={"x-ratelimit-reset": "900"})
    with pytest.raises(CarrierRateLimited, match="900 s"):
        carrier(home, options={"rate_limit_wait": 30}).search(build(area_code="919"), 2)
    assert slept == [4.0]


@pytest.mark.parametrize(("answer", "word"), [
    ({"html": "<!DOCTYPE html><html><body>Maintenance</body></html>"}, "web page"),
    ({"content": b"<SearchResult/>", "headers": {"Content-Type": "application/xml"}}, "not JSON"),
    ({"content": b'{"data": [', "headers": JSON}, "not JSON"),
    ({"content": b"[" * 100_000, "headers": JSON}, "not JSON"),
    ({"content": b'{"data": [], "meta": {"total_results": NaN}}', "headers": JSON}, "not JSON"),
    ({"content": b"", "headers": JSON}, "empty answer"),
])
def test_a_body_that_is_not_the_apis_json_is_unexpected_never_a_traceback(httpx_mock, home, key, slept, answer, word):
    httpx_mock.add_response(is_reusable=True, **answer)
    with pytest.raises(CarrierUnexpected, match=word):
        carrier(home).search(build(area_code="919"), 2)
    # a web page is an answer; JSON cut short may come whole the next time
    assert len(httpx_mock.get_requests()) == (1 if word == "web page" else 3)


def test_json_cut_short_once_is_read_again(httpx_mock, home, key, slept):
    httpx_mock.add_response(content=b'{"data": [{"phone_n', headers=JSON)
    httpx_mock.add_response(json={"data": [available(N1, **RALEIGH)]})
    assert [n.number for n in carrier(home).search(build(area_code="919"), 2)] == [N1]


def test_a_body_over_the_cap_is_cut_there(httpx_mock, home, key, slept):
    from tnorder.carriers.http import MAX_BODY

    httpx_mock.add_response(content=b'{"data": [' + b" " * MAX_BODY + b"]}", headers=JSON, is_reusable=True)
    with pytest.raises(CarrierUnreachable, match="AnswerTooLarge"):
        carrier(home).search(build(area_code="919"), 2)


# -- the key -----------------------------------------------------------------------------------
def test_no_key_is_exit_6_naming_the_variable_before_any_request(httpx_mock, home, monkeypatch):
    for value in (None, "", "   "):
        if value is None:
            monkeypatch.delenv("TELNYX_API_KEY", raising=False)
        else:
            monkeypatch.setenv("TELNYX_API_KEY", value)
        with pytest.raises(CarrierAuthError, match=r"\$TELNYX_API_KEY") as caught:
            carrier(home).search(build(area_code="919"), 2)
        assert caught.value.exit_code == 6
    assert httpx_mock.get_requests() == []


def test_a_key_that_is_no_token_is_refused_without_showing_it(httpx_mock, home, monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", "KEYabc\r\nX-Injected: yes")
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home).search(build(area_code="919"), 2)
    assert "KEYabc" not in str(caught.value) and "Injected" not in str(caught.value)
    assert httpx_mock.get_requests() == []


def test_the_key_is_in_no_repr_and_no_log_line(httpx_mock, home, key, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(json={"data": []})
    plugin = carrier(home)
    plugin.search(build(area_code="919"), 2)
    assert KEY not in repr(plugin.api.http.auth) + repr(plugin.account) + repr(plugin.__dict__)
    assert KEY not in caplog.text and "available_phone_numbers" in caplog.text


def test_an_account_without_api_key_env_is_a_config_error(home, key):
    with pytest.raises(ConfigError, match="--api-key-env"):
        TelnyxCarrier(CarrierConfig("tx", "telnyx"), AccountConfig("tx-main", "tx"), home)


@pytest.mark.parametrize("url", ["https://api.telnyx.com", "https://api.telnyx.com/v1", "ftp://api.telnyx.com/v2",
                                 "https:///v2"])
def test_a_url_that_is_not_an_api_v2_base_is_refused(url):
    with pytest.raises(ConfigError, match="/v2"):
        TelnyxCarrier.check_url(url)


def test_the_url_may_be_the_emulators_with_or_without_a_slash(httpx_mock, home, key):
    for url in ("http://127.0.0.1:8735/telnyx/v2", "http://127.0.0.1:8735/telnyx/v2/"):
        TelnyxCarrier.check_url(url)
        httpx_mock.add_response(url="http://127.0.0.1:8735/telnyx/v2/phone_numbers?page%5Bsize%5D=1",
                                json={"data": [], "meta": {"total_results": 0}})
        assert "0 phone number(s)" in carrier(home, url=url).check_access()
