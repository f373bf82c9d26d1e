"""`/number_orders` and `/sub_number_orders` (telnyx.md §5).

An order is answered `pending` and settles after `--complete-after` (on the first read after it,
or any list). Each number ends `success` or `failure`: it fails when it is held or sold elsewhere,
or when no search showed it to this account in the last 24 hours ("it must have been returned in
a recent search request"). Where the note leaves a choice open: an order with both outcomes reads
`partial_success` (the word of the same family's reservations and bulk orders); one sub order per
number type; `--weird-status X` makes an unsettled order read `X`.
"""

from __future__ import annotations

from collections.abc import Callable

from tnorder.sim.bandwidth_xml import Reply
from tnorder.sim.telnyx.wire import (
    ACCOUNT,
    OFFER_SECONDS,
    Query,
    Request,
    created_between,
    derived_id,
    document,
    invalid,
    json_object,
    not_found,
    number_type,
    ordered_numbers,
    paged,
    stamp,
    text_field,
)
from tnorder.sim.world import World, WorldOrder

STATUS = {"RECEIVED": "pending", "COMPLETE": "success", "PARTIAL": "partial_success", "FAILED": "failure"}
ORDER_FIELDS = ("connection_id", "messaging_profile_id", "billing_group_id")


def create_order(world: World, request: Request, weird: str | None = None) -> Reply:
    body = json_object(request.body)
    numbers = ordered_numbers(body)
    extra = {"face": "telnyx"} | {name: text_field(body, name) for name in ORDER_FIELDS}
    order = world.order(numbers, ACCOUNT, text_field(body, "customer_reference"), extra=extra, own_holds=True,
                        offered_within=OFFER_SECONDS)
    return document(order_record(order, weird))


def get_order(world: World, request: Request, weird: str | None = None) -> Reply:
    return document(order_record(_order(world, request.args["id"]), weird))


def update_order(world: World, request: Request, weird: str | None = None) -> Reply:
    """PATCH: `customer_reference` (and regulatory requirements, which US numbers have none of)."""
    body = json_object(request.body)
    if "customer_reference" not in body:
        return get_order(world, request, weird)
    order = world.set_reference(request.args["id"], ACCOUNT, text_field(body, "customer_reference"))
    if order is None:
        raise not_found(f"Number order {request.args['id']} was not found.")
    return document(order_record(order, weird))


def list_orders(world: World, request: Request, weird: str | None = None) -> Reply:
    kept = _order_filter(request.query, weird)
    found = [o for o in reversed(world.orders(ACCOUNT, "order")) if kept(o)]
    return paged(request.query, found, lambda o: _list_entry(o, weird))


def list_sub_orders(world: World, request: Request) -> Reply:
    query = request.query
    parent = query.one("filter[order_request_id]")
    orders = [_order(world, parent)] if parent else list(reversed(world.orders(ACCOUNT, "order")))
    wanted = {k: query.one(f"filter[{k}]") for k in ("status", "country_code", "phone_number_type")}
    subs = [s for o in orders for s in sub_orders(o) if all(v is None or s[k] == v for k, v in wanted.items())]
    return paged(query, subs, lambda s: s)


def _order(world: World, oid: str) -> WorldOrder:
    order = world.get(oid, ACCOUNT, "order")
    if order is None or order.request.get("face") != "telnyx":
        raise not_found(f"Number order {oid} was not found.")
    return order


def _order_filter(query: Query, weird: str | None) -> Callable[[WorldOrder], bool]:
    reference, status = query.one("filter[customer_reference]"), query.one("filter[status]")
    count = query.one("filter[phone_numbers_count]")
    if count is not None and not count.isdigit():
        raise invalid("filter[phone_numbers_count] must be a whole number")
    created = created_between(query)

    def kept(order: WorldOrder) -> bool:
        return (order.request.get("face") == "telnyx"
                and (reference is None or order.customer_order_id == reference)  # exact, as the note advises
                and (status is None or order_status(order, weird) == status)
                and (count is None or len(_numbers(order)) == int(count))
                and created(order.created_at))

    return kept


# -- records -------------------------------------------------------------------------------
def order_status(order: WorldOrder, weird: str | None = None) -> str:
    return weird if weird and order.status == "RECEIVED" else STATUS[order.status]


def line_statuses(order: WorldOrder) -> dict[str, str]:
    """Each number's status: pending until the order settles, then success or failure."""
    if order.status == "RECEIVED":
        return dict.fromkeys(_numbers(order), "pending")
    done = {n.number for n in order.completed}
    return {n: "success" if n in done else "failure" for n in _numbers(order)}


def _numbers(order: WorldOrder) -> list[str]:
    return order.request.get("numbers", [])


def _updated(order: WorldOrder) -> str | None:
    settled = order.complete_at if order.status != "RECEIVED" else order.created_at
    return stamp(max(settled or order.created_at, order.request.get("updated_at", 0.0)))


def order_record(order: WorldOrder, weird: str | None = None) -> dict:
    statuses = line_statuses(order)

    def line(number: str) -> dict:
        return {"id": derived_id(order.id, number), "record_type": "number_order_phone_number",
                "phone_number": number, "status": statuses[number], "bundle_id": None, "country_code": "US",
                "country_iso_alpha2": "US", "phone_number_type": number_type(number), "regulatory_requirements": [],
                "requirements_met": True, "requirements_status": "approved"}

    return _head(order, weird) | {"phone_numbers": [line(n) for n in _numbers(order)]}


def _list_entry(order: WorldOrder, weird: str | None) -> dict:
    """List items carry only each number's line id and number (SPEC `NumberOrder`)."""
    lines = [{"id": derived_id(order.id, n), "phone_number": n} for n in _numbers(order)]
    return _head(order, weird) | {"phone_numbers": lines}


def _head(order: WorldOrder, weird: str | None) -> dict:
    return {"id": order.id, "record_type": "number_order", "status": order_status(order, weird),
            "phone_numbers_count": len(_numbers(order)), "customer_reference": order.customer_order_id,
            **{name: order.request.get(name) for name in ORDER_FIELDS}, "requirements_met": True,
            "sub_number_orders_ids": [s["id"] for s in sub_orders(order)],
            "created_at": stamp(order.created_at), "updated_at": _updated(order)}


def sub_orders(order: WorldOrder) -> list[dict]:
    """One sub order per number type, in the order the types first appear."""
    by_type: dict[str, list[str]] = {}
    for number in _numbers(order):
        by_type.setdefault(number_type(number), []).append(number)
    lines = line_statuses(order)
    return [_sub_order(order, kind, numbers, {lines[n] for n in numbers}) for kind, numbers in by_type.items()]


def _sub_order(order: WorldOrder, kind: str, numbers: list[str], statuses: set[str]) -> dict:
    status = statuses.pop() if len(statuses) == 1 else "partial_success"
    return {"id": derived_id(order.id, kind), "record_type": "sub_number_order", "order_request_id": order.id,
            "country_code": "US", "phone_number_type": kind, "phone_numbers_count": len(numbers), "status": status,
            "customer_reference": order.customer_order_id, "requirements_met": True, "regulatory_requirements": [],
            "is_block_sub_number_order": False, "user_id": derived_id(ACCOUNT, "user"),
            "created_at": stamp(order.created_at), "updated_at": _updated(order)}
