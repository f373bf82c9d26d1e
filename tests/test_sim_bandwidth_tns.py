"""The emulator's number reads over a real socket, v1 (10-digit) and v2 (E.164): `GET /tns`, `GET /tns/{tn}`
and its sub-resources, `GET …/inserviceNumbers/{tn}`, and the rules every list shares (documented
defaults without `page`/`size`, unknown parameters refused by name, never ignored).

Shapes: shared/carriers/bandwidth.md §6, bandwidth-v2.md §3.7, and the element names of Bandwidth's own
clients' fixtures (Node `@bandwidth/numbers` test/xml.json, Python SDK tests/test_tns.py).
"""

from __future__ import annotations

import calendar
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from test_sim_bandwidth import ACCOUNT, client, details, disconnect, existing_order, place, search, xml
from test_sim_bandwidth import bw as bw  # the fixtures: one emulator and an account on it, per test
from test_sim_bandwidth import emu as emu
from test_sim_bandwidth import pool as pool
from test_sim_bandwidth import start_emulator as start_emulator
from test_sim_bandwidth import world_dir as world_dir

TN_FIELDS = ["City", "Lata", "State", "FullNumber", "Tier", "VendorId", "VendorName", "RateCenter", "Status",
             "AccountId", "LastModified"]
NOON = calendar.timegm((2026, 12, 2, 12, 0, 0))  # the world's clock, held still: every change is at noon
AT_NOON = "2026-12-02T12:00:00.000Z"


@pytest.fixture
def tns(emu):
    """httpx on the v1 root (`/api`), where `/tns` lives, beside the account's `bw`."""
    with client(emu.url, auth=("rehearsal", "pw")) as root:
        yield root


