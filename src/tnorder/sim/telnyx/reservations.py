"""`/number_reservations` (telnyx.md §4): holds of 30 minutes, each number granted or refused.

There is no call that cancels a reservation (none is documented): a hold ends when it lapses or
when the number is ordered. A number no recent search showed this account is refused, as orders
refuse it. Where the note leaves a choice open: a reservation keeps the status
it was made with after its holds lapse, and each number says `expired` once its `expired_at` has
passed; extending a reservation whose holds have all lapsed is refused (422).
"""

from __future__ import annotations

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
    ordered_numbers,
    paged,
    stamp,
    text_field,
)
from tnorder.sim.world import World, WorldError, WorldOrder

HOLD_SECONDS = 30 * 60
STATUS = {"COMPLETE": "success", "PARTIAL": "partial_success", "FAILED": "failure", "RECEIVED": "pending"}


def create_reservation(world: World, request: Request) -> Reply:
    body = json_object(request.body)
    numbers = ordered_numbers(body)
    made = world.reserve_numbers(numbers, ACCOUNT, text_field(body, "customer_reference"), HOLD_SECONDS,
                                 {"face": "telnyx"}, offered_within=OFFER_SECONDS)
    return document(reservation_record(made, world.clock()))


def get_reservation(world: World, request: Request) -> Reply:
    found = world.get(request.args["id"], ACCOUNT, "reservation")
    if found is None:
        raise not_found(f"Number reservation {request.args['id']} was not found.")
    return document(reservation_record(found, world.clock()))


def extend_reservation(world: World, request: Request) -> Reply:
    try:
        extended = world.extend(request.args["id"], ACCOUNT, HOLD_SECONDS)
    except WorldError as exc:
        raise invalid(exc.text) from None
    if extended is None:
        raise not_found(f"Number reservation {request.args['id']} was not found.")
    return document(reservation_record(extended, world.clock()))


def list_reservations(world: World, request: Request) -> Reply:
    query, now = request.query, world.clock()
    kept = _filter(query)
    found = [r for r in reversed(world.orders(ACCOUNT, "reservation")) if kept(r)]
    return paged(query, found, lambda r: reservation_record(r, now))


def _filter(query: Query):
    reference, status = query.one("filter[customer_reference]"), query.one("filter[status]")
    number = query.one("filter[phone_numbers.phone_number]")
    number = None if number is None else "+" + number.lstrip("+")
    created = created_between(query)

    def kept(found: WorldOrder) -> bool:
        return ((reference is None or found.customer_order_id == reference)
                and (status is None or STATUS[found.status] == status)
                and (number is None or number in found.request.get("numbers", []))
                and created(found.created_at))

    return kept


def reservation_record(found: WorldOrder, now: float) -> dict:
    expires: dict[str, float] = found.request.get("expires", {})
    refused = {number: text for number, _, text in found.failed}
    created, updated = stamp(found.created_at), stamp(found.request.get("updated_at", found.created_at))

    def entry(number: str) -> dict:
        until = expires.get(number)
        return {"id": derived_id(found.id, number), "record_type": "reserved_phone_number", "phone_number": number,
                "status": "failure" if until is None else "success", "expired_at": stamp(until),
                "expired": until is not None and until <= now, "errors": refused.get(number),
                "created_at": created, "updated_at": updated}

    status = STATUS[found.status]
    return {"id": found.id, "record_type": "number_reservation", "status": status,
            "customer_reference": found.customer_order_id,
            "errors": next(iter(refused.values())) if status == "failure" else None,
            "phone_numbers": [entry(n) for n in found.request.get("numbers", [])],
            "created_at": created, "updated_at": updated}
