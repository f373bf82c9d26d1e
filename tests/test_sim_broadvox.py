"""The emulator's Broadvox face (`/broadvox`) over a real loopback socket, spoken to with raw httpx.

Requests are written by hand (prefixed and unqualified forms included), in the shapes of
shared/carriers/broadvox.md.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from tnorder.carriers.broadvox import BroadvoxCarrier
from tnorder.criteria import build
from tnorder.errors import CarrierAuthError, CarrierError, CarrierUnreachable
from tnorder.settings import AccountConfig, CarrierConfig
from tnorder.sim.bandwidth_auth import Credentials
from tnorder.sim.pool import Pool
from tnorder.sim.server import make_api, start

NS = "urn:broadvox:did"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("broadvox-world")


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
        running.append(start(api, quiet=True))
        return running[-1]

    yield launch
    for emu in running:
        emu.stop()


def call(emu, operation: str, inner: str = "", *, user: str | None = "alice", password: str = "pw",
         action: str | None = None, content_type: str = "text/xml; charset=utf-8") -> httpx.Response:
    auth = "" if user is None else (f'<soap:Header><AuthHeader xmlns="{NS}"><UserName>{escape(user)}</UserName>'
                                    f"<Password>{escape(password)}</Password></AuthHeader></soap:Header>")
    body = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}">{auth}<soap:Body>'
            f'<{operation} xmlns="{NS}">{inner}</{operation}></soap:Body></soap:Envelope>')
    headers = {"Content-Type": content_type, "SOAPAction": f'"{NS}/{operation}"' if action is None else action}
    return httpx.post(emu.broadvox_url, content=body.encode(), headers=headers)


def result(response: httpx.Response, operation: str):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    found = fromstring(response.content).find(f"{{{ENV}}}Body/{{{NS}}}{operation}Response/{{{NS}}}{operation}Result")
    assert found is not None, response.text
    return found


def fault(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 500, response.text
    node = fromstring(response.content).find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    return node.findtext("faultcode"), node.findtext("faultstring")


def values(node, tag: str) -> list[str]:
    return [e.text for e in node.iter(f"{{{NS}}}{tag}")]


def order(emu, numbers: list[str], reference: str, user: str = "alice") -> str:
    dids = "".join(f"<DID>{n}</DID>" for n in numbers)
    answer = result(call(emu, "SubmitDIDOrder", f"<Reference>{reference}</Reference><DIDs>{dids}</DIDs>",
                         user=user), "SubmitDIDOrder")
    assert values(answer, "Status") == ["Pending"]
    return values(answer, "RequestID")[0]


def _wrap(dids: list) -> Element:
    holder = Element("results")
    holder.extend(dids)
    return holder


def search(emu, inner: str) -> list:
    return list(result(call(emu, "DIDSearch", inner), "DIDSearch"))


def test_did_search_by_state_and_area_code(emulator):
    emu = emulator()
    found = search(emu, "<State>OH</State><NPA>216</NPA><Quantity>4</Quantity>")
    assert len(found) == 4 and all(d.tag == f"{{{NS}}}DID" for d in found)
    first = {child.tag.rpartition("}")[2]: child.text for child in found[0]}
    assert set(first) == {"Number", "NPA", "NXX", "RateCenter", "State", "LATA"}
    assert (first["NPA"], first["State"], first["Number"][:3], first["Number"][3:6]) == (
        "216", "OH", "216", first["NXX"])


def test_did_search_criteria_narrow_the_result(emulator):
    emu = emulator()
    assert search(emu, "<State>TX</State><NPA>216</NPA>") == []  # 216 is not in Texas
    first = search(emu, "<State>OH</State><Quantity>1</Quantity>")[0]
    center = first.findtext(f"{{{NS}}}RateCenter")
    by_center = search(emu, f"<State>OH</State><RateCenter>{escape(center)}</RateCenter><Quantity>5</Quantity>")
    assert by_center and set(values(_wrap(by_center), "RateCenter")) == {center}
    default = search(emu, "<State>NC</State>")
    assert len(default) == 10  # no Quantity: up to 10


def test_prefixed_and_unqualified_request_elements_are_read(emulator):
    emu = emulator()
    body = (f'<s:Envelope xmlns:s="{ENV}" xmlns:b="{NS}"><s:Header><b:AuthHeader><b:UserName>bob</b:UserName>'
            "<b:Password>x</b:Password></b:AuthHeader></s:Header><s:Body><b:DIDSearch><State xmlns=\"\">OH</State>"
            "<b:Quantity>2</b:Quantity></b:DIDSearch></s:Body></s:Envelope>")
    response = httpx.post(emu.broadvox_url, content=body, headers={
        "Content-Type": "text/xml", "SOAPAction": f'"{NS}/DIDSearch"'})
    assert len(list(result(response, "DIDSearch"))) == 2


@pytest.mark.parametrize(("kwargs", "inner", "words"), [
    ({"action": ""}, "<State>OH</State>", "SOAPAction"),
    ({"action": f"{NS}/DIDSearch"}, "<State>OH</State>", "SOAPAction"),  # unquoted
    ({"action": f'"{NS}/InventoryList"'}, "<State>OH</State>", "SOAPAction"),  # another operation
    ({}, "", "State is required"),
    ({}, "<State>XX</State>", "unknown state"),
    ({}, "<State>OH</State><Quantity>0</Quantity>", "Quantity"),
    ({}, "<State>OH</State><Quantity>501</Quantity>", "Quantity"),
    ({}, "<State>OH</State><NPA>111</NPA>", "area code 111"),
    ({"user": None}, "<State>OH</State>", "Authentication failed"),
])
def test_bad_requests_are_client_faults(emulator, kwargs, inner, words):
    code, text = fault(call(emulator(), "DIDSearch", inner, **kwargs))
    assert code == "soap:Client" and words in text


def test_http_level_refusals(emulator):
    emu = emulator()
    assert call(emu, "DIDSearch", "<State>OH</State>", content_type="application/json").status_code == 415
    assert httpx.get(emu.broadvox_url).status_code == 405
    assert httpx.post(emu.broadvox_url + "/other", content=b"").status_code == 404
    code, text = fault(httpx.post(emu.broadvox_url, content=b"<not-xml", headers={"Content-Type": "text/xml"}))
    assert code == "soap:Client" and "SOAP" in text


def test_credentials_are_checked_only_when_configured(emulator):
    open_emu = emulator()
    assert call(open_emu, "ActiveRequestList", user="anyone", password="anything").status_code == 200
    guarded = emulator(credentials=Credentials("rehearsal", "Right-Pa55"))
    assert fault(call(guarded, "ActiveRequestList", user="rehearsal", password="wrong")) == (
        "soap:Client", "Authentication failed")
    assert fault(call(guarded, "ActiveRequestList", user="other", password="Right-Pa55"))[1] == "Authentication failed"
    assert call(guarded, "ActiveRequestList", user="rehearsal", password="Right-Pa55").status_code == 200


def test_an_order_is_pending_then_completed_and_in_the_inventory(emulator):
    emu = emulator(complete_after=60)
    numbers = values(_wrap(search(emu, "<State>OH</State><NPA>216</NPA><Quantity>2</Quantity>")), "Number")
    rid = order(emu, numbers, "ref-1")
    details = result(call(emu, "OrderDetails", f"<RequestID>{rid}</RequestID>"), "OrderDetails")
    assert values(details, "Status") == ["Pending", "Pending", "Pending"]  # the request, then each DID
    assert values(details, "Reference") == ["ref-1"] and values(details, "Number") == numbers
    active = result(call(emu, "ActiveRequestList"), "ActiveRequestList")
    assert values(active, "RequestID") == [rid] and values(active, "Reference") == ["ref-1"]
    assert values(active, "Submitted")[0].endswith("Z")
    assert list(result(call(emu, "InventoryList"), "InventoryList")) == []

    emu.api.world.complete_after = 0
    with emu.api.world._tx() as db:  # let the order's time come now
        db.execute("UPDATE orders SET complete_at = 0")
    details = result(call(emu, "OrderDetails", f"<RequestID>{rid}</RequestID>"), "OrderDetails")
    assert values(details, "Status") == ["Completed", "Assigned", "Assigned"]
    assert list(result(call(emu, "ActiveRequestList"), "ActiveRequestList")) == []  # finished: not listed
    inventory = result(call(emu, "InventoryList"), "InventoryList")
    assert values(inventory, "Number") == sorted(numbers) and set(values(inventory, "State")) == {"OH"}
    assert values(result(call(emu, "InventoryList", "<NPA>919</NPA>"), "InventoryList"), "Number") == []


def test_partially_completed_and_rejected_orders(emulator):
    emu = emulator()
    first, second = values(_wrap(search(emu, "<State>OH</State><NPA>440</NPA><Quantity>2</Quantity>")), "Number")
    order(emu, [first], "bobs", user="bob")  # another customer takes one
    partial = order(emu, [first, second], "mine")
    details = result(call(emu, "OrderDetails", f"<RequestID>{partial}</RequestID>"), "OrderDetails")
    assert values(details, "Status") == ["PartiallyCompleted", "Failed", "Assigned"]
    assert "unavailable" in values(details, "Reason")[0]
    rejected = order(emu, [first], "again")
    details = result(call(emu, "OrderDetails", f"<RequestID>{rejected}</RequestID>"), "OrderDetails")
    assert values(details, "Status") == ["Rejected", "Failed"]


def test_requests_are_scoped_to_the_user(emulator):
    emu = emulator(complete_after=60)
    rid = order(emu, ["2165550142"], "alices")
    assert "not found" in fault(call(emu, "OrderDetails", f"<RequestID>{rid}</RequestID>", user="bob"))[1]
    assert list(result(call(emu, "ActiveRequestList", user="bob"), "ActiveRequestList")) == []


@pytest.mark.parametrize("inner", ["<Reference>r</Reference>", "<DIDs><DID>2165550142</DID></DIDs>",
                                   "<Reference>r</Reference><DIDs><DID>12345</DID></DIDs>",
                                   "<Reference>" + "r" * 41 + "</Reference><DIDs><DID>2165550142</DID></DIDs>"])
def test_bad_orders_are_refused_and_change_nothing(emulator, inner):
    emu = emulator()
    assert fault(call(emu, "SubmitDIDOrder", inner))[0] == "soap:Client"
    assert emu.api.world.orders("bvx:alice") == []


def test_injected_faults_never_touch_the_world(emulator):
    emu = emulator(fail_rate=1.0)
    seen = set()
    for _ in range(30):
        response = call(emu, "SubmitDIDOrder", "<Reference>r</Reference><DIDs><DID>2165550142</DID></DIDs>")
        seen.add(response.status_code)
    assert seen == {200, 500, 503}  # truncated body, server fault, gateway busy
    emu.api.fail_rate = 0
    assert emu.api.world.orders("bvx:alice") == []


def plugin(emu, tmp_path: Path, monkeypatch, password: str = "pw") -> BroadvoxCarrier:
    monkeypatch.setenv("BVX_USER", "alice")
    monkeypatch.setenv("BVX_PASS", password)
    monkeypatch.setattr("tnorder.carriers.broadvox.time.sleep", lambda s: None)
    return BroadvoxCarrier(CarrierConfig("bvx", "broadvox", emu.broadvox_url, {}),
                           AccountConfig("bvx", "bvx", None, None, None,
                                         {"username_env": "BVX_USER", "password_env": "BVX_PASS"}), tmp_path)


def test_the_plugin_against_the_face(emulator, tmp_path, monkeypatch):
    emu = emulator(complete_after=60)
    bvx = plugin(emu, tmp_path, monkeypatch)
    found = bvx.search(build(area_code="919"), 2)
    assert len(found) == 2 and {n.state for n in found} == {"NC"}
    placed = bvx.order([n.number for n in found], "key-1")
    assert bvx.find_order("key-1").id == placed.id
    assert bvx.order_status(placed.id).status == "pending"
    with emu.api.world._tx() as db:
        db.execute("UPDATE orders SET complete_at = 0")
    done = bvx.order_status(placed.id)
    assert done.status == "complete" and sorted(n.number for n in done.completed) == sorted(n.number for n in found)
    assert bvx.find_order("key-1") is None  # finished requests leave ActiveRequestList
    assert sorted(bvx.in_service()) == sorted(n.number for n in found)


def test_the_plugin_under_injected_faults(emulator, tmp_path, monkeypatch):
    emu = emulator(fail_rate=1.0)
    bvx = plugin(emu, tmp_path, monkeypatch)
    with pytest.raises(CarrierError):
        bvx.search(build(state="OH"), 1)
    with pytest.raises(CarrierUnreachable):  # a failed submit is an unknown outcome, left to poll
        bvx.order(["+12165550142"], "key-2")
    emu.api.fail_rate = 0
    assert bvx.find_order("key-2") is None  # and the fault changed nothing


def test_the_plugin_with_wrong_credentials(emulator, tmp_path, monkeypatch):
    emu = emulator(credentials=Credentials("alice", "right"))
    with pytest.raises(CarrierAuthError):
        plugin(emu, tmp_path, monkeypatch, password="wrong").check_access()
