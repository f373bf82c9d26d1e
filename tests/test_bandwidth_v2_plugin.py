"""The Bandwidth plugin in v2 mode (`api=v2`): its exact requests and its reading of v2 answers.

Shapes from shared/carriers/bandwidth-v2.md: host `api.bandwidth.com/api/v2`, E.164 in every
telephone-number element, `countryCodeA3` with `areaCode`/`city`, `page`/`size` on lists, Bearer
tokens from `/api/v1/oauth2/token` of the same environment.
"""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.etree.ElementTree import fromstring

import pytest

from tnorder.carriers import bandwidth as bandwidth_module
from tnorder.carriers.bandwidth import BandwidthCarrier
from tnorder.carriers.base import Reservation
from tnorder.criteria import build
from tnorder.errors import BadInput, CarrierAuthError, CarrierError, ConfigError
from tnorder.settings import AccountConfig, CarrierConfig

BASE = "https://api.bandwidth.com/api/v2"
ACCT = f"{BASE}/accounts/9900001"
TOKEN = "https://api.bandwidth.com/api/v1/oauth2/token"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd-secret")
    monkeypatch.setenv("BW_CLIENT", "client-abc")
    monkeypatch.setenv("BW_SECRET", "client-s3cret-value")


@pytest.fixture
def slept(monkeypatch):
    """Waits the plugin asked for, without waiting."""
    waits: list[float] = []
    monkeypatch.setattr(bandwidth_module.time, "sleep", waits.append)
    return waits


def carrier(home, *, basic: bool = False, url: str | None = None, **options) -> BandwidthCarrier:
    env = ({"username_env": "BW_USER", "password_env": "BW_PASS"} if basic
           else {"client_id_env": "BW_CLIENT", "client_secret_env": "BW_SECRET"})
    return BandwidthCarrier(CarrierConfig("bw", "bandwidth", url, {"api": "v2"} | options),
                            AccountConfig("main", "bw", "9900001", "12345", "567890", env), home)


def token(httpx_mock, url: str = TOKEN) -> None:
    httpx_mock.add_response(method="POST", url=url, json={"access_token": "tok-v2", "expires_in": 3600})


def query(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}


def api_requests(httpx_mock) -> list:
    return [r for r in httpx_mock.get_requests() if not r.url.path.endswith("/oauth2/token")]


DETAIL = DECL + """<SearchResult><ResultCount>2</ResultCount><TelephoneNumberDetailList>
<TelephoneNumberDetail><City>DURHAM</City><LATA>426</LATA><RateCenter>DURHAM</RateCenter><State>NC</State>
<FullNumber>+19195550142</FullNumber><Tier>0</Tier><CountryCodeA3>USA</CountryCodeA3>
<PhoneNumberType>GEOGRAPHIC</PhoneNumberType></TelephoneNumberDetail>
<TelephoneNumberDetail><City>CARY</City><LATA>426</LATA><RateCenter>CARY</RateCenter><State>NC</State>
<FullNumber>9195550143</FullNumber></TelephoneNumberDetail></TelephoneNumberDetailList></SearchResult>"""


