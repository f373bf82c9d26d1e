"""Number orders: `POST/GET /accounts/{id}/orders`, `GET …/orders/{orderId}` (bandwidth.md §3).

Where the spec leaves a choice open, the emulator chooses:
- an `<Order>` with no order type it knows (none at all, or a misspelt one such as the Python SDK's
  `NpanxxSearchAndOrderType`): 400, 5002 "Unable to perform search. Please, provide some search
  criteria"; with two order types: 5002 "The combination of search criteria is unsupported"; a bare
  `TelephoneNumberList` under `<Order>` stays the 500 seen live (CLI `order.go`);
- `BackOrderRequested` is kept but never acted on (no order is ever BACKORDERED); where the spec
  forbids it (specific numbers, NPA-NXX, NPA-NXX-X, toll-free vanity, local vanity) it is 5522.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode
from xml.etree.ElementTree import Element, tostring

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria, build
from tnorder.errors import BadInput
from tnorder.sim.bandwidth_combined import COMBINED, NO_CRITERIA, criteria_of
from tnorder.sim.bandwidth_lists import ORDERS, SELECT, check_params, narrowed, selecting
from tnorder.sim.bandwidth_search import UNSUPPORTED
from tnorder.sim.bandwidth_xml import (
    BadXml,
    Call,
    Refused,
    Reply,
    boolean,
    error_list,
    internal_error,
    leaf,
    link,
    list_error,
    node,
    not_found,
    parse,
    stamp,
    status_error,
    ten,
    text,
    texts,
    xml_reply,
)
from tnorder.sim.world import World, WorldOrder

MAX_QUANTITY = 5000
MAX_NUMBERS = 5000
EXISTING = "ExistingTelephoneNumberOrderType"
# order-type element -> (criteria field, accepted spellings of its element)...
SEARCH_TYPES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "AreaCodeSearchAndOrderType": (("area_code", ("AreaCode",)),),
    "RateCenterSearchAndOrderType": (("rate_center", ("RateCenter",)), ("state", ("State",))),
    "StateSearchAndOrderType": (("state", ("State",)),),
    "CitySearchAndOrderType": (("city", ("City",)), ("state", ("State",))),
    "ZIPSearchAndOrderType": (("zip", ("Zip",)),),
    "LATASearchAndOrderType": (("lata", ("Lata", "LATA")),),
    "TollFreeWildCharSearchAndOrderType": (("toll_free", ("TollFreeWildCardPattern",)),),
    "TollFreeVanitySearchAndOrderType": (("vanity", ("TollFreeVanity",)),),
    "NPANXXSearchAndOrderType": (("npa_nxx", ("NpaNxx",)),),
}
NO_BACKORDER = (EXISTING, "NPANXXSearchAndOrderType", "TollFreeVanitySearchAndOrderType")
BACKORDER_REFUSED = ("Backorders are not compatible with Specific TN, NPANXX, NPANXXX, TollFree Vanity or Local "
                     "Vanity orders")
TN = re.compile(r"[2-9]\d\d[2-9]\d{6}")
CUSTOMER_ORDER_ID = re.compile(r"[A-Za-z0-9 \-]{1,40}")
LIST_STATUSES = ("COMPLETE", "PARTIAL", "FAILED", "BACKORDERED")
RESPONSE = "OrderResponse"


# -- shared with disconnects ---------------------------------------------------------------
def request_root(body: bytes, tag: str, response: str) -> Element:
    try:
        root = parse(body)
    except BadXml as exc:
        raise list_error(response, "5002", str(exc)) from None
    if root.tag != tag:
        raise list_error(response, "5002", f"The request body must be a {tag} element, not {root.tag}")
    return root


def check_customer_order_id(value: str | None, response: str, echo: Element) -> str | None:
    if value and not CUSTOMER_ORDER_ID.fullmatch(value):
        raise list_error(response, "5052",
                         "Customer order ID is invalid. Only alphanumeric values, dashes and spaces are allowed. "
                         "Max length is 40 characters.",
                         echo)
    return value or None


def check_numbers(wrapper: Element | None, response: str, echo: Element, call: Call) -> list[str]:
    """The numbers of a `TelephoneNumberList` (10 digits in v1, E.164 in v2), as E.164 for the world."""
    numbers = texts(wrapper, "TelephoneNumberList/TelephoneNumber")
    if wrapper is None or wrapper.find("TelephoneNumberList") is None or not numbers:
        raise list_error(response, "5001", "Invalid input telephone number list", echo)
    if len(numbers) > MAX_NUMBERS:
        raise list_error(response, "5095", f"The list of telephone numbers exceeds the maximum size of {MAX_NUMBERS}",
                         echo)
    seen: dict[str, None] = {}
    for wire in numbers:
        wrong = call.face.wrong_form(wire)
        if wrong:
            raise list_error(response, *wrong, echo, wire)
        number = call.face.number_in(wire)
        if number is None:
            raise list_error(response, "5070", "Telephone number is invalid.", echo, wire)
        if number in seen:
            raise list_error(response, "5093", "The order holds duplicate telephone numbers.", echo, wire)
        seen[number] = None
    return list(seen)


def requested(order: WorldOrder) -> int:
    request = order.request
    return int(request["quantity"]) if "quantity" in request else len(request.get("numbers", []))


def errors(order: WorldOrder, call: Call) -> Element:
    return error_list([(code, reason, call.out(number) or None) for number, code, reason in order.failed])


def last_modified(order: WorldOrder) -> float:
    final = order.status != "RECEIVED"
    return (order.complete_at or order.created_at) if final else order.created_at


def paged(call: Call, found: list[WorldOrder], entry, size_limit: int) -> Reply:
    """`ResponseSelectWrapper/ListOrderIdUserIdDate`; `page` is `1` or the order id that starts the page."""
    size = call.query.get("size", "300")
    if not size.isdigit() or not 1 <= int(size) <= size_limit:
        raise status_error("ResponseSelectWrapper", "1006", f"size must be between 1 and {size_limit}")
    page, size = call.query.get("page", "1"), int(size)
    ids = [o.id for o in found]
    if page != "1" and page not in ids:
        raise status_error("ResponseSelectWrapper", "1003", f"page {page} does not exist")
    start = 0 if page == "1" else ids.index(page)
    chunk = found[start:start + size]
    following = found[start + size].id if start + size < len(found) else None
    body = node("ListOrderIdUserIdDate", node("TotalCount", len(found)), links(call, size, following),
                [entry(o) for o in chunk])
    return xml_reply(200, node("ResponseSelectWrapper", body))


def links(call: Call, size: int, following: str | None) -> Element:
    """`Links`: the first page, and the next one's `page` value when there is one."""
    first = node("first", link(page_url(call, 1, size), "first"))
    return node("Links", first, node("next", link(page_url(call, following, size), "next")) if following else None)


