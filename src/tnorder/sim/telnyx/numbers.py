"""`/phone_numbers` (telnyx.md §6): the account's numbers, one release, the bulk release job.

Ids are numeric strings, fixed for as long as one purchase of a number lasts. Where the note
leaves a choice open: `filter[phone_number]` matches digits anywhere in the number (compare the
answer exactly); a deleted number leaves the list at once (it goes the way of every disconnect in
the world: aging, never sold again); numbers still being bought read `purchase-pending` and cannot
be deleted (404); a job naming a number the account does not own is refused whole (422, SPEC's
"You must own every number in the bulk request").
"""

from __future__ import annotations

from collections.abc import Callable

from tnorder.carriers.bandwidth_versions import country_of
from tnorder.sim.bandwidth_xml import Reply
from tnorder.sim.telnyx.wire import (
    ACCOUNT,
    MAX_NUMBERS,
    Query,
    Request,
    bad_request,
    document,
    e164,
    invalid,
    json_object,
    not_found,
    number_type,
    paged,
    stamp,
)
from tnorder.sim.world import Line, World, WorldOrder

STATES = {"purchase-pending": "ordered", "active": "inservice"}
LISTED = ("purchase-pending", "purchase-failed", "port-pending", "port-failed", "active", "deleted",
          "emergency-only", "ported-out", "port-out-pending", "requirement-info-pending",
          "requirement-info-under-review", "requirement-info-exception", "provision-pending")
SORTS = {"purchased_at": lambda n: n.settled_at, "phone_number": lambda n: n.number,
         "connection_name": lambda n: "", "usage_payment_method": lambda n: ""}
MAX_JOBS = 20
MIXED = "You must specify either all phone numbers in the e164 format or all as phone number ids"


def list_numbers(world: World, request: Request) -> Reply:
    query = request.query
    status = (query.one("filter[status]") or "").replace("_", "-") or None
    if status is not None and status not in LISTED:
        raise bad_request(f"filter[status] must be one of {', '.join(LISTED)}", "filter[status]")
    states = (STATES[status],) if status in STATES else () if status else tuple(STATES.values())
    kept = _number_filter(query)
    world.settle_due(ACCOUNT)  # numbers of orders settled by now are active
    lines = [n for n in world.lines(ACCOUNT, states) if kept(n)] if states else []
    return paged(query, _sorted(lines, query.one("sort")), number_record)


def _number_filter(query: Query) -> Callable[[Line], bool]:
    digits = query.one("filter[phone_number]")
    if digits is not None and len([c for c in digits if c.isdigit()]) < 3:
        raise bad_request("filter[phone_number] requires at least three digits", "filter[phone_number]")
    countries = {c.upper() for c in query.many("filter[country_iso_alpha2]")}

    def kept(line: Line) -> bool:
        return ((digits is None or (digits.isdigit() and digits in line.number[1:]))
                and (not countries or _country(line.number) in countries))

    return kept


def _sorted(lines: list[Line], sort: str | None) -> list[Line]:
    """`sort` names a field (ascending); without it the newest purchase comes first."""
    if sort is None:
        return sorted(lines, key=lambda n: (-n.ordered_at, n.number))
    if sort not in SORTS:
        raise bad_request(f"sort must be one of {', '.join(SORTS)}", "sort")
    return sorted(lines, key=SORTS[sort])


def get_number(world: World, request: Request) -> Reply:
    return document(number_record(_line(world, request.args["id"], ("ordered", "inservice"))))


def delete_number(world: World, request: Request) -> Reply:
    line = _line(world, request.args["id"], ("inservice",))
    gone = world.disconnect([line.number], ACCOUNT, None, {"face": "telnyx", "ids": {line.number: line.id}},
                            at_once=True)
    if not gone.completed:  # deleted meanwhile by another call
        raise not_found(f"Phone number {line.id} was not found.")
    return document(number_record(line) | {"status": "deleted", "updated_at": stamp(gone.created_at)})


def _line(world: World, pid: str, states: tuple[str, ...]) -> Line:
    world.settle_due(ACCOUNT)
    found = next((n for n in world.lines(ACCOUNT, states) if n.id == pid), None) if pid.isdigit() else None
    if found is None:
        raise not_found(f"Phone number {pid} was not found.")
    return found