# -- search ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("criteria", "params"), [
    ({"area_code": "919"}, {"areaCode": "919", "countryCodeA3": "USA"}),
    ({"area_code": "416"}, {"areaCode": "416", "countryCodeA3": "CAN"}),
    ({"rate_center": "cary", "state": "nc"}, {"rateCenter": "CARY", "state": "NC", "LCA": "false"}),
    ({"state": "NC"}, {"state": "NC"}),
    ({"city": "Raleigh", "state": "NC"}, {"city": "RALEIGH", "state": "NC", "countryCodeA3": "USA"}),
    ({"zip": "27601"}, {"zip": "27601"}),
    ({"lata": "426"}, {"lata": "426"}),
    ({"toll_free": "87*"}, {"tollFreeWildCardPattern": "87*"}),
    ({"vanity": "flowers"}, {"tollFreeVanity": "FLOWERS"}),
    ({"npa_nxx": "919439"}, {"npaNxx": "919439", "LCA": "false"}),
    ({"local_vanity": "tacos", "area_code": "919"}, {"localVanity": "TACOS", "areaCode": "919",
                                                     "countryCodeA3": "USA"}),
    ({"local_vanity": "tacos", "state": "NC"}, {"localVanity": "TACOS", "state": "NC"}),
])
def test_search_pins_the_v2_request(httpx_mock, home, creds, criteria, params):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", text=DETAIL)
    found = carrier(home).search(build(**criteria), 7)
    (request,) = api_requests(httpx_mock)
    assert (request.url.host, request.url.path) == ("api.bandwidth.com", "/api/v2/accounts/9900001/availableNumbers")
    # toll-free searches take only quantity and orderBy (bandwidth.md §2): no enableTNDetail there
    detail = {} if set(params) & {"tollFreeVanity", "tollFreeWildCardPattern"} else {"enableTNDetail": "true"}
    assert query(request) == params | {"quantity": "7"} | detail
    assert request.headers["Authorization"] == "Bearer tok-v2"
    assert request.headers["Accept"] == "application/xml"
    # E.164 and 10-digit in one answer, both read as E.164
    assert [n.number for n in found] == ["+19195550142", "+19195550143"]


def test_search_reads_a_bare_v2_number_list(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", text="<SearchResult><ResultCount>3</ResultCount><TelephoneNumberList>"
                            "<TelephoneNumber>+14354776112</TelephoneNumber><TelephoneNumber>4357095160"
                            "</TelephoneNumber><TelephoneNumber>14357095161</TelephoneNumber></TelephoneNumberList>"
                            "</SearchResult>")
    found = carrier(home).search(build(area_code="435"), 3)
    assert [n.number for n in found] == ["+14354776112", "+14357095160", "+14357095161"]


