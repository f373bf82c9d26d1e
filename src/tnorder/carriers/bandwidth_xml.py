"""Bandwidth Dashboard API XML: request bodies built with ElementTree, answers parsed with defusedxml.

Element names and casing are copied exactly from Bandwidth's documentation (see
shared/carriers/bandwidth.md): `<id>` vs `<orderId>`, `LATA` vs `Lata`, the `WildChar` wrapper
holding a `WildCard` child, mandatory wrapper elements. Lists are always read as lists, so a single
result never turns into a scalar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml.ElementTree import ParseError, fromstring

from tnorder.carriers.bandwidth_versions import V1, Version, country_of
from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber
from tnorder.criteria import Criteria
from tnorder.numbers import from_ten_digit, ten_digit

STATUS = {"RECEIVED": "pending", "BACKORDERED": "pending", "PROCESSING": "pending", "SUBMITTED": "pending",
          "COMPLETE": "complete", "PARTIAL": "partial", "FAILED": "failed"}

# tnorder criterion -> (search-and-order element, [(child, Criteria field or literal)])
SEARCH_AND_ORDER = {
    "area_code": ("AreaCodeSearchAndOrderType", [("AreaCode", "area_code")]),
    "rate_center": ("RateCenterSearchAndOrderType", [("RateCenter", "rate_center"), ("State", "state")]),
    "state": ("StateSearchAndOrderType", [("State", "state")]),
    "city": ("CitySearchAndOrderType", [("City", "city"), ("State", "state")]),
    "zip": ("ZIPSearchAndOrderType", [("Zip", "zip")]),
    # `LATA` as the schema (numbers.yml, numbers_v2.yml) and the Java SDK spell it; only the spec's
    # examples write `Lata` (bandwidth.md §3)
    "lata": ("LATASearchAndOrderType", [("LATA", "lata")]),
    "toll_free": ("TollFreeWildCharSearchAndOrderType", [("TollFreeWildCardPattern", "toll_free")]),
    "vanity": ("TollFreeVanitySearchAndOrderType", [("TollFreeVanity", "vanity")]),
    "npa_nxx": ("NPANXXSearchAndOrderType", [("NpaNxx", "npa_nxx")]),
}
TOLL_FREE = ("toll_free", "vanity")  # answered as a bare number list: no rate center, state or LATA
EXACT = ("rate_center", "npa_nxx")  # searches Bandwidth widens to the local calling area unless told not to


class BadXml(ValueError):
    """The carrier's answer could not be read as XML."""


# the documented root element of each read's answer (by URL path): a well-formed answer of another
# kind (a portal's page, a proxy's notice) must never be read as an empty result
ROOTS = [
    (re.compile(r"/availableNumbers$"), "SearchResult"),
    (re.compile(r"/accounts/[^/]+/orders/[^/]+$"), "OrderResponse"),
    (re.compile(r"/accounts/[^/]+/(orders|disconnects)$"), "ResponseSelectWrapper"),
    (re.compile(r"/accounts/[^/]+/disconnects/[^/]+$"), "DisconnectTelephoneNumberOrderResponse"),
    (re.compile(r"/inserviceNumbers$"), "TNs"),
    (re.compile(r"/sippeers$"), "TNSipPeersResponse"),
]


def parse(body: bytes | str, content_type: str | None = None, path: str | None = None) -> Element:
    """The answer's root; a web page (HTML, even well-formed) is never a Dashboard API answer, and
    a read's answer (`path` given) must have its documented root."""
    if content_type and "html" in content_type.lower():
        raise BadXml(f"a web page ({content_type.split(';')[0]}), not the API's XML")
    try:
        root = fromstring(body)
    except (ParseError, ValueError) as exc:
        raise BadXml(str(exc)) from None
    tag = root.tag.rpartition("}")[2]
    if tag.lower() == "html":
        raise BadXml("a web page (<html>), not the API's XML")
    expected = next((want for pattern, want in ROOTS if path and pattern.search(path)), None)
    if expected and tag != expected:
        raise BadXml(f"<{tag[:40]}> where the API documents <{expected}>")
    return root


def text(node: Element | None, path: str) -> str | None:
    found = node.find(path) if node is not None else None
    return found.text.strip() if found is not None and found.text else None


def to_bytes(root: Element) -> bytes:
    return tostring(root, encoding="UTF-8", xml_declaration=True)


def _add(parent: Element, tag: str, value: object) -> Element:
    child = SubElement(parent, tag)
    child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return child


