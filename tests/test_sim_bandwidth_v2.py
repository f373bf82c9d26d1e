"""The emulator's v2 face (`/api/v2`), spoken to with raw httpx: where it is as strict as Bandwidth's
v2 documentation, so that a client getting v2 wrong fails here too (shared/carriers/bandwidth-v2.md)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from tnorder.sim.server import make_api, start

ACCOUNT = "9900001"


@pytest.fixture
def emu(tmp_path: Path):
    def launch(**options):
        options.setdefault("complete_after", 0)
        running = start(make_api(tmp_path / f"world-{uuid.uuid4().hex}.sqlite", **options), quiet=True)
        launched.append(running)
        return running

    launched: list = []
    yield launch
    for running in launched:
        running.stop()


def v2_client(emu) -> httpx.Client:
    token = httpx.post(f"{emu.base}/api/v1/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=("client", "secret")).json()["access_token"]
    return httpx.Client(base_url=f"{emu.base}/api/v2/accounts/{ACCOUNT}", timeout=10,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})


def xml(response: httpx.Response) -> ET.Element:
    return ET.fromstring(response.content)


def test_v2_takes_bearer_tokens_only(emu):
    running = emu()
    basic = httpx.get(f"{running.base}/api/v2/accounts/{ACCOUNT}/availableNumbers", auth=("u", "p"),
                      params={"state": "NC", "quantity": 1})
    assert basic.status_code == 401 and basic.headers["WWW-Authenticate"].startswith("Bearer")
    with v2_client(running) as bw:
        assert bw.get("/availableNumbers", params={"state": "NC", "quantity": 1}).status_code == 200


def test_v2_search_answers_e164_and_wants_a_country_with_area_codes_and_cities(emu):
    with v2_client(emu()) as bw:
        missing = bw.get("/availableNumbers", params={"areaCode": "919", "quantity": 2})
        assert missing.status_code == 400 and xml(missing).findtext("Error/Code") == "4010"
        assert "countryCodeA3" in xml(missing).findtext("Error/Description")
        city = bw.get("/availableNumbers", params={"city": "RALEIGH", "state": "NC", "quantity": 2})
        assert city.status_code == 400
        found = bw.get("/availableNumbers", params={"areaCode": "919", "countryCodeA3": "USA", "quantity": 2,
                                                    "enableTNDetail": "true"})
        details = xml(found).findall(".//TelephoneNumberDetail")
        assert len(details) == 2 and all(d.findtext("FullNumber").startswith("+1919") for d in details)
        assert {d.findtext("CountryCodeA3") for d in details} == {"USA"}
        wrong_country = bw.get("/availableNumbers", params={"areaCode": "919", "countryCodeA3": "CAN",
                                                            "quantity": 2})
        assert xml(wrong_country).findtext("ResultCount") == "0"


def test_v2_refuses_10_digit_numbers_in_bodies_with_1022(emu):
    with v2_client(emu()) as bw:
        number = xml(bw.get("/availableNumbers", params={"state": "NC", "quantity": 1})).findtext(
            ".//TelephoneNumber")
        assert number.startswith("+1")
        reserve = bw.post("/tnreservation", content=f"<Reservation><ReservedTn>{number[2:]}</ReservedTn>"
                                                    "</Reservation>")
        assert reserve.status_code == 400 and xml(reserve).findtext(".//ErrorCode") == "1022"
        order = bw.post("/orders", content=(
            "<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>"
            f"{number[2:]}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>"))
        assert order.status_code == 400 and xml(order).findtext("ErrorList/Error/Code") == "1022"
        assert "E.164" in xml(order).findtext("ErrorList/Error/Description")
        placed = bw.post("/orders", content=(
            "<Order><SiteId>1</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>"
            f"{number}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>"))
        assert placed.status_code == 201
        oid = placed.headers["Location"].rsplit("/", 1)[-1]
        read = xml(bw.get(f"/orders/{oid}"))
        assert read.findtext("CompletedNumbers/TelephoneNumber/FullNumber") == number
        gone = bw.post("/disconnects", content=(
            "<DisconnectTelephoneNumberOrder><DisconnectTelephoneNumberOrderType><TelephoneNumberList>"
            f"<TelephoneNumber>{number[2:]}</TelephoneNumber></TelephoneNumberList>"
            "</DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>"))
        assert gone.status_code == 400 and xml(gone).findtext("ErrorList/Error/Code") == "1022"


def test_v2_lists_without_page_and_size_take_the_documented_defaults(emu):
    # the v2 spec marks page and size optional (bandwidth-v2.md §5.3 C4): no list refuses their absence
    with v2_client(emu()) as bw:
        moved = bw.get("/orders")
        assert moved.status_code == 303 and moved.headers["location"].endswith("/orders?page=1&size=300")
        none = bw.get("/disconnects")
        assert none.status_code == 404 and xml(none).findtext("ListOrderIdUserIdDate/TotalCount") == "0"
        assert bw.get("/inserviceNumbers").status_code == 204


def test_v2_in_service_pages_link_to_v1_style_urls_by_the_first_number(emu):
    running = emu()
    with v2_client(running) as bw:
        body = ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>3"
                "</Quantity></AreaCodeSearchAndOrderType></Order>")
        assert bw.post("/orders", content=body).status_code == 201
        page = xml(bw.get("/inserviceNumbers", params={"page": 1, "size": 2}))
        listed = [n.text for n in page.findall("TelephoneNumbers/TelephoneNumber")]
        assert len(listed) == 2 and all(n.startswith("+1919") for n in listed)
        following = page.findtext("Links/next")
        assert "/v1.0/accounts/" in following  # as the v2 spec's samples show
        rest = xml(bw.get("/inserviceNumbers")).findall("TelephoneNumbers/TelephoneNumber")[2].text
        assert f"page={rest.replace('+', '%2B')}&size=2" in following  # v2's page: the first element's id


def test_lca_widens_a_rate_center_to_its_calling_area(emu):
    with v2_client(emu()) as bw:
        sample = xml(bw.get("/availableNumbers", params={"areaCode": "919", "countryCodeA3": "USA", "quantity": 1,
                                                         "enableTNDetail": "true"})).find(".//TelephoneNumberDetail")
        asked = {"rateCenter": sample.findtext("RateCenter"), "state": "NC", "quantity": 200,
                 "enableTNDetail": "true"}
        exact = xml(bw.get("/availableNumbers", params=asked | {"LCA": "false"}))
        wide = xml(bw.get("/availableNumbers", params=asked))  # LCA defaults to true
        assert {d.findtext("RateCenter") for d in exact.iter("TelephoneNumberDetail")} == {asked["rateCenter"]}
        centers = {d.findtext("RateCenter") for d in wide.iter("TelephoneNumberDetail")}
        assert len(centers) > 1 and {d.findtext("LATA") for d in wide.iter("TelephoneNumberDetail")} == {
            sample.findtext("LATA")}


def test_short_fill_completes_fewer_and_says_complete(emu):
    with v2_client(emu(short_fill=True)) as bw:
        body = ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>5"
                "</Quantity></AreaCodeSearchAndOrderType></Order>")
        oid = bw.post("/orders", content=body).headers["Location"].rsplit("/", 1)[-1]
        read = xml(bw.get(f"/orders/{oid}"))
        assert read.findtext("OrderStatus") == "COMPLETE" and read.findtext("CompletedQuantity") == "3"


def test_weird_status_is_reported_while_an_order_is_unsettled(emu):
    with v2_client(emu(weird_status="ON_HOLD", complete_after=60)) as bw:
        body = ("<Order><SiteId>1</SiteId><NPANXXSearchAndOrderType><NpaNxx>919439</NpaNxx><Quantity>1</Quantity>"
                "</NPANXXSearchAndOrderType></Order>")
        created = bw.post("/orders", content=body)
        assert created.status_code == 201, created.text
        oid = created.headers["Location"].rsplit("/", 1)[-1]
        assert xml(bw.get(f"/orders/{oid}")).findtext("OrderStatus") == "ON_HOLD"
