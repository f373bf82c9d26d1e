"""The Broadvox plugin's exact SOAP requests and its reading of every answer and fault (pytest-httpx).

Answers are written by hand in the shapes of shared/carriers/broadvox.md (a .NET-style service
declaring the namespace on the response element), not built with the plugin's own helpers.
"""

from __future__ import annotations

import logging
from xml.etree.ElementTree import Element

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from tnorder.carriers.broadvox import BroadvoxCarrier
from tnorder.criteria import build
from tnorder.errors import (
    BadInput,
    CarrierAuthError,
    CarrierError,
    CarrierRateLimited,
    CarrierUnreachable,
    ConfigError,
    Unsupported,
)
from tnorder.settings import AccountConfig, CarrierConfig

URL = "https://broadvox.example.net/DIDService.asmx"
NS = "urn:broadvox:did"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
USER = "o'brien & <co>"
PASSWORD = "p\"a<s>s&'w0rd"


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("BVX_USER", USER)
    monkeypatch.setenv("BVX_PASS", PASSWORD)


def carrier(home, url: str | None = URL, env: dict | None = None, **options) -> BroadvoxCarrier:
    env = {"username_env": "BVX_USER", "password_env": "BVX_PASS"} if env is None else env
    return BroadvoxCarrier(CarrierConfig("bvx", "broadvox", url, options),
                           AccountConfig("bvx-main", "bvx", None, None, None, env), home)


def reply(operation: str, inner: str, ns: str = NS) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
            f'<{operation}Response xmlns="{ns}"><{operation}Result>{inner}</{operation}Result>'
            f"</{operation}Response></soap:Body></soap:Envelope>")


def fault(code: str, text: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}"><soap:Body><soap:Fault>'
            f"<faultcode>{code}</faultcode><faultstring>{text}</faultstring></soap:Fault></soap:Body>"
            "</soap:Envelope>")


def shape(element: Element) -> list:
    """(qualified tag, text or children) all the way down: the envelope's structure to compare."""
    kids = list(element)
    return [element.tag, [shape(k) for k in kids] if kids else (element.text or "")]


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def envelope(operation: str, children: list, ns: str = NS) -> list:
    auth = [f"{{{ns}}}AuthHeader", [[f"{{{ns}}}UserName", USER], [f"{{{ns}}}Password", PASSWORD]]]
    return [f"{{{ENV}}}Envelope", [[f"{{{ENV}}}Header", [auth]],
                                  [f"{{{ENV}}}Body", [[f"{{{ns}}}{operation}", children or ""]]]]]


def check_sent(request: httpx.Request, operation: str, children: list, ns: str = NS) -> None:
    assert request.method == "POST"
    assert str(request.url) == URL  # the endpoint as configured: no path or slash added
    assert request.headers["SOAPAction"] == f'"{ns}/{operation}"'
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert request.headers["User-Agent"].startswith("tnorder/")
    assert "Authorization" not in request.headers  # credentials travel in the AuthHeader only
    assert shape(fromstring(request.content)) == envelope(operation, children, ns)


# -- requests ----------------------------------------------------------------------------------
def test_did_search_envelope_is_pinned_byte_for_byte(httpx_mock, home, monkeypatch):
    monkeypatch.setenv("BVX_USER", "u")
    monkeypatch.setenv("BVX_PASS", "p")
    httpx_mock.add_response(text=reply("DIDSearch", ""))
    carrier(home).search(build(area_code="216"), 5)
    assert httpx_mock.get_request().content == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b'<soap:Envelope xmlns="urn:broadvox:did" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soap:Header><AuthHeader><UserName>u</UserName><Password>p</Password></AuthHeader></soap:Header>"
        b"<soap:Body><DIDSearch><State>OH</State><NPA>216</NPA><Quantity>5</Quantity></DIDSearch></soap:Body>"
        b"</soap:Envelope>")