def v2(running, under: str = f"/accounts/{ACCOUNT}") -> httpx.Client:
    token = httpx.post(f"{running.base}/api/v1/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=("client", "secret")).json()["access_token"]
    return httpx.Client(base_url=f"{running.base}/api/v2{under}", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def page_value(root, rel: str = "next") -> str:
    """The `page` of a `Links` child (`Link=<URL>;rel="next";`), as a client following it reads it."""
    url = re.fullmatch(rf'Link=<(.+)>;rel="{rel}";', root.findtext(f"Links/{rel}")).group(1)
    return parse_qs(urlsplit(url).query)["page"][0]


def numbers_of(root) -> list[str]:
    return [e.findtext("FullNumber") for e in root.findall("TelephoneNumbers/TelephoneNumber")]


def error(response: httpx.Response, status: int, root: str) -> tuple[str, str]:
    assert response.status_code == status, response.text
    answer = xml(response)
    assert answer.tag == root
    return (answer.findtext(".//ErrorCode") or answer.findtext(".//Code"),
            answer.findtext(".//Description"))


@pytest.fixture
def holdings(emu, bw):
    """Two numbers in service on ACCOUNT (one ordered, then disconnected: aging), one reserved, one in
    service on another account; -> {status: number} (10-digit) and the order's id."""
    emu.api.world.clock = lambda: NOON
    first, second, spare = search(bw, areaCode="919", quantity=3)
    oid = place(bw, existing_order([first, second], site="7"))
    bw.get(f"/orders/{oid}")  # settled: in service
    bw.get(f"/disconnects/{disconnect(bw, [second])}")
    assert bw.post("/tnreservation", content=f"<Reservation><ReservedTn>{spare}</ReservedTn></Reservation>",
                   headers={"Content-Type": "application/xml"}).status_code == 201
    with client(f"{emu.url}/accounts/other", auth=("u", "p")) as other:
        elsewhere = search(other, areaCode="802", quantity=1)[0]
        place(other, existing_order([elsewhere]))
    return {"Inservice": first, "Aging": second, "Reserved": spare, "other": elsewhere}, oid


# -- GET /tns --------------------------------------------------------------------------------
def test_tns_lists_every_held_number_with_its_details(bw, tns, holdings):
    held, _ = holdings
    answer = tns.get("/tns")  # no page, no size: the documented defaults (page 1, size 500)
    root = xml(answer)
    assert root.tag == "TelephoneNumbersResponse"
    assert [c.tag for c in root] == ["TelephoneNumberCount", "Links", "TelephoneNumbers"]
    assert root.findtext("TelephoneNumberCount") == "4"
    assert numbers_of(root) == sorted(held.values())
    assert page_value(root, "first") == "1" and root.find("Links/next") is None
    entry = next(e for e in root.iter("TelephoneNumber") if e.findtext("FullNumber") == held["Inservice"])
    assert [c.tag for c in entry] == TN_FIELDS
    where = details(bw, npaNxx=held["Inservice"][:6], LCA="false", quantity=1)[0]
    assert {c.tag: c.text for c in entry} == {
        "City": where["City"], "Lata": where["LATA"], "State": "NC", "FullNumber": held["Inservice"], "Tier": "0",
        "VendorId": "49", "VendorName": "Bandwidth CLEC", "RateCenter": where["RateCenter"], "Status": "Inservice",
        "AccountId": ACCOUNT, "LastModified": AT_NOON}
    statuses = {e.findtext("FullNumber"): (e.findtext("Status"), e.findtext("AccountId"))
                for e in root.iter("TelephoneNumber")}
    assert statuses == {held["Inservice"]: ("Inservice", ACCOUNT), held["Aging"]: ("Aging", ACCOUNT),
                        held["Reserved"]: ("Reserved", ACCOUNT), held["other"]: ("Inservice", "other")}


@pytest.mark.parametrize("params, wanted", [
    ({"status": "Inservice"}, ["Inservice", "other"]),
    ({"status": "aging"}, ["Aging"]),
    ({"status": "Available"}, []),
    ({"accountId": "other"}, ["other"]),
    ({"accountId": ACCOUNT, "status": "Reserved"}, ["Reserved"]),
    ({"npa": "802"}, ["other"]),
    ({"state": "vt"}, ["other"]),
    ({"tier": "1"}, []),
])
def test_tns_filters(tns, holdings, params, wanted):
    held, _ = holdings
    root = xml(tns.get("/tns", params=params))
    assert numbers_of(root) == sorted(held[w] for w in wanted)
    assert root.findtext("TelephoneNumberCount") == str(len(wanted))


def test_tns_filters_by_exchange_and_number(tns, holdings):
    held, _ = holdings
    number = held["Aging"]
    for params in ({"fullNumber": number}, {"npaNxx": number[:6], "status": "Aging"},
                   {"npaNxxX": number[:7], "status": "Aging"}):
        assert numbers_of(xml(tns.get("/tns", params=params))) == [number], params


def test_tns_pages_by_the_number_that_starts_the_page(tns, holdings):
    held, _ = holdings
    everything = sorted(held.values())
    first = xml(tns.get("/tns", params={"page": 1, "size": 3}))
    assert numbers_of(first) == everything[:3] and first.findtext("TelephoneNumberCount") == "4"
    assert page_value(first) == everything[3]  # the id of the next page's first element
    following = re.fullmatch(r'Link=<(.+)>;rel="next";', first.findtext("Links/next")).group(1)
    second = xml(tns.get(following))
    assert numbers_of(second) == everything[3:] and second.find("Links/next") is None


@pytest.mark.parametrize("params, code, text", [
    ({"size": "2501"}, "1006", "size must be between 1 and 2500"),
    ({"size": "0"}, "1006", "size must be between 1 and 2500"),
    ({"size": "lots"}, "1006", "size must be between 1 and 2500"),
    ({"status": "Sold"}, "15519", "Status Sold is invalid. Valid values: Inservice, InAccount, Reserved, Aging"),
    ({"areaCode": "919"}, "1003", "areaCode is not a parameter of this list"),
    ({"npanxx": "919555"}, "1003", "npanxx is not a parameter of this list"),
    ({"npa": "91"}, "1003", "npa 91 is invalid: give 3 digits"),
    ({"fullNumber": "+19195550100"}, "1003", "fullNumber +19195550100 is invalid: give a 10-digit"),
    ({"host": "10.0.0.1"}, "1003", "host is not modelled by the tnorder emulator"),
    ({"page": "someone"}, "1003", "page someone is invalid: give 1 or the telephone number that starts the page"),
])
def test_tns_refuses_what_it_does_not_know(tns, params, code, text):
    got_code, description = error(tns.get("/tns", params=params), 400, "TelephoneNumbersResponse")
    assert got_code == code and description.startswith(text)


# -- GET /tns/{tn} and its sub-resources -------------------------------------------------------
def test_one_number_in_service(emu, tns, holdings):
    held, oid = holdings
    number = held["Inservice"]
    root = xml(tns.get(f"/tns/{number}"))
    assert root.tag == "TelephoneNumberResponse"
    assert [c.tag for c in root] == ["TelephoneNumber", "Status", "LastModifiedDate", "OrderCreateDate", "OrderId",
                                     "OrderType", "InServiceDate", "SiteId", "AccountId"]
    assert {c.tag: c.text for c in root} == {
        "TelephoneNumber": number, "Status": "Inservice", "LastModifiedDate": AT_NOON, "OrderCreateDate": AT_NOON,
        "OrderId": oid, "OrderType": "NEW_NUMBER_ORDER", "InServiceDate": AT_NOON, "SiteId": "7",
        "AccountId": ACCOUNT}


def test_reserved_and_aging_numbers_carry_no_order(tns, holdings):
    held, _ = holdings
    for status in ("Reserved", "Aging"):
        root = xml(tns.get(f"/tns/{held[status]}"))
        assert [c.tag for c in root] == ["TelephoneNumber", "Status", "LastModifiedDate", "AccountId"]
        assert [c.text for c in root] == [held[status], status, AT_NOON, ACCOUNT]
        assert tns.get(f"/tns/{held[status]}/sites").status_code == 404  # on no site


def test_the_sub_resources_of_a_number(bw, tns, holdings):
    held, _ = holdings
    number = held["Inservice"]
    where = details(bw, npaNxx=number[:6], LCA="false", quantity=1)[0]
    detail = xml(tns.get(f"/tns/{number}/tndetails"))
    assert detail.tag == "TelephoneNumberResponse" and [c.tag for c in detail] == ["TelephoneNumberDetails"]
    assert [c.tag for c in detail.find("TelephoneNumberDetails")] == TN_FIELDS
    assert detail.findtext("TelephoneNumberDetails/FullNumber") == number
    assert detail.findtext("TelephoneNumberDetails/RateCenter") == where["RateCenter"]
    site = xml(tns.get(f"/tns/{number}/sites"))
    assert site.tag == "Site" and [(c.tag, c.text) for c in site] == [("Id", "7"), ("Name", "Emulator site")]
    peer = xml(tns.get(f"/tns/{number}/sippeers"))
    assert peer.tag == "SipPeer" and [(c.tag, c.text) for c in peer] == [("Id", "1"), ("Name", "Emulator peer")]
    center = xml(tns.get(f"/tns/{number}/ratecenter"))
    assert center.tag == "TelephoneNumberResponse"
    assert [(c.tag, c.text) for c in center.find("TelephoneNumberDetails")] == [
        ("State", "NC"), ("RateCenter", where["RateCenter"])]
    lata = xml(tns.get(f"/tns/{number}/lata"))
    assert [(c.tag, c.text) for c in lata.find("TelephoneNumberDetails")] == [("Lata", where["LATA"])]


def test_the_local_calling_area_is_the_lata_within_the_state(emu, tns, holdings):
    held, _ = holdings
    number = held["Inservice"]
    home = emu.api.world.details(f"+1{number}")
    root = xml(tns.get(f"/tns/{number}/lca"))
    assert root.tag == "SearchResult" and [c.tag for c in root] == ["ListofNPANXX", "Location"]
    area = [e for e in emu.api.world.pool.exchanges if (e.state, e.lata) == ("NC", home.lata)]
    assert [e.text for e in root.findall("ListofNPANXX/NPANXX")] == sorted({e.npa + e.nxx for e in area})
    assert number[:6] in [e.text for e in root.findall("ListofNPANXX/NPANXX")]
    centers = root.find("Location/RateCenters")
    assert [c.tag for c in centers] == ["State", "RCs"] and centers.findtext("State") == "NC"
    assert [rc.text for rc in centers.findall("RCs/RC")] == sorted({e.rate_center for e in area})
    assert len(area) > 1 and home.rate_center in [rc.text for rc in centers.findall("RCs/RC")]


@pytest.mark.parametrize("part", ["", "/tndetails", "/sites", "/sippeers", "/ratecenter", "/lata", "/lca"])
def test_a_number_on_no_account_is_15610(bw, tns, part):
    free = search(bw, areaCode="919", quantity=1)[0]
    response = tns.get(f"/tns/{free}{part}")
    assert response.status_code == 404
    root = xml(response)
    assert root.tag == "TelephoneNumberResponse"
    assert [(c.tag, c.text) for c in root.find("ErrorList/Error")] == [
        ("Code", "15610"), ("Description", "Telephone Numbers cannot be found on accounts"),
        ("TelephoneNumber", free)]


@pytest.mark.parametrize("wire", ["919555", "abc", "+19195550100", "1919555010"])
def test_a_malformed_number_is_5070(tns, wire):
    code, description = error(tns.get(f"/tns/{wire.replace('+', '%2B')}"), 400, "TelephoneNumberResponse")
    assert code == "5070" and description == "Telephone number is invalid: give a 10-digit number"


def test_unknown_parts_of_a_number_are_not_found(tns, holdings):
    held, _ = holdings
    assert tns.get(f"/tns/{held['Inservice']}/colour").status_code == 404
    assert tns.post(f"/tns/{held['Inservice']}/lca").status_code == 405


# -- GET /accounts/{id}/inserviceNumbers/{tn} ------------------------------------------------------
def test_in_service_by_number(emu, bw, holdings):
    held, _ = holdings
    yes = bw.get(f"/inserviceNumbers/{held['Inservice']}")
    assert yes.status_code == 200 and yes.content == b""
    for number in (held["Aging"], held["Reserved"], held["other"], "abc"):
        answer = bw.get(f"/inserviceNumbers/{number}")
        assert answer.status_code == 404 and xml(answer).tag == "ErrorResponse", number
    assert xml(bw.get(f"/inserviceNumbers/{held['other']}")).findtext(".//Description") == \
        f"{held['other']} is not in service on this account"
    assert xml(bw.get("/inserviceNumbers/totals")).findtext("Count") == "1"  # still the totals


# -- the lists: documented parameters only, documented defaults -------------------------------
@pytest.mark.parametrize("params, text", [
    ({"areaCode": "802"}, "areaCode is not a parameter of this list"),  # v1 says areacode
    ({"npaNxx": "919555"}, "npaNxx is not a parameter of this list"),
    ({"city": "RALEIGH"}, "city is not a parameter of this list"),
    ({"areacode": "8O2"}, "areacode 8O2 is invalid: give 3 digits"),
    ({"size": "0"}, "size 0 is invalid"),
    ({"startdate": "26-01-01"}, "startdate and enddate must be given together"),
    ({"startdate": "26-01-01", "enddate": "yesterday"}, "The date yesterday is invalid: use YY-MM-DD"),
])
def test_v1_in_service_refuses_unknown_filters_with_404(bw, holdings, params, text):
    answer = bw.get("/inserviceNumbers", params=params)
    assert answer.status_code == 404
    assert xml(answer).findtext("ResponseStatus/Description").startswith(text)


def test_in_service_filters_by_in_service_date(bw, holdings):
    held, _ = holdings
    today = xml(bw.get("/inserviceNumbers", params={"startdate": "26-12-02", "enddate": "2026-12-02"}))
    assert [e.text for e in today.findall("TelephoneNumbers/TelephoneNumber")] == [held["Inservice"]]
    assert bw.get("/inserviceNumbers", params={"startdate": "26-11-01", "enddate": "26-11-30"}).status_code == 204


@pytest.mark.parametrize("path, params, code, text", [
    ("/orders", {"page": 1, "size": 5, "orderid": "x"}, "1003", "orderid is not a parameter of this list"),
    ("/orders", {"customerorderid": "x"}, "1003", "customerorderid is not a parameter of this list"),
    ("/disconnects", {"customerOrderId": "x"}, "1003", "customerOrderId is not a parameter of this list"),
    ("/orders", {"page": 1, "size": 5, "enddate": "26-12-31"}, "15501", "startdate and enddate must be given"),
    ("/disconnects", {"startdate": "2026-13-01", "enddate": "26-12-31"}, "15501", "The date 2026-13-01 is invalid"),
])
def test_order_lists_refuse_unknown_filters_by_name(bw, holdings, path, params, code, text):
    got_code, description = error(bw.get(path, params=params), 400, "ResponseSelectWrapper")
    assert got_code == code and description.startswith(text)


def test_order_lists_filter_by_user_and_date(emu, bw, holdings):
    _, oid = holdings
    mine = xml(bw.get("/orders", params={"page": 1, "size": 5, "userid": "rehearsal"}))
    assert [e.text for e in mine.iter("orderId")] == [oid]
    assert xml(bw.get("/orders", params={"page": 1, "size": 5, "userid": "someone"})).findtext(
        ".//TotalCount") == "0"
    dated = {"page": 1, "size": 5, "startdate": "26-12-02", "enddate": "26-12-02"}
    assert [e.text for e in xml(bw.get("/orders", params=dated)).iter("orderId")] == [oid]
    before = dated | {"startdate": "25-01-01", "enddate": "26-12-01"}
    assert xml(bw.get("/disconnects", params=before)).findtext(".//TotalCount") == "0"
    assert xml(bw.get("/disconnects", params=dated | {"userid": "rehearsal"})).findtext(".//TotalCount") == "1"


# -- v2: E.164 in and out ------------------------------------------------------------------
def test_v2_tns_speaks_e164(emu, holdings):
    held, oid = holdings
    e164 = {k: f"+1{v}" for k, v in held.items()}
    with v2(emu, "") as bw2:
        root = xml(bw2.get("/tns", params={"accountId": ACCOUNT}))
        assert numbers_of(root) == sorted(e164[k] for k in ("Inservice", "Aging", "Reserved"))
        assert numbers_of(xml(bw2.get("/tns", params={"fullNumber": e164["Aging"]}))) == [e164["Aging"]]
        one = xml(bw2.get(f"/tns/{e164['Inservice']}"))
        assert one.findtext("TelephoneNumber") == e164["Inservice"] and one.findtext("OrderId") == oid
        assert xml(bw2.get(f"/tns/{e164['Inservice'].replace('+', '%2B')}/tndetails")).findtext(
            ".//FullNumber") == e164["Inservice"]
        wrong = bw2.get(f"/tns/{held['Inservice']}")
        code, description = error(wrong, 400, "TelephoneNumberResponse")
        assert code == "1022" and "Retry request with all E.164 formatted phone numbers" in description
        assert xml(wrong).findtext("ErrorList/Error/TelephoneNumber") == held["Inservice"]
        held_by = xml(bw2.get(f"/tns/{e164['Reserved'].replace('+', '%2B')}/tnreservation"))
        assert held_by.findtext("ReservedTN") == e164["Reserved"] and held_by.findtext("Account") == ACCOUNT
        code, _ = error(bw2.get(f"/tns/{held['Reserved']}/tnreservation"), 400, "TNReservationResponse")
        assert code == "1022"
        first = xml(bw2.get("/tns", params={"size": 2}))
        assert page_value(first) == sorted(e164.values())[2]
        assert numbers_of(xml(bw2.get("/tns", params={"size": 2, "page": page_value(first)}))) == \
            sorted(e164.values())[2:]


@pytest.mark.parametrize("params, text", [
    ({"npa": "919"}, "npa is not a parameter of this list"),
    ({"areaCode": "919"}, "countryCodeA3 (USA or CAN) is a required parameter with areaCode"),
    ({"fullNumber": "9195550100"}, "fullNumber 9195550100 is invalid: give an E.164"),
    ({"phoneNumberType": "PAGER", "countryCodeA3": "USA"}, "phoneNumberType PAGER is invalid"),
    ({"countryCodeA3": "GBR"}, "countryCodeA3 GBR is not supported: use USA or CAN"),
])
def test_v2_tns_refusals(emu, params, text):
    with v2(emu, "") as bw2:
        code, description = error(bw2.get("/tns", params=params), 400, "TelephoneNumbersResponse")
        assert code == "1003" and description.startswith(text)


def test_v2_tns_area_code_with_a_country(emu, holdings):
    held, _ = holdings
    with v2(emu, "") as bw2:
        found = xml(bw2.get("/tns", params={"areaCode": "802", "countryCodeA3": "USA"}))
        assert numbers_of(found) == [f"+1{held['other']}"]
        assert numbers_of(xml(bw2.get("/tns", params={"areaCode": "802", "countryCodeA3": "CAN"}))) == []
        geographic = xml(bw2.get("/tns", params={"phoneNumberType": "GEOGRAPHIC", "countryCodeA3": "USA"}))
        assert geographic.findtext("TelephoneNumberCount") == "4"


def test_v2_lists_take_the_documented_defaults(emu, holdings):
    held, oid = holdings
    with v2(emu) as bw2:
        moved = bw2.get("/orders")  # as v1: to the same list with page 1, size 300
        assert moved.status_code == 303 and moved.headers["location"].endswith("/orders?page=1&size=300")
        assert [e.text for e in xml(bw2.get("/orders", follow_redirects=True)).iter("orderId")] == [oid]
        assert xml(bw2.get("/disconnects")).findtext(".//TotalCount") == "1"
        listed = xml(bw2.get("/inserviceNumbers"))
        assert [e.text for e in listed.findall("TelephoneNumbers/TelephoneNumber")] == [f"+1{held['Inservice']}"]


def test_v2_in_service_pages_by_the_number_that_starts_the_page(emu, holdings):
    with v2(emu) as bw2:
        body = ("<Order><SiteId>1</SiteId><AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>3"
                "</Quantity></AreaCodeSearchAndOrderType></Order>")
        assert bw2.post("/orders", content=body, headers={"Content-Type": "application/xml"}).status_code == 201
        everything = [e.text for e in xml(bw2.get("/inserviceNumbers")).findall("TelephoneNumbers/TelephoneNumber")]
        assert len(everything) == 4 and everything == sorted(everything)
        first = xml(bw2.get("/inserviceNumbers", params={"page": 1, "size": 3}))
        assert [e.text for e in first.findall("TelephoneNumbers/TelephoneNumber")] == everything[:3]
        assert page_value(first) == everything[3] and "/v1.0/accounts/" in first.findtext("Links/next")
        second = xml(bw2.get("/inserviceNumbers", params={"page": everything[3], "size": 3}))
        assert [e.text for e in second.findall("TelephoneNumbers/TelephoneNumber")] == everything[3:]
        assert second.find("Links/next") is None
        for page in ("2", everything[3][2:]):  # a rank, or a 10-digit number: not v2's page
            refused = bw2.get("/inserviceNumbers", params={"page": page, "size": 3})
            assert refused.status_code == 404 and "page" in xml(refused).findtext(".//Description")


@pytest.mark.parametrize("params, text", [
    ({"areacode": "919"}, "areacode is not a parameter of this list"),  # v2 says areaCode
    ({"npanxx": "919555"}, "npanxx is not a parameter of this list"),
    ({"areaCode": "919"}, "countryCodeA3 (USA or CAN) is a required parameter with areaCode"),
    ({"phoneNumberType": "GEOGRAPHIC"}, "countryCodeA3 (USA or CAN) is a required parameter with phoneNumberType"),
])
def test_v2_in_service_refuses_unknown_filters_with_404(emu, holdings, params, text):
    with v2(emu) as bw2:
        answer = bw2.get("/inserviceNumbers", params=params)
        assert answer.status_code == 404 and xml(answer).findtext(".//Description").startswith(text)


def test_v2_in_service_filters(emu, holdings):
    held, _ = holdings
    with v2(emu) as bw2:
        number = f"+1{held['Inservice']}"
        for params in ({"areaCode": "919", "countryCodeA3": "USA"}, {"npaNxx": number[2:8]}, {"npaNxxx": number[2:9]},
                       {"tier": "0"}, {"phoneNumberType": "GEOGRAPHIC", "countryCodeA3": "USA"}):
            listed = xml(bw2.get("/inserviceNumbers", params=params))
            assert [e.text for e in listed.findall("TelephoneNumbers/TelephoneNumber")] == [number], params
        assert bw2.get("/inserviceNumbers", params={"tier": "3"}).status_code == 204
        assert bw2.get("/inserviceNumbers", params={"phoneNumberType": "TOLL_FREE", "countryCodeA3": "USA"}
                       ).status_code == 204


def test_v2_in_service_by_number(emu, holdings):
    held, _ = holdings
    with v2(emu) as bw2:
        assert bw2.get(f"/inserviceNumbers/%2B1{held['Inservice']}").status_code == 200
        ten = bw2.get(f"/inserviceNumbers/{held['Inservice']}")
        assert ten.status_code == 404
        assert xml(ten).findtext(".//Description") == f"{held['Inservice']} is not an E.164 telephone number"