# -- auth and environments ---------------------------------------------------------------------
def test_token_request_is_form_encoded_json_and_not_xml(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", text=DETAIL)
    carrier(home).search(build(state="NC"), 1)
    (request,) = httpx_mock.get_requests(method="POST")
    assert str(request.url) == TOKEN
    assert request.content == b"grant_type=client_credentials"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "xml" not in request.headers.get("Accept", "")


def test_the_test_environment_picks_both_hosts(httpx_mock, home, creds):
    token(httpx_mock, "https://test.api.bandwidth.com/api/v1/oauth2/token")
    httpx_mock.add_response(method="GET", url="https://test.api.bandwidth.com/api/v2/accounts/9900001/"
                            "availableNumbers?state=NC&quantity=1&enableTNDetail=true", text=DETAIL)
    carrier(home, environment="test").search(build(state="NC"), 1)
    assert len(httpx_mock.get_requests()) == 2


def test_v1_in_the_test_environment_uses_the_test_token_url(httpx_mock, home, creds):
    token(httpx_mock, "https://test.api.bandwidth.com/api/v1/oauth2/token")
    httpx_mock.add_response(method="GET", url="https://test.api.bandwidth.com/api/v1/accounts/9900001/"
                            "availableNumbers?state=NC&quantity=1&enableTNDetail=true", text=DETAIL)
    carrier(home, api="v1", environment="test").search(build(state="NC"), 1)


def test_a_custom_url_never_borrows_the_environment_token_url(httpx_mock, home, creds):
    token(httpx_mock, "http://127.0.0.1:8735/api/v1/oauth2/token")
    httpx_mock.add_response(method="GET", url="http://127.0.0.1:8735/api/v2/accounts/9900001/availableNumbers?"
                            "state=NC&quantity=1&enableTNDetail=true", text=DETAIL)
    carrier(home, url="http://127.0.0.1:8735/api/v2", environment="test").search(build(state="NC"), 1)


def test_an_explicit_token_url_wins(httpx_mock, home, creds):
    token(httpx_mock, "https://auth.example.test/token")
    httpx_mock.add_response(method="GET", text=DETAIL)
    carrier(home, token_url="https://auth.example.test/token").search(build(state="NC"), 1)


@pytest.mark.parametrize("options", [{"api": "v3"}, {"environment": "staging"}])
def test_bad_version_or_environment_is_refused_at_config_time(options):
    with pytest.raises(ConfigError):
        BandwidthCarrier.check_options(options)


def test_basic_credentials_are_refused_in_v2_before_any_request(httpx_mock, home, creds):
    with pytest.raises(ConfigError) as caught:
        carrier(home, basic=True).search(build(state="NC"), 1)
    assert "OAuth2 client credentials only" in str(caught.value) and caught.value.exit_code == 2
    assert httpx_mock.get_requests() == []
    with pytest.raises(ConfigError):
        BandwidthCarrier.check_account(CarrierConfig("bw", "bandwidth", None, {"api": "v2"}),
                                       {"username_env": "BW_USER", "password_env": "BW_PASS"})


def test_an_expired_bearer_token_is_renewed_once(httpx_mock, home, creds):
    for value in ("tok-old", "tok-new"):
        httpx_mock.add_response(method="POST", url=TOKEN, json={"access_token": value, "expires_in": 3600})
    httpx_mock.add_response(method="GET", status_code=401, text="<ErrorResponse/>")
    httpx_mock.add_response(method="GET", text=DETAIL)
    carrier(home).search(build(state="NC"), 1)
    # the auth flow re-sends the same request object with a fresh header: two sends, two tokens
    assert len(httpx_mock.get_requests(method="POST")) == 2 and len(api_requests(httpx_mock)) == 2
    assert api_requests(httpx_mock)[-1].headers["Authorization"] == "Bearer tok-new"


# -- reservations, orders, disconnects ---------------------------------------------------------
def test_reserve_and_release_send_e164(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="POST", url=f"{ACCT}/tnreservation", status_code=201,
                            headers={"Location": "https://dashboard.bandwidth.com/api/accounts/9900001/"
                                     "TnReservation/r-1"})
    httpx_mock.add_response(method="DELETE", url=f"{ACCT}/tnreservation/r-1")
    bw = carrier(home)
    held = bw.reserve(["+19195550142"])
    bw.release(held)
    post, delete = api_requests(httpx_mock)
    assert fromstring(post.content).findtext("ReservedTn") == "+19195550142"
    assert held == [Reservation("r-1", "+19195550142")]  # the id, not the v1-shaped Location
    assert delete.method == "DELETE"


def test_order_sends_e164_numbers_and_reservations(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="POST", url=f"{ACCT}/orders", status_code=201,
                            headers={"Location": f"{ACCT}/orders/o-1"},
                            text="<OrderResponse><Order><id>o-1</id></Order><OrderStatus>RECEIVED</OrderStatus>"
                                 "</OrderResponse>")
    answer = carrier(home).order(["+19195550142", "+19195550143"], "key-1", [Reservation("r-1", "+19195550142")])
    (request,) = api_requests(httpx_mock)
    root = fromstring(request.content)
    assert root.findtext("CustomerOrderId") == "key-1" and root.findtext("SiteId") == "12345"
    listed = root.findall("ExistingTelephoneNumberOrderType/TelephoneNumberList/TelephoneNumber")
    assert [n.text for n in listed] == ["+19195550142", "+19195550143"]
    assert root.findtext("ExistingTelephoneNumberOrderType/ReservationIdList/ReservationId") == "r-1"
    assert (answer.id, answer.status) == ("o-1", "pending")


@pytest.mark.parametrize(("criteria", "element", "children"), [
    ({"area_code": "919"}, "AreaCodeSearchAndOrderType", {"AreaCode": "919", "Quantity": "5"}),
    ({"npa_nxx": "919439"}, "NPANXXSearchAndOrderType", {"NpaNxx": "919439", "Quantity": "5",
                                                         "EnableLCA": "false"}),
    ({"toll_free": "8**"}, "TollFreeWildCharSearchAndOrderType", {"TollFreeWildCardPattern": "8**",
                                                                  "Quantity": "5"}),
    ({"lata": "426"}, "LATASearchAndOrderType", {"LATA": "426", "Quantity": "5"}),  # the v2 schema's spelling
])
def test_search_and_order_criteria_stay_unprefixed(httpx_mock, home, creds, criteria, element, children):
    token(httpx_mock)
    httpx_mock.add_response(method="POST", status_code=201, headers={"Location": f"{ACCT}/orders/o-2"})
    carrier(home).search_and_order(build(**criteria), 5, "key-2")
    (request,) = api_requests(httpx_mock)
    assert request.url.path == "/api/v2/accounts/9900001/orders"
    kind = fromstring(request.content).find(element)
    assert {c.tag: c.text for c in kind} == children


def test_local_vanity_lookup_and_order_searches_then_orders_the_numbers(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", text=DETAIL)
    httpx_mock.add_response(method="POST", status_code=201, headers={"Location": f"{ACCT}/orders/o-3"})
    carrier(home).search_and_order(build(local_vanity="TACOS", state="NC"), 2, "key-3")
    search, order = api_requests(httpx_mock)
    assert query(search)["localVanity"] == "TACOS"
    listed = fromstring(order.content).findall("ExistingTelephoneNumberOrderType/TelephoneNumberList/TelephoneNumber")
    assert [n.text for n in listed] == ["+19195550142", "+19195550143"]


def test_order_status_reads_mixed_number_forms(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", url=f"{ACCT}/orders/o-1?tndetail=true", text=(
        "<OrderResponse><CompletedQuantity>2</CompletedQuantity><ErrorList><Error><Code>5005</Code><Description>"
        "unavailable</Description><TelephoneNumber>+19195550144</TelephoneNumber></Error></ErrorList>"
        "<FailedNumbers><FullNumber>9195550144</FullNumber></FailedNumbers>"
        "<Order><CustomerOrderId>key-1</CustomerOrderId></Order><OrderStatus>PARTIAL</OrderStatus>"
        "<CompletedNumbers><TelephoneNumber><FullNumber>+19195550142</FullNumber><City>CARY</City></TelephoneNumber>"
        "<TelephoneNumber><FullNumber>9195550143</FullNumber></TelephoneNumber></CompletedNumbers></OrderResponse>"))
    answer = carrier(home).order_status("o-1")
    assert answer.status == "partial" and answer.key == "key-1"
    assert [n.number for n in answer.completed] == ["+19195550142", "+19195550143"]
    assert [(f.number, f.code) for f in answer.failed] == [("+19195550144", "5005")]  # one, not two


def test_an_unknown_order_status_stays_pending_with_a_warning(httpx_mock, home, creds, capsys):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", text="<OrderResponse><OrderStatus>ON_HOLD</OrderStatus></OrderResponse>")
    answer = carrier(home).order_status("o-9")
    assert (answer.status, answer.note) == ("pending", "carrier status ON_HOLD")
    captured = capsys.readouterr()
    assert "carrier status ON_HOLD" in captured.err and captured.out == ""


@pytest.mark.parametrize(("status", "body"), [
    (200, "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0</TotalCount></ListOrderIdUserIdDate>"
          "</ResponseSelectWrapper>"),
    (404, "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0</TotalCount></ListOrderIdUserIdDate>"
          "</ResponseSelectWrapper>"),
    (404, ""),
    (204, ""),
])
def test_find_order_treats_every_empty_shape_as_not_found(httpx_mock, home, creds, status, body):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", status_code=status, text=body)
    assert carrier(home).find_order("key-7") is None
    (request,) = api_requests(httpx_mock)
    assert request.url.path == "/api/v2/accounts/9900001/orders"
    assert query(request) == {"customerOrderId": "key-7", "page": "1", "size": "20"}


def test_disconnect_sends_e164_without_a_name(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="POST", url=f"{ACCT}/disconnects", status_code=201,
                            headers={"Location": f"{ACCT}/disconnects/d-1"})
    answer = carrier(home).disconnect(["+19195550142"], "key-4")
    (request,) = api_requests(httpx_mock)
    root = fromstring(request.content)
    assert root.tag == "DisconnectTelephoneNumberOrder" and root.find("Name") is None and root.find("name") is None
    assert root.findtext("CustomerOrderId") == "key-4"
    numbers = root.findall("DisconnectTelephoneNumberOrderType/TelephoneNumberList/TelephoneNumber")
    assert [n.text for n in numbers] == ["+19195550142"]
    assert root.find("DisconnectTelephoneNumberOrderType/DisconnectMode") is None  # the default, in either case
    assert answer.id == "d-1"


def test_disconnect_status_reads_e164(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", url=f"{ACCT}/disconnects/d-1", text=(
        "<DisconnectTelephoneNumberOrderResponse><DisconnectedTelephoneNumberList><TelephoneNumber>+19194392566"
        "</TelephoneNumber><TelephoneNumber>9194392567</TelephoneNumber></DisconnectedTelephoneNumberList>"
        "<orderRequest><CustomerOrderId>key-4</CustomerOrderId></orderRequest><OrderStatus>COMPLETE</OrderStatus>"
        "</DisconnectTelephoneNumberOrderResponse>"))
    answer = carrier(home).disconnect_status("d-1")
    assert answer.status == "complete"
    assert [n.number for n in answer.completed] == ["+19194392566", "+19194392567"]


