"""An order's update and sub-resources (bandwidth.md §3): `PUT …/orders/{id}`, and `GET …/orders/{id}/`
`tns`, `areaCodes`, `npaNxx`, `totals`, `history`. Notes are in `bandwidth_notes.py`.

Where the spec leaves a choice open, the emulator chooses:
- `PUT` reads `Name`, `CustomerOrderId` and `CloseOrder` and ignores every other child (the Python
  SDK sends back the whole order it read); a v2 body holding a 10-digit `TelephoneNumber` is still
  1022; `CloseOrder` true is always 5060 (no order is ever BACKORDERED); an unknown order is 404
  before the body is read; a bad body is 400 in the orders' envelope (`OrderResponse/ErrorList`);
- `tns` (and the counts of `areaCodes`, `npaNxx`, `totals`) list the numbers the order is buying
  while it is RECEIVED and the numbers it got once settled (none when it failed); reports come
  sorted by area code or NPA-NXX, and list nothing (`<TelephoneDetailsReports/>`) when there are
  no numbers, but `totals` always holds one report with its `Count`;
- `history` holds no entry for the creation ("empty" until something happens, as documented), one
  by `System` when the order settles (its `Summary` as the note) and one per update that changed
  something (note "Order updated", the caller as `Author`, and `Difference` in the spec's sample
  form `CustomerOrderId : "old" --> new`, several joined by ", "), oldest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from xml.etree.ElementTree import Element

from tnorder.sim.bandwidth_notes import note_routes
from tnorder.sim.bandwidth_orders import RESPONSE, check_customer_order_id, request_root, summary
from tnorder.sim.bandwidth_xml import Call, Reply, leaf, list_error, node, not_found, stamp, ten, text, xml_reply
from tnorder.sim.world import World, WorldOrder

ORDER = "/orders/(?P<order>[^/]+)"
FIELDS = (("Name", "name"), ("CustomerOrderId", "customer_order_id"))
CLOSE_REFUSED = "Only Backordered order can be closed."
Route = tuple[str, dict[str, Callable[[Call], Reply]], bool]


def order_routes(world: World) -> list[Route]:
    """The routes under one order (and the notes of disconnects), for `BandwidthApi`'s table."""
    parts = {"tns": tns, "areaCodes": area_codes, "npaNxx": npa_nxx, "totals": totals, "history": history}
    routes: list[Route] = [(f"{ORDER}/{name}", {"GET": _bound(world, read)}, False) for name, read in parts.items()]
    return [*routes, *note_routes(world)]


def _bound(world: World, handler: Callable[[World, Call], Reply]) -> Callable[[Call], Reply]:
    return lambda call: handler(world, call)


def _order(world: World, call: Call) -> WorldOrder:
    order = world.get(call.args["order"], call.args["account"], "order")
    if order is None:
        raise not_found()
    return order


# -- PUT …/orders/{id} -------------------------------------------------------------------------
def update_order(world: World, call: Call) -> Reply:
    """200 and an empty `<OrderResponse/>`; the update is kept and shows in the order's history."""
    _order(world, call)
    root = request_root(call.body, "Order", RESPONSE)
    _check_numbers(root, call)
    close = text(root, "CloseOrder")
    if close is not None and close.lower() not in ("true", "false"):
        raise list_error(RESPONSE, "5002", f"CloseOrder value {close} is invalid: use true or false", root)
    if close is not None and close.lower() == "true":
        raise list_error(RESPONSE, "5060", CLOSE_REFUSED, root)
    changes = {key: text(root, tag) or None for tag, key in FIELDS if root.find(tag) is not None}
    if "name" in changes and len(changes["name"] or "") > 50:
        raise list_error(RESPONSE, "5002", "Name may be at most 50 characters", root)
    if "customer_order_id" in changes:
        changes["customer_order_id"] = check_customer_order_id(changes["customer_order_id"], RESPONSE, root)
    world.update(call.args["order"], call.args["account"], changes, call.user)
    return xml_reply(200, node(RESPONSE))


def _check_numbers(root: Element, call: Call) -> None:
    for number in root.iter("TelephoneNumber"):
        wrong = call.face.wrong_form((number.text or "").strip())
        if wrong:
            raise list_error(RESPONSE, *wrong, root, number.text)


# -- the order's numbers, and counts of them ---------------------------------------------------
def numbers_of(order: WorldOrder) -> list[str]:
    """The numbers the order is buying (RECEIVED), or those it got (settled), as E.164."""
    if order.status != "RECEIVED":
        return [n.number for n in order.completed]
    taken = set(order.request.get("taken", []))
    return [n for n in order.request.get("numbers", []) if n not in taken]


def tns(world: World, call: Call) -> Reply:
    numbers = numbers_of(_order(world, call))
    listed = [node("TelephoneNumber", call.out(n)) for n in numbers]
    return xml_reply(200, node("TelephoneNumbers", node("Count", len(numbers)), listed))


def area_codes(world: World, call: Call) -> Reply:
    return _report(world, call, "AreaCode", 3)


def npa_nxx(world: World, call: Call) -> Reply:
    return _report(world, call, "NPA-NXX", 6)


def _report(world: World, call: Call, tag: str, digits: int) -> Reply:
    counts = Counter(ten(n)[:digits] for n in numbers_of(_order(world, call)))
    reports = [node("TelephoneDetailsReport", node(tag, key), node("Count", count))
               for key, count in sorted(counts.items())]
    return xml_reply(200, node("TelephoneDetailsReports", reports))


def totals(world: World, call: Call) -> Reply:
    count = len(numbers_of(_order(world, call)))
    return xml_reply(200, node("TelephoneDetailsReports", node("TelephoneDetailsReport", node("Count", count))))


# -- history -------------------------------------------------------------------------------------
def history(world: World, call: Call) -> Reply:
    order = _order(world, call)
    events = [(e["at"], "Order updated", e["author"], e["status"], _difference(e["changes"]))
              for e in order.request.get("history", [])]
    if order.status != "RECEIVED":
        events.append((order.complete_at or order.created_at, summary(order), "System", order.status, None))
    entries = [node("OrderHistory", node("OrderDate", stamp(at)), node("Note", note), node("Author", author),
                    node("Status", status), leaf("Difference", difference))
               for at, note, author, status, difference in sorted(events, key=_when)]
    return xml_reply(200, node("OrderHistoryWrapper", entries))


def _when(event: tuple) -> tuple[float, bool]:
    """Oldest first; the settling goes first when an update came at the same instant (it read the order first)."""
    return event[0], event[2] != "System"


def _difference(changes: dict[str, list]) -> str:
    tags = {key: tag for tag, key in FIELDS}
    return ", ".join(f'{tags[key]} : "{before or ""}" --> {after or ""}' for key, (before, after) in changes.items())


__all__ = ["numbers_of", "order_routes", "update_order"]