def page_url(call: Call, page: str | int, size: int) -> str:
    query = {k: v for k, v in call.query.items() if k not in ("page", "size")} | {"page": page, "size": size}
    return f"{call.base}{call.path}?{urlencode(query)}"


def with_status(call: Call, found: list[WorldOrder]) -> list[WorldOrder]:
    status = call.query.get("status")
    if not status:
        return found
    if status.upper() not in LIST_STATUSES:
        raise status_error("ResponseSelectWrapper", "15518",
                           f"Status {status} is invalid. Valid values: complete, partial, failed, backordered")
    return [o for o in found if o.status == status.upper()]


# -- create --------------------------------------------------------------------------------
def create_order(world: World, call: Call, default_peer: bool, short_fill: bool = False) -> Reply:
    root = request_root(call.body, "Order", RESPONSE)
    if root.find("TelephoneNumberList") is not None:
        raise Refused(internal_error())  # live Bandwidth answers a bare list with a 500
    extra = _order_header(root, default_peer) | {"user": call.user}
    kind, order_type = _order_type(root)
    order_type.tail = None
    extra["type_xml"] = tostring(order_type, encoding="unicode")
    account, coid = call.args["account"], extra.pop("customer_order_id")
    if kind == EXISTING:
        _no_backorder(extra, True, root)
        numbers = check_numbers(order_type, RESPONSE, root, call)
        rids = texts(order_type, "ReservationIdList/ReservationId")
        order = world.order(numbers, account, coid, rids, extra)
    else:
        criteria, accept, quantity = _search_type(kind, order_type, root, extra)
        fill = max(1, quantity * 3 // 5) if short_fill else None  # --short-fill: fewer, still COMPLETE
        order = world.search_and_order(criteria, quantity, account, coid, extra, fill=fill, accept=accept)
    location = f"{call.base}/accounts/{account}/orders/{order.id}"
    body = node(RESPONSE, order_echo(order, call, with_id=True), node("OrderStatus", "RECEIVED"))
    return xml_reply(201, body, {"Location": location})


def _order_header(root: Element, default_peer: bool) -> dict:
    coid = check_customer_order_id(text(root, "CustomerOrderId"), RESPONSE, root)
    name, site, peer = text(root, "Name"), text(root, "SiteId"), text(root, "PeerId")
    if name and len(name) > 50:
        raise list_error(RESPONSE, "5002", "Name may be at most 50 characters", root)
    if not site:
        raise list_error(RESPONSE, "5022", "SiteId is a required field", root)
    if not site.isdigit():
        raise list_error(RESPONSE, "5016", f"SiteId {site} is invalid", root)
    if peer and not peer.isdigit():
        raise list_error(RESPONSE, "5023", f"PeerId {peer} is invalid", root)
    if not peer and not default_peer:
        raise list_error(RESPONSE, "5020", "No default SIP peer is set on the account and site", root)
    return {"customer_order_id": coid, "name": name, "site_id": site, "peer_id": peer or None,
            "partial_allowed": _boolean(root, "PartialAllowed", True, "5217"),
            "back_order": _boolean(root, "BackOrderRequested", False, "5002")}


def _boolean(root: Element, tag: str, default: bool, code: str) -> bool:
    value = text(root, tag)
    if not value:
        return default
    if value.lower() not in ("true", "false"):
        raise list_error(RESPONSE, code, f"{tag} value {value} is invalid: use true or false", root)
    return value.lower() == "true"


def _order_type(root: Element) -> tuple[str, Element]:
    kinds = [child for child in root if child.tag in (EXISTING, COMBINED) or child.tag in SEARCH_TYPES]
    if len(kinds) != 1:
        raise list_error(RESPONSE, "5002", UNSUPPORTED if kinds else NO_CRITERIA, root)
    return kinds[0].tag, kinds[0]


def _no_backorder(header: dict, forbidden: bool, echo: Element) -> None:
    if forbidden and header["back_order"]:
        raise list_error(RESPONSE, "5522", BACKORDER_REFUSED, echo)


def _search_type(kind: str, order_type: Element, echo: Element, header: dict) -> tuple[Criteria, Callable | None, int]:
    """(the world's criterion, a filter for the rest or None, quantity) of a search-and-order type."""
    if kind == COMBINED:
        criteria, accept, quantity, forbidden = criteria_of(order_type, echo)
        _no_backorder(header, forbidden, echo)
        return criteria, accept, quantity
    _no_backorder(header, kind in NO_BACKORDER, echo)
    values = {name: text(order_type, *spellings) for name, spellings in SEARCH_TYPES[kind]}
    quantity = text(order_type, "Quantity")
    if not all(values.values()) or not quantity:
        needed = " and ".join(s[0] for _, s in SEARCH_TYPES[kind])
        code = "5199" if kind.startswith("TollFree") else "5198"
        raise list_error(RESPONSE, code, f"{kind} requires both {needed} and Quantity values.", echo)
    if not quantity.isdigit() or int(quantity) < 1:
        raise list_error(RESPONSE, "5009", f"The quantity specified {quantity} is invalid.", echo)
    if int(quantity) > MAX_QUANTITY:
        raise list_error(RESPONSE, "5215", "The quantity specified in the order is not valid or exceeds the maximum "
                                           f"value of {MAX_QUANTITY}", echo)
    lca = text(order_type, "EnableLCA")
    if lca and lca.lower() not in ("true", "false"):
        raise list_error(RESPONSE, "5002", "The value specified for the search criteria 'EnableLCA' cannot be parsed.",
                         echo)
    try:
        return build(**values), None, int(quantity)
    except BadInput as exc:
        raise list_error(RESPONSE, "5002", str(exc), echo) from None


# -- read ----------------------------------------------------------------------------------
def order_echo(order: WorldOrder, call: Call, with_id: bool) -> Element:
    request = order.request
    if "type_xml" in request:
        order_type = parse(request["type_xml"].encode())
    else:  # placed by the in-process sandbox carrier: no XML was ever sent
        listed = [node("TelephoneNumber", call.out(n)) for n in request.get("numbers", [])]
        order_type = node(EXISTING, node("TelephoneNumberList", listed))
    return node(
        "Order", leaf("CustomerOrderId", order.customer_order_id), leaf("Name", request.get("name")),
        node("OrderCreateDate", stamp(order.created_at)), leaf("PeerId", request.get("peer_id")),
        node("BackOrderRequested", boolean(request.get("back_order", False))),
        node("id", order.id) if with_id else None, order_type,
        node("PartialAllowed", boolean(request.get("partial_allowed", True))), leaf("SiteId", request.get("site_id")),
    )


def get_order(world: World, call: Call, weird_status: str | None = None) -> Reply:
    order = world.get(call.args["order"], call.args["account"], "order")
    if order is None:
        raise not_found()
    detail = call.query.get("tndetail", "").lower() == "true"
    final = order.status != "RECEIVED"
    failed = [call.out(number) for number, _, _ in order.failed if number]
    failed_quantity = len(failed) or (requested(order) - len(order.completed) if order.status == "FAILED" else 0)
    body = node(
        RESPONSE,
        node("CompletedQuantity", len(order.completed)),
        node("CreatedByUser", order.request.get("user", "apiuser")),
        errors(order, call),
        node("FailedNumbers", [node("FullNumber", n) for n in failed]) if failed else None,
        node("LastModifiedDate", stamp(last_modified(order))),
        node("OrderCompleteDate", stamp(last_modified(order))) if final else None,
        order_echo(order, call, with_id=False),
        node("OrderStatus", weird_status if weird_status and not final else order.status),
        node("CompletedNumbers", [_completed(n, detail, call) for n in order.completed]) if order.completed else None,
        node("Summary", summary(order)) if final else None,
        node("FailedQuantity", failed_quantity),
        None if final else node("PendingQuantity", requested(order)),
    )
    return xml_reply(200, body)


def _completed(number: AvailableNumber, detail: bool, call: Call) -> Element:
    if not detail:
        return node("TelephoneNumber", node("FullNumber", call.out(number.number)))
    return node("TelephoneNumber", node("FullNumber", call.out(number.number)), leaf("City", number.city),
                leaf("LATA", number.lata), leaf("RateCenter", number.rate_center), leaf("State", number.state),
                node("Tier", 0), node("VendorId", 49), node("VendorName", "Bandwidth CLEC"))


def summary(order: WorldOrder) -> str:
    """`2 numbers ordered in (919)`: the GET's `Summary`, and the note of the history's settling entry."""
    done, total = len(order.completed), requested(order)
    if not done:
        return f"0 out of {total} numbers ordered"
    where = ", ".join(f"({npa})" for npa in sorted({ten(n.number)[:3] for n in order.completed}))
    if order.status == "COMPLETE":
        return f"{done} number{'s' if done != 1 else ''} ordered in {where}"
    return f"{done} out of {total} numbers ordered in {where}"


# -- list ----------------------------------------------------------------------------------
def list_orders(world: World, call: Call) -> Reply:
    check_params(call, ORDERS, selecting(SELECT))
    if "page" not in call.query or "size" not in call.query:
        # Bandwidth redirects list calls without page and size; clients must keep their auth
        query = call.query | {"page": call.query.get("page", "1"), "size": call.query.get("size", "300")}
        return Reply(303, b"", {"Location": f"{call.base}{call.path}?{urlencode(query)}"})
    coid = call.query.get("customerOrderId") or None
    found = narrowed(call, with_status(call, world.orders(call.args["account"], "order", coid)))
    return paged(call, found, _list_entry, 1000)


def _list_entry(order: WorldOrder) -> Element:
    return node(
        "OrderIdUserIdDate", node("CountOfTNs", requested(order)), leaf("CustomerOrderId", order.customer_order_id),
        node("userId", order.request.get("user", "apiuser")), node("lastModifiedDate", stamp(last_modified(order))),
        node("OrderDate", stamp(order.created_at)), node("OrderType", "new_number"), node("orderId", order.id),
        node("OrderStatus", order.status),
    )