# -- search ------------------------------------------------------------------------------------
def search_params(criteria: Criteria, quantity: int, version: Version = V1) -> dict[str, str]:
    """Query parameters for GET availableNumbers: explicit quantity, details on (but for toll-free), LCA
    off where it applies; in v2, `countryCodeA3` with `areaCode` and `city` (criteria themselves are
    never E.164)."""
    kind = criteria.kind
    params = {
        "area_code": lambda: {"areaCode": criteria.area_code},
        "rate_center": lambda: {"rateCenter": criteria.rate_center, "state": criteria.state, "LCA": "false"},
        "npa_nxx": lambda: {"npaNxx": criteria.npa_nxx, "LCA": "false"},
        "local_vanity": lambda: {"localVanity": criteria.local_vanity, "areaCode": criteria.area_code,
                                 "state": criteria.state},
        "state": lambda: {"state": criteria.state},
        "city": lambda: {"city": criteria.city, "state": criteria.state},
        "zip": lambda: {"zip": criteria.zip},
        "lata": lambda: {"lata": criteria.lata},
        "toll_free": lambda: {"tollFreeWildCardPattern": criteria.toll_free},
        "vanity": lambda: {"tollFreeVanity": criteria.vanity},
    }[kind]()
    params = {k: v for k, v in params.items() if v is not None}
    if version.country and ("areaCode" in params or "city" in params):
        params["countryCodeA3"] = country_of(params["areaCode"]) if "areaCode" in params else "USA"
    params["quantity"] = str(quantity)
    if kind not in TOLL_FREE:  # toll-free searches take only quantity and orderBy (bandwidth.md §2)
        params["enableTNDetail"] = "true"
    return params


def search_results(root: Element) -> list[AvailableNumber]:
    """Both documented shapes: detail elements (`FullNumber` or `TelephoneNumber`, `LATA` or `Lata`)
    or a bare number list; one result or many; an empty `SearchResult`."""
    found = []
    for detail in root.iter("TelephoneNumberDetail"):
        number = text(detail, "FullNumber") or text(detail, "TelephoneNumber")
        if number:
            found.append(AvailableNumber(
                from_ten_digit(number), text(detail, "RateCenter"), text(detail, "City"),
                text(detail, "State"), text(detail, "LATA") or text(detail, "Lata"), text(detail, "Zip"),
            ))
    if not found:
        for listed in root.findall("TelephoneNumberList/TelephoneNumber"):
            if listed.text and listed.text.strip():
                found.append(AvailableNumber(from_ten_digit(listed.text)))
    return found


# -- orders ------------------------------------------------------------------------------------
def _order(key: str, site_id: str, peer_id: str | None, partial_allowed: bool) -> Element:
    order = Element("Order")
    _add(order, "CustomerOrderId", key)
    _add(order, "Name", f"tnorder {key}"[:50])
    _add(order, "SiteId", site_id)
    if peer_id:
        _add(order, "PeerId", peer_id)
    _add(order, "PartialAllowed", partial_allowed)
    return order


def existing_order(numbers: list[str], reservation_ids: list[str], *, key: str, site_id: str,
                   peer_id: str | None, partial_allowed: bool, tn: Callable[[str], str] = ten_digit) -> bytes:
    order = _order(key, site_id, peer_id, partial_allowed)
    kind = SubElement(order, "ExistingTelephoneNumberOrderType")
    listed = SubElement(kind, "TelephoneNumberList")
    for number in numbers:
        _add(listed, "TelephoneNumber", tn(number))
    if reservation_ids:
        held = SubElement(kind, "ReservationIdList")
        for rid in reservation_ids:
            _add(held, "ReservationId", rid)
    return to_bytes(order)


def search_and_order(criteria: Criteria, quantity: int, *, key: str, site_id: str, peer_id: str | None,
                     partial_allowed: bool) -> bytes:
    order = _order(key, site_id, peer_id, partial_allowed)
    element, children = SEARCH_AND_ORDER[criteria.kind]
    kind = SubElement(order, element)
    for tag, field in children:
        _add(kind, tag, getattr(criteria, field))
    _add(kind, "Quantity", quantity)
    if criteria.kind in EXACT:
        _add(kind, "EnableLCA", False)  # what was asked for, not its local calling area
    return to_bytes(order)


def status_of(root: Element) -> tuple[str, str | None]:
    """tnorder's status for an `OrderStatus`, and a note when Bandwidth sent one tnorder does not know:
    such an order stays pending (never taken for done) and the operator is told what the carrier said."""
    said = text(root, "OrderStatus") or "RECEIVED"
    if said.upper() in STATUS:
        return STATUS[said.upper()], None
    return "pending", f"carrier status {said}"


def order_answer(root: Element, order_id: str, key: str | None = None) -> CarrierOrder:
    """An `OrderResponse` (create or GET). The GET echo has no `<id>`: the caller passes the id."""
    status, note = status_of(root)
    reasons = _errors(root)
    completed = [_completed(n) for n in root.findall("CompletedNumbers/TelephoneNumber") if text(n, "FullNumber")]
    failed_numbers = [n.text.strip() for n in root.findall("FailedNumbers/FullNumber") if n.text]
    failed = [_failed(n, reasons) for n in failed_numbers]
    listed = {from_ten_digit(n) for n in failed_numbers}  # the two lists may differ in form (v2: E.164 or not)
    failed += [FailedNumber(from_ten_digit(tn), code, desc) for code, desc, tn in reasons
               if tn and from_ten_digit(tn) not in listed]
    return CarrierOrder(
        id=order_id, status=status, completed=completed, failed=failed,
        errors=[(code, desc) for code, desc, _ in reasons],
        key=text(root, "Order/CustomerOrderId") or key, note=note,
    )


