"""Numbers as Bandwidth's `/tns` reads them: `GET /tns`, `GET /tns/{tn}` and its sub-resources
(bandwidth.md §6, bandwidth-v2.md §3.7), and the paging and number filters the in-service list shares.

Which numbers: every number an account of the world holds, whichever account asks (the emulator
ties no credentials to accounts), each with a `Status`: `Inservice` (bought), `Reserved` (a live
reservation), `Aging` (disconnected: the world never frees it again), and `InAccount` while the order
buying it is still being processed (a guess: the sources call `InAccount` "assigned, not yet routable").
A number no account holds is not "on accounts": `/tns` does not list it and `/tns/{tn}` answers
15610 in an `ErrorList`, with 404.

Element names are copied from the official clients' fixtures (Node `test/xml.json`, Python
`tests/test_tns.py`): `/sites` answers a bare `Site`, `/sippeers` a bare `SipPeer`, `/ratecenter` and
`/lata` a `TelephoneNumberResponse/TelephoneNumberDetails`, `/lca` a `SearchResult`. Where the world
keeps nothing, the emulator answers: `Tier` 0, `VendorId` 49, `VendorName` "Bandwidth CLEC" (as every
sample); a reservation's `LastModified` is when it was made; a site's `Name` is "Emulator site" and a
peer's "Emulator peer" (peer 1 when the order named none: the account's default peer).

LCA: Bandwidth's local calling areas are its own data (and not symmetrical); the world has none, so a
number's calling area is every exchange of its LATA within its state, the same area an `LCA=true`
search widens to.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from tnorder.carriers.bandwidth_versions import country_of
from tnorder.carriers.base import AvailableNumber
from tnorder.sim.bandwidth_faces import COUNTRIES
from tnorder.sim.bandwidth_lists import Refusal, check_params, selecting
from tnorder.sim.bandwidth_orders import links
from tnorder.sim.bandwidth_xml import Call, Reply, leaf, list_error, node, not_found, stamp, xml_reply
from tnorder.sim.world import RESERVATION_SECONDS, Holding, World
from tnorder.usgeo import TOLL_FREE_NPAS

LIST = "TelephoneNumbersResponse"
ONE = "TelephoneNumberResponse"
MAX_SIZE = 2500
STATUS = {"inservice": "Inservice", "ordered": "InAccount", "reserved": "Reserved", "aging": "Aging"}
# the filter enum of ERRS 15519: the world holds numbers in the first four only
STATUSES = ("Inservice", "InAccount", "Reserved", "Aging", "Available", "PortInPendingFoc", "Disconnected",
            "PortOut", "Removed", "Eliminated")
TNS = {"v1": frozenset({"page", "size", "accountId", "city", "fullNumber", "host", "lata", "npa", "npaNxx",
                        "npaNxxX", "rateCenter", "state", "tier", "service", "status"}),
       "v2": frozenset({"page", "size", "accountId", "city", "fullNumber", "host", "lata", "areaCode",
                        "countryCodeA3", "phoneNumberType", "npaNxx", "npaNxxX", "rateCenter", "state", "tier",
                        "service", "status"})}
NEEDS_COUNTRY = ("areaCode", "city", "phoneNumberType")
PLACE = {"city": "city", "lata": "lata", "state": "state", "rateCenter": "rate_center", "ratecenter": "rate_center"}
PREFIX = {"npa": 3, "areacode": 3, "areaCode": 3, "npanxx": 6, "npaNxx": 6, "npaNxxx": 7, "npaNxxX": 7}
TYPES = ("GEOGRAPHIC", "NATIONAL", "MOBILE", "TOLL_FREE", "SHARED_COST")
TIER, VENDOR_ID, VENDOR = 0, 49, "Bandwidth CLEC"
NOT_ON_ACCOUNTS = ("15610", "Telephone Numbers cannot be found on accounts")
NumberTest = Callable[[str, AvailableNumber], bool]


# -- filters and pages shared with the in-service lists ----------------------------------------
def number_tests(call: Call, refuse: Refusal) -> list[NumberTest]:
    """A test per geographic filter of the query (the list has already refused names it does not know)."""
    if call.face.country:
        needing = next((name for name in NEEDS_COUNTRY if call.query.get(name)), None)
        if needing and (call.query.get("countryCodeA3") or "").upper() not in COUNTRIES:
            raise refuse(f"countryCodeA3 (USA or CAN) is a required parameter with {needing}")
    return [_test(name, value, refuse) for name, value in call.query.items()
            if name in PLACE or name in PREFIX or name in ("tier", "phoneNumberType", "countryCodeA3")]


def _test(name: str, value: str, refuse: Refusal) -> NumberTest:
    if name in PLACE:
        return lambda number, found: (getattr(found, PLACE[name]) or "").upper() == value.upper()
    if name in PREFIX:
        if not (value.isdigit() and len(value) == PREFIX[name]):
            raise refuse(f"{name} {value} is invalid: give {PREFIX[name]} digits")
        return lambda number, found: number[2:].startswith(value)
    if name == "tier":
        if not value.isdigit():
            raise refuse(f"tier {value} is invalid: give a whole number")
        return lambda number, found: int(value) == TIER
    if name == "countryCodeA3":
        if value.upper() not in COUNTRIES:
            raise refuse(f"countryCodeA3 {value} is not supported: use USA or CAN")
        return lambda number, found: country_of(number[2:5]) == value.upper()
    if value.upper() not in TYPES:
        raise refuse(f"phoneNumberType {value} is invalid: use one of {', '.join(TYPES)}")
    kind = value.upper()
    return lambda number, found: kind == ("TOLL_FREE" if number[2:5] in TOLL_FREE_NPAS else "GEOGRAPHIC")


def page_of(call: Call, numbers: list[str], size: int, refuse: Refusal, *,
            by_number: bool) -> tuple[list[str], str | None]:
    """(this page's numbers, the `page` of the next one). `by_number`: `page` is the first number of
    its page (v2, and `/tns`), else the page's rank (v1 in-service); `1` is the first page either way."""
    page = call.query.get("page", "1")
    if by_number:
        start = 0 if page == "1" else _cursor(call, page, numbers, refuse)
        following = call.out(numbers[start + size]) if start + size < len(numbers) else None
    else:
        if not page.isdigit() or int(page) < 1:
            raise refuse(f"page {page} is invalid: give a whole number from 1")
        start = (int(page) - 1) * size
        following = str(int(page) + 1) if start + size < len(numbers) else None
    return numbers[start:start + size], following


def _cursor(call: Call, page: str, numbers: list[str], refuse: Refusal) -> int:
    number = call.face.number_in(page)
    if number is None:
        raise refuse(f"page {page} is invalid: give 1 or the telephone number that starts the page")
    return bisect_left(numbers, number)  # sorted: a number gone since keeps its place


# -- GET /tns ----------------------------------------------------------------------------------
def list_tns(world: World, call: Call) -> Reply:
    refuse = selecting(LIST)
    check_params(call, TNS[call.face.name], refuse)
    size = call.query.get("size", "500")
    if not size.isdigit() or not 1 <= int(size) <= MAX_SIZE:
        raise selecting(LIST, "1006")(f"size must be between 1 and {MAX_SIZE}")
    world.settle_every_due()
    tests = [*map(_on_number, number_tests(call, refuse)), *_holding_tests(call, refuse)]
    held = {h.number: h for h in world.holdings()}
    found = [n for n in held if all(test(held[n], world.details(n)) for test in tests)] if tests else list(held)
    chunk, following = page_of(call, found, int(size), refuse, by_number=True)
    listed = node("TelephoneNumbers", [node("TelephoneNumber", _detail(call, held[n], world)) for n in chunk])
    return xml_reply(200, node(LIST, node("TelephoneNumberCount", len(found)), links(call, int(size), following),
                               listed))


def _holding_tests(call: Call, refuse: Refusal) -> list[Callable[[Holding, AvailableNumber], bool]]:
    """accountId, fullNumber and status: the filters that read the holding, not the number's place."""
    tests: list[Callable[[Holding, AvailableNumber], bool]] = []
    q = call.query
    for name in ("host", "service"):
        if name in q:
            raise refuse(f"{name} is not modelled by the tnorder emulator (its numbers have no {name})")
    if "accountId" in q:
        tests.append(lambda h, found: h.account == q["accountId"])
    if "fullNumber" in q:
        number = call.face.number_in(q["fullNumber"])
        if number is None:
            raise refuse(f"fullNumber {q['fullNumber']} is invalid: give {_form(call)} telephone number")
        tests.append(lambda h, found: h.number == number)
    if "status" in q:
        status = next((s for s in STATUSES if s.lower() == q["status"].lower()), None)
        if status is None:
            raise selecting(LIST, "15519")(f"Status {q['status']} is invalid. Valid values: {', '.join(STATUSES)}")
        tests.append(lambda h, found: STATUS[h.state] == status)
    return tests


def _on_number(test: NumberTest) -> Callable[[Holding, AvailableNumber], bool]:
    return lambda h, found: test(h.number, found)


def _form(call: Call) -> str:
    return "an E.164" if call.face.e164 else "a 10-digit"


def _detail(call: Call, held: Holding, world: World) -> list[Element | None]:
    """`City, Lata, State, FullNumber, Tier, VendorId, VendorName, RateCenter, Status, AccountId, LastModified`."""
    found = world.details(held.number)
    return [leaf("City", found.city), leaf("Lata", found.lata), leaf("State", found.state),
            node("FullNumber", call.out(held.number)), node("Tier", TIER), node("VendorId", VENDOR_ID),
            node("VendorName", VENDOR), leaf("RateCenter", found.rate_center), node("Status", STATUS[held.state]),
            node("AccountId", held.account), node("LastModified", stamp(_modified(held)))]


def _modified(held: Holding) -> float:
    if held.state == "reserved":
        return (held.expires_at or 0.0) - RESERVATION_SECONDS
    if held.state == "ordered":
        return held.ordered_at or 0.0
    return held.settled_at or 0.0


# -- GET /tns/{tn} and its sub-resources --------------------------------------------------------
def get_tn(world: World, call: Call) -> Reply:
    """`TelephoneNumberResponse`; the order fields only while an order holds the number (not for a
    reservation, nor once a disconnect aged it)."""
    held = _held(world, call)
    bought = held.state in ("ordered", "inservice")
    body = node(ONE, node("TelephoneNumber", call.out(held.number)), node("Status", STATUS[held.state]),
                node("LastModifiedDate", stamp(_modified(held))),
                node("OrderCreateDate", stamp(held.ordered_at or 0.0)) if bought else None,
                leaf("OrderId", held.order_id if bought else None),
                node("OrderType", "NEW_NUMBER_ORDER") if bought else None,
                node("InServiceDate", stamp(held.settled_at or 0.0)) if held.state == "inservice" else None,
                leaf("SiteId", held.request.get("site_id") if bought else None), node("AccountId", held.account))
    return xml_reply(200, body)


def tn_part(world: World, call: Call) -> Reply:
    held = _held(world, call)
    return xml_reply(200, PARTS[call.args["part"]](call, held, world))


def _details(call: Call, held: Holding, world: World) -> Element:
    return node(ONE, node("TelephoneNumberDetails", _detail(call, held, world)))


def _rate_center(call: Call, held: Holding, world: World) -> Element:
    found = world.details(held.number)
    return node(ONE, node("TelephoneNumberDetails", leaf("State", found.state), leaf("RateCenter", found.rate_center)))


def _lata(call: Call, held: Holding, world: World) -> Element:
    return node(ONE, node("TelephoneNumberDetails", leaf("Lata", world.details(held.number).lata)))


def _site(call: Call, held: Holding, world: World) -> Element:
    site = held.request.get("site_id") if held.state in ("ordered", "inservice") else None
    if site is None:
        raise not_found(f"{call.out(held.number)} is on no site")
    return node("Site", node("Id", site), node("Name", "Emulator site"))


def _peer(call: Call, held: Holding, world: World) -> Element:
    _site(call, held, world)  # a number on no site is on no peer
    return node("SipPeer", node("Id", held.request.get("peer_id") or 1), node("Name", "Emulator peer"))


def _lca(call: Call, held: Holding, world: World) -> Element:
    """`SearchResult/ListofNPANXX/NPANXX*` and `Location/RateCenters{State, RCs/RC*}`: the exchanges of
    the number's LATA within its state (the emulator's calling area)."""
    home = world.details(held.number)
    area = [e for e in world.pool.exchanges if home.lata and (e.state, e.lata) == (home.state, home.lata)]
    centers = node("RateCenters", node("State", home.state), node("RCs", [node("RC", rc) for rc in
                                                                          sorted({e.rate_center for e in area})]))
    exchanges = node("ListofNPANXX", [node("NPANXX", nn) for nn in sorted({e.npa + e.nxx for e in area})])
    return node("SearchResult", exchanges, node("Location", centers) if area else None)


PARTS: dict[str, Callable[[Call, Holding, World], Element]] = {
    "tndetails": _details, "ratecenter": _rate_center, "lata": _lata, "sites": _site, "sippeers": _peer,
    "lca": _lca,
}


def _held(world: World, call: Call) -> Holding:
    """The holding of the path's number; 1022 for a 10-digit number on v2, 5070 for no number at all."""
    wire = unquote(call.args["tn"])
    wrong = call.face.wrong_form(wire)
    if wrong:
        raise list_error(ONE, *wrong, number=wire)
    number = call.face.number_in(wire)
    if number is None:
        raise list_error(ONE, "5070", f"Telephone number is invalid: give {_form(call)} number", number=wire)
    world.settle_every_due()
    found = world.holdings(number)
    if not found:
        raise list_error(ONE, *NOT_ON_ACCOUNTS, number=wire, status=404)
    return found[0]


# -- GET /accounts/{id}/inserviceNumbers/{tn} ---------------------------------------------------
def in_service_number(world: World, call: Call) -> Reply:
    """200 with no body while the number is in service on the account, else 404 (as documented)."""
    wire = unquote(call.args["tn"])
    number = call.face.number_in(wire)
    if number is None:
        raise not_found(f"{wire} is not {_form(call)} telephone number")
    if number not in world.in_service(call.args["account"]):
        raise not_found(f"{wire} is not in service on this account")
    return Reply(200)