@pytest.mark.parametrize(("criteria", "children"), [
    ({"area_code": "919"}, [[q("State"), "NC"], [q("NPA"), "919"], [q("Quantity"), "7"]]),
    ({"area_code": "713"}, [[q("State"), "TX"], [q("NPA"), "713"], [q("Quantity"), "7"]]),
    ({"area_code": "202"}, [[q("State"), "DC"], [q("NPA"), "202"], [q("Quantity"), "7"]]),
    ({"rate_center": "cary", "state": "nc"}, [[q("State"), "NC"], [q("RateCenter"), "CARY"], [q("Quantity"), "7"]]),
    ({"state": "Ohio"}, [[q("State"), "OH"], [q("Quantity"), "7"]]),
])
def test_did_search_sends_the_state_and_the_criterion(httpx_mock, home, creds, criteria, children):
    httpx_mock.add_response(text=reply("DIDSearch", ""))
    carrier(home).search(build(**criteria), 7)
    check_sent(httpx_mock.get_request(), "DIDSearch", children)


def test_odd_characters_are_escaped_not_pasted(httpx_mock, home, creds):
    httpx_mock.add_response(text=reply("SubmitDIDOrder", "<RequestID>r-1</RequestID><Status>Pending</Status>"))
    odd = "ref <&> \"quoted\" 'x'"
    carrier(home).order(["+12165550100"], odd)
    body = httpx_mock.get_request().content
    assert b"&amp; &lt;co&gt;" in body and b"&lt;s&gt;s&amp;" in body and b"ref &lt;&amp;&gt;" in body
    assert b"<co>" not in body and b"<s>" not in body
    dids = [q("DIDs"), [[q("DID"), "2165550100"]]]
    check_sent(httpx_mock.get_request(), "SubmitDIDOrder", [[q("Reference"), odd], dids])


def test_the_namespace_option_qualifies_everything_and_the_soap_action(httpx_mock, home, creds):
    ns = "http://voip.example.com/ws/did"
    httpx_mock.add_response(text=reply("InventoryList", "<DID><Number>2165550100</Number></DID>", ns))
    assert list(carrier(home, namespace=ns).in_service()) == ["+12165550100"]
    check_sent(httpx_mock.get_request(), "InventoryList", [], ns)


# -- answers -----------------------------------------------------------------------------------
DID_216 = ("<DID><Number>2165550100</Number><NPA>216</NPA><NXX>555</NXX><RateCenter>CLEVELAND</RateCenter>"
           "<State>OH</State><LATA>320</LATA></DID>")


@pytest.mark.parametrize(("result", "numbers"), [
    (DID_216, ["+12165550100"]),  # one result is still a list
    (DID_216 + DID_216.replace("0100", "0177"), ["+12165550100", "+12165550177"]),
    ("", []),
    # unqualified children (xmlns="" resets the default namespace) are read too
    ('<DID xmlns=""><Number>2165550101</Number><State>OH</State></DID>', ["+12165550101"]),
    # a prefixed namespace instead of a default one
    ('<b:DID xmlns:b="urn:broadvox:did"><b:Number>2165550102</b:Number></b:DID>', ["+12165550102"]),
    # elements of another namespace are not Broadvox's
    ('<DID xmlns="urn:other"><Number>2165550103</Number></DID>', []),
])
def test_did_search_answers(httpx_mock, home, creds, result, numbers):
    httpx_mock.add_response(text=reply("DIDSearch", result))
    found = carrier(home).search(build(area_code="216"), 5)
    assert [n.number for n in found] == numbers


def test_did_search_details(httpx_mock, home, creds):
    httpx_mock.add_response(text=reply("DIDSearch", DID_216))
    (found,) = carrier(home).search(build(area_code="216"), 1)
    assert (found.rate_center, found.state, found.lata, found.city) == ("CLEVELAND", "OH", "320", None)


def test_submit_did_order_is_pending_until_order_details_says_otherwise(httpx_mock, home, creds):
    httpx_mock.add_response(text=reply("SubmitDIDOrder", "<RequestID>REQ-88</RequestID><Status>Pending</Status>"))
    answer = carrier(home).order(["+12165550100", "+12165550177"], "key-1")
    assert (answer.id, answer.status, answer.key, answer.final) == ("REQ-88", "pending", "key-1", False)
    dids = [q("DIDs"), [[q("DID"), "2165550100"], [q("DID"), "2165550177"]]]
    check_sent(httpx_mock.get_request(), "SubmitDIDOrder", [[q("Reference"), "key-1"], dids])