def _completed(node: Element) -> AvailableNumber:
    """A completed number; with `?tndetail=true` it also carries City, LATA, RateCenter and State."""
    return AvailableNumber(from_ten_digit(text(node, "FullNumber") or ""), text(node, "RateCenter"),
                           text(node, "City"), text(node, "State"), text(node, "LATA") or text(node, "Lata"))


def _failed(number: str, reasons: list[tuple[str | None, str, str | None]]) -> FailedNumber:
    for code, desc, tn in reasons:
        if tn and ten_digit(from_ten_digit(tn)) == ten_digit(from_ten_digit(number)):
            return FailedNumber(from_ten_digit(number), code, desc)
    code, desc = (reasons[0][0], reasons[0][1]) if reasons else (None, "failed at the carrier")
    return FailedNumber(from_ten_digit(number), code, desc)


def _errors(root: Element) -> list[tuple[str | None, str, str | None]]:
    return [(text(e, "Code"), text(e, "Description") or "", text(e, "TelephoneNumber"))
            for e in root.findall("ErrorList/Error")]


def order_ids(root: Element, tag: str = "orderId") -> list[tuple[str, str | None]]:
    """(order id, CustomerOrderId) from a `ResponseSelectWrapper` order or disconnect list."""
    out = []
    for row in root.iter("OrderIdUserIdDate"):
        oid = text(row, tag) or text(row, "orderId") or text(row, "OrderId")
        if oid:
            out.append((oid, text(row, "CustomerOrderId")))
    return out


# -- disconnects -------------------------------------------------------------------------------
def disconnect_order(numbers: list[str], *, key: str, tn: Callable[[str], str] = ten_digit) -> bytes:
    """No `Name`: deprecated in v1, absent from v2; `CustomerOrderId` carries the key."""
    root = Element("DisconnectTelephoneNumberOrder")
    _add(root, "CustomerOrderId", key)
    kind = SubElement(root, "DisconnectTelephoneNumberOrderType")  # mandatory: without it, 5001
    listed = SubElement(kind, "TelephoneNumberList")
    for number in numbers:
        _add(listed, "TelephoneNumber", tn(number))
    # no `DisconnectMode`: the spec's enum says `NORMAL`, its error table (5084) and every echo say
    # `normal`; left out, the documented default (normal) applies whichever case the server checks
    return to_bytes(root)


def disconnect_answer(root: Element, order_id: str) -> CarrierOrder:
    status, note = status_of(root)
    reasons = _errors(root)
    done = [AvailableNumber(from_ten_digit(n.text))
            for n in root.findall("DisconnectedTelephoneNumberList/TelephoneNumber") if n.text]
    failed = [FailedNumber(from_ten_digit(tn), code, desc) for code, desc, tn in reasons if tn]
    return CarrierOrder(id=order_id, status=status, completed=done, failed=failed,
                        errors=[(code, desc) for code, desc, _ in reasons],
                        key=text(root, "orderRequest/CustomerOrderId"), note=note)


def next_page(root: Element) -> str | None:
    """The `page` value of `Links/next` (`Link=<URL>;rel="next";`), never the URL itself: Bandwidth's
    samples point v2 links at v1 hosts and paths, so the caller rebuilds the request on its own base."""
    link = text(root, ".//Links/next")
    if not link:
        return None
    url = link[link.find("<") + 1:link.find(">")] if "<" in link and ">" in link else link
    values = parse_qs(urlsplit(url.strip()).query).get("page")
    return values[0] if values else None


# -- errors ------------------------------------------------------------------------------------
def error_of(root: Element) -> tuple[str | None, str] | None:
    """The first error in any documented envelope, as (code, text); None when there is none.

    Same search order as Bandwidth's node client: ErrorCode+Description anywhere, then
    Error{Code,Description}, then resultCode/resultMessage; code 0 means success.
    """
    for node in root.iter():
        code = text(node, "ErrorCode")
        if code is not None and code != "0":
            return code, text(node, "Description") or "error"
    for error in root.iter("Error"):
        code = text(error, "Code")
        if code is not None and code != "0":
            return code, text(error, "Description") or "error"
    code = text(root, "resultCode")
    if code is not None and code != "0":
        return code, text(root, "resultMessage") or "error"
    description = text(root, "ResponseStatus/Description") or text(root, "Description")
    return (None, description) if description else None