# -- paging ------------------------------------------------------------------------------------
def tns(numbers: list[str], next_page: str | None = None, total: int = 0) -> str:
    # the v2 spec's own link samples point at v1 hosts and paths: only the page value may be taken
    following = (f'<next>Link=&lt;https://dashboard.bandwidth.com:443/v1.0/accounts/9900001/inserviceNumbers?'
                 f'page={next_page}&amp;size=500&gt;;rel="next";</next>' if next_page else "")
    listed = "".join(f"<TelephoneNumber>{n}</TelephoneNumber>" for n in numbers)
    return (f"<TNs><TotalCount>{total or len(numbers)}</TotalCount><Links><first>x</first>{following}</Links>"
            f"<TelephoneNumbers><Count>{len(numbers)}</Count>{listed}</TelephoneNumbers></TNs>")


def test_in_service_follows_the_next_page_value_against_the_v2_base(httpx_mock, home, creds):
    token(httpx_mock)
    first = [f"+1919555{i:04d}" for i in range(500)]
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500",
                            text=tns(first, "cursor-501", 502))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=cursor-501&size=500",
                            text=tns(["9195559998", "+19195559999"], total=502))
    found = list(carrier(home).in_service())
    assert len(found) == 502 and found[-2:] == ["+19195559998", "+19195559999"]
    assert all(r.url.host == "api.bandwidth.com" and r.url.path.startswith("/api/v2/")
               for r in api_requests(httpx_mock))