def details(status: str, dids: str, reference: str = "key-1") -> str:
    return reply("OrderDetails", f"<RequestID>REQ-88</RequestID><Reference>{reference}</Reference>"
                                 f"<Status>{status}</Status><DIDs>{dids}</DIDs>")


def did(number: str, status: str, reason: str | None = None) -> str:
    why = f"<Reason>{reason}</Reason>" if reason else ""
    return f"<DID><Number>{number}</Number><Status>{status}</Status>{why}</DID>"


@pytest.mark.parametrize(("status", "dids", "expected", "completed", "failed"), [
    ("Pending", did("2165550100", "Pending"), "pending", [], []),
    ("Completed", did("2165550100", "Assigned") + did("2165550177", "Assigned"), "complete",
     ["+12165550100", "+12165550177"], []),
    ("PartiallyCompleted", did("2165550100", "Assigned") + did("2165550177", "Failed", "Number no longer available"),
     "partial", ["+12165550100"], [("+12165550177", "Number no longer available")]),
    ("Rejected", did("2165550100", "Failed", "Not available") + did("2165550177", "Failed"), "failed", [],
     [("+12165550100", "Not available"), ("+12165550177", "failed at Broadvox")]),
    ("SomethingNew", did("2165550100", "Assigned"), "pending", ["+12165550100"], []),  # unknown: moves nothing
])
def test_order_details_statuses(httpx_mock, home, creds, status, dids, expected, completed, failed):
    httpx_mock.add_response(text=details(status, dids))
    answer = carrier(home).order_status("REQ-88")
    check_sent(httpx_mock.get_request(), "OrderDetails", [[q("RequestID"), "REQ-88"]])
    assert (answer.id, answer.status, answer.key) == ("REQ-88", expected, "key-1")
    assert [n.number for n in answer.completed] == completed
    assert [(f.number, f.reason) for f in answer.failed] == failed
    assert status in (answer.raw or "")


def test_a_rejected_request_without_dids_still_says_why(httpx_mock, home, creds):
    httpx_mock.add_response(text=details("Rejected", ""))
    answer = carrier(home).order_status("REQ-88")
    assert answer.status == "failed" and answer.errors == [(None, "request rejected by Broadvox")]


ACTIVE = reply("ActiveRequestList", "<Request><RequestID>REQ-1</RequestID><Reference>other</Reference>"
               "<Status>Pending</Status><Submitted>2026-01-02T03:04:05Z</Submitted></Request>"
               "<Request><RequestID>REQ-88</RequestID><Reference>key-1</Reference><Status>Pending</Status>"
               "<Submitted>2026-01-02T03:04:06Z</Submitted></Request>")


def test_find_order_matches_the_reference_then_reads_order_details(httpx_mock, home, creds):
    httpx_mock.add_response(text=ACTIVE)
    httpx_mock.add_response(text=details("Pending", did("2165550100", "Pending")))
    found = carrier(home).find_order("key-1")
    listed, detailed = httpx_mock.get_requests()
    check_sent(listed, "ActiveRequestList", [])
    check_sent(detailed, "OrderDetails", [[q("RequestID"), "REQ-88"]])
    assert found is not None and (found.id, found.status, found.key) == ("REQ-88", "pending", "key-1")


def test_find_order_none_when_the_reference_is_not_active(httpx_mock, home, creds):
    httpx_mock.add_response(text=ACTIVE)
    assert carrier(home).find_order("key-9") is None
    assert len(httpx_mock.get_requests()) == 1


def test_in_service_lists_the_inventory(httpx_mock, home, creds):
    httpx_mock.add_response(text=reply("InventoryList", "<DID><Number>2165550100</Number><RateCenter>CLEVELAND"
                                       "</RateCenter><State>OH</State></DID><DID><Number>9195550142</Number></DID>"))
    assert list(carrier(home).in_service()) == ["+12165550100", "+19195550142"]
    check_sent(httpx_mock.get_request(), "InventoryList", [])