def number_record(line: Line) -> dict:
    active, request = line.state == "inservice", line.request
    return {
        "id": line.id, "record_type": "phone_number", "phone_number": line.number,
        "status": "active" if active else "purchase-pending", "country_iso_alpha2": _country(line.number),
        "phone_number_type": number_type(line.number), "tags": [], "external_pin": None,
        "connection_id": request.get("connection_id"), "connection_name": None, "customer_reference": None,
        "messaging_profile_id": request.get("messaging_profile_id"), "messaging_profile_name": None,
        "billing_group_id": request.get("billing_group_id"), "emergency_enabled": False,
        "emergency_address_id": None, "emergency_status": "disabled", "call_forwarding_enabled": True,
        "cnam_listing_enabled": False, "caller_id_name_enabled": False, "call_recording_enabled": False,
        "t38_fax_gateway_enabled": False, "hd_voice_enabled": False, "inbound_call_screening": "disabled",
        "deletion_lock_enabled": False, "source_type": "number_order",
        "purchased_at": stamp(line.settled_at), "activated_at": stamp(line.settled_at) if active else None,
        "created_at": stamp(line.ordered_at), "updated_at": stamp(line.settled_at if active else line.ordered_at),
    }


def _country(number: str) -> str:
    return "CA" if country_of(number[2:5]) == "CAN" else "US"


# -- the bulk release job ------------------------------------------------------------------
def create_job(world: World, request: Request) -> Reply:
    wanted = _job_numbers(json_object(request.body).get("phone_numbers"))
    pending = [d for d in world.orders(ACCOUNT, "disconnect") if d.request.get("job") and d.status == "RECEIVED"]
    if len(pending) >= MAX_JOBS:
        raise invalid(f"At most {MAX_JOBS} delete jobs may be pending at once", "/phone_numbers")
    lines = {key: n for n in world.lines(ACCOUNT) for key in (n.number, n.id)}
    if any(g not in lines for g in wanted):
        raise invalid("You must own every number in the bulk request", "/phone_numbers")
    chosen = list({lines[g].number: lines[g] for g in wanted}.values())
    job = world.disconnect([n.number for n in chosen], ACCOUNT, None,
                           {"face": "telnyx", "job": "delete_phone_numbers", "ids": {n.number: n.id for n in chosen}})
    return document(job_record(job), 202)


def _job_numbers(given: object) -> list[str]:
    """All E.164 numbers or all ids (JSON numbers taken as ids), 1 to 1000."""
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_NUMBERS:
        raise invalid(f"phone_numbers must list 1 to {MAX_NUMBERS} numbers or ids", "/phone_numbers")
    wanted = [str(g) if isinstance(g, int) and not isinstance(g, bool) else g for g in given]
    if not all(isinstance(g, str) for g in wanted) or len({g.startswith("+") for g in wanted}) > 1:
        raise invalid(MIXED, "/phone_numbers")
    return [e164(g, f"/phone_numbers/{i}") if g.startswith("+") else g for i, g in enumerate(wanted)]


def get_job(world: World, request: Request) -> Reply:
    job = world.get(request.args["id"], ACCOUNT, "disconnect")
    if job is None or not job.request.get("job"):
        raise not_found(f"Phone numbers job {request.args['id']} was not found.")
    return document(job_record(job))


def job_record(job: WorldOrder) -> dict:
    ids: dict[str, str] = job.request.get("ids", {})
    numbers = job.request.get("numbers", [])
    done = {n.number for n in job.completed}
    failed = {number: text for number, _, text in job.failed}
    pending = job.status == "RECEIVED"

    def entry(number: str) -> dict:
        return {"id": ids.get(number), "phone_number": number}

    def failure(number: str) -> dict:
        return entry(number) | {"errors": [{"code": "10005", "title": "Resource not found", "detail": failed[number]}]}

    status = "pending" if pending else ("failed" if not done else "completed")
    updated = job.created_at if pending else job.complete_at
    return {"id": job.id, "record_type": "phone_numbers_job", "type": "delete_phone_numbers", "status": status,
            "etc": stamp(job.complete_at), "phone_numbers": [entry(n) for n in numbers],
            "pending_operations": [entry(n) for n in numbers] if pending else [],
            "successful_operations": [entry(n) for n in numbers if n in done],
            "failed_operations": [failure(n) for n in numbers if n in failed],
            "created_at": stamp(job.created_at), "updated_at": stamp(updated)}