def test_in_service_pages_by_the_tn_the_carrier_puts_in_links_next(httpx_mock, home, creds):
    """v2's `page` is the id of a page's first element (a number), never a page count."""
    token(httpx_mock)
    first, second = [f"+1919555{i:04d}" for i in range(500)], [f"+1919556{i:04d}" for i in range(500)]
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500",
                            text=tns(first, "%2B19195560000", 1002))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=%2B19195560000&size=500",
                            text=tns(second, "%2B19195570000", 1002))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=%2B19195570000&size=500",
                            text=tns(["+19195570000", "+19195570001"], total=1002))
    found = list(carrier(home).in_service())
    assert found == first + second + ["+19195570000", "+19195570001"]
    assert [query(r)["page"] for r in api_requests(httpx_mock)] == ["1", "+19195560000", "+19195570000"]


def test_in_service_ends_at_the_last_full_page_when_the_total_is_reached(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500",
                            text=tns([f"+1919555{i:04d}" for i in range(500)], total=500))
    assert len(list(carrier(home).in_service())) == 500
    assert [query(r)["page"] for r in api_requests(httpx_mock)] == ["1"]  # no invented page=2


def test_in_service_without_a_next_link_before_the_total_never_invents_a_page(httpx_mock, home, creds):
    """A full page, more numbers announced and no `Links/next`: the list is incomplete, and taking it
    for the whole would tell reconcile or disconnect recovery that numbers are gone."""
    token(httpx_mock)
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500",
                            text=tns([f"+1919555{i:04d}" for i in range(500)], total=900))
    with pytest.raises(CarrierError, match="Links/next") as caught:
        list(carrier(home).in_service())
    assert "500 of 900" in str(caught.value)
    assert [query(r)["page"] for r in api_requests(httpx_mock)] == ["1"]


