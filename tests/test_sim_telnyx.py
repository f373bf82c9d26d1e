"""The emulator's Telnyx face (`/telnyx/v2`) over a real loopback socket, spoken to with raw httpx.

Requests are written by hand in the shapes of shared/carriers/telnyx.md (deepObject queries with and
without percent-encoded brackets, compact JSON bodies). The world's clock is pinned (`world.clock`),
so expiries and timestamps are exact and no assertion reads the wall clock.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from emulator import Emulator
from tnorder.sim.chaos import Chaos
from tnorder.sim.pool import Pool
from tnorder.sim.server import make_api, start

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z, the pinned world clock
KEY = "KEYtest-0123"


class Clock:
    def __init__(self, at: float = T0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("telnyx-world")


@pytest.fixture(scope="session")
def pool(world_dir: Path) -> Pool:
    shared = Pool(0, world_dir)
    shared.exchanges  # noqa: B018 - loaded once for every emulator of the session
    return shared


@pytest.fixture
def emulator(world_dir: Path, pool: Pool):
    running = []

    def launch(**options):
        options.setdefault("complete_after", 0)
        api = make_api(world_dir / f"world-{uuid.uuid4().hex}.sqlite", **options)
        api.world.pool = pool
        api.world.clock = Clock()
        running.append(start(api, quiet=True))
        return running[-1]

    yield launch
    for emu in running:
        emu.stop()


def tx(emu, method: str, path: str, *, key: str | None = KEY, query: str = "", body=None,
       content: bytes | None = None) -> httpx.Response:
    headers = {"Accept": "application/json"} | ({"Authorization": f"Bearer {key}"} if key is not None else {})
    if body is not None:
        content = json.dumps(body, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
    url = f"{emu.telnyx_url}{path}" + (f"?{query}" if query else "")
    return httpx.request(method, url, headers=headers, content=content)


def ok(response: httpx.Response, status: int = 200):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["code"] == code
    assert errors[0]["meta"]["url"] == f"https://developers.telnyx.com/docs/overview/errors/{code}"
    assert errors[0]["title"] and errors[0]["detail"]
    return errors[0]


def search(emu, query: str) -> list[dict]:
    answer = ok(tx(emu, "GET", "/available_phone_numbers", query="filter[country_code]=US&" + query))
    assert answer["meta"] == answer["metadata"] == {"total_results": len(answer["data"]), "best_effort_results": 0}
    return answer["data"]


def numbers(records: list[dict]) -> list[str]:
    return [r["phone_number"] for r in records]


def order(emu, wanted: list[str], reference: str = "ref-1", **fields) -> dict:
    body = {"customer_reference": reference, "phone_numbers": [{"phone_number": n} for n in wanted]} | fields
    return ok(tx(emu, "POST", "/number_orders", body=body))["data"]


def bought(emu, count: int, query: str = "filter[national_destination_code]=919") -> list[str]:
    wanted = numbers(search(emu, f"{query}&filter[limit]={count}"))
    made = order(emu, wanted)
    assert ok(tx(emu, "GET", f"/number_orders/{made['id']}"))["data"]["status"] == "success"
    return wanted


def region(record: dict, kind: str) -> str | None:
    return next((r["region_name"] for r in record["region_information"] if r["region_type"] == kind), None)


def when(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# -- search --------------------------------------------------------------------------------
def test_search_by_area_code_answers_telnyx_records(emulator):
    found = search(emulator(), "filter[national_destination_code]=919&filter[phone_number_type]=local&filter[limit]=4")
    assert len(found) == 4 and all(n.startswith("+1919") for n in numbers(found))
    first = found[0]
    assert first["record_type"] == "available_phone_number" and first["phone_number_type"] == "local"
    assert (first["best_effort"], first["reservable"], first["quickship"]) == (False, True, False)
    assert region(first, "state") == "NC" and region(first, "country_code") == "US" and region(first, "rate_center")
    assert region(first, "location").endswith(f"({region(first, 'rate_center')})")
    assert {"sms", "voice"} <= {f["name"] for f in first["features"]}
    assert first["cost_information"]["currency"] == "USD"


def test_brackets_may_come_percent_encoded_with_plus_as_space(emulator, pool):
    emu = emulator()
    center = next(e.rate_center for e in pool.exchanges if e.state == "NC" and " " in e.rate_center)
    plain = search(emu, f"filter[rate_center]={center}&filter[administrative_area]=NC&filter[limit]=3")
    encoded = search(emu, f"filter%5Brate_center%5D={center.replace(' ', '+')}"
                          "&filter%5Badministrative_area%5D=NC&filter%5Blimit%5D=3")
    assert numbers(plain) == numbers(encoded) and len(plain) == 3
    assert {region(r, "rate_center") for r in plain} == {center} and {region(r, "state") for r in plain} == {"NC"}


@pytest.mark.parametrize("features", ["filter[features]=sms,voice", "filter[features]=sms&filter[features]=voice",
                                      "filter[features][]=sms&filter[features][]=voice",
                                      "filter%5Bfeatures%5D=sms%2Cvoice"])
def test_array_filters_come_comma_joined_repeated_or_bracketed(emulator, features):
    found = search(emulator(), f"filter[national_destination_code]=919&{features}&filter[limit]=2")
    assert len(found) == 2


def test_the_ndc_rule_and_digit_filters(emulator, pool):
    emu = emulator()
    nxx = next(e.nxx for e in pool.exchanges if e.npa == "919")
    after_ndc = search(emu, f"filter[national_destination_code]=919&filter[phone_number][starts_with]={nxx}")
    whole = search(emu, f"filter[phone_number][starts_with]=919{nxx}")  # no NDC: the digits from the start
    assert after_ndc and numbers(after_ndc) == numbers(whole)
    assert all(n.startswith(f"+1919{nxx}") for n in numbers(after_ndc))
    target = numbers(after_ndc)[0]
    ends = search(emu, f"filter[national_destination_code]=919&filter[phone_number][ends_with]={target[-4:]}")
    assert target in numbers(ends) and all(n.endswith(target[-4:]) for n in numbers(ends))
    middle = target[6:10]
    contains = search(emu, f"filter[national_destination_code]=919&filter%5Bphone_number%5D%5Bcontains%5D={middle}")
    assert target in numbers(contains) and all(middle in n[5:] for n in numbers(contains))


@pytest.mark.parametrize("query", ["filter[national_destination_code]=9*9", "filter[rate_center]=RAL%25&"
                                   "filter[administrative_area]=NC", "filter[national_destination_code]=919&"
                                   "filter[phone_number][starts_with]=FLO", "filter[locality]=Ral*&"
                                   "filter[administrative_area]=NC",
                                   "filter[phone_number_type]=local&filter[national_destination_code]=888",
                                   "filter[phone_number_type]=mobile"])
def test_wildcards_letters_and_impossible_filters_find_nothing(emulator, query):
    assert search(emulator(), query) == []


def test_toll_free_by_code_and_by_vanity_digits(emulator):
    emu = emulator()
    by_code = search(emu, "filter[phone_number_type]=toll_free&filter[national_destination_code]=888&"
                          "filter[quickship]=true&filter[limit]=5")
    assert len(by_code) == 5 and all(n.startswith("+1888") for n in numbers(by_code))
    assert {r["phone_number_type"] for r in by_code} == {"toll_free"} and all(r["quickship"] for r in by_code)
    assert [r["region_information"] for r in by_code[:1]] == [[{"region_type": "country_code", "region_name": "US"}]]
    first = by_code[0]["phone_number"]
    leading = search(emu, f"filter[phone_number][starts_with]={first[2:8]}")  # no type: 888 says toll-free
    assert first in numbers(leading) and {r["phone_number_type"] for r in leading} == {"toll_free"}
    vanity = search(emu, "filter[phone_number_type]=toll_free&filter[phone_number][contains]=3569377")  # FLOWERS
    assert vanity and all("3569377" in n and n[2:5] in ("800", "833", "844", "855", "866", "877", "888")
                          for n in numbers(vanity))


def test_state_and_city_searches(emulator, pool):
    emu = emulator()
    state = search(emu, "filter[administrative_area]=OH&filter[limit]=6")
    assert len(state) == 6 and {region(r, "state") for r in state} == {"OH"}
    city = next(e.city for e in pool.exchanges if e.state == "NC" and e.city == "RALEIGH")
    found = search(emu, f"filter[locality]={city.title()}&filter[administrative_area]=NC&filter[limit]=3")
    assert len(found) == 3 and all(region(r, "location").startswith("RALEIGH (") for r in found)


def test_limit_defaults_to_100_and_is_checked(emulator):
    emu = emulator()
    assert len(search(emu, "filter[administrative_area]=CA")) == 100
    problem = error(tx(emu, "GET", "/available_phone_numbers", query="filter[country_code]=US&filter[limit]=0"),
                    400, "10015")
    assert problem["source"] == {"parameter": "filter[limit]"}


@pytest.mark.parametrize(("query", "status", "code", "parameter"), [
    ("filter[national_destination_code]=919", 400, "10004", "filter[country_code]"),
    ("filter[country_code]=USA", 400, "10015", "filter[country_code]"),
    ("filter[country_code]=US&filter[features]=telepathy", 400, "10015", "filter[features]"),
    ("filter[country_code]=US&filter[phone_number_type]=pager", 400, "10015", "filter[phone_number_type]"),
    ("filter[country_code]=US&filter[best_effort]=maybe", 400, "10015", "filter[best_effort]"),
])
def test_bad_search_parameters_are_400s_naming_the_parameter(emulator, query, status, code, parameter):
    problem = error(tx(emulator(), "GET", "/available_phone_numbers", query=query), status, code)
    assert problem["source"] == {"parameter": parameter}


# -- auth, routes, the envelope --------------------------------------------------------------
def test_bearer_key_is_checked_when_configured(emulator):
    guarded = emulator(telnyx_key=KEY)
    query = "filter[country_code]=US&filter[limit]=1"
    for key in (None, "wrong", KEY + "x"):
        problem = error(tx(guarded, "GET", "/available_phone_numbers", key=key, query=query), 401, "10009")
        assert problem["title"] == "Authentication failed" and KEY not in json.dumps(problem)
    basic = httpx.get(f"{guarded.telnyx_url}/phone_numbers", auth=("u", KEY))
    error(basic, 401, "10009")
    assert len(ok(tx(guarded, "GET", "/available_phone_numbers", query=query))["data"]) == 1
    open_face = emulator()
    assert ok(tx(open_face, "GET", "/phone_numbers", key="anything"))["data"] == []
    error(tx(open_face, "GET", "/phone_numbers", key=None), 401, "10009")


def test_undefined_routes_and_methods_are_404_envelopes(emulator):
    emu = emulator()
    made = ok(tx(emu, "POST", "/number_reservations",
                 body={"phone_numbers": [{"phone_number": numbers(search(emu, "filter[limit]=1"))[0]}]}))["data"]
    error(tx(emu, "DELETE", f"/number_reservations/{made['id']}"), 404, "10005")  # Telnyx has no release
    error(tx(emu, "GET", "/no_such_thing"), 404, "10005")
    error(tx(emu, "PUT", "/number_orders"), 404, "10005")
    assert ok(tx(emu, "GET", f"/number_reservations/{made['id']}"))["data"]["status"] == "success"  # still held


def test_rate_limit_headers_and_429(emulator):
    emu = emulator(rate_limit=2)
    first = tx(emu, "GET", "/phone_numbers")
    assert first.headers["x-ratelimit-limit"] == "2" and first.headers["x-ratelimit-reset"] == "1"
    assert int(first.headers["x-ratelimit-remaining"]) in (0, 1)
    statuses = [tx(emu, "GET", "/phone_numbers") for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    error(limited[0], 429, "10011")
    assert limited[0].headers["x-ratelimit-remaining"] == "0" and limited[0].headers["x-ratelimit-reset"] == "1"


def test_injected_faults_are_500_429_or_truncated_json_and_never_touch_the_world(emulator):
    emu = emulator(fail_rate=1.0, seed=5)
    wanted = numbers(search_unfaulted(emu, "filter[limit]=3"))
    seen = set()
    for _ in range(12):
        response = tx(emu, "POST", "/number_orders", body={"phone_numbers": [{"phone_number": wanted[0]}]})
        seen.add(response.status_code)
        if response.status_code == 200:
            with pytest.raises(ValueError):
                response.json()
        else:
            error(response, response.status_code, {500: "10007", 429: "10011"}[response.status_code])
    assert seen == {200, 429, 500}
    emu.api.fail_rate = 0
    assert ok(tx(emu, "GET", "/number_orders"))["data"] == []


def search_unfaulted(emu, query: str) -> list[dict]:
    rate, emu.api.fail_rate = emu.api.fail_rate, 0
    try:
        return search(emu, query)
    finally:
        emu.api.fail_rate = rate


def test_dropped_connections_before_or_after_the_world_acts(emulator):
    emu = emulator(chaos=Chaos(drop_rate=1.0, seed=9))
    emu.api.chaos.drop_rate = 0
    wanted = numbers(search(emu, "filter[limit]=6"))
    emu.api.chaos.drop_rate = 1.0
    replay = Chaos(drop_rate=1.0, seed=9)
    for number in wanted:
        with pytest.raises(httpx.TransportError):
            tx(emu, "POST", "/number_orders", body={"phone_numbers": [{"phone_number": number}]})
    emu.api.chaos.drop_rate = 0
    afters = [replay.drop() for _ in wanted].count("after")
    assert 0 < afters < len(wanted)  # the seed gives both kinds
    assert len(ok(tx(emu, "GET", "/number_orders"))["data"]) == afters


def test_pause_points_hold_an_order_at_received(emulator, tmp_path):
    marker = tmp_path / "pause"
    emu = emulator(chaos=Chaos(pause_at="received", pause_file=marker))
    wanted = numbers(search(emu, "filter[limit]=1"))
    answers = []
    thread = threading.Thread(target=lambda: answers.append(order(emu, wanted)))
    thread.start()
    paused = Path(f"{marker}.received")
    for _ in range(200):
        if paused.exists():
            break
        time.sleep(0.02)
    assert paused.exists()
    assert ok(tx(emu, "GET", "/number_orders"))["data"] == []  # stopped before the world took it
    paused.unlink()
    thread.join(10)
    assert answers and answers[0]["status"] == "pending"
    assert [o["id"] for o in ok(tx(emu, "GET", "/number_orders"))["data"]] == [answers[0]["id"]]


def test_latency_delays_the_answer(emulator):
    emu = emulator(latency_ms=150)
    started = time.monotonic()
    ok(tx(emu, "GET", "/phone_numbers"))
    assert time.monotonic() - started >= 0.15


def test_an_unexpected_failure_is_a_500_envelope(emulator, monkeypatch):
    emu = emulator()

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr("tnorder.sim.telnyx.search.search", broken)
    error(tx(emu, "GET", "/available_phone_numbers", query="filter[country_code]=US"), 500, "10007")


# -- reservations ----------------------------------------------------------------------------
def reserve(emu, wanted: list[str], reference: str | None = "hold-1") -> dict:
    body = {"phone_numbers": [{"phone_number": n} for n in wanted]} | (
        {"customer_reference": reference} if reference else {})
    return ok(tx(emu, "POST", "/number_reservations", body=body))["data"]


def test_reservations_hold_30_minutes_each_number_granted_or_refused(emulator):
    emu = emulator()
    a, b, c = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=3"))
    first = reserve(emu, [a, b])
    assert first["record_type"] == "number_reservation" and first["status"] == "success"
    assert first["customer_reference"] == "hold-1" and first["created_at"] == "2027-01-15T08:00:00.000000Z"
    entries = first["phone_numbers"]
    assert [(e["phone_number"], e["status"], e["record_type"]) for e in entries] == [
        (a, "success", "reserved_phone_number"), (b, "success", "reserved_phone_number")]
    assert {when(e["expired_at"]) for e in entries} == {T0 + 1800}
    partial = reserve(emu, [b, c], "hold-2")
    assert partial["status"] == "partial_success"
    assert [(e["status"], e["errors"]) for e in partial["phone_numbers"]] == [
        ("failure", "Number is already on hold"), ("success", None)]
    refused = reserve(emu, [a], "hold-3")
    assert refused["status"] == "failure" and refused["errors"] == "Number is already on hold"
    assert a not in numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=50"))


def test_a_number_no_search_showed_is_not_reserved(emulator):
    emu = emulator()
    shown = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=1"))[0]
    unseen = next(n for n in (f"+1919555{i:04d}" for i in range(300, 400)) if n != shown)
    made = reserve(emu, [shown, unseen])
    assert made["status"] == "partial_success"
    assert [(e["phone_number"], e["status"]) for e in made["phone_numbers"]] == [(shown, "success"),
                                                                                 (unseen, "failure")]


def test_reservation_get_list_filters_and_paging(emulator):
    emu = emulator()
    wanted = numbers(search(emu, "filter[limit]=3"))
    made = []
    for i, number in enumerate(wanted):
        emu.api.world.clock.at = T0 + i
        made.append(reserve(emu, [number], f"hold-{i}"))
    assert ok(tx(emu, "GET", f"/number_reservations/{made[1]['id']}"))["data"] == made[1]
    by_reference = ok(tx(emu, "GET", "/number_reservations", query="filter%5Bcustomer_reference%5D=hold-1"))
    assert [r["id"] for r in by_reference["data"]] == [made[1]["id"]]
    by_number = ok(tx(emu, "GET", "/number_reservations",
                      query=f"filter[phone_numbers.phone_number]={wanted[2].replace('+', '%2B')}"))
    assert [r["id"] for r in by_number["data"]] == [made[2]["id"]]
    page = ok(tx(emu, "GET", "/number_reservations", query="page[number]=2&page[size]=2"))
    assert page["meta"] == {"page_number": 2, "page_size": 2, "total_pages": 2, "total_results": 3}
    assert [r["id"] for r in page["data"]] == [made[0]["id"]]  # newest first
    assert ok(tx(emu, "GET", "/number_reservations", query="filter[status]=failure"))["data"] == []
    error(tx(emu, "GET", f"/number_reservations/{uuid.uuid4()}"), 404, "10005")


def test_extend_adds_30_minutes_and_lapsed_holds_free_the_number(emulator):
    emu = emulator()
    clock = emu.api.world.clock
    wanted = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=2"))
    made = reserve(emu, wanted)
    clock.at = T0 + 600
    extended = ok(tx(emu, "POST", f"/number_reservations/{made['id']}/actions/extend"))["data"]
    assert {when(e["expired_at"]) for e in extended["phone_numbers"]} == {T0 + 3600}
    assert extended["updated_at"] == "2027-01-15T08:10:00.000000Z"
    clock.at = T0 + 3599
    assert not set(wanted) & set(numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=50")))
    clock.at = T0 + 3601
    again = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=50"))
    assert set(wanted) <= set(again)  # lapsed: offered again, as Telnyx returns them to the pool
    lapsed = ok(tx(emu, "GET", f"/number_reservations/{made['id']}"))["data"]
    assert lapsed["status"] == "success" and all(e["expired"] for e in lapsed["phone_numbers"])
    error(tx(emu, "POST", f"/number_reservations/{made['id']}/actions/extend"), 422, "10015")
    error(tx(emu, "POST", f"/number_reservations/{uuid.uuid4()}/actions/extend"), 404, "10005")
    assert reserve(emu, wanted[:1])["status"] == "success"  # anyone may hold it now


# -- orders ----------------------------------------------------------------------------------
def test_an_order_is_pending_then_settles_per_number(emulator):
    emu = emulator(complete_after=60)
    wanted = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=2"))
    made = order(emu, wanted, "tn-key-1", connection_id="123", messaging_profile_id="mp-1")
    assert made["record_type"] == "number_order" and made["status"] == "pending"
    assert (made["customer_reference"], made["connection_id"], made["messaging_profile_id"],
            made["billing_group_id"]) == ("tn-key-1", "123", "mp-1", None)
    assert made["phone_numbers_count"] == 2 and [p["status"] for p in made["phone_numbers"]] == ["pending"] * 2
    line = made["phone_numbers"][0]
    assert line["record_type"] == "number_order_phone_number" and line["phone_number"] == wanted[0]
    assert (line["phone_number_type"], line["country_code"]) == ("local", "US")
    emu.api.world.clock.at = T0 + 60
    settled = ok(tx(emu, "GET", f"/number_orders/{made['id']}"))["data"]
    assert settled["status"] == "success" and [p["status"] for p in settled["phone_numbers"]] == ["success"] * 2
    assert [p["id"] for p in settled["phone_numbers"]] == [p["id"] for p in made["phone_numbers"]]
    assert settled["updated_at"] == "2027-01-15T08:01:00.000000Z"


def test_a_partial_order_fails_numbers_taken_or_never_offered(emulator):
    emu = emulator()
    shown, taken = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=2"))
    httpx.post(f"{emu.url}/accounts/77/tnreservation", auth=("bw", "pw"),  # the Bandwidth face takes one
               content=f"<Reservation><ReservedTn>{taken[2:]}</ReservedTn></Reservation>").raise_for_status()
    unseen = "+19195550342" if "+19195550342" not in (shown, taken) else "+19195550343"
    made = order(emu, [shown, taken, unseen])
    settled = ok(tx(emu, "GET", f"/number_orders/{made['id']}"))["data"]
    assert settled["status"] == "partial_success"
    assert [(p["phone_number"], p["status"]) for p in settled["phone_numbers"]] == [
        (shown, "success"), (taken, "failure"), (unseen, "failure")]
    failed = order(emu, [taken], "ref-2")
    assert ok(tx(emu, "GET", f"/number_orders/{failed['id']}"))["data"]["status"] == "failure"


def test_a_reserved_number_is_ordered_by_its_account(emulator):
    emu = emulator()
    wanted = numbers(search(emu, "filter[limit]=1"))
    reserve(emu, wanted)
    made = order(emu, wanted)
    assert ok(tx(emu, "GET", f"/number_orders/{made['id']}"))["data"]["status"] == "success"


def test_orders_list_by_exact_reference_status_time_and_page(emulator):
    emu = emulator()
    clock = emu.api.world.clock
    wanted = numbers(search(emu, "filter[limit]=3"))
    made = []
    for i, (number, reference) in enumerate(zip(wanted, ("k-1", "k-10", "k-1"), strict=True)):
        clock.at = T0 + 10 * i
        made.append(order(emu, [number], reference))
    listed = ok(tx(emu, "GET", "/number_orders", query="filter%5Bcustomer_reference%5D=k-1"))
    assert [o["id"] for o in listed["data"]] == [made[2]["id"], made[0]["id"]]  # exact, newest first
    assert listed["data"][0]["phone_numbers"] == [{"id": made[2]["phone_numbers"][0]["id"], "phone_number": wanted[2]}]
    assert listed["meta"] == {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 2}
    between = ok(tx(emu, "GET", "/number_orders", query="filter[created_at][gt]=2027-01-15T08:00:05Z"
                                                        "&filter[created_at][lt]=2027-01-15T08:00:15Z"))
    assert [o["id"] for o in between["data"]] == [made[1]["id"]]
    assert len(ok(tx(emu, "GET", "/number_orders", query="filter[status]=success"))["data"]) == 3
    second = ok(tx(emu, "GET", "/number_orders", query="page[number]=2&page[size]=2"))
    assert [o["id"] for o in second["data"]] == [made[0]["id"]] and second["meta"]["total_pages"] == 2
    error(tx(emu, "GET", "/number_orders", query="page[size]=251"), 400, "10015")


def test_patch_changes_the_reference(emulator):
    emu = emulator()
    made = order(emu, numbers(search(emu, "filter[limit]=1")), "old")
    emu.api.world.clock.at = T0 + 5
    patched = ok(tx(emu, "PATCH", f"/number_orders/{made['id']}", body={"customer_reference": "new"}))["data"]
    assert patched["customer_reference"] == "new" and patched["updated_at"] == "2027-01-15T08:00:05.000000Z"
    assert [o["id"] for o in ok(tx(emu, "GET", "/number_orders", query="filter[customer_reference]=new"))["data"]] \
        == [made["id"]]
    error(tx(emu, "PATCH", f"/number_orders/{uuid.uuid4()}", body={"customer_reference": "x"}), 404, "10005")


def test_sub_orders_one_per_number_type(emulator):
    emu = emulator()
    local = numbers(search(emu, "filter[limit]=1"))
    toll_free = numbers(search(emu, "filter[phone_number_type]=toll_free&filter[limit]=1"))
    made = order(emu, local + toll_free)
    subs = ok(tx(emu, "GET", "/sub_number_orders", query=f"filter[order_request_id]={made['id']}"))["data"]
    assert sorted((s["phone_number_type"], s["phone_numbers_count"], s["status"]) for s in subs) == [
        ("local", 1, "success"), ("toll_free", 1, "success")]
    assert {s["order_request_id"] for s in subs} == {made["id"]} and sorted(made["sub_number_orders_ids"]) == \
        sorted(s["id"] for s in subs)


def test_weird_status_reads_on_unsettled_orders(emulator):
    emu = emulator(complete_after=60, weird_status="processing")
    made = order(emu, numbers(search(emu, "filter[limit]=1")))
    assert made["status"] == "processing"
    emu.api.world.clock.at = T0 + 61
    assert ok(tx(emu, "GET", f"/number_orders/{made['id']}"))["data"]["status"] == "success"


@pytest.mark.parametrize("path", ["/number_orders", "/number_reservations"])
def test_bad_bodies(emulator, path):
    emu = emulator()
    problem = error(tx(emu, "POST", path, content=b'{"phone_numbers": [', key=KEY), 400, "10015")
    assert problem["source"] == {"pointer": "/"}
    bad = error(tx(emu, "POST", path, body={"phone_numbers": [{"phone_number": "9195550142"}]}), 422, "10016")
    assert bad["source"] == {"pointer": "/phone_numbers/0/phone_number"}
    error(tx(emu, "POST", path, body={"phone_numbers": [{"phone_number": "+19115550142"}]}), 422, "10016")
    many = [{"phone_number": f"+1919555{i:04d}"} for i in range(1001)]
    assert error(tx(emu, "POST", path, body={"phone_numbers": many}), 422, "10015")["detail"] == (
        "1000 numbers is the maximum allowed.")
    error(tx(emu, "POST", path, body={"phone_numbers": []}), 422, "10015")
    error(tx(emu, "POST", path, body=["not", "an", "object"]), 422, "10015")
    assert ok(tx(emu, "GET", path))["data"] == []  # none of it reached the world


def test_unknown_order_is_404(emulator):
    error(tx(emulator(), "GET", f"/number_orders/{uuid.uuid4()}"), 404, "10005")


# -- one world -------------------------------------------------------------------------------
def test_one_world_across_faces(emulator):
    emu = emulator()
    mine = bought(emu, 3)
    offered = httpx.get(f"{emu.url}/accounts/1/availableNumbers", params={"areaCode": "919", "quantity": 5000},
                        auth=("bw", "pw")).text
    assert all(n[2:] not in offered for n in mine)  # sold through Telnyx: Bandwidth cannot offer it
    theirs = numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=1"))[0]
    httpx.post(f"{emu.url}/accounts/1/tnreservation", auth=("bw", "pw"),
               content=f"<Reservation><ReservedTn>{theirs[2:]}</ReservedTn></Reservation>").raise_for_status()
    assert theirs not in numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=200"))
    assert reserve(emu, [theirs])["status"] == "failure"


# -- phone numbers ---------------------------------------------------------------------------
def test_phone_numbers_list_paging_and_filters(emulator):
    emu = emulator()
    mine = bought(emu, 5)
    first = ok(tx(emu, "GET", "/phone_numbers", query="filter[status]=active&page[size]=2"))
    assert first["meta"] == {"page_number": 1, "page_size": 2, "total_pages": 3, "total_results": 5}
    pages = [first] + [ok(tx(emu, "GET", "/phone_numbers", query=f"page%5Bnumber%5D={p}&page%5Bsize%5D=2"))
                       for p in (2, 3)]
    listed = [r for page in pages for r in page["data"]]
    assert sorted(r["phone_number"] for r in listed) == sorted(mine) and len(pages[2]["data"]) == 1
    record = listed[0]
    assert record["record_type"] == "phone_number" and record["status"] == "active" and record["id"].isdigit()
    assert (record["country_iso_alpha2"], record["phone_number_type"], record["tags"]) == ("US", "local", [])
    assert record["purchased_at"] == "2027-01-15T08:00:00.000000Z" and record["deletion_lock_enabled"] is False
    digits = mine[0][1:]
    found = ok(tx(emu, "GET", "/phone_numbers", query=f"filter[phone_number]={digits}"))["data"]
    assert [r["phone_number"] for r in found] == [mine[0]]
    assert ok(tx(emu, "GET", "/phone_numbers", query="filter[phone_number]=%2B1919"))["data"] == []  # not digits
    error(tx(emu, "GET", "/phone_numbers", query="filter[phone_number]=91"), 400, "10015")
    assert ok(tx(emu, "GET", "/phone_numbers", query="filter[country_iso_alpha2]=CA"))["data"] == []
    assert len(ok(tx(emu, "GET", "/phone_numbers", query="filter[country_iso_alpha2]=US,CA"))["data"]) == 5
    error(tx(emu, "GET", "/phone_numbers", query="page[size]=0"), 400, "10015")
    error(tx(emu, "GET", "/phone_numbers", query="filter[status]=lost"), 400, "10015")


def test_numbers_being_bought_are_purchase_pending(emulator):
    emu = emulator(complete_after=60)
    wanted = numbers(search(emu, "filter[limit]=1"))
    order(emu, wanted)
    pending = ok(tx(emu, "GET", "/phone_numbers", query="filter[status]=purchase-pending"))["data"]
    assert [(r["phone_number"], r["status"]) for r in pending] == [(wanted[0], "purchase-pending")]
    assert ok(tx(emu, "GET", "/phone_numbers", query="filter[status]=active"))["data"] == []
    error(tx(emu, "DELETE", f"/phone_numbers/{pending[0]['id']}"), 404, "10005")
    emu.api.world.clock.at = T0 + 60
    active = ok(tx(emu, "GET", "/phone_numbers", query="filter[status]=active"))["data"]
    assert [(r["id"], r["status"]) for r in active] == [(pending[0]["id"], "active")]  # the id stays


def test_get_and_delete_one_number(emulator):
    emu = emulator()
    mine = bought(emu, 2)
    listed = {r["phone_number"]: r for r in ok(tx(emu, "GET", "/phone_numbers"))["data"]}
    target = listed[mine[0]]
    assert ok(tx(emu, "GET", f"/phone_numbers/{target['id']}"))["data"] == target
    deleted = ok(tx(emu, "DELETE", f"/phone_numbers/{target['id']}"))["data"]
    assert (deleted["id"], deleted["phone_number"], deleted["status"]) == (target["id"], mine[0], "deleted")
    assert [r["phone_number"] for r in ok(tx(emu, "GET", "/phone_numbers"))["data"]] == [mine[1]]
    error(tx(emu, "GET", f"/phone_numbers/{target['id']}"), 404, "10005")
    error(tx(emu, "DELETE", f"/phone_numbers/{target['id']}"), 404, "10005")
    error(tx(emu, "GET", "/phone_numbers/not-a-number"), 404, "10005")
    assert mine[0] not in numbers(search(emu, "filter[national_destination_code]=919&filter[limit]=200"))


def test_bulk_delete_job(emulator):
    emu = emulator(complete_after=30)
    mine = bought_later(emu, 3)
    ids = {r["phone_number"]: r["id"] for r in ok(tx(emu, "GET", "/phone_numbers"))["data"]}
    job = ok(tx(emu, "POST", "/phone_numbers/jobs/delete_phone_numbers", body={"phone_numbers": mine[:2]}), 202)
    job = job["data"]
    assert (job["record_type"], job["type"], job["status"]) == ("phone_numbers_job", "delete_phone_numbers",
                                                                "pending")
    assert job["pending_operations"] == [{"id": ids[n], "phone_number": n} for n in mine[:2]]
    assert job["successful_operations"] == job["failed_operations"] == []
    emu.api.world.clock.at += 30
    done = ok(tx(emu, "GET", f"/phone_numbers/jobs/{job['id']}"))["data"]
    assert done["status"] == "completed" and done["pending_operations"] == []
    assert done["successful_operations"] == [{"id": ids[n], "phone_number": n} for n in mine[:2]]
    assert [r["phone_number"] for r in ok(tx(emu, "GET", "/phone_numbers"))["data"]] == [mine[2]]
    by_id = ok(tx(emu, "POST", "/phone_numbers/jobs/delete_phone_numbers", body={"phone_numbers": [ids[mine[2]]]}),
               202)["data"]
    assert by_id["phone_numbers"] == [{"id": ids[mine[2]], "phone_number": mine[2]}]
    error(tx(emu, "GET", f"/phone_numbers/jobs/{uuid.uuid4()}"), 404, "10005")


def bought_later(emu, count: int) -> list[str]:
    """Numbers bought while orders take `complete_after` to settle: the clock moves past it."""
    wanted = numbers(search(emu, f"filter[limit]={count}"))
    order(emu, wanted)
    emu.api.world.clock.at += emu.api.world.complete_after
    return sorted(wanted)


@pytest.mark.parametrize(("given", "words"), [
    (["+19195550142", "1293384261075731499"], "either all phone numbers"),
    ([], "1 to 1000"),
    (["+1919555"], "E.164"),
    (["+19195550142"], "You must own every number"),
    ([f"+1919555{i:04d}" for i in range(1001)], "1 to 1000"),
])
def test_bulk_delete_refusals(emulator, given, words):
    emu = emulator()
    problem = error(tx(emu, "POST", "/phone_numbers/jobs/delete_phone_numbers", body={"phone_numbers": given}),
                    422, "10016" if words == "E.164" else "10015")
    assert words in problem["detail"]


def test_the_serve_command_prints_the_telnyx_url_and_checks_the_key(home):
    emu = Emulator(home, "--telnyx-key", KEY, "--complete-after", "0")
    try:
        deadline = time.monotonic() + 10  # the banner's Telnyx line follows the Bandwidth one the fixture waits for
        while not any("Telnyx API v2 emulator on" in line for line in emu.lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        line = next(line for line in emu.lines if "Telnyx API v2 emulator on" in line)
        base = emu.url.removesuffix("/api") + "/telnyx/v2"
        assert base in line and KEY not in emu.log()
        assert httpx.get(f"{base}/phone_numbers", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(f"{base}/phone_numbers", headers={"Authorization": f"Bearer {KEY}"}).json()["data"] == []
    finally:
        emu.stop()
