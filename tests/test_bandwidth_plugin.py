"""The Bandwidth plugin's exact requests and its reading of every documented answer (pytest-httpx)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest

from tnorder.carriers.bandwidth import BandwidthCarrier
from tnorder.carriers.base import Reservation
from tnorder.criteria import build
from tnorder.errors import CarrierAuthError, CarrierError, CarrierRateLimited, CarrierUnreachable
from tnorder.settings import AccountConfig, CarrierConfig

BASE = "https://dashboard.bandwidth.com/api"
ACCT = f"{BASE}/accounts/9900001"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
BASIC = "Basic " + base64.b64encode(b"apiuser:pa55-w0rd-secret").decode()


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd-secret")
    monkeypatch.setenv("BW_CLIENT", "client-abc")
    monkeypatch.setenv("BW_SECRET", "client-s3cret-value")


def carrier(home, *, oauth: bool = False, peer: str | None = "567890", url: str | None = None,
            **options) -> BandwidthCarrier:
    env = ({"client_id_env": "BW_CLIENT", "client_secret_env": "BW_SECRET"} if oauth
           else {"username_env": "BW_USER", "password_env": "BW_PASS"})
    return BandwidthCarrier(CarrierConfig("bw", "bandwidth", url, options),
                            AccountConfig("main", "bw", "9900001", "12345", peer, env), home)


DETAIL = DECL + """<SearchResult><ResultCount>2</ResultCount><TelephoneNumberDetailList>
<TelephoneNumberDetail><City>DURHAM</City><LATA>426</LATA><RateCenter>DURHAM</RateCenter><State>NC</State>
<FullNumber>9195550142</FullNumber><Tier>0</Tier><VendorId>49</VendorId><VendorName>Bandwidth CLEC</VendorName>
</TelephoneNumberDetail><TelephoneNumberDetail><City>CARY</City><LATA>426</LATA><RateCenter>CARY</RateCenter>
<State>NC</State><FullNumber>9195550143</FullNumber></TelephoneNumberDetail></TelephoneNumberDetailList></SearchResult>"""


@pytest.mark.parametrize(("criteria", "params"), [
    ({"area_code": "919"}, {"areaCode": "919"}),
    ({"rate_center": "cary", "state": "nc"}, {"rateCenter": "CARY", "state": "NC", "LCA": "false"}),
    ({"state": "NC"}, {"state": "NC"}),
    ({"city": "Raleigh", "state": "NC"}, {"city": "RALEIGH", "state": "NC"}),
    ({"zip": "27601"}, {"zip": "27601"}),
    ({"lata": "426"}, {"lata": "426"}),
    ({"toll_free": "8**"}, {"tollFreeWildCardPattern": "8**"}),
    ({"vanity": "flowers"}, {"tollFreeVanity": "FLOWERS"}),
])
def test_search_sends_the_documented_parameters(httpx_mock, home, creds, criteria, params):
    httpx_mock.add_response(method="GET", text=DETAIL)
    found = carrier(home).search(build(**criteria), 7)
    request = httpx_mock.get_request()
    assert request.url.path == "/api/accounts/9900001/availableNumbers"
    # the combination table (bandwidth.md §2) allows only quantity and orderBy with toll-free criteria
    detail = {} if set(params) & {"tollFreeVanity", "tollFreeWildCardPattern"} else {"enableTNDetail": "true"}
    assert {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()} == params | {"quantity": "7"} | detail
    assert request.headers["Authorization"] == BASIC
    assert request.headers["User-Agent"].startswith("tnorder/")
    assert [n.number for n in found] == ["+19195550142", "+19195550143"]
    assert (found[0].rate_center, found[0].city, found[0].state, found[0].lata) == ("DURHAM", "DURHAM", "NC", "426")


@pytest.mark.parametrize(("body", "numbers"), [
    (DECL + "<SearchResult><ResultCount>1</ResultCount><TelephoneNumberDetailList><TelephoneNumberDetail>"
     "<City>CARY</City><Lata>426</Lata><RateCenter>CARY</RateCenter><State>NC</State>"
     "<TelephoneNumber>9195550199</TelephoneNumber></TelephoneNumberDetail></TelephoneNumberDetailList>"
     "</SearchResult>", ["+19195550199"]),
    ("<SearchResult><ResultCount>2</ResultCount><TelephoneNumberList><TelephoneNumber>7045550131</TelephoneNumber>"
     "<TelephoneNumber>7045550188</TelephoneNumber></TelephoneNumberList></SearchResult>",
     ["+17045550131", "+17045550188"]),
    ("<SearchResult><ResultCount>1</ResultCount><TelephoneNumberList><TelephoneNumber>7045550131</TelephoneNumber>"
     "</TelephoneNumberList></SearchResult>", ["+17045550131"]),
    (DECL + "<SearchResult><ResultCount>0</ResultCount></SearchResult>", []),
    ("<SearchResult/>", []),
])
def test_search_reads_every_answer_shape(httpx_mock, home, creds, body, numbers):
    httpx_mock.add_response(text=body)
    found = carrier(home).search(build(area_code="919"), 5)
    assert [n.number for n in found] == numbers
    if body.count("<Lata>"):
        assert found[0].lata == "426"


@pytest.mark.parametrize(("criteria", "params"), [
    ({"toll_free": "8**"}, {"tollFreeWildCardPattern": "8**"}),
    ({"vanity": "flowers"}, {"tollFreeVanity": "FLOWERS"}),
])
def test_toll_free_searches_read_the_plain_number_list(httpx_mock, home, creds, criteria, params):
    httpx_mock.add_response(method="GET", url=f"{ACCT}/availableNumbers?" + "&".join(
        f"{k}={v}".replace("*", "%2A") for k, v in (params | {"quantity": "2"}).items()), text=(
        DECL + "<SearchResult><ResultCount>2</ResultCount><TelephoneNumberList><TelephoneNumber>8335550101"
        "</TelephoneNumber><TelephoneNumber>8445550102</TelephoneNumber></TelephoneNumberList></SearchResult>"))
    found = carrier(home).search(build(**criteria), 2)
    assert "enableTNDetail" not in str(httpx_mock.get_request().url)
    assert [(n.number, n.rate_center, n.state, n.lata) for n in found] == [
        ("+18335550101", None, None, None), ("+18445550102", None, None, None)]


def test_search_error_envelope_is_a_carrier_error(httpx_mock, home, creds):
    httpx_mock.add_response(status_code=400, text=DECL + "<SearchResult><Error><Code>4010</Code><Description>One of "
                            "more required search parameters are null or empty</Description></Error></SearchResult>")
    with pytest.raises(CarrierError) as caught:
        carrier(home).search(build(area_code="919"), 5)
    assert (caught.value.code, caught.value.exit_code) == ("4010", 3)
    assert "null or empty" in str(caught.value)


def test_oauth_token_is_fetched_once_cached_and_sent_as_bearer(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", url="https://api.bandwidth.com/api/v1/oauth2/token",
                            json={"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600})
    httpx_mock.add_response(method="GET", text=DETAIL, is_reusable=True)
    bw = carrier(home, oauth=True)
    bw.search(build(area_code="919"), 2)
    bw.search(build(area_code="919"), 2)
    token, first, second = httpx_mock.get_requests()
    assert token.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token.content == b"grant_type=client_credentials"
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"client-abc:client-s3cret-value").decode()
    assert first.headers["Authorization"] == second.headers["Authorization"] == "Bearer tok-1"


def test_oauth_token_is_renewed_a_minute_before_it_expires(httpx_mock, home, creds):
    for token in ("tok-1", "tok-2"):
        httpx_mock.add_response(method="POST", json={"access_token": token, "expires_in": 50})
    httpx_mock.add_response(method="GET", text=DETAIL, is_reusable=True)
    bw = carrier(home, oauth=True)
    bw.search(build(area_code="919"), 2)
    bw.search(build(area_code="919"), 2)
    api = [r.headers["Authorization"] for r in httpx_mock.get_requests(method="GET")]
    assert api == ["Bearer tok-1", "Bearer tok-2"]


def test_the_emulator_token_url_follows_the_base_url(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", url="http://127.0.0.1:8735/api/v1/oauth2/token",
                            json={"access_token": "t", "expires_in": 3600})
    httpx_mock.add_response(method="GET", url="http://127.0.0.1:8735/api/accounts/9900001/availableNumbers?"
                            "areaCode=919&quantity=1&enableTNDetail=true", text=DETAIL)
    carrier(home, oauth=True, url="http://127.0.0.1:8735/api").search(build(area_code="919"), 1)


def test_refused_client_credentials_exit_6_without_the_secret(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", status_code=401, json={"error": "invalid_client"})
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home, oauth=True).search(build(area_code="919"), 2)
    assert caught.value.exit_code == 6
    assert "s3cret" not in str(caught.value) and "client-abc" not in str(caught.value)


def test_bad_basic_credentials_exit_6_without_the_password(httpx_mock, home, creds):
    httpx_mock.add_response(status_code=401)
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home).search(build(area_code="919"), 2)
    assert caught.value.exit_code == 6 and "pa55" not in str(caught.value)


def test_reserve_posts_each_number_and_skips_the_taken(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", status_code=201,
                            headers={"Location": f"{ACCT}/TnReservation/rid-1"})
    httpx_mock.add_response(method="POST", status_code=400, text=DECL + "<ReservationResponse><ResponseStatus>"
                            "<ErrorCode>5041</ErrorCode><Description>Reservation failed: telephone number "
                            "9195550143 is not available.</Description></ResponseStatus></ReservationResponse>")
    held = carrier(home).reserve(["+19195550142", "+19195550143"])
    assert held == [Reservation("rid-1", "+19195550142")]
    first, _ = httpx_mock.get_requests()
    assert first.url == f"{ACCT}/tnreservation"
    assert first.content == (b"<?xml version='1.0' encoding='UTF-8'?>\n"
                             b"<Reservation><ReservedTn>9195550142</ReservedTn></Reservation>")
    assert first.headers["Content-Type"].startswith("application/xml")


def test_release_deletes_each_reservation(httpx_mock, home, creds):
    httpx_mock.add_response(method="DELETE", url=f"{ACCT}/tnreservation/rid-1")
    carrier(home).release([Reservation("rid-1", "+19195550142")])


EXISTING = (b"<?xml version='1.0' encoding='UTF-8'?>\n<Order><CustomerOrderId>key-1</CustomerOrderId>"
            b"<Name>tnorder key-1</Name><SiteId>12345</SiteId><PeerId>567890</PeerId>"
            b"<PartialAllowed>true</PartialAllowed><ExistingTelephoneNumberOrderType><TelephoneNumberList>"
            b"<TelephoneNumber>9195550142</TelephoneNumber></TelephoneNumberList><ReservationIdList>"
            b"<ReservationId>rid-1</ReservationId></ReservationIdList></ExistingTelephoneNumberOrderType></Order>")
CREATED = DECL + """<OrderResponse><Order><CustomerOrderId>key-1</CustomerOrderId>
<OrderCreateDate>2024-03-05T14:07:22.318Z</OrderCreateDate><id>5d2f7a9e</id><SiteId>12345</SiteId></Order>
<OrderStatus>RECEIVED</OrderStatus></OrderResponse>"""


def test_order_posts_the_existing_numbers_with_their_reservations(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", url=f"{ACCT}/orders", match_content=EXISTING, status_code=201,
                            headers={"Location": f"{ACCT}/orders/5d2f7a9e"}, text=CREATED)
    answer = carrier(home).order(["+19195550142"], "key-1", [Reservation("rid-1", "+19195550142")])
    assert (answer.id, answer.status, answer.key) == ("5d2f7a9e", "pending", "key-1")


def test_order_without_a_peer_and_with_partial_refused(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", status_code=201, headers={"Location": f"{ACCT}/orders/o-2"})
    carrier(home, peer=None, partial_allowed=False).order(["+19195550142"], "key-2")
    body = httpx_mock.get_request().content
    assert b"<PeerId>" not in body and b"<PartialAllowed>false</PartialAllowed>" in body
    assert b"<ReservationIdList>" not in body


@pytest.mark.parametrize(("criteria", "element"), [
    ({"area_code": "919"}, "<AreaCodeSearchAndOrderType><AreaCode>919</AreaCode><Quantity>3</Quantity>"),
    ({"rate_center": "CARY", "state": "NC"}, "<RateCenterSearchAndOrderType><RateCenter>CARY</RateCenter>"
     "<State>NC</State><Quantity>3</Quantity><EnableLCA>false</EnableLCA>"),
    ({"state": "NC"}, "<StateSearchAndOrderType><State>NC</State><Quantity>3</Quantity>"),
    ({"city": "RALEIGH", "state": "NC"}, "<CitySearchAndOrderType><City>RALEIGH</City><State>NC</State>"
     "<Quantity>3</Quantity>"),
    ({"zip": "27601"}, "<ZIPSearchAndOrderType><Zip>27601</Zip><Quantity>3</Quantity>"),
    # the schema's `LATA` (numbers.yml schema, Java SDK), not the `Lata` of the spec's examples
    ({"lata": "426"}, "<LATASearchAndOrderType><LATA>426</LATA><Quantity>3</Quantity>"),
    ({"toll_free": "87*"}, "<TollFreeWildCharSearchAndOrderType><TollFreeWildCardPattern>87*"
     "</TollFreeWildCardPattern><Quantity>3</Quantity>"),
    ({"vanity": "FLOWERS"}, "<TollFreeVanitySearchAndOrderType><TollFreeVanity>FLOWERS</TollFreeVanity>"
     "<Quantity>3</Quantity>"),
])
def test_search_and_order_uses_the_documented_order_types(httpx_mock, home, creds, criteria, element):
    httpx_mock.add_response(method="POST", status_code=201, headers={"Location": f"{ACCT}/orders/o-3"})
    answer = carrier(home).search_and_order(build(**criteria), 3, "key-3")
    body = httpx_mock.get_request().content.decode()
    assert element in body
    assert body.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<Order><CustomerOrderId>key-3</CustomerOrderId>")
    assert answer.id == "o-3"


PARTIAL = """<OrderResponse><CompletedQuantity>1</CompletedQuantity><CreatedByUser>apiuser</CreatedByUser>
<ErrorList><Error><Code>5005</Code><Description>The telephone number is unavailable for ordering</Description>
<TelephoneNumber>7045550188</TelephoneNumber></Error></ErrorList>
<FailedNumbers><FullNumber>7045550188</FullNumber></FailedNumbers>
<LastModifiedDate>2024-03-05T14:07:23.010Z</LastModifiedDate><OrderCompleteDate>2024-03-05T14:07:23.010Z</OrderCompleteDate>
<Order><CustomerOrderId>key-1</CustomerOrderId><SiteId>12345</SiteId></Order><OrderStatus>PARTIAL</OrderStatus>
<CompletedNumbers><TelephoneNumber><FullNumber>7045550131</FullNumber></TelephoneNumber></CompletedNumbers>
<Summary>1 out of 2 numbers ordered in (704)</Summary><FailedQuantity>1</FailedQuantity></OrderResponse>"""


@pytest.mark.parametrize(("body", "status", "completed", "failed"), [
    (PARTIAL, "partial", ["+17045550131"], [("+17045550188", "5005")]),
    ("<OrderResponse><ErrorList/><Order><SiteId>1</SiteId></Order><OrderStatus>RECEIVED</OrderStatus></OrderResponse>",
     "pending", [], []),
    ("<OrderResponse><OrderStatus>BACKORDERED</OrderStatus></OrderResponse>", "pending", [], []),
    ("<OrderResponse><ErrorList/><OrderStatus>COMPLETE</OrderStatus><CompletedNumbers><TelephoneNumber><FullNumber>"
     "7045550131</FullNumber></TelephoneNumber></CompletedNumbers></OrderResponse>", "complete", ["+17045550131"], []),
    ("<OrderResponse><ErrorList><Error><Code>5005</Code><Description>gone</Description>"
     "<TelephoneNumber>7045550131</TelephoneNumber></Error></ErrorList><FailedNumbers><FullNumber>7045550131"
     "</FullNumber></FailedNumbers><OrderStatus>FAILED</OrderStatus></OrderResponse>",
     "failed", [], [("+17045550131", "5005")]),
])
def test_order_status_reads_every_outcome(httpx_mock, home, creds, body, status, completed, failed):
    httpx_mock.add_response(method="GET", url=f"{ACCT}/orders/5d2f7a9e?tndetail=true", text=body)
    answer = carrier(home).order_status("5d2f7a9e")
    assert answer.id == "5d2f7a9e"  # the GET echo has no <id>: the id asked for is kept
    assert answer.status == status
    assert [n.number for n in answer.completed] == completed
    assert [(f.number, f.code) for f in answer.failed] == failed


def test_find_order_asks_by_customer_order_id(httpx_mock, home, creds):
    httpx_mock.add_response(method="GET", url=f"{ACCT}/orders?customerOrderId=key-1&page=1&size=20", text=(
        "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>1</TotalCount><OrderIdUserIdDate>"
        "<CountOfTNs>1</CountOfTNs><CustomerOrderId>key-1</CustomerOrderId><userId>apiuser</userId>"
        "<OrderType>new_number</OrderType><orderId>5d2f7a9e</orderId><OrderStatus>COMPLETE</OrderStatus>"
        "</OrderIdUserIdDate></ListOrderIdUserIdDate></ResponseSelectWrapper>"))
    httpx_mock.add_response(method="GET", url=f"{ACCT}/orders/5d2f7a9e?tndetail=true", text=PARTIAL)
    found = carrier(home).find_order("key-1")
    assert found is not None and (found.id, found.status) == ("5d2f7a9e", "partial")


def test_find_order_none(httpx_mock, home, creds):
    httpx_mock.add_response(method="GET", text="<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0"
                            "</TotalCount></ListOrderIdUserIdDate></ResponseSelectWrapper>")
    assert carrier(home).find_order("key-9") is None


def test_disconnect_posts_the_wrapped_list(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", url=f"{ACCT}/disconnects", status_code=201,
                            headers={"Location": f"{ACCT}/disconnects/d-1"}, match_content=(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<DisconnectTelephoneNumberOrder><CustomerOrderId>key-4"
        b"</CustomerOrderId><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9195550142"
        b"</TelephoneNumber></TelephoneNumberList>"
        b"</DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>"))
    assert carrier(home).disconnect(["+19195550142"], "key-4").id == "d-1"
    # no DisconnectMode: the spec's enum says NORMAL, its error table and echo say normal; omitted, the
    # documented default (NORMAL) applies whichever case the server checks
    assert b"DisconnectMode" not in httpx_mock.get_request().content


def test_disconnect_status_reads_done_and_refused_numbers(httpx_mock, home, creds):
    httpx_mock.add_response(method="GET", url=f"{ACCT}/disconnects/d-1", text=(
        "<DisconnectTelephoneNumberOrderResponse><DisconnectedTelephoneNumberList><TelephoneNumber>9195550142"
        "</TelephoneNumber></DisconnectedTelephoneNumberList><ErrorList><Error><Code>5006</Code><Description>"
        "Telephone number could not be disconnected since it is not associated with your account</Description>"
        "<TelephoneNumber>9195550143</TelephoneNumber></Error></ErrorList><orderRequest><CustomerOrderId>key-4"
        "</CustomerOrderId><id>d-1</id></orderRequest><OrderStatus>PARTIAL</OrderStatus>"
        "</DisconnectTelephoneNumberOrderResponse>"))
    answer = carrier(home).disconnect_status("d-1")
    assert (answer.status, answer.key) == ("partial", "key-4")
    assert [n.number for n in answer.completed] == ["+19195550142"]
    assert [(f.number, f.code) for f in answer.failed] == [("+19195550143", "5006")]


def test_in_service_pages_with_explicit_page_and_size(httpx_mock, home, creds):
    page1 = "".join(f"<TelephoneNumber>91955501{i:02d}</TelephoneNumber>" for i in range(3))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500", text=(
        f"<TNs><TotalCount>3</TotalCount><Links><first>x</first></Links><TelephoneNumbers><Count>3</Count>{page1}"
        "</TelephoneNumbers></TNs>"))
    assert list(carrier(home).in_service()) == ["+19195550100", "+19195550101", "+19195550102"]


def test_v1_in_service_goes_on_by_page_number_while_pages_are_full_without_a_next_link(httpx_mock, home, creds):
    """v1's `page` is documented as an integer (default 1): a full page without `Links/next` is followed
    by the next number (a missing link is not proof of the end)."""
    def full(exchange: str) -> str:
        listed = "".join(f"<TelephoneNumber>{exchange}{i:04d}</TelephoneNumber>" for i in range(500))
        return (f"<TNs><TotalCount>1000</TotalCount><TelephoneNumbers><Count>500</Count>{listed}"
                "</TelephoneNumbers></TNs>")
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500", text=full("919555"))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=2&size=500", text=full("919556"))
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=3&size=500", status_code=204)
    assert len(list(carrier(home).in_service())) == 1000


def test_in_service_204_is_empty(httpx_mock, home, creds):
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/inserviceNumbers?page=1&size=500", status_code=204)
    assert list(carrier(home).in_service()) == []


@pytest.mark.parametrize(("status", "body", "code", "exit_code"), [
    (400, "<OrderResponse><ErrorList><Error><Code>5022</Code><Description>SiteId is a required field</Description>"
     "</Error></ErrorList><Order/></OrderResponse>", "5022", 3),
    (400, "<OrderResponse><ErrorList><Error><Code>5070</Code><Description>Telephone number is invalid."
     "</Description><TelephoneNumber>9195550142</TelephoneNumber></Error></ErrorList></OrderResponse>", "5070", 3),
    (403, "", "403", 6),
    (404, "<ErrorResponse><ResponseStatus><Description>The resource does not exist</Description>"
     "</ResponseStatus></ErrorResponse>", "404", 3),
    (401, "", "401", 6),
    # a 429 is not a refusal: the create is sent again after the reset (test_bandwidth_v2_plugin.py)
])
def test_order_refusals_become_one_carrier_error(httpx_mock, home, creds, status, body, code, exit_code):
    httpx_mock.add_response(method="POST", status_code=status, text=body)
    with pytest.raises(CarrierError) as caught:
        carrier(home).order(["+19195550142"], "key-5")
    assert (caught.value.code, caught.value.exit_code) == (code, exit_code)
    assert len(httpx_mock.get_requests()) == 1  # an order is never re-sent blindly
    assert "pa55" not in str(caught.value)


def test_a_500_on_create_leaves_the_outcome_to_poll(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", status_code=500, text="<ErrorResponse/>")
    with pytest.raises(CarrierUnreachable):
        carrier(home).order(["+19195550142"], "key-6")


def test_rate_limit_is_waited_out_for_reads(httpx_mock, home, creds):
    import time

    reset = str(int(time.time()) + 1)
    httpx_mock.add_response(method="GET", status_code=429, headers={"X-RateLimit-Reset": reset})
    httpx_mock.add_response(method="GET", text=DETAIL)
    started = time.monotonic()
    assert len(carrier(home).search(build(area_code="919"), 2)) == 2
    assert time.monotonic() - started >= 0.1


def test_rate_limit_beyond_the_allowed_wait_exits_7(httpx_mock, home, creds):
    import time

    httpx_mock.add_response(method="GET", status_code=429, headers={"X-RateLimit-Reset": str(int(time.time()) + 600)})
    with pytest.raises(CarrierRateLimited) as caught:
        carrier(home, rate_limit_wait=5).search(build(area_code="919"), 2)
    assert caught.value.exit_code == 7


def test_a_malformed_read_is_retried(httpx_mock, home, creds):
    httpx_mock.add_response(method="GET", text="<SearchResult><ResultCount>1</Res")
    httpx_mock.add_response(method="GET", text=DETAIL)
    assert len(carrier(home).search(build(area_code="919"), 2)) == 2


def test_missing_site_or_credentials_are_config_errors_before_any_request(home, creds):
    from tnorder.errors import ConfigError

    bw = BandwidthCarrier(CarrierConfig("bw", "bandwidth"), AccountConfig("main", "bw", "9900001"), home)
    with pytest.raises(ConfigError, match="--site-id"):
        bw.order(["+19195550142"], "k")
    with pytest.raises(ConfigError, match="no credentials"):
        bw.search(build(area_code="919"), 1)


ORDERS_READ = f"{ACCT}/orders?page=1&size=1"  # a read every credential may make, roles or not (bandwidth.md §1)
PEERS = (f"{ACCT}/sites/12345/sippeers", "<TNSipPeersResponse><SipPeers><SipPeer><PeerId>777</PeerId>"
         "<IsDefaultPeer>true</IsDefaultPeer></SipPeer></SipPeers></TNSipPeersResponse>")


@pytest.mark.parametrize(("status", "body"), [
    (200, "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0</TotalCount></ListOrderIdUserIdDate>"
          "</ResponseSelectWrapper>"),
    (404, "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0</TotalCount></ListOrderIdUserIdDate>"
          "</ResponseSelectWrapper>"),
    (204, ""),
])
def test_config_test_reads_the_order_list_and_the_sites_peers(httpx_mock, home, creds, status, body):
    httpx_mock.add_response(url=ORDERS_READ, status_code=status, text=body)
    httpx_mock.add_response(url=PEERS[0], text=PEERS[1])
    seen = carrier(home, peer=None).check_access()
    assert seen == "Bandwidth account 9900001, site 12345, default SIP peer 777"
    assert [(r.method, str(r.url)) for r in httpx_mock.get_requests()] == [("GET", ORDERS_READ), ("GET", PEERS[0])]


def test_config_test_never_reads_the_account_itself(httpx_mock, home, creds):
    """`GET /accounts/{id}` is not among the reads a role-less credential may make: it may answer 403."""
    httpx_mock.add_response(url=ORDERS_READ, text="<ResponseSelectWrapper/>")
    httpx_mock.add_response(url=PEERS[0], text=PEERS[1])
    carrier(home, peer=None).check_access()
    assert all(r.url.path != "/api/accounts/9900001" for r in httpx_mock.get_requests())


def test_config_test_refuses_a_site_without_a_default_peer(httpx_mock, home, creds):
    httpx_mock.add_response(url=ORDERS_READ, text="<ResponseSelectWrapper/>")
    httpx_mock.add_response(url=f"{ACCT}/sites/12345/sippeers", text=(
        "<TNSipPeersResponse><SipPeers><SipPeer><PeerId>777</PeerId><IsDefaultPeer>false</IsDefaultPeer></SipPeer>"
        "</SipPeers></TNSipPeersResponse>"))
    with pytest.raises(CarrierError, match="--peer-id") as caught:
        carrier(home, peer=None).check_access()
    assert caught.value.code == "5020"


@pytest.mark.parametrize(("orders", "peers", "where"), [
    ((403, ""), None, "GET /orders"),
    ((200, "<ResponseSelectWrapper/>"),
     (403, "<ErrorResponse><ResponseStatus><ErrorCode>4014</ErrorCode><Description>Access denied</Description>"
           "</ResponseStatus></ErrorResponse>"), "GET /sites/12345/sippeers"),
])
def test_a_403_in_config_test_is_a_missing_role_not_wrong_credentials(httpx_mock, home, creds, orders, peers, where):
    httpx_mock.add_response(url=ORDERS_READ, status_code=orders[0], text=orders[1])
    if peers:
        httpx_mock.add_response(url=PEERS[0], status_code=peers[0], text=peers[1])
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home, peer=None).check_access()
    said = str(caught.value)
    assert caught.value.exit_code == 6 and where in said
    assert "lack" in said and "role" in said and "not wrong credentials" in said
    assert "check the credential variables" not in said and "pa55" not in said
    if peers:
        assert "Access denied" in said and caught.value.code == "4014"  # Bandwidth's own words are kept


def test_a_401_is_still_wrong_credentials(httpx_mock, home, creds):
    httpx_mock.add_response(url=ORDERS_READ, status_code=401)
    with pytest.raises(CarrierAuthError, match="check the credential variables") as caught:
        carrier(home, peer=None).check_access()
    assert caught.value.exit_code == 6


def test_a_403_on_an_order_is_a_missing_role(httpx_mock, home, creds):
    httpx_mock.add_response(method="POST", url=f"{ACCT}/orders", status_code=403)
    with pytest.raises(CarrierAuthError, match="POST /orders") as caught:
        carrier(home).order(["+19195550142"], "key-5")
    assert caught.value.exit_code == 6 and "role" in str(caught.value)


def test_order_status_keeps_the_details_of_completed_numbers(httpx_mock, home, creds):
    httpx_mock.add_response(url=f"{ACCT}/orders/o-9?tndetail=true", text=(
        "<OrderResponse><OrderStatus>COMPLETE</OrderStatus><CompletedNumbers><TelephoneNumber><FullNumber>9195550142"
        "</FullNumber><City>DURHAM</City><LATA>426</LATA><RateCenter>DURHAM</RateCenter><State>NC</State>"
        "</TelephoneNumber></CompletedNumbers></OrderResponse>"))
    done = carrier(home).order_status("o-9").completed[0]
    assert (done.number, done.rate_center, done.city, done.state, done.lata) == (
        "+19195550142", "DURHAM", "DURHAM", "NC", "426")


def test_find_disconnect_matches_the_customer_order_id_in_the_list(httpx_mock, home, creds):
    httpx_mock.add_response(url=f"{ACCT}/disconnects?page=1&size=300", text=(
        "<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>2</TotalCount>"
        "<OrderIdUserIdDate><CustomerOrderId>other</CustomerOrderId><OrderId>d-0</OrderId>"
        "<OrderType>disconnect</OrderType><OrderStatus>COMPLETE</OrderStatus></OrderIdUserIdDate>"
        "<OrderIdUserIdDate><CustomerOrderId>key-4</CustomerOrderId><OrderId>d-1</OrderId>"
        "<OrderType>disconnect</OrderType><OrderStatus>RECEIVED</OrderStatus></OrderIdUserIdDate>"
        "</ListOrderIdUserIdDate></ResponseSelectWrapper>"))
    httpx_mock.add_response(url=f"{ACCT}/disconnects/d-1", text=(
        "<DisconnectTelephoneNumberOrderResponse><orderRequest><CustomerOrderId>key-4</CustomerOrderId>"
        "</orderRequest><OrderStatus>RECEIVED</OrderStatus></DisconnectTelephoneNumberOrderResponse>"))
    found = carrier(home).find_disconnect("key-4")
    assert found is not None and (found.id, found.status) == ("d-1", "pending")


def test_find_disconnect_on_an_account_without_disconnects(httpx_mock, home, creds):
    httpx_mock.add_response(url=f"{ACCT}/disconnects?page=1&size=300", status_code=404, text="<Links/>")
    assert carrier(home).find_disconnect("key-4") is None