def test_disconnect_list_is_read_past_its_first_page(httpx_mock, home, creds):
    token(httpx_mock)

    def page(ids: list[str], next_page: str | None) -> str:
        following = (f'<next>Link=&lt;{ACCT}/disconnects?page={next_page}&amp;size=300&gt;;rel="next";</next>'
                     if next_page else "")
        rows = "".join(f"<OrderIdUserIdDate><OrderId>{i}</OrderId>"
                       f"{'<CustomerOrderId>key-5</CustomerOrderId>' if i == 'd-305' else ''}</OrderIdUserIdDate>"
                       for i in ids)
        return (f"<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>305</TotalCount><Links>{following}"
                f"</Links>{rows}</ListOrderIdUserIdDate></ResponseSelectWrapper>")

    httpx_mock.add_response(url=f"{ACCT}/disconnects?page=1&size=300",
                            text=page([f"d-{i}" for i in range(1, 301)], "d-301"))
    httpx_mock.add_response(url=f"{ACCT}/disconnects?page=d-301&size=300",
                            text=page([f"d-{i}" for i in range(301, 306)], None))
    httpx_mock.add_response(url=f"{ACCT}/disconnects/d-305", text=(
        "<DisconnectTelephoneNumberOrderResponse><OrderStatus>COMPLETE</OrderStatus>"
        "</DisconnectTelephoneNumberOrderResponse>"))
    assert carrier(home).find_disconnect("key-5").id == "d-305"


@pytest.mark.parametrize(("in_service", "status", "completed"), [
    ([], "complete", ["+19195550142", "+19195550143"]),
    (["+19195550143"], "partial", ["+19195550142"]),
    (["+19195550142", "+19195550143"], "failed", []),
])
def test_disconnect_recovery_asks_about_the_numbers(httpx_mock, home, creds, in_service, status, completed):
    token(httpx_mock)
    httpx_mock.add_response(url=f"{ACCT}/disconnects?page=1&size=300", text=(
        "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>1</TotalCount><OrderIdUserIdDate><OrderId>d-1"
        "</OrderId></OrderIdUserIdDate></ListOrderIdUserIdDate></ResponseSelectWrapper>"))
    if in_service:
        httpx_mock.add_response(url=f"{ACCT}/inserviceNumbers?page=1&size=500", text=tns(in_service))
    else:
        httpx_mock.add_response(url=f"{ACCT}/inserviceNumbers?page=1&size=500", status_code=204)
    answer = carrier(home).recover_disconnect("key-6", ["+19195550142", "+19195550143"])
    assert (answer.id, answer.status) == ("", status)
    assert [n.number for n in answer.completed] == completed
    assert "in-service list" in answer.note and "no disconnect order found under key key-6" in answer.note


