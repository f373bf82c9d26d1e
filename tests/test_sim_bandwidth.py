"""The Bandwidth API emulator over a real loopback socket, spoken to with raw httpx.

Wire shapes are those of /work/shared/carriers/bandwidth.md. Each test gets its own world file; the
files share one directory so the number pool's cache is built once per session.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from tnorder.sim.bandwidth_auth import Credentials
from tnorder.sim.pool import Pool
from tnorder.sim.server import make_api, start

ACCOUNT = "9900001"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bandwidth-world")


@pytest.fixture(scope="session")
def pool(world_dir: Path) -> Pool:
    shared = Pool(0, world_dir)
    shared.exchanges  # noqa: B018 - loaded once for every emulator of the session
    return shared


@pytest.fixture
def start_emulator(world_dir: Path, pool: Pool):
    """`start_emulator(complete_after=0, credentials=…, fail_rate=…, log=…)` -> a running emulator."""
    running = []

    def launch(*, log=None, **options):
        options.setdefault("complete_after", 0)
        api = make_api(world_dir / f"world-{uuid.uuid4().hex}.sqlite", **options)
        api.world.pool = pool  # same seed: the same numbers, without reloading them
        running.append(start(api, log=log))
        return running[-1]

    yield launch
    for emulator in running:
        emulator.stop()


@pytest.fixture
def emu(start_emulator):
    return start_emulator()


@pytest.fixture
def bw(emu):
    """httpx on one account of the emulator, Basic auth (any credentials are accepted by default)."""
    with client(f"{emu.url}/accounts/{ACCOUNT}", auth=("rehearsal", "pw")) as bw_client:
        yield bw_client


def client(base_url: str = "", auth: tuple[str, str] | None = None) -> httpx.Client:
    """Plain HTTP on loopback: no TLS context to build (that costs ~50 ms per client)."""
    return httpx.Client(base_url=base_url, auth=auth, timeout=10, verify=False)


@pytest.fixture
def http():
    with client() as plain:
        yield plain


def xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == "application/xml"
    assert response.content.startswith(DECLARATION)
    return ET.fromstring(response.content)


def search(client: httpx.Client, **params) -> list[str]:
    response = client.get("/availableNumbers", params=params)
    assert response.status_code == 200, response.text
    return [e.text for e in xml(response).findall("TelephoneNumberList/TelephoneNumber")]


def details(client: httpx.Client, **params) -> list[dict[str, str]]:
    response = client.get("/availableNumbers", params=params | {"enableTNDetail": "true"})
    assert response.status_code == 200, response.text
    found = xml(response).findall("TelephoneNumberDetailList/TelephoneNumberDetail")
    return [{c.tag: c.text for c in d} for d in found]


def search_error(client: httpx.Client, **params) -> tuple[str, str]:
    response = client.get("/availableNumbers", params=params)
    assert response.status_code == 400, response.text
    root = xml(response)
    assert root.tag == "SearchResult"
    return root.findtext("Error/Code"), root.findtext("Error/Description")


def existing_order(numbers: list[str], *, coid: str | None = "rehearsal-1", rids: list[str] = (), site: str = "1",
                   extra: str = "") -> str:
    listed = "".join(f"<TelephoneNumber>{n}</TelephoneNumber>" for n in numbers)
    held = "".join(f"<ReservationId>{r}</ReservationId>" for r in rids)
    return (
        f"<Order>{f'<CustomerOrderId>{coid}</CustomerOrderId>' if coid else ''}<Name>rehearsal</Name>"
        f"{f'<SiteId>{site}</SiteId>' if site else ''}{extra}<ExistingTelephoneNumberOrderType>"
        f"<TelephoneNumberList>{listed}</TelephoneNumberList>"
        f"{f'<ReservationIdList>{held}</ReservationIdList>' if held else ''}"
        "</ExistingTelephoneNumberOrderType></Order>"
    )


def place(client: httpx.Client, body: str) -> str:
    response = client.post("/orders", content=body, headers={"Content-Type": "application/xml"})
    assert response.status_code == 201, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def read_order(client: httpx.Client, oid: str, **params) -> ET.Element:
    response = client.get(f"/orders/{oid}", params=params)
    assert response.status_code == 200, response.text
    return xml(response)


def order_error(client: httpx.Client, body: str, status: int = 400) -> tuple[str, str, ET.Element]:
    response = client.post("/orders", content=body)
    assert response.status_code == status, response.text
    root = xml(response)
    assert root.tag == "OrderResponse"
    return root.findtext("ErrorList/Error/Code"), root.findtext("ErrorList/Error/Description"), root


def disconnect(client: httpx.Client, numbers: list[str], coid: str = "release-1") -> str:
    listed = "".join(f"<TelephoneNumber>{n}</TelephoneNumber>" for n in numbers)
    body = (f"<DisconnectTelephoneNumberOrder><CustomerOrderId>{coid}</CustomerOrderId>"
            f"<DisconnectTelephoneNumberOrderType><TelephoneNumberList>{listed}</TelephoneNumberList>"
            "</DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>")
    response = client.post("/disconnects", content=body)
    assert response.status_code == 201, response.text
    return response.headers["location"].rsplit("/", 1)[1]


# -- search --------------------------------------------------------------------------------
def test_search_returns_ten_digit_numbers_with_the_documented_envelope(bw):
    response = bw.get("/availableNumbers", params={"areaCode": "919", "quantity": 3})
    root = xml(response)
    numbers = [e.text for e in root.findall("TelephoneNumberList/TelephoneNumber")]
    assert [c.tag for c in root] == ["ResultCount", "TelephoneNumberList"]
    assert root.findtext("ResultCount") == "3" and len(numbers) == 3
    assert all(re.fullmatch(r"919\d{7}", n) for n in numbers)


def test_search_detail_children_come_in_the_documented_order(bw):
    found = details(bw, areaCode="919", quantity=2)
    response = bw.get("/availableNumbers", params={"areaCode": "919", "quantity": 2, "enableTNDetail": "true"})
    first = xml(response).find("TelephoneNumberDetailList/TelephoneNumberDetail")
    assert [c.tag for c in first] == ["City", "LATA", "RateCenter", "State", "FullNumber", "Tier", "VendorId",
                                      "VendorName"]
    assert len(found) == 2
    assert all(d["State"] == "NC" and d["Tier"] == "0" and d["VendorId"] == "49" and d["VendorName"] == "Bandwidth CLEC"
               for d in found)


def test_toll_free_details_have_no_geography(bw):
    found = details(bw, tollFreeWildCardPattern="87*", quantity=3)
    assert len(found) == 3
    assert all(list(d) == ["FullNumber", "Tier", "VendorId", "VendorName"] for d in found)
    assert all(d["FullNumber"].startswith("87") for d in found)


def test_each_documented_criterion_finds_matching_numbers(bw):
    sample = details(bw, areaCode="919", quantity=1)[0]
    for params, check in [
        # LCA defaults to true (documented): exact rate-center and exchange results need LCA=false
        ({"rateCenter": sample["RateCenter"], "state": "NC", "LCA": "false"},
         lambda d: d["RateCenter"] == sample["RateCenter"]),
        ({"city": sample["City"], "state": "NC"}, lambda d: d["City"] == sample["City"]),
        ({"state": "VT"}, lambda d: d["State"] == "VT"),
        ({"lata": sample["LATA"]}, lambda d: d["LATA"] == sample["LATA"]),
        ({"zip": "27601"}, lambda d: d["State"] == "NC"),
        ({"areaCode": "919", "state": "NC", "lata": sample["LATA"]},
         lambda d: d["FullNumber"].startswith("919") and d["LATA"] == sample["LATA"]),
        ({"npaNxx": sample["FullNumber"][:6], "LCA": "false"},
         lambda d: d["FullNumber"].startswith(sample["FullNumber"][:6])),
        ({"tollFreeVanity": "FLOWERS"}, lambda d: d["FullNumber"].endswith("3569377")),
        ({"tollFreeWildCardPattern": "8**"}, lambda d: d["FullNumber"].startswith("8")),
    ]:
        found = details(bw, quantity=3, **params)
        assert found, params
        assert all(check(d) for d in found), (params, found)


def test_quantity_defaults_to_5000_and_is_bounded(bw):
    assert len(search(bw, lata=details(bw, areaCode="919", quantity=1)[0]["LATA"])) > 100  # no quantity: up to 5000
    for bad in ("0", "5001", "ten"):
        assert search_error(bw, areaCode="919", quantity=bad)[0] == "4010"


def test_an_empty_result_is_a_bare_count(bw):
    response = bw.get("/availableNumbers", params={"areaCode": "919", "state": "CA", "quantity": 5})
    assert response.status_code == 200
    assert response.content == DECLARATION + b"\n<SearchResult><ResultCount>0</ResultCount></SearchResult>"


@pytest.mark.parametrize("params, text", [
    ({}, "null or empty"),
    ({"quantity": "5"}, "null or empty"),
    ({"rateCenter": "RALEIGH"}, "specify state"),
    ({"city": "RALEIGH"}, "specify state"),
    ({"areaCode": "919", "npaNxx": "919555"}, "unsupported"),
    ({"tollFreeWildCardPattern": "8**", "state": "NC"}, "unsupported"),
    ({"tollFreeWildCardPattern": "8**", "tollFreeVanity": "FLOWERS"}, "unsupported"),
    ({"areaCode": "919", "endsIn": "true"}, "Ends In"),
    ({"areaCode": "919", "LCA": "true"}, "LCA search is not supported"),
    ({"state": "NC", "LCA": "true"}, "LCA search is not supported"),
    ({"rateCenter": "RALEIGH", "state": "NC", "city": "RALEIGH", "LCA": "true"}, "LCA search is not supported"),
    ({"tollFreeWildCardPattern": "8**", "LCA": "true"}, "LCA search is not supported"),
    ({"areaCode": "919", "enableTNDetail": "yes"}, "enableTNDetail"),
])
def test_unsupported_combinations_are_4010(bw, params, text):
    code, description = search_error(bw, **params)
    assert code == "4010" and text in description


def test_lca_is_accepted_where_it_applies_and_false_everywhere(bw):
    sample = details(bw, areaCode="919", quantity=1)[0]
    assert search(bw, rateCenter=sample["RateCenter"], state="NC", LCA="true", quantity=2)
    assert search(bw, npaNxx=sample["FullNumber"][:6], LCA="true", quantity=2)
    assert search(bw, areaCode="919", LCA="false", quantity=2)


@pytest.mark.parametrize("params, code", [
    ({"areaCode": "119"}, "4000"),
    ({"areaCode": "91"}, "4000"),
    ({"rateCenter": "R@LEIGH", "state": "NC"}, "4001"),
    ({"npaNxx": "91955"}, "4002"),
    ({"npaNxx": "919155"}, "4002"),
    ({"tollFreeVanity": "AB"}, "4003"),
    ({"tollFreeWildCardPattern": "9**"}, "4004"),
    ({"city": "R@LEIGH", "state": "NC"}, "4005"),
    ({"state": "XX"}, "4006"),
    ({"zip": "2760"}, "4007"),
    ({"lata": "12"}, "4008"),
    ({"areaCode": "919", "orderBy": "price"}, "4020"),
    ({"areaCode": "919", "orderBy": "fullNumber"}, "4021"),
    ({"areaCode": "919", "protected": "SOME"}, "4022"),
])
def test_invalid_values_get_their_own_code(bw, params, code):
    assert search_error(bw, **params)[0] == code


def test_order_by_and_protected(bw):
    found = search(bw, tollFreeWildCardPattern="8**", orderBy="fullNumber", quantity=20)
    assert found == sorted(found)
    assert search(bw, areaCode="919", protected="ONLY", quantity=3) == []  # the world has no protected numbers
    assert len(search(bw, areaCode="919", protected="MIXED", quantity=3)) == 3


def test_numbers_held_by_anyone_are_not_offered(emu, bw):
    first = search(bw, areaCode="919", quantity=2)
    place(bw, existing_order(first[:1]))
    with client(f"{emu.url}/accounts/other", auth=("x", "y")) as other:
        assert first[0] not in search(other, areaCode="919", quantity=2)


# -- reservations --------------------------------------------------------------------------
def test_reservation_lifecycle(emu, bw):
    number = search(bw, areaCode="919", quantity=1)[0]
    body = f"<Reservation><ReservedTn>{number}</ReservedTn></Reservation>"
    made = bw.post("/tnreservation", content=body)
    assert made.status_code == 201 and made.content == b""
    assert re.fullmatch(rf"{emu.url}/accounts/{ACCOUNT}/tnreservation/[0-9a-f-]{{36}}", made.headers["location"])
    rid = made.headers["location"].rsplit("/", 1)[1]

    held = xml(bw.get(f"/TnReservation/{rid}")).find("Reservation")
    assert [c.tag for c in held] == ["ReservationId", "AccountId", "ReservationExpires", "ReservedTn"]
    assert held.findtext("ReservationId") == rid and held.findtext("AccountId") == ACCOUNT
    assert held.findtext("ReservedTn") == number and 14000 < int(held.findtext("ReservationExpires")) <= 14400
    assert number not in search(bw, areaCode="919", quantity=5)

    taken = bw.post("/tnreservation", content=body)
    assert taken.status_code == 400
    assert xml(taken).findtext("ResponseStatus/ErrorCode") == "5041"
    assert number in xml(taken).findtext("ResponseStatus/Description")

    assert bw.delete(f"/tnreservation/{rid}").status_code == 200
    gone = bw.get(f"/tnreservation/{rid}")
    assert gone.status_code == 404 and xml(gone).findtext("ResponseStatus/ErrorCode") == "5043"
    assert bw.delete(f"/tnreservation/{rid}").status_code == 404
    assert bw.post("/TNRESERVATION", content=body).status_code == 201


@pytest.mark.parametrize("body", ["<Reservation/>", "<Reservation><ReservedTn>+19195550142</ReservedTn></Reservation>",
                                  "<Nope><ReservedTn>9195550142</ReservedTn></Nope>", "<Reservation>"])
def test_a_bad_reservation_is_5044(bw, body):
    response = bw.post("/tnreservation", content=body)
    assert response.status_code == 400 and xml(response).findtext("ResponseStatus/ErrorCode") == "5044"


# -- orders --------------------------------------------------------------------------------
def test_order_is_received_then_complete(start_emulator):
    emu = start_emulator(complete_after=1.5)
    with client(f"{emu.url}/accounts/{ACCOUNT}", auth=("rehearsal", "pw")) as bw:
        numbers = search(bw, areaCode="919", quantity=2)
        made = bw.post("/orders", content=existing_order(numbers, coid="rehearsal-42"))
        assert made.status_code == 201
        root = xml(made)
        oid = root.findtext("Order/id")
        assert made.headers["location"] == f"{emu.url}/accounts/{ACCOUNT}/orders/{oid}"
        assert root.findtext("OrderStatus") == "RECEIVED"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", root.findtext("Order/OrderCreateDate"))
        assert root.findtext("Order/CustomerOrderId") == "rehearsal-42" and root.findtext("Order/SiteId") == "1"

        pending = read_order(bw, oid)
        assert pending.findtext("OrderStatus") == "RECEIVED" and pending.find("OrderCompleteDate") is None
        assert pending.findtext("PendingQuantity") == "2" and pending.findtext("CompletedQuantity") == "0"
        time.sleep(1.6)
        done = read_order(bw, oid)
    assert done.findtext("OrderStatus") == "COMPLETE"
    assert done.find("Order/id") is None  # GET order has no <id>
    assert [c.tag for c in done] == ["CompletedQuantity", "CreatedByUser", "ErrorList", "LastModifiedDate",
                                     "OrderCompleteDate", "Order", "OrderStatus", "CompletedNumbers", "Summary",
                                     "FailedQuantity"]
    assert len(done.find("ErrorList")) == 0
    assert done.findtext("CreatedByUser") == "rehearsal" and done.findtext("CompletedQuantity") == "2"
    assert sorted(e.text for e in done.findall("CompletedNumbers/TelephoneNumber/FullNumber")) == sorted(numbers)
    assert done.findtext("Summary") == "2 numbers ordered in (919)" and done.findtext("FailedQuantity") == "0"


def test_a_taken_number_makes_the_order_partial_with_5005(bw):
    first, second = search(bw, areaCode="919", quantity=2)
    place(bw, existing_order([first], coid="a"))
    root = read_order(bw, place(bw, existing_order([first, second], coid="b")))
    assert root.findtext("OrderStatus") == "PARTIAL"
    error = root.find("ErrorList/Error")
    assert [c.tag for c in error] == ["Code", "Description", "TelephoneNumber"]
    assert error.findtext("Code") == "5005" and error.findtext("TelephoneNumber") == first
    assert error.findtext("Description") == "The telephone number is unavailable for ordering"
    assert [e.text for e in root.find("FailedNumbers")] == [first]  # bare FullNumber elements
    assert root.find("FailedNumbers/FullNumber") is not None
    assert [e.text for e in root.findall("CompletedNumbers/TelephoneNumber/FullNumber")] == [second]
    assert root.findtext("Summary") == "1 out of 2 numbers ordered in (919)"
    assert root.findtext("FailedQuantity") == "1"


def test_partial_allowed_false_fails_every_number_and_frees_them(bw):
    first, second = search(bw, areaCode="919", quantity=2)
    place(bw, existing_order([first], coid="a"))
    oid = place(bw, existing_order([first, second], coid="b", extra="<PartialAllowed>false</PartialAllowed>"))
    root = read_order(bw, oid)
    assert root.findtext("OrderStatus") == "FAILED" and root.findtext("CompletedQuantity") == "0"
    assert sorted(e.text for e in root.findall("FailedNumbers/FullNumber")) == sorted([first, second])
    assert root.findtext("Order/PartialAllowed") == "false"
    assert read_order(bw, place(bw, existing_order([second], coid="c"))).findtext("OrderStatus") == "COMPLETE"


def test_reserved_numbers_need_their_reservation_id(bw):
    number = search(bw, areaCode="919", quantity=1)[0]
    made = bw.post("/tnreservation", content=f"<Reservation><ReservedTn>{number}</ReservedTn></Reservation>")
    rid = made.headers["location"].rsplit("/", 1)[1]
    assert read_order(bw, place(bw, existing_order([number], coid="x"))).findtext("OrderStatus") == "FAILED"
    ordered = read_order(bw, place(bw, existing_order([number], coid="y", rids=[rid])))
    assert ordered.findtext("OrderStatus") == "COMPLETE"
    assert ordered.findtext("Order/ExistingTelephoneNumberOrderType/ReservationIdList/ReservationId") == rid


@pytest.mark.parametrize("order_type, check", [
    ("<AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>2</Quantity></AreaCodeSearchAndOrderType>",
     lambda n: n.startswith("919")),
    ("<RateCenterSearchAndOrderType><RateCenter>RALEIGH</RateCenter><State>NC</State><Quantity>2</Quantity>"
     "<EnableLCA>false</EnableLCA></RateCenterSearchAndOrderType>", None),
    ("<StateSearchAndOrderType><State>VT</State><Quantity>2</Quantity></StateSearchAndOrderType>",
     lambda n: n.startswith("802")),
    ("<CitySearchAndOrderType><City>RALEIGH</City><State>NC</State><Quantity>2</Quantity></CitySearchAndOrderType>",
     None),
    ("<ZIPSearchAndOrderType><Zip>27601</Zip><Quantity>2</Quantity></ZIPSearchAndOrderType>", None),
    ("<LATASearchAndOrderType><Lata>426</Lata><Quantity>2</Quantity></LATASearchAndOrderType>", None),
    ("<LATASearchAndOrderType><LATA>426</LATA><Quantity>2</Quantity></LATASearchAndOrderType>", None),
    ("<TollFreeWildCharSearchAndOrderType><TollFreeWildCardPattern>88*</TollFreeWildCardPattern>"
     "<Quantity>2</Quantity></TollFreeWildCharSearchAndOrderType>", lambda n: n.startswith("88")),
    ("<TollFreeVanitySearchAndOrderType><TollFreeVanity>FLOWERS</TollFreeVanity><Quantity>2</Quantity>"
     "</TollFreeVanitySearchAndOrderType>", lambda n: n.endswith("3569377")),
])
def test_search_and_order_types(bw, order_type, check):
    made = bw.post("/orders", content=f"<Order><SiteId>1</SiteId>{order_type}</Order>")
    assert made.status_code == 201, made.text
    tag = ET.fromstring(order_type).tag
    assert xml(made).find(f"Order/{tag}") is not None  # the type element is echoed
    root = read_order(bw, made.headers["location"].rsplit("/", 1)[1])
    numbers = [e.text for e in root.findall("CompletedNumbers/TelephoneNumber/FullNumber")]
    assert root.findtext("OrderStatus") == "COMPLETE" and len(numbers) == 2
    assert all(re.fullmatch(r"\d{10}", n) and (check is None or check(n)) for n in numbers)


def test_search_and_order_with_nothing_found_fails_with_5018(bw):
    order_type = "<CitySearchAndOrderType><City>NOWHERE</City><State>NC</State><Quantity>3</Quantity>"
    root = read_order(bw, place(bw, f"<Order><SiteId>1</SiteId>{order_type}</CitySearchAndOrderType></Order>"))
    assert root.findtext("OrderStatus") == "FAILED" and root.findtext("ErrorList/Error/Code") == "5018"
    assert root.findtext("FailedQuantity") == "3"


def test_order_with_tn_detail(bw):
    numbers = search(bw, areaCode="919", quantity=1)
    root = read_order(bw, place(bw, existing_order(numbers)), tndetail="true")
    number = root.find("CompletedNumbers/TelephoneNumber")
    assert number.findtext("FullNumber") == numbers[0] and number.findtext("State") == "NC"
    assert number.findtext("RateCenter") and number.findtext("City")


TN_TYPE = "<ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9195550142</TelephoneNumber>" \
          "</TelephoneNumberList></ExistingTelephoneNumberOrderType>"


@pytest.mark.parametrize("body, code, text", [
    (f"<Order>{TN_TYPE}</Order>", "5022", "SiteId is a required field"),
    (f"<Order><SiteId>main</SiteId>{TN_TYPE}</Order>", "5016", "SiteId"),
    (f"<Order><SiteId>1</SiteId><PeerId>x</PeerId>{TN_TYPE}</Order>", "5023", "PeerId"),
    (f"<Order><CustomerOrderId>{'k' * 41}</CustomerOrderId><SiteId>1</SiteId>{TN_TYPE}</Order>", "5052", ""),
    (f"<Order><CustomerOrderId>a_b</CustomerOrderId><SiteId>1</SiteId>{TN_TYPE}</Order>", "5052", ""),
    (f"<Order><SiteId>1</SiteId><PartialAllowed>maybe</PartialAllowed>{TN_TYPE}</Order>", "5217", ""),
    ("<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType/></Order>", "5001",
     "Invalid input telephone number list"),
    ("<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>+19195550142"
     "</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>", "5070", "invalid"),
    ("<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9195550142"
     "</TelephoneNumber><TelephoneNumber>9195550142</TelephoneNumber></TelephoneNumberList>"
     "</ExistingTelephoneNumberOrderType></Order>", "5093", "duplicate"),
    ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode></AreaCodeSearchAndOrderType>"
     "</Order>", "5198", "Quantity"),
    ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><Quantity>2</Quantity></AreaCodeSearchAndOrderType>"
     "</Order>", "5198", "AreaCode"),
    ("<Order><SiteId>1</SiteId><TollFreeVanitySearchAndOrderType><TollFreeVanity>FLOWERS</TollFreeVanity>"
     "</TollFreeVanitySearchAndOrderType></Order>", "5199", "Quantity"),
    ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>0</Quantity>"
     "</AreaCodeSearchAndOrderType></Order>", "5009", "Quantity"),
    ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>5001</Quantity>"
     "</AreaCodeSearchAndOrderType></Order>", "5215", "5000"),
    ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>119</AreaCode><Quantity>1</Quantity>"
     "</AreaCodeSearchAndOrderType></Order>", "5002", "119"),
    ("<Order><SiteId>1</SiteId><ZipSearchAndOrderType><Zip>27601</Zip><Quantity>1</Quantity>"
     "</ZipSearchAndOrderType></Order>", "5002", "provide some search criteria"),
    (f"<Order><SiteId>1</SiteId>{TN_TYPE}<StateSearchAndOrderType><State>NC</State><Quantity>1</Quantity>"
     "</StateSearchAndOrderType></Order>", "5002", "combination of search criteria is unsupported"),
    ("<Order><SiteId>1</SiteId>", "5002", "well-formed"),
    ("<Reservation><ReservedTn>9195550142</ReservedTn></Reservation>", "5002", "Order"),
])
def test_order_validation_errors_change_nothing(emu, bw, body, code, text):
    got_code, description, _ = order_error(bw, body)
    assert got_code == code and text.lower() in description.lower()
    assert emu.api.world.orders(ACCOUNT) == []


def test_validation_errors_echo_the_order(bw):
    _, _, root = order_error(bw, f"<Order><CustomerOrderId>k1</CustomerOrderId>{TN_TYPE}</Order>")
    assert [c.tag for c in root] == ["ErrorList", "Order"] and root.findtext("Order/CustomerOrderId") == "k1"


def test_a_bare_telephone_number_list_is_a_500(emu, bw):
    body = "<Order><SiteId>1</SiteId><TelephoneNumberList><TelephoneNumber>9195550142</TelephoneNumber>" \
           "</TelephoneNumberList></Order>"
    response = bw.post("/orders", content=body)
    assert response.status_code == 500 and xml(response).tag == "ErrorResponse"
    assert emu.api.world.orders(ACCOUNT) == []


def test_without_a_default_peer_orders_need_a_peer_id(start_emulator):
    emu = start_emulator(default_peer=False)
    with client(f"{emu.url}/accounts/{ACCOUNT}", auth=("u", "p")) as bw:
        code, description, _ = order_error(bw, existing_order(["9195550142"]))
        assert code == "5020" and description == "No default SIP peer is set on the account and site"
        place(bw, existing_order(["9195550142"], extra="<PeerId>1</PeerId>"))
        assert xml(bw.get("/sites/1/sippeers")).findtext("SipPeers/SipPeer/IsDefaultPeer") == "false"


def test_orders_are_scoped_to_their_account(emu, bw):
    oid = place(bw, existing_order(search(bw, areaCode="919", quantity=1)))
    with client(f"{emu.url}/accounts/other", auth=("u", "p")) as other:
        response = other.get(f"/orders/{oid}")
    assert response.status_code == 404
    assert xml(response).findtext("ResponseStatus/Description") == "The resource does not exist"
    assert bw.get("/orders/no-such-order").status_code == 404


def test_listing_orders_redirects_without_page_and_size(emu, bw):
    oid = place(bw, existing_order(search(bw, areaCode="919", quantity=1), coid="find-me"))
    place(bw, existing_order(search(bw, areaCode="919", quantity=1), coid="not-me"))
    moved = bw.get("/orders", params={"customerOrderId": "find-me"})
    assert moved.status_code == 303
    assert moved.headers["location"] == f"{emu.url}/accounts/{ACCOUNT}/orders?customerOrderId=find-me&page=1&size=300"
    root = xml(bw.get("/orders", params={"customerOrderId": "find-me"}, follow_redirects=True))
    listed = root.find("ListOrderIdUserIdDate")
    assert listed.findtext("TotalCount") == "1"
    assert listed.findtext("Links/first").startswith("Link=<http://")
    entry = listed.find("OrderIdUserIdDate")
    assert [c.tag for c in entry] == ["CountOfTNs", "CustomerOrderId", "userId", "lastModifiedDate", "OrderDate",
                                      "OrderType", "orderId", "OrderStatus"]
    assert entry.findtext("orderId") == oid and entry.findtext("OrderType") == "new_number"
    assert entry.findtext("OrderStatus") == "COMPLETE" and entry.findtext("userId") == "rehearsal"
    nothing = xml(bw.get("/orders", params={"customerOrderId": "never", "page": 1, "size": 10}))
    assert nothing.findtext("ListOrderIdUserIdDate/TotalCount") == "0"


def test_order_list_pages_by_order_id(bw):
    ids = [place(bw, existing_order(search(bw, areaCode="919", quantity=1), coid=f"k{i}")) for i in range(3)]
    first = xml(bw.get("/orders", params={"page": 1, "size": 2})).find("ListOrderIdUserIdDate")
    assert first.findtext("TotalCount") == "3"
    assert [e.findtext("orderId") for e in first.findall("OrderIdUserIdDate")] == ids[:2]
    next_url = re.fullmatch(r'Link=<(.+)>;rel="next";', first.findtext("Links/next")).group(1)
    assert f"page={ids[2]}" in next_url
    second = xml(bw.get(next_url)).find("ListOrderIdUserIdDate")
    assert [e.findtext("orderId") for e in second.findall("OrderIdUserIdDate")] == ids[2:]
    assert second.find("Links/next") is None
    assert xml(bw.get("/orders", params={"page": 1, "size": 9, "status": "failed"})).findtext(
        "ListOrderIdUserIdDate/TotalCount") == "0"
    assert bw.get("/orders", params={"page": 1, "size": 9, "status": "done"}).status_code == 400
    assert bw.get("/orders", params={"page": 1, "size": 0}).status_code == 400


# -- disconnects ---------------------------------------------------------------------------
def test_disconnect_lifecycle(emu, bw):
    mine = search(bw, areaCode="919", quantity=1)[0]
    place(bw, existing_order([mine]))
    assert bw.get("/disconnects").status_code == 404  # none yet, as documented
    made = bw.post("/disconnects", content=(
        "<DisconnectTelephoneNumberOrder><CustomerOrderId>release-7</CustomerOrderId>"
        f"<DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>{mine}</TelephoneNumber>"
        "<TelephoneNumber>2025550100</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType>"
        "</DisconnectTelephoneNumberOrder>"))
    assert made.status_code == 201
    root = xml(made)
    did = root.findtext("orderRequest/id")
    assert made.headers["location"] == f"{emu.url}/accounts/{ACCOUNT}/disconnects/{did}"
    assert root.findtext("OrderStatus") == "RECEIVED"
    assert root.findtext("orderRequest/CustomerOrderId") == "release-7"
    assert root.findtext("orderRequest/OrderCreateDate")
    assert root.findtext("orderRequest/DisconnectTelephoneNumberOrderType/DisconnectMode") == "normal"

    read = xml(bw.get(f"/disconnects/{did}"))
    assert [c.tag for c in read] == ["DisconnectedTelephoneNumberList", "ErrorList", "orderRequest", "OrderStatus"]
    assert read.findtext("OrderStatus") == "PARTIAL"
    assert [e.text for e in read.findall("DisconnectedTelephoneNumberList/TelephoneNumber")] == [mine]
    assert read.findtext("ErrorList/Error/Code") == "5006"
    assert read.findtext("ErrorList/Error/TelephoneNumber") == "2025550100"
    assert bw.get("/inserviceNumbers").status_code == 204

    listed = xml(bw.get("/disconnects", params={"page": 1, "size": 10})).find("ListOrderIdUserIdDate")
    entry = listed.find("OrderIdUserIdDate")
    # no CustomerOrderId in the list, as in every public sample: recovery cannot lean on it
    assert [c.tag for c in entry] == ["CountOfTNs", "userId", "lastModifiedDate", "OrderId",
                                      "OrderType", "OrderDate", "OrderStatus"]
    assert entry.findtext("OrderId") == did and entry.findtext("OrderType") == "disconnect"
    assert entry.findtext("CountOfTNs") == "2"
    assert bw.get("/disconnects/no-such").status_code == 404


def test_disconnect_accepts_the_older_lower_case_name(emu, bw):
    body = ("<DisconnectTelephoneNumberOrder><name>old-style</name><DisconnectTelephoneNumberOrderType>"
            "<TelephoneNumberList><TelephoneNumber>9195550142</TelephoneNumber></TelephoneNumberList>"
            "<DisconnectMode>NORMAL</DisconnectMode></DisconnectTelephoneNumberOrderType>"
            "</DisconnectTelephoneNumberOrder>")
    made = bw.post("/disconnects", content=body)
    assert made.status_code == 201 and xml(made).findtext("orderRequest/name") == "old-style"
    assert emu.api.world.find("old-style", ACCOUNT, "disconnect")
    assert xml(bw.get(made.headers["location"])).findtext("OrderStatus") == "FAILED"


@pytest.mark.parametrize("body, code", [
    ("<DisconnectTelephoneNumberOrder><CustomerOrderId>k</CustomerOrderId><TelephoneNumberList><TelephoneNumber>"
     "9195550142</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrder>", "5001"),
    ("<DisconnectTelephoneNumberOrder><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>"
     "9195550142</TelephoneNumber></TelephoneNumberList><DisconnectMode>gently</DisconnectMode>"
     "</DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>", "5084"),
    ("<DisconnectTelephoneNumberOrder><CustomerOrderId>k#1</CustomerOrderId><DisconnectTelephoneNumberOrderType>"
     "<TelephoneNumberList><TelephoneNumber>9195550142</TelephoneNumber></TelephoneNumberList>"
     "</DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>", "5052"),
    ("<DisconnectTelephoneNumberOrder><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>"
     "919555</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType>"
     "</DisconnectTelephoneNumberOrder>", "5070"),
])
def test_disconnect_validation(emu, bw, body, code):
    response = bw.post("/disconnects", content=body)
    assert response.status_code == 400
    root = xml(response)
    assert root.tag == "DisconnectTelephoneNumberOrderResponse" and root.findtext("ErrorList/Error/Code") == code
    assert emu.api.world.orders(ACCOUNT, "disconnect") == []


def test_missing_disconnect_wrapper_text(bw):
    body = ("<DisconnectTelephoneNumberOrder><TelephoneNumberList><TelephoneNumber>9195550142</TelephoneNumber>"
            "</TelephoneNumberList></DisconnectTelephoneNumberOrder>")
    assert xml(bw.post("/disconnects", content=body)).findtext("ErrorList/Error/Description") == \
        "Invalid input telephone number list"


# -- in-service, account, sites, paths -----------------------------------------------------
def test_in_service_numbers_page_and_count(bw):
    assert bw.get("/inserviceNumbers").status_code == 204
    numbers = search(bw, areaCode="919", quantity=3) + search(bw, areaCode="802", quantity=1)
    place(bw, existing_order(numbers))
    first = xml(bw.get("/inserviceNumbers", params={"page": 1, "size": 2}))
    assert [c.tag for c in first] == ["TotalCount", "Links", "TelephoneNumbers"]
    assert first.findtext("TotalCount") == "4" and first.findtext("TelephoneNumbers/Count") == "2"
    assert "page=2&size=2" in first.findtext("Links/next")
    second = xml(bw.get("/inserviceNumbers", params={"page": 2, "size": 2}))
    assert second.find("Links/next") is None
    seen = [e.text for e in first.findall("TelephoneNumbers/TelephoneNumber")]
    seen += [e.text for e in second.findall("TelephoneNumbers/TelephoneNumber")]
    assert sorted(seen) == sorted(numbers)
    only = xml(bw.get("/inserviceNumbers", params={"areacode": "802"}))
    assert [e.text for e in only.findall("TelephoneNumbers/TelephoneNumber")] == numbers[3:]
    assert xml(bw.get("/inserviceNumbers", params={"state": "vt"})).findtext("TotalCount") == "1"
    assert bw.get("/inserviceNumbers", params={"areacode": "212"}).status_code == 204
    assert bw.get("/inserviceNumbers", params={"page": "x"}).status_code == 404
    assert xml(bw.get("/inserviceNumbers/totals")).findtext("Count") == "4"


def test_account_and_sites_are_cheap_authenticated_reads(emu):
    for prefix in ("/api", "/api/v1", "/v1.0"):
        with client(f"{emu.base}{prefix}", auth=("u", "p")) as versioned:
            account = xml(versioned.get(f"/accounts/{ACCOUNT}"))
            assert account.tag == "AccountResponse" and account.findtext("Account/AccountId") == ACCOUNT
            assert xml(versioned.get(f"/accounts/{ACCOUNT}/sites/")).findtext("Sites/Site/Id") == "1"
            response = versioned.get(f"/accounts/{ACCOUNT}/availableNumbers", params={"areaCode": "919", "quantity": 1})
            assert xml(response).findtext("ResultCount") == "1"


def test_unknown_paths_and_methods(emu, bw):
    body = (DECLARATION + b"\n<ErrorResponse><ResponseStatus><Description>The resource does not exist"
            b"</Description></ResponseStatus></ErrorResponse>")
    for url in (f"{emu.url}/nothing/here", f"{emu.base}/elsewhere", f"{emu.url}/accounts/{ACCOUNT}/orders/1/x"):
        response = bw.get(url)
        assert response.status_code == 404 and response.content == body, url
    not_allowed = bw.delete("/orders")
    assert not_allowed.status_code == 405 and not_allowed.headers["allow"] == "GET, POST"


# -- auth ----------------------------------------------------------------------------------
def token(http: httpx.Client, emu, oauth_client=("any-client", "any-secret"), grant="client_credentials"):
    return http.post(f"{emu.base}/api/v1/oauth2/token", data={"grant_type": grant}, auth=oauth_client)


def test_without_credential_flags_any_basic_user_and_any_client_get_in(emu, http):
    url = f"{emu.url}/accounts/{ACCOUNT}"
    denied = http.get(url)
    assert denied.status_code == 401 and xml(denied).findtext("Description") == "Unauthorized"
    assert http.get(url, auth=("whoever", "whatever")).status_code == 200
    issued = token(http, emu)
    assert issued.status_code == 200 and issued.headers["content-type"] == "application/json"
    assert issued.json()["token_type"] == "bearer" and issued.json()["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert http.get(url, headers=bearer).status_code == 200
    assert http.get(url, headers={"Authorization": "Bearer made-up"}).status_code == 401
    assert http.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
    assert token(http, emu, grant="password").json() == {"error": "unsupported_grant_type"}
    assert token(http, emu, grant="password").status_code == 400
    assert http.post(f"{emu.base}/api/v1/oauth2/token", auth=("a", "b")).json() == {"error": "invalid_request"}
    assert http.post(f"{emu.base}/api/v1/oauth2/token", data={"grant_type": "client_credentials"}).status_code == 401


def test_username_and_password_flags_are_checked(start_emulator, http):
    emu = start_emulator(credentials=Credentials(username="alice", password="s3cret"))
    url = f"{emu.url}/accounts/{ACCOUNT}"
    assert http.get(url, auth=("alice", "s3cret")).status_code == 200
    assert http.get(url, auth=("alice", "wrong")).status_code == 401
    assert http.get(url, auth=("bob", "s3cret")).status_code == 401
    refused = token(http, emu)  # no client flags: OAuth is closed
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}


def test_client_credential_flags_are_checked_and_basic_is_closed(start_emulator, http):
    emu = start_emulator(credentials=Credentials(client_id="cid", client_secret="csecret"))
    url = f"{emu.url}/accounts/{ACCOUNT}"
    assert http.get(url, auth=("cid", "csecret")).status_code == 401
    assert token(http, emu, oauth_client=("cid", "nope")).json() == {"error": "invalid_client"}
    issued = token(http, emu, oauth_client=("cid", "csecret"))
    assert issued.status_code == 200
    response = http.get(f"{url}/availableNumbers", params={"areaCode": "919", "quantity": 1},
                         headers={"Authorization": f"Bearer {issued.json()['access_token']}"})
    assert response.status_code == 200
    emu.api.auth.token_seconds = 0
    expired = token(http, emu, oauth_client=("cid", "csecret")).json()["access_token"]
    assert http.get(url, headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_the_log_has_one_quiet_line_per_request_and_no_secrets(start_emulator, http):
    log = io.StringIO()
    emu = start_emulator(log=log, credentials=Credentials(username="alice", password="s3cret", client_id="cid",
                                                          client_secret="csecret"))
    issued = token(http, emu, oauth_client=("cid", "csecret")).json()["access_token"]
    http.get(f"{emu.url}/accounts/{ACCOUNT}", headers={"Authorization": f"Bearer {issued}"})
    http.get(f"{emu.url}/accounts/{ACCOUNT}/sites", auth=("alice", "bad"))
    lines = log.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "POST /api/v1/oauth2/token 200", f"GET /api/accounts/{ACCOUNT} 200", f"GET /api/accounts/{ACCOUNT}/sites 401"]
    assert not any(secret in log.getvalue() for secret in ("s3cret", "csecret", issued, "Authorization", "Basic"))


# -- fault injection and latency -----------------------------------------------------------
def test_injected_faults_are_500_429_or_bad_xml_and_never_change_the_world(start_emulator, http):
    emu = start_emulator(fail_rate=1.0, seed=7)
    seen = set()
    with client(f"{emu.url}/accounts/{ACCOUNT}", auth=("u", "p")) as bw:
        for _ in range(30):
            response = bw.post("/orders", content=existing_order(["9195550142"]))
            if response.status_code == 429:
                assert response.content == b""
                assert 0 < int(response.headers["x-ratelimit-reset"]) - time.time() <= 2  # 1-2 s ahead when sent
            elif response.status_code == 500:
                assert xml(response).tag == "ErrorResponse"
            else:
                assert response.status_code == 200
                with pytest.raises(ET.ParseError):
                    ET.fromstring(response.content)
            seen.add(response.status_code)
        assert seen == {200, 429, 500}
        assert emu.api.world.orders(ACCOUNT) == []
        assert token(http, emu).status_code == 200  # the token endpoint is not an API call
        emu.api.fail_rate = 0
        assert bw.get("/availableNumbers", params={"areaCode": "919", "quantity": 1}).status_code == 200


def test_faults_are_reproducible_with_a_seed(start_emulator, http):
    def statuses(emu) -> list[int]:
        url = f"{emu.url}/accounts/{ACCOUNT}/sites"
        return [http.get(url, auth=("u", "p")).status_code for _ in range(20)]

    first, again = statuses(start_emulator(fail_rate=0.5, seed=3)), statuses(start_emulator(fail_rate=0.5, seed=3))
    assert first == again and 200 in first and set(first) - {200}


def test_latency_delays_each_request_but_requests_overlap(start_emulator, http):
    emu = start_emulator(latency_ms=300)
    url = f"{emu.url}/accounts/{ACCOUNT}/sites"
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(http.get(url, auth=("u", "p")).status_code))
               for _ in range(4)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    assert results == [200] * 4 and 0.3 <= elapsed < 1.0


# -- the command ---------------------------------------------------------------------------
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_sim_serve_command_announces_serves_and_stops_cleanly(home: Path, http, stop):
    process = subprocess.Popen(
        [sys.executable, "-m", "tnorder", "sim", "serve", "--port", "0", "--complete-after", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ | {"TNORDER_HOME": str(home)},
    )
    try:
        line = process.stderr.readline()
        match = re.match(r"Bandwidth API emulator on (http://127\.0\.0\.1:\d+/api) \(accounts: any", line)
        assert match, line
        response = http.get(f"{match.group(1)}/accounts/sandbox/availableNumbers",
                             params={"areaCode": "919", "quantity": 1}, auth=("u", "p"))
        assert response.status_code == 200
        assert (home / "sandbox" / "world.sqlite").exists()  # the sandbox carrier's world
        process.send_signal(stop)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert err.rstrip().endswith("emulator stopped")
    assert "GET /api/accounts/sandbox/availableNumbers?areaCode=919&quantity=1 200" in err


def test_sim_serve_refuses_half_credentials(run):
    result = run("sim", "serve", "--username", "alice")
    assert result.code == 2 and "--username and --password go together" in result.err
