# ruff: noqa: F811 - the fixtures imported from test_sim_bandwidth are named as test arguments
"""The Bandwidth emulator's order side as the spec and the official SDKs see it, over a real socket.

Combined search-and-order, both LATA spellings, unknown order types, `PUT /orders/{id}`, the order
sub-resources (`tns`, `areaCodes`, `npaNxx`, `totals`, `history`) and notes on orders and
disconnects, v1 (10 digits) and v2 (E.164). Element names and error texts are those of
shared/carriers/bandwidth.md §3, §5, §7 and Bandwidth's error catalogue (ERRS) it quotes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx
import pytest

from test_sim_bandwidth import (  # noqa: F401 - fixtures shared with the emulator's main tests
    ACCOUNT,
    bw,
    client,
    details,
    emu,
    existing_order,
    place,
    pool,
    read_order,
    search,
    start_emulator,
    world_dir,
    xml,
)

UNSUPPORTED = "The combination of search criteria is unsupported"
NO_CRITERIA = "Unable to perform search. Please, provide some search criteria"
NO_RESOURCE = "The resource does not exist"


# -- helpers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """A free number of the pool and where it lives, to build criteria that find it."""

    number: str  # 10 digits
    city: str
    state: str
    rate_center: str
    lata: str
    zip: str


def sample(emu, bw: httpx.Client, area_code: str = "919") -> Sample:
    found = details(bw, areaCode=area_code, quantity=1)[0]
    zip_code = emu.api.world.details("+1" + found["FullNumber"]).zip
    return Sample(found["FullNumber"], found["City"], found["State"], found["RateCenter"], found["LATA"], zip_code)


def combined(criteria: str, quantity: object = 2, extra: str = "") -> str:
    amount = "" if quantity is None else f"<Quantity>{quantity}</Quantity>"
    return (f"<Order><CustomerOrderId>combo-1</CustomerOrderId><SiteId>1</SiteId>{extra}"
            f"<CombinedSearchAndOrderType>{criteria}{amount}</CombinedSearchAndOrderType></Order>")


def completed(bw: httpx.Client, oid: str) -> list[str]:
    return [e.text for e in read_order(bw, oid).findall("CompletedNumbers/TelephoneNumber/FullNumber")]


def refused(bw: httpx.Client, body: str, path: str = "/orders", method: str = "POST") -> tuple[str, str, ET.Element]:
    """A 400 in the orders' envelope: `OrderResponse/ErrorList/Error{Code,Description}`."""
    response = bw.request(method, path, content=body)
    assert response.status_code == 400, response.text
    root = xml(response)
    assert root.tag == "OrderResponse" and root[0].tag == "ErrorList"
    errors = root.findall("ErrorList/Error")
    assert len(errors) == 1
    return errors[0].findtext("Code"), errors[0].findtext("Description"), root