def test_check_access_reads_the_active_requests(httpx_mock, home, creds):
    httpx_mock.add_response(text=ACTIVE)
    seen = carrier(home).check_access()
    assert URL in seen and "2 request(s)" in seen
    check_sent(httpx_mock.get_request(), "ActiveRequestList", [])


# -- faults and failures -----------------------------------------------------------------------
def test_authentication_failed_exits_6_without_the_secret(httpx_mock, home, creds):
    httpx_mock.add_response(status_code=500, text=fault("soap:Client", "Authentication failed"))
    with pytest.raises(CarrierAuthError) as caught:
        carrier(home).search(build(state="OH"), 1)
    assert caught.value.exit_code == 6 and "bvx-main" in str(caught.value)
    assert PASSWORD not in str(caught.value) and "w0rd" not in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1  # a refused login is not retried


def test_a_client_fault_is_the_carriers_refusal(httpx_mock, home, creds):
    httpx_mock.add_response(status_code=500, text=fault("soap:Client", "Quantity must be between 1 and 500"))
    with pytest.raises(CarrierError) as caught:
        carrier(home).search(build(state="OH"), 1)
    assert (caught.value.code, caught.value.exit_code) == ("soap:Client", 3)
    assert str(caught.value) == "bvx error soap:Client: Quantity must be between 1 and 500"
    assert len(httpx_mock.get_requests()) == 1


def test_a_client_fault_on_submit_refuses_the_order(httpx_mock, home, creds):
    httpx_mock.add_response(status_code=500, text=fault("soap:Client", "DID 2165550100 is not valid"))
    with pytest.raises(CarrierError) as caught:
        carrier(home).order(["+12165550100"], "key-1")
    assert not isinstance(caught.value, CarrierUnreachable) and "not valid" in str(caught.value)


@pytest.mark.parametrize("first", [
    {"status_code": 500, "text": fault("soap:Server", "Internal server error")},
    {"status_code": 503},
    {"status_code": 200, "text": reply("DIDSearch", DID_216)[:70]},  # a truncated body
    {"status_code": 200, "text": "<html>maintenance</html>"},
])
def test_reads_retry_transient_failures(httpx_mock, home, creds, first, monkeypatch):
    monkeypatch.setattr("tnorder.carriers.broadvox.time.sleep", lambda s: None)
    httpx_mock.add_response(**first)
    httpx_mock.add_response(text=reply("DIDSearch", DID_216))
    assert [n.number for n in carrier(home).search(build(state="OH"), 1)] == ["+12165550100"]
    assert len(httpx_mock.get_requests()) == 2


def test_a_server_fault_that_persists_is_a_carrier_error(httpx_mock, home, creds, monkeypatch):
    monkeypatch.setattr("tnorder.carriers.broadvox.time.sleep", lambda s: None)
    httpx_mock.add_response(status_code=500, text=fault("soap:Server", "Database   unavailable"), is_reusable=True)
    with pytest.raises(CarrierError) as caught:
        carrier(home).order_status("REQ-88")
    assert (caught.value.code, caught.value.text) == ("soap:Server", "Database unavailable")
    assert len(httpx_mock.get_requests()) == 3


def test_a_lasting_429_is_a_rate_limit(httpx_mock, home, creds, monkeypatch):
    monkeypatch.setattr("tnorder.carriers.broadvox.time.sleep", lambda s: None)
    httpx_mock.add_response(status_code=429, is_reusable=True)
    with pytest.raises(CarrierRateLimited):
        carrier(home).in_service().__next__()


@pytest.mark.parametrize("failure", [
    {"status_code": 500, "text": fault("soap:Server", "Internal server error")},
    {"status_code": 502},
    {"status_code": 200, "text": reply("SubmitDIDOrder", "<RequestID>REQ")[:-40]},
    {"status_code": 200, "text": reply("SubmitDIDOrder", "<Status>Pending</Status>")},  # no RequestID
])
def test_an_unclear_submit_is_sent_once_and_left_to_poll(httpx_mock, home, creds, failure):
    httpx_mock.add_response(**failure)
    with pytest.raises(CarrierUnreachable) as caught:
        carrier(home).order(["+12165550100"], "key-1")
    assert "outcome unknown" in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1