# -- rate limits -------------------------------------------------------------------------------
def test_retry_after_is_honoured(httpx_mock, home, creds, slept):
    token(httpx_mock)
    httpx_mock.add_response(method="GET", status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(method="GET", text=DETAIL)
    assert len(carrier(home).search(build(state="NC"), 2)) == 2
    assert slept == [7.0]


def test_a_rate_limited_order_create_is_sent_again_with_the_same_key(httpx_mock, home, creds, slept):
    token(httpx_mock)
    httpx_mock.add_response(method="POST", url=f"{ACCT}/orders", status_code=429, headers={"Retry-After": "2"})
    httpx_mock.add_response(method="POST", url=f"{ACCT}/orders", status_code=201,
                            headers={"Location": f"{ACCT}/orders/o-5"})
    answer = carrier(home).order(["+19195550142"], "key-8")
    first, second = api_requests(httpx_mock)
    assert first.content == second.content and fromstring(second.content).findtext("CustomerOrderId") == "key-8"
    assert answer.id == "o-5" and slept == [2.0]


# -- input refused before any request ----------------------------------------------------------
@pytest.mark.parametrize("pattern", ["8*0", "800", "81*", "7**", "8***", "*8*"])
def test_undocumented_toll_free_patterns_are_refused(pattern):
    with pytest.raises(BadInput):
        build(toll_free=pattern)


@pytest.mark.parametrize("pattern", ["8**", "80*", "83*", "84*", "85*", "86*", "87*", "88*"])
def test_documented_toll_free_patterns_are_accepted(pattern):
    assert build(toll_free=pattern).toll_free == pattern


def test_a_401_after_basic_retirement_is_explained(httpx_mock, home, creds, monkeypatch):
    monkeypatch.setenv("TNORDER_NOW", "2026-12-03")
    httpx_mock.add_response(method="GET", status_code=401, text="<ErrorResponse/>")
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home, basic=True, api="v1").search(build(state="NC"), 1)
    assert caught.value.exit_code == 6
    assert "stopped accepting API-user credentials on 2026-12-02" in str(caught.value)
    assert "pa55-w0rd-secret" not in str(caught.value)


def test_a_401_before_basic_retirement_is_a_plain_auth_failure(httpx_mock, home, creds, monkeypatch):
    monkeypatch.setenv("TNORDER_NOW", "2026-12-01")
    httpx_mock.add_response(method="GET", status_code=401, text="<ErrorResponse/>")
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home, basic=True, api="v1").search(build(state="NC"), 1)
    assert "2026-12-02" not in str(caught.value) and "check the credential variables" in str(caught.value)


def test_config_test_reads_the_v2_order_list_and_explains_a_403_as_a_role(httpx_mock, home, creds):
    token(httpx_mock)
    httpx_mock.add_response(url=f"{ACCT}/orders?page=1&size=1", text="<ResponseSelectWrapper><ListOrderIdUserIdDate>"
                            "<TotalCount>0</TotalCount></ListOrderIdUserIdDate></ResponseSelectWrapper>")
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/sippeers", status_code=403)
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home).check_access()
    assert caught.value.exit_code == 6 and "GET /sites/12345/sippeers" in str(caught.value)
    assert "not wrong credentials" in str(caught.value) and "OAuth2 client credentials were refused" not in str(
        caught.value)
    assert [r.url.path for r in api_requests(httpx_mock)] == ["/api/v2/accounts/9900001/orders",
                                                              "/api/v2/accounts/9900001/sites/12345/sippeers"]


def test_in_service_without_a_next_link_or_a_total_never_invents_a_page(httpx_mock, home, creds):
    token(httpx_mock)
    listed = "".join(f"<TelephoneNumber>+1919555{i:04d}</TelephoneNumber>" for i in range(500))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500",
                            text=f"<TNs><TelephoneNumbers><Count>500</Count>{listed}</TelephoneNumbers></TNs>")
    with pytest.raises(CarrierError, match="500 of an unknown number of numbers"):
        list(carrier(home).in_service())