def assert_no_resource(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    root = xml(response)
    assert root.tag == "ErrorResponse" and root.findtext("ResponseStatus/Description") == NO_RESOURCE


def v2_client(emu) -> httpx.Client:
    token = httpx.post(f"{emu.base}/api/v1/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=("client", "secret")).json()["access_token"]
    return httpx.Client(base_url=f"{emu.base}/api/v2/accounts/{ACCOUNT}", timeout=10,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})


@pytest.fixture
def bw2(emu):
    with v2_client(emu) as v2:
        yield v2


def note_body(user: str | None = "rehearsal", text: str | None = "Ported for the Durham office") -> str:
    return (f"<Note>{'' if user is None else f'<UserId>{user}</UserId>'}"
            f"{'' if text is None else f'<Description>{text}</Description>'}</Note>")


# -- CombinedSearchAndOrderType --------------------------------------------------------------
COMBINATIONS = {
    "area code, city and state": (
        lambda s: f"<AreaCode>{s.number[:3]}</AreaCode><City>{s.city}</City><State>{s.state}</State>",
        lambda s: {"areaCode": s.number[:3], "city": s.city, "state": s.state}),
    "NPA-NXX and zip": (
        lambda s: f"<NpaNxx>{s.number[:6]}</NpaNxx><Zip>{s.zip}</Zip>",
        lambda s: {"npaNxx": s.number[:6], "zip": s.zip}),
    "NPA-NXX-X, rate center and state": (
        lambda s: f"<NpaNxxX>{s.number[:7]}</NpaNxxX><RateCenter>{s.rate_center}</RateCenter><State>{s.state}</State>",
        lambda s: {"npaNxxx": s.number[:7], "rateCenter": s.rate_center, "state": s.state}),
    "LATA spelled Lata, with a state": (
        lambda s: f"<Lata>{s.lata}</Lata><State>{s.state}</State>",
        lambda s: {"lata": s.lata, "state": s.state}),
    "LATA spelled LATA, with an area code": (
        lambda s: f"<LATA>{s.lata}</LATA><AreaCode>{s.number[:3]}</AreaCode>",
        lambda s: {"lata": s.lata, "areaCode": s.number[:3]}),
    "NPA-NXX alone, LCA off": (
        lambda s: f"<NpaNxx>{s.number[:6]}</NpaNxx><EnableLCA>false</EnableLCA>",
        lambda s: {"npaNxx": s.number[:6]}),
    "local vanity in an area code": (
        lambda s: f"<AreaCode>{s.number[:3]}</AreaCode><LocalVanity>{s.number[-4:]}</LocalVanity>",
        lambda s: {"areaCode": s.number[:3], "localVanity": s.number[-4:]}),
    "local vanity ending the number": (
        lambda s: f"<AreaCode>{s.number[:3]}</AreaCode><LocalVanity>{s.number[-4:]}</LocalVanity>"
                  "<EndsIn>true</EndsIn>",
        lambda s: {"areaCode": s.number[:3], "localVanity": s.number[-4:], "endsIn": "true"}),
}


@pytest.mark.parametrize("name", COMBINATIONS)
def test_combined_orders_take_numbers_matching_every_criterion(emu, bw, name):
    to_xml, to_query = COMBINATIONS[name]
    where = sample(emu, bw)
    expected = search(bw, **to_query(where), quantity=2, LCA="false")
    assert expected  # the sample matches the criteria, so something does
    made = bw.post("/orders", content=combined(to_xml(where)))
    assert made.status_code == 201, made.text
    echo = xml(made).find("Order/CombinedSearchAndOrderType")
    assert [c.tag for c in echo] == [c.tag for c in ET.fromstring(f"<x>{to_xml(where)}<Quantity/></x>")]
    assert completed(bw, made.headers["location"].rsplit("/", 1)[1]) == expected
    for number in expected:
        found = emu.api.world.details("+1" + number)
        query = to_query(where)
        assert all(number.startswith(query[k]) for k in ("areaCode", "npaNxx", "npaNxxx") if k in query)
        assert query.get("city", found.city) == found.city and query.get("state", found.state) == found.state
        assert query.get("lata", found.lata) == found.lata and query.get("zip", found.zip) == found.zip
        assert query.get("rateCenter", found.rate_center) == found.rate_center
        if query.get("endsIn"):
            assert number.endswith(query["localVanity"])


def test_combined_orders_on_v2_answer_e164_and_keep_criteria_as_digits(emu, bw, bw2):
    where = sample(emu, bw)
    made = bw2.post("/orders", content=combined(f"<NpaNxx>{where.number[:6]}</NpaNxx><State>{where.state}</State>",
                                                 quantity=1))
    assert made.status_code == 201, made.text
    assert xml(made).findtext("Order/CombinedSearchAndOrderType/NpaNxx") == where.number[:6]
    assert completed(bw2, made.headers["location"].rsplit("/", 1)[1]) == ["+1" + where.number]


@pytest.mark.parametrize("spelling", ["Lata", "LATA"])
def test_lata_search_and_order_takes_both_spellings(emu, bw, spelling):
    where = sample(emu, bw)
    body = (f"<Order><SiteId>1</SiteId><LATASearchAndOrderType><{spelling}>{where.lata}</{spelling}>"
            "<Quantity>3</Quantity></LATASearchAndOrderType></Order>")
    made = bw.post("/orders", content=body)
    assert made.status_code == 201, made.text
    assert xml(made).findtext(f"Order/LATASearchAndOrderType/{spelling}") == where.lata
    numbers = completed(bw, made.headers["location"].rsplit("/", 1)[1])
    assert len(numbers) == 3 and {emu.api.world.details("+1" + n).lata for n in numbers} == {where.lata}


@pytest.mark.parametrize("criteria, quantity, code, description", [
    ("<AreaCode>919</AreaCode><NpaNxx>919439</NpaNxx>", 1, "5002", UNSUPPORTED),
    ("<NpaNxx>919439</NpaNxx><NpaNxxX>9194391</NpaNxxX>", 1, "5002", UNSUPPORTED),
    ("<City>RALEIGH</City>", 1, "5002", "Please also specify State to search by current criteria"),
    ("<RateCenter>RALEIGH</RateCenter><AreaCode>919</AreaCode>", 1, "5002",
     "Please also specify State to search by current criteria"),
    ("<LocalVanity>CARS</LocalVanity><State>NC</State>", 1, "5002",
     "Please also specify AreaCode to search by current criteria"),
    ("<LocalVanity>CARS</LocalVanity><AreaCode>919</AreaCode><Zip>27601</Zip>", 1, "5002", UNSUPPORTED),
    ("<AreaCode>919</AreaCode><EndsIn>true</EndsIn>", 1, "5002", "Ends In is meaningless without Local Vanity"),
    ("<AreaCode>919</AreaCode><EnableLCA>true</EnableLCA>", 1, "5002",
     "LCA search is not supported for specified search criteria"),
    ("<NpaNxx>919439</NpaNxx><State>NC</State><EnableLCA>true</EnableLCA>", 1, "5002",
     "LCA search is not supported for specified search criteria"),
    ("<NpaNxx>919439</NpaNxx><EnableLCA>maybe</EnableLCA>", 1, "5002",
     "The value specified for the search criteria 'EnableLCA' cannot be parsed."),
    ("", 1, "5002", NO_CRITERIA),
    ("<EnableLCA>false</EnableLCA>", 1, "5002", NO_CRITERIA),
    ("<AreaCode></AreaCode>", 1, "5224", "The search criteria 'AreaCode' cannot be empty"),
    ("<AreaCode>119</AreaCode>", 1, "5002", "The area code of telephone numbers cannot begin with 0,1 or 37 or 96."),
    ("<AreaCode>291</AreaCode>", 1, "5002", "The area Code of telephone numbers can not have a 9 as the second digit."),
    ("<AreaCode>211</AreaCode>", 1, "5002", "The area code of telephone numbers can not end with 11."),
    ("<AreaCode>91</AreaCode>", 1, "5002",
     "The length of the search criteria 'AreaCode' is not valid, the acceptable length is 3 characters."),
    ("<AreaCode>+1919</AreaCode>", 1, "5002",
     "The value specified for the search criteria 'AreaCode' cannot be parsed."),
    ("<NpaNxx>919139</NpaNxx>", 1, "5002", "The Nxx cannot begin with a 0 or 1"),
    ("<NpaNxxX>919439</NpaNxxX>", 1, "5002",
     "The length of the search criteria 'NpaNxxX' is not valid, the acceptable length is 7 characters."),
    ("<State>ZZ</State>", 1, "5002", "The state abbreviation ZZ is not valid."),
    ("<Zip>2760</Zip>", 1, "5002", "The zip code 2760 is not valid."),
    ("<Lata>4x6</Lata>", 1, "5002", "The lata 4x6 is not valid"),
    ("<RateCenter>R@LEIGH</RateCenter><State>NC</State>", 1, "5002",
     "The ratecenter abbreviation R@LEIGH is not valid"),
    ("<City>R@LEIGH</City><State>NC</State>", 1, "5002", "The city value R@LEIGH is not valid."),
    ("<AreaCode>919</AreaCode><LocalVanity>C#RS</LocalVanity>", 1, "5002", "The localVanity value C#RS is invalid."),
    ("<AreaCode>919</AreaCode><LocalVanity>CA</LocalVanity>", 1, "5002",
     "The localVanity value should contain 3 or more digits"),
    ("<AreaCode>919</AreaCode>", None, "5002", "Please also specify Quantity to search by current criteria"),
    ("<AreaCode>919</AreaCode>", 0, "5009", "The quantity specified 0 is invalid."),
    ("<AreaCode>919</AreaCode>", "two", "5009", "The quantity specified two is invalid."),
    ("<AreaCode>919</AreaCode>", 5001, "5215",
     "The quantity specified in the order is not valid or exceeds the maximum value of 5000"),
])
def test_bad_combined_orders_are_refused_in_the_spec_words_and_change_nothing(emu, bw, criteria, quantity, code,
                                                                            description):
    got_code, got_description, root = refused(bw, combined(criteria, quantity))
    assert (got_code, got_description) == (code, description)
    assert [c.tag for c in root] == ["ErrorList", "Order"]
    assert root.findtext("Order/CustomerOrderId") == "combo-1"
    assert root.find("Order/CombinedSearchAndOrderType") is not None
    assert emu.api.world.orders(ACCOUNT) == []


@pytest.mark.parametrize("criteria", [
    "<AreaCode>919</AreaCode><LocalVanity>CARS</LocalVanity>",
    "<NpaNxx>919439</NpaNxx>",
    "<NpaNxxX>9194391</NpaNxxX>",
])
def test_backorders_are_refused_for_prefix_and_vanity_combined_orders(emu, bw, criteria):
    body = combined(criteria, 1, extra="<BackOrderRequested>true</BackOrderRequested>")
    assert refused(bw, body)[:2] == ("5522", "Backorders are not compatible with Specific TN, NPANXX, NPANXXX, "
                                             "TollFree Vanity or Local Vanity orders")
    assert emu.api.world.orders(ACCOUNT) == []


@pytest.mark.parametrize("order_type", [
    "<ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9195550142</TelephoneNumber>"
    "</TelephoneNumberList></ExistingTelephoneNumberOrderType>",
    "<NPANXXSearchAndOrderType><NpaNxx>919439</NpaNxx><Quantity>1</Quantity></NPANXXSearchAndOrderType>",
    "<TollFreeVanitySearchAndOrderType><TollFreeVanity>FLOWERS</TollFreeVanity><Quantity>1</Quantity>"
    "</TollFreeVanitySearchAndOrderType>",
])
def test_backorders_are_refused_for_the_types_the_spec_names(emu, bw, order_type):
    body = f"<Order><SiteId>1</SiteId><BackOrderRequested>true</BackOrderRequested>{order_type}</Order>"
    assert refused(bw, body)[0] == "5522"
    assert emu.api.world.orders(ACCOUNT) == []


def test_backorders_are_taken_where_the_spec_allows_them(bw):
    made = bw.post("/orders", content="<Order><SiteId>1</SiteId><BackOrderRequested>true</BackOrderRequested>"
                                      "<AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>1</Quantity>"
                                      "</AreaCodeSearchAndOrderType></Order>")
    assert made.status_code == 201 and xml(made).findtext("Order/BackOrderRequested") == "true"


# -- unknown order types ---------------------------------------------------------------------
@pytest.mark.parametrize("order_type, description", [
    ("", NO_CRITERIA),
    ("<ZipSearchAndOrderType><Zip>27601</Zip><Quantity>1</Quantity></ZipSearchAndOrderType>", NO_CRITERIA),
    ("<NpanxxSearchAndOrderType><NpaNxx>919439</NpaNxx><Quantity>1</Quantity></NpanxxSearchAndOrderType>",
     NO_CRITERIA),
    ("<StateSearchAndOrderType><State>NC</State><Quantity>1</Quantity></StateSearchAndOrderType>"
     "<CombinedSearchAndOrderType><AreaCode>919</AreaCode><Quantity>1</Quantity></CombinedSearchAndOrderType>",
     UNSUPPORTED),
])
def test_orders_without_exactly_one_known_type_are_5002_in_the_spec_words(emu, bw, order_type, description):
    code, text, root = refused(bw, f"<Order><CustomerOrderId>odd-1</CustomerOrderId><SiteId>1</SiteId>{order_type}"
                                   "</Order>")
    assert (code, text) == ("5002", description)
    assert root.findtext("Order/CustomerOrderId") == "odd-1"
    assert emu.api.world.orders(ACCOUNT) == []


def test_a_bare_telephone_number_list_stays_a_500_as_seen_live(emu, bw2):
    body = "<Order><SiteId>1</SiteId><TelephoneNumberList><TelephoneNumber>+19195550142</TelephoneNumber>" \
           "</TelephoneNumberList></Order>"
    response = bw2.post("/orders", content=body)
    assert response.status_code == 500 and xml(response).tag == "ErrorResponse"
    assert emu.api.world.orders(ACCOUNT) == []


# -- PUT /orders/{id} ----------------------------------------------------------------------
def ordered(bw: httpx.Client, numbers: list[str], coid: str = "rehearsal-1") -> str:
    return place(bw, existing_order(numbers, coid=coid))


def test_an_update_keeps_name_and_customer_order_id_and_records_the_difference(emu, bw):
    oid = ordered(bw, search(bw, areaCode="919", quantity=1))
    read_order(bw, oid)  # settled: COMPLETE
    response = bw.put(f"/orders/{oid}", content="<Order><Name>renamed</Name><CustomerOrderId>moved-1</CustomerOrderId>"
                                               "</Order>")
    assert response.status_code == 200, response.text
    root = xml(response)
    assert root.tag == "OrderResponse" and list(root) == [] and not (root.text or "").strip()
    echo = read_order(bw, oid).find("Order")
    assert (echo.findtext("Name"), echo.findtext("CustomerOrderId")) == ("renamed", "moved-1")
    found = bw.get("/orders", params={"customerOrderId": "moved-1", "page": 1, "size": 10})
    assert [e.findtext("orderId") for e in xml(found).findall(".//OrderIdUserIdDate")] == [oid]
    gone = bw.get("/orders", params={"customerOrderId": "rehearsal-1", "page": 1, "size": 10})
    assert xml(gone).findtext(".//TotalCount") == "0"
    entries = xml(bw.get(f"/orders/{oid}/history")).findall("OrderHistory")
    update = entries[-1]
    assert [c.tag for c in update] == ["OrderDate", "Note", "Author", "Status", "Difference"]
    assert (update.findtext("Author"), update.findtext("Status")) == ("rehearsal", "COMPLETE")
    assert update.findtext("Difference") == (
        'Name : "rehearsal" --> renamed, CustomerOrderId : "rehearsal-1" --> moved-1')


def test_an_update_takes_the_whole_echo_an_sdk_sends_back(emu, bw):
    """The Python SDK PUTs the order it read, with every element it holds; only the three fields count."""
    oid = ordered(bw, search(bw, areaCode="919", quantity=1))
    echo = read_order(bw, oid).find("Order")
    echo.find("Name").text = "from the sdk"
    response = bw.put(f"/orders/{oid}", content=ET.tostring(echo))
    assert response.status_code == 200, response.text
    again = read_order(bw, oid).find("Order")
    assert again.findtext("Name") == "from the sdk" and again.findtext("CustomerOrderId") == "rehearsal-1"
    assert again.findtext("SiteId") == "1"


def test_an_update_that_changes_nothing_records_nothing(bw):
    oid = ordered(bw, search(bw, areaCode="919", quantity=1))
    read_order(bw, oid)
    assert bw.put(f"/orders/{oid}", content="<Order><CloseOrder>false</CloseOrder></Order>").status_code == 200
    entries = xml(bw.get(f"/orders/{oid}/history")).findall("OrderHistory")
    assert [e.findtext("Author") for e in entries] == ["System"]


@pytest.mark.parametrize("body, code, description", [
    ("<Order><CloseOrder>true</CloseOrder></Order>", "5060", "Only Backordered order can be closed."),
    ("<Order><Name>x</Name><CloseOrder>true</CloseOrder></Order>", "5060", "Only Backordered order can be closed."),
    ("<Order><CloseOrder>yes</CloseOrder></Order>", "5002", "CloseOrder value yes is invalid: use true or false"),
    ("<Order><CustomerOrderId>a_b</CustomerOrderId></Order>", "5052",
     "Customer order ID is invalid. Only alphanumeric values, dashes and spaces are allowed. "
     "Max length is 40 characters."),
    (f"<Order><Name>{'n' * 51}</Name></Order>", "5002", "Name may be at most 50 characters"),
    ("<Order><Name>x</Name>", "5002", None),
    ("<Note><UserId>x</UserId></Note>", "5002", "The request body must be a Order element, not Note"),
])
def test_bad_updates_are_refused_and_change_nothing(bw, body, code, description):
    oid = ordered(bw, search(bw, areaCode="919", quantity=1))
    got_code, got_description, _ = refused(bw, body, f"/orders/{oid}", "PUT")
    assert got_code == code and (description is None or got_description == description)
    echo = read_order(bw, oid).find("Order")
    assert (echo.findtext("Name"), echo.findtext("CustomerOrderId")) == ("rehearsal", "rehearsal-1")


def test_updating_an_unknown_or_foreign_order_is_404(emu, bw):
    oid = ordered(bw, search(bw, areaCode="919", quantity=1))
    assert_no_resource(bw.put("/orders/00000000-0000-0000-0000-000000000000", content="<Order><Name>x</Name></Order>"))
    with client(f"{emu.url}/accounts/9900002", auth=("other", "pw")) as other:
        assert_no_resource(other.put(f"/orders/{oid}", content="<Order><Name>x</Name></Order>"))


def test_v2_updates_work_alike_and_refuse_10_digit_numbers_in_the_body(emu, bw2):
    numbers = [e.text for e in xml(bw2.get("/availableNumbers", params={"state": "NC", "quantity": 1}))
               .findall(".//TelephoneNumber")]
    oid = place(bw2, existing_order(numbers))
    assert bw2.put(f"/orders/{oid}", content="<Order><Name>v2 name</Name></Order>").status_code == 200
    assert read_order(bw2, oid).findtext("Order/Name") == "v2 name"
    echo = ("<Order><Name>again</Name><ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>"
            f"{numbers[0][2:]}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>")
    code, description, _ = refused(bw2, echo, f"/orders/{oid}", "PUT")
    assert code == "1022" and numbers[0][2:] in description
    assert read_order(bw2, oid).findtext("Order/Name") == "v2 name"


# -- order sub-resources ---------------------------------------------------------------------
def three_numbers(bw: httpx.Client) -> list[str]:
    return search(bw, areaCode="919", quantity=2) + search(bw, areaCode="704", quantity=1)


def test_order_tns_list_the_numbers_of_the_order(bw):
    numbers = three_numbers(bw)
    oid = ordered(bw, numbers)
    root = xml(bw.get(f"/orders/{oid}/tns"))
    assert root.tag == "TelephoneNumbers" and [c.tag for c in root] == ["Count"] + ["TelephoneNumber"] * 3
    assert root.findtext("Count") == "3" and [e.text for e in root.findall("TelephoneNumber")] == numbers


def test_order_tns_on_v2_are_e164_and_reports_stay_digits(bw2):
    numbers = [e.text for e in xml(bw2.get("/availableNumbers", params={"state": "NC", "quantity": 2}))
               .findall(".//TelephoneNumber")]
    oid = place(bw2, existing_order(numbers))
    root = xml(bw2.get(f"/orders/{oid}/tns"))
    assert root.findtext("Count") == "2" and [e.text for e in root.findall("TelephoneNumber")] == numbers
    assert all(n.startswith("+1") for n in numbers)
    area_codes = {r.findtext("AreaCode") for r in xml(bw2.get(f"/orders/{oid}/areaCodes"))}
    assert area_codes == {n[2:5] for n in numbers}
    exchanges = {r.findtext("NPA-NXX") for r in xml(bw2.get(f"/orders/{oid}/npaNxx"))}
    assert exchanges == {n[2:8] for n in numbers}


def test_order_area_codes_npa_nxx_and_totals_count_the_numbers(bw):
    numbers = three_numbers(bw)
    oid = ordered(bw, numbers)
    reports = xml(bw.get(f"/orders/{oid}/areaCodes"))
    assert reports.tag == "TelephoneDetailsReports"
    assert [[(c.tag, c.text) for c in r] for r in reports] == [
        [("AreaCode", "704"), ("Count", "1")], [("AreaCode", "919"), ("Count", "2")]]
    exchanges = xml(bw.get(f"/orders/{oid}/npaNxx"))
    expected: dict[str, int] = {}
    for number in sorted(numbers):
        expected[number[:6]] = expected.get(number[:6], 0) + 1
    assert exchanges.tag == "TelephoneDetailsReports"
    assert [(r.findtext("NPA-NXX"), int(r.findtext("Count"))) for r in exchanges] == list(expected.items())
    assert all([c.tag for c in r] == ["NPA-NXX", "Count"] for r in exchanges)
    totals = xml(bw.get(f"/orders/{oid}/totals"))
    assert totals.tag == "TelephoneDetailsReports"
    assert [[(c.tag, c.text) for c in r] for r in totals] == [[("Count", "3")]]


def test_a_failed_orders_parts_are_empty(bw):
    order_type = "<CitySearchAndOrderType><City>NOWHERE</City><State>NC</State><Quantity>3</Quantity>"
    oid = place(bw, f"<Order><SiteId>1</SiteId>{order_type}</CitySearchAndOrderType></Order>")
    assert read_order(bw, oid).findtext("OrderStatus") == "FAILED"
    tns = xml(bw.get(f"/orders/{oid}/tns"))
    assert [(c.tag, c.text) for c in tns] == [("Count", "0")]
    assert list(xml(bw.get(f"/orders/{oid}/areaCodes"))) == []
    assert [[(c.tag, c.text) for c in r] for r in xml(bw.get(f"/orders/{oid}/totals"))] == [[("Count", "0")]]


def test_history_is_empty_until_the_order_completes_then_says_what_happened(start_emulator):
    emu = start_emulator(complete_after=3600)
    with client(f"{emu.url}/accounts/{ACCOUNT}", auth=("rehearsal", "pw")) as bw:
        numbers = three_numbers(bw)
        oid = ordered(bw, numbers)
        empty = bw.get(f"/orders/{oid}/history")
        assert empty.status_code == 200 and xml(empty).tag == "OrderHistoryWrapper" and list(xml(empty)) == []
        created = emu.api.world.get(oid, ACCOUNT).created_at
        emu.api.world.clock = lambda: created + 3601
        root = xml(bw.get(f"/orders/{oid}/history"))
        assert [c.tag for c in root] == ["OrderHistory"]
        entry = root.find("OrderHistory")
        assert [c.tag for c in entry] == ["OrderDate", "Note", "Author", "Status"]
        assert entry.findtext("Note") == "3 numbers ordered in (704), (919)"
        assert (entry.findtext("Author"), entry.findtext("Status")) == ("System", "COMPLETE")
        assert entry.findtext("OrderDate") == read_order(bw, oid).findtext("OrderCompleteDate")


SUB_RESOURCES = ["tns", "areaCodes", "npaNxx", "totals", "history", "notes"]


@pytest.mark.parametrize("part", SUB_RESOURCES)
def test_sub_resources_of_unknown_foreign_or_disconnect_ids_are_404(emu, bw, bw2, part):
    numbers = search(bw, areaCode="919", quantity=1)
    oid = ordered(bw, numbers)
    read_order(bw, oid)
    release = bw.post("/disconnects", content=(
        "<DisconnectTelephoneNumberOrder><DisconnectTelephoneNumberOrderType><TelephoneNumberList>"
        f"<TelephoneNumber>{numbers[0]}</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType>"
        "</DisconnectTelephoneNumberOrder>"))
    disconnect_id = release.headers["location"].rsplit("/", 1)[1]
    assert_no_resource(bw.get(f"/orders/00000000-0000-0000-0000-000000000000/{part}"))
    assert_no_resource(bw.get(f"/orders/{disconnect_id}/{part}"))
    assert_no_resource(bw2.get(f"/orders/nope/{part}"))
    with client(f"{emu.url}/accounts/9900002", auth=("other", "pw")) as other:
        assert_no_resource(other.get(f"/orders/{oid}/{part}"))


def test_sub_resources_take_only_their_methods(bw):
    oid = ordered(bw, search(bw, areaCode="919", quantity=1))
    for part in ("tns", "areaCodes", "npaNxx", "totals", "history"):
        response = bw.post(f"/orders/{oid}/{part}", content="<x/>")
        assert response.status_code == 405 and response.headers["allow"] == "GET"
    assert bw.delete(f"/orders/{oid}/notes").headers["allow"] == "GET, POST"
    assert bw.get(f"/orders/{oid}/notes/1").headers["allow"] == "PUT"


# -- notes -----------------------------------------------------------------------------------
@pytest.fixture(params=["orders", "disconnects"])
def notes_on(request, bw):
    """The path of an order's (or a disconnect's) notes."""
    numbers = search(bw, areaCode="919", quantity=1)
    oid = ordered(bw, numbers)
    read_order(bw, oid)
    if request.param == "orders":
        return f"/orders/{oid}/notes"
    release = bw.post("/disconnects", content=(
        "<DisconnectTelephoneNumberOrder><DisconnectTelephoneNumberOrderType><TelephoneNumberList>"
        f"<TelephoneNumber>{numbers[0]}</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType>"
        "</DisconnectTelephoneNumberOrder>"))
    return f"/disconnects/{release.headers['location'].rsplit('/', 1)[1]}/notes"


def test_notes_are_added_listed_and_updated(emu, bw, notes_on):
    none = bw.get(notes_on)
    assert none.status_code == 204 and none.content == b""
    first = bw.post(notes_on, content=note_body())
    assert first.status_code == 201 and first.content == b""
    location = first.headers["location"]
    assert location.startswith(f"{emu.url}/accounts/{ACCOUNT}{notes_on}/")
    second = bw.post(notes_on, content=note_body("ops.team-2@example", "Second thoughts"))
    first_id, second_id = location.rsplit("/", 1)[1], second.headers["location"].rsplit("/", 1)[1]
    assert first_id.isdigit() and int(second_id) > int(first_id)
    root = xml(bw.get(notes_on))
    assert root.tag == "Notes" and [n.tag for n in root] == ["Note", "Note"]
    assert [[c.tag for c in n] for n in root] == [["Id", "UserId", "Description", "LastDateModifier"]] * 2
    assert [(n.findtext("Id"), n.findtext("UserId"), n.findtext("Description")) for n in root] == [
        (first_id, "rehearsal", "Ported for the Durham office"), (second_id, "ops.team-2@example", "Second thoughts")]
    assert root.findtext("Note/LastDateModifier").endswith("Z")
    edited = bw.put(f"{notes_on}/{first_id}", content=note_body("rehearsal", "Ported for Raleigh instead"))
    assert edited.status_code == 200 and edited.content == b""
    assert xml(bw.get(notes_on)).findtext("Note/Description") == "Ported for Raleigh instead"


def test_notes_of_one_order_are_its_own(bw):
    one = ordered(bw, search(bw, areaCode="919", quantity=1), coid="one")
    two = ordered(bw, search(bw, areaCode="704", quantity=1), coid="two")
    bw.post(f"/orders/{one}/notes", content=note_body())
    assert bw.get(f"/orders/{two}/notes").status_code == 204
    note_id = xml(bw.get(f"/orders/{one}/notes")).findtext("Note/Id")
    for wrong_id in (note_id, "123456789", "9" * 30, "first"):
        wrong = bw.put(f"/orders/{two}/notes/{wrong_id}", content=note_body())
        assert wrong.status_code == 404 and xml(wrong).tag == "NoteResponse"
        assert [xml(wrong).findtext("ResponseStatus/ErrorCode"),
                xml(wrong).findtext("ResponseStatus/Description")] == ["5040", "Note not found."]


@pytest.mark.parametrize("body, code, description", [
    (note_body(user=None), "12501", "Username is required"),
    (note_body(user=""), "12501", "Username is required"),
    (note_body(user="ops team"), "12502",
     "User name 'ops team' is invalid. Usernames can only contain alphanumerics (a-z, A-Z, 0-9), '@' (At signs), "
     "'.' (periods), '_' (underscores) and '-' (hyphens)"),
    (note_body(text=None), "1003", "Description is required"),
    (note_body(text=" "), "1003", "Description is required"),
    (note_body(text="x" * 501), "1011", "Description is too long. Max length 500 characters"),
    ("<Note><UserId>rehearsal</UserId>", "1019", "Bad request encountered. Please check your request and try again."),
    ("<Order><Name>x</Name></Order>", "1019", "Bad request encountered. Please check your request and try again."),
])
def test_bad_notes_are_refused_in_the_note_envelope(bw, notes_on, body, code, description):
    for method, path in (("POST", notes_on), ("PUT", None)):
        if path is None:
            bw.post(notes_on, content=note_body())
            path = f"{notes_on}/{xml(bw.get(notes_on)).findtext('Note/Id')}"
        response = bw.request(method, path, content=body)
        assert response.status_code == 400, response.text
        root = xml(response)
        assert root.tag == "NoteResponse"
        assert [c.tag for c in root.find("ResponseStatus")] == ["ErrorCode", "Description"]
        assert (root.findtext("ResponseStatus/ErrorCode"), root.findtext("ResponseStatus/Description")) == (
            code, description)
    assert [n.findtext("Description") for n in xml(bw.get(notes_on))] == ["Ported for the Durham office"]


def test_notes_on_unknown_ids_are_404(bw):
    for collection in ("orders", "disconnects"):
        assert_no_resource(bw.get(f"/{collection}/nope/notes"))
        assert_no_resource(bw.post(f"/{collection}/nope/notes", content=note_body()))
        assert_no_resource(bw.put(f"/{collection}/nope/notes/1", content=note_body()))


def test_v2_notes_work_alike(bw2):
    numbers = [e.text for e in xml(bw2.get("/availableNumbers", params={"state": "NC", "quantity": 1}))
               .findall(".//TelephoneNumber")]
    oid = place(bw2, existing_order(numbers))
    made = bw2.post(f"/orders/{oid}/notes", content=note_body("client"))
    assert made.status_code == 201 and made.content == b""
    assert f"/accounts/{ACCOUNT}/orders/{oid}/notes/" in made.headers["location"]
    assert xml(bw2.get(f"/orders/{oid}/notes")).findtext("Note/UserId") == "client"
    missing = bw2.post(f"/orders/{oid}/notes", content=note_body(user=None))
    assert xml(missing).findtext("ResponseStatus/ErrorCode") == "12501"