def test_a_timeout_on_submit_is_not_retried(httpx_mock, home, creds):
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    with pytest.raises(CarrierUnreachable):
        carrier(home).order(["+12165550100"], "key-1")
    assert len(httpx_mock.get_requests()) == 1


def test_a_wrong_url_says_so(httpx_mock, home, creds):
    httpx_mock.add_response(status_code=404, text="Not Found")
    with pytest.raises(CarrierError) as caught:
        carrier(home).check_access()
    assert "--url" in str(caught.value) and caught.value.code == "404"


def test_verbose_logs_never_show_the_password(httpx_mock, home, creds, caplog):
    caplog.set_level(logging.DEBUG, logger="tnorder")
    httpx_mock.add_response(text=reply("DIDSearch", DID_216))
    carrier(home).search(build(state="OH"), 1)
    assert "DIDSearch" in caplog.text and URL in caplog.text
    assert "w0rd" not in caplog.text and "brien" not in caplog.text


# -- refused before any request ----------------------------------------------------------------
@pytest.mark.parametrize(("criteria", "flag"), [
    ({"zip": "44101"}, "--zip"), ({"city": "Cleveland", "state": "OH"}, "--city"), ({"lata": "320"}, "--lata"),
    ({"toll_free": "8**"}, "--toll-free"), ({"vanity": "FLOWERS"}, "--vanity"),
])
def test_unsupported_criteria_are_refused_naming_what_is_supported(httpx_mock, home, creds, criteria, flag):
    with pytest.raises(Unsupported) as caught:
        carrier(home).search(build(**criteria), 1)
    message = str(caught.value)
    assert "broadvox" in message and flag in message
    assert all(f in message for f in ("--area-code", "--rate-center", "--state"))
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("npa", ["416", "800", "268"])  # Toronto, toll-free, Antigua: no US state
def test_an_area_code_without_a_us_state_is_refused(httpx_mock, home, creds, npa):
    with pytest.raises(BadInput) as caught:
        carrier(home).search(build(area_code=npa), 1)
    assert f"area code {npa}" in str(caught.value) and "--state" in str(caught.value)
    assert httpx_mock.get_requests() == []


def test_no_reservations_and_no_disconnects(httpx_mock, home, creds):
    bvx = carrier(home)
    assert not bvx.capabilities.reserve and not bvx.capabilities.disconnect and not bvx.capabilities.realtime
    with pytest.raises(Unsupported):
        bvx.reserve(["+12165550100"])
    with pytest.raises(Unsupported) as caught:
        bvx.disconnect(["+12165550100"], "key-1")
    assert "with the carrier directly" in str(caught.value)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(("url", "env", "words"), [
    (None, None, ["--url", "no default"]),
    ("ftp://broadvox.example.net/x", None, ["http"]),
    (URL, {"client_id_env": "BVX_USER", "client_secret_env": "BVX_PASS"}, ["--username-env", "--password-env"]),
    (URL, {"username_env": "BVX_UNSET", "password_env": "BVX_PASS"}, ["$BVX_UNSET"]),
])
def test_settings_are_checked_before_any_request(httpx_mock, home, creds, url, env, words):
    with pytest.raises(ConfigError) as caught:
        carrier(home, url=url, env=env).check_access()
    assert all(w in str(caught.value) for w in words), str(caught.value)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(("options", "word"), [
    ({"namespace": ""}, "namespace"), ({"namespace": "urn:a b"}, "namespace"), ({"namespace": 5}, "namespace"),
    ({"partial_allowed": True}, "partial_allowed"),
])
def test_bad_options_are_refused(options, word):
    with pytest.raises(ConfigError) as caught:
        BroadvoxCarrier.check_options(options)
    assert word in str(caught.value)


def test_good_settings_pass():
    BroadvoxCarrier.check_options({"namespace": "urn:broadvox:did"})
    BroadvoxCarrier.check_options({})
    BroadvoxCarrier.check_url("http://127.0.0.1:8735/broadvox")
