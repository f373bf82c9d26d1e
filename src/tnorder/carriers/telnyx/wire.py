"""Telnyx API v2 JSON (shared/carriers/telnyx.md): deepObject queries, request bodies, answers read.

Every documented shape is read as a shape: a list is checked to be a list, a record a record, a
status a string; anything else raises `BadAnswer`, which the plugin turns into "the carrier
answered something unexpected" (a read) or "outcome unknown" (a create). Numbers themselves are
checked at the plugin boundary (carriers/validate.py), not here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber, Reservation
from tnorder.criteria import Criteria
from tnorder.numbers import keypad_digits
from tnorder.usgeo import TOLL_FREE_NPAS, state_code

LINE_STATUSES = ("pending", "success", "failure")  # SPEC, for an order, its numbers and its sub orders
HELD = ("pending", "success")  # a reservation entry in either is a hold the account has (or is getting)


class BadAnswer(ValueError):
    """An answer that is not in a shape the API documents."""


class Unreadable(BadAnswer):
    """JSON that does not parse, or an empty body: perhaps cut short on the way (a read asks again)."""


def shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


# -- decoding ----------------------------------------------------------------------------------
def decode(body: bytes, content_type: str | None) -> Any:
    """The JSON document of an answer; a web page, an empty body or JSON that does not parse is no answer."""
    if content_type and "html" in content_type.lower():
        raise BadAnswer(f"a web page ({content_type.split(';')[0].strip()[:40]}), not the API's JSON")
    if not body.strip():
        raise Unreadable("an empty answer where the API sends JSON")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # RecursionError: `[[[[…` nested past Python's stack
        raise Unreadable(f"not JSON ({type(exc).__name__})") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def error_of(doc: Any) -> tuple[str | None, str] | None:
    """(code, "title: detail") of the first entry of an `errors[]` envelope; None when there is none."""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    code = first.get("code")
    title, detail = _str(first.get("title")), _str(first.get("detail"))
    text = ": ".join(t for t in (title, detail) if t) or "no detail given"
    return (str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None), text


def data_of(doc: Any, kind: type) -> Any:
    """`{"data": …}`: the envelope's `data`, which must be a record (dict) or a list."""
    if not isinstance(doc, dict):
        raise BadAnswer(f"{shown(doc)} is not the API's {{\"data\": …}} envelope")
    if "data" not in doc:
        found = error_of(doc)
        raise BadAnswer(f"an error envelope in a success answer ({found[1]})" if found else "no data in the answer")
    data = doc["data"]
    if not isinstance(data, kind):
        raise BadAnswer(f"data {shown(data)} is not a {'list' if kind is list else 'record'}")
    return data


def records(doc: Any) -> list[dict]:
    data = data_of(doc, list)
    for record in data:
        if not isinstance(record, dict):
            raise BadAnswer(f"list entry {shown(record)} is not a record")
    return data


def total_pages(doc: Any, asked: int) -> int | None:
    """`meta.total_pages` of a paged list (None when not said); a page other than the one asked is refused."""
    meta = doc.get("meta") if isinstance(doc, dict) else None
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise BadAnswer(f"meta {shown(meta)} is not a record")
    page, total = meta.get("page_number"), meta.get("total_pages")
    if page is not None and page != asked:
        raise BadAnswer(f"page {shown(page)} answered where page {asked} was asked")
    if total is None:
        return None
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise BadAnswer(f"total_pages {shown(total)} is not a count")
    return total


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def text(record: dict, name: str, *, required: bool = False) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BadAnswer(f"{name} {shown(value)} is not a text")
    return value


def moment(value: object) -> datetime | None:
    """`2018-01-01T00:00:00.000000Z` (or `.000Z`, or no fraction) as an aware UTC moment."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadAnswer(f"time {shown(value)} is not ISO 8601")
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())  # nanoseconds: Python reads to microseconds
    try:
        parsed = datetime.fromisoformat(trimmed)
    except ValueError:
        raise BadAnswer(f"time {shown(value)} is not ISO 8601") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def body(document: dict) -> bytes:
    """Compact JSON, keys sorted: the bytes Telnyx's SDK sends for the same call."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


# -- search ------------------------------------------------------------------------------------
def search_params(criteria: Criteria, quantity: int) -> dict[str, str]:
    """`filter[...]` for GET /available_phone_numbers (telnyx.md §3), in the SDK's order: place,
    then the count and the flags. Letters become keypad digits; `*` is never sent (Telnyx answers
    a wildcard with nothing)."""
    wanted = {"country_code": "US"} | _criterion(criteria) | {
        "limit": str(quantity), "best_effort": "false", "reservable": "true", "exclude_held_numbers": "true"}
    return {f"filter[{name}]": value for name, value in wanted.items()}


STARTS, CONTAINS = "phone_number][starts_with", "phone_number][contains"  # nested: filter[phone_number][…]


def _criterion(c: Criteria) -> dict[str, str]:
    kind = c.kind
    if kind == "area_code":
        return _area(c.area_code or "")
    if kind == "npa_nxx":  # with an NDC, starts_with reads the digits after it (SPEC, D-PORTAL)
        return _area((c.npa_nxx or "")[:3]) | {STARTS: (c.npa_nxx or "")[3:]}
    if kind == "local_vanity":
        place = _area(c.area_code) if c.area_code else {"phone_number_type": "local", "administrative_area": c.state}
        return place | {CONTAINS: keypad_digits(c.local_vanity or "")}
    if kind == "toll_free":
        return _toll_free(c.toll_free or "")
    if kind == "vanity":
        return {"phone_number_type": "toll_free", CONTAINS: keypad_digits(c.vanity or "")}
    return _place(c)


def _area(npa: str) -> dict[str, str]:
    kind = "toll_free" if npa in TOLL_FREE_NPAS else "local"  # `--area-code 800` is a toll-free code
    return {"national_destination_code": npa, "phone_number_type": kind}


def _toll_free(pattern: str) -> dict[str, str]:
    """`8**`: any toll-free code; `8X*`: the one toll-free code 8XX it can stand for (`80*` is 800)."""
    if pattern == "8**":
        return {"phone_number_type": "toll_free"}
    second = pattern[1]
    ndc = "800" if second == "0" else f"8{second}{second}"
    return {"phone_number_type": "toll_free", "national_destination_code": ndc}


def _place(c: Criteria) -> dict[str, str]:
    if c.kind == "rate_center":
        return {"rate_center": c.rate_center or "", "administrative_area": c.state or ""}
    if c.kind == "city":  # Telnyx's examples write a city as its name is written (`Chicago`)
        return {"locality": (c.city or "").title(), "administrative_area": c.state or ""}
    return {"administrative_area": c.state or ""}


def available(doc: Any) -> list[AvailableNumber]:
    """The exact matches of a search: a `best_effort: true` record is a near match, left out."""
    found = []
    for record in records(doc):
        _record_type(record, "available_phone_number")
        near = record.get("best_effort", False)
        if not isinstance(near, bool):
            raise BadAnswer(f"best_effort {shown(near)} is not true or false")
        if not near:
            found.append(_available(record))
    return found


def _record_type(record: dict, expected: str) -> None:
    said = record.get("record_type")
    if said is not None and said != expected:
        raise BadAnswer(f"a {shown(said)} record where the API sends {expected}")


def _available(record: dict) -> AvailableNumber:
    regions = _regions(record.get("region_information"))
    location = regions.get("location")
    city = (location.split(" (", 1)[0].strip() or None) if location else None  # "RALEIGH (RALEIGH)"
    state = regions.get("state")
    return AvailableNumber(text(record, "phone_number", required=True) or "", regions.get("rate_center"), city,
                           (state_code(state) or state) if state else None)


def _regions(given: object) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, list):
        raise BadAnswer(f"region_information {shown(given)} is not a list")
    regions = {}
    for region in given:
        if not isinstance(region, dict):
            raise BadAnswer(f"region {shown(region)} is not a record")
        kind, name = region.get("region_type"), region.get("region_name")
        if isinstance(kind, str) and name is not None:
            if not isinstance(name, str):
                raise BadAnswer(f"region_name {shown(name)} is not a text")
            regions[kind] = name
    return regions


# -- reservations ------------------------------------------------------------------------------
def reservation_body(number: str, reference: str) -> bytes:
    return body({"customer_reference": reference, "phone_numbers": [{"phone_number": number}]})


def hold_on(record: object, number: str) -> Reservation | None:
    """The hold a reservation record gives on `number`: None when that number was refused
    (`failure`, or D-RES's `failed`), or when the record does not name it and failed as a whole."""
    if not isinstance(record, dict):
        raise BadAnswer(f"reservation {shown(record)} is not a record")
    _record_type(record, "number_reservation")
    rid = text(record, "id", required=True) or ""
    entries = [e for e in _entries(record) if e.get("phone_number") == number]
    if not entries:
        if record.get("status") in ("failure", "failed"):
            return None
        raise BadAnswer(f"reservation {shown(rid)} does not name {number}")
    status = entries[0].get("status")
    if status in ("failure", "failed"):
        return None
    if status not in HELD:
        raise BadAnswer(f"reservation status {shown(status)} is none of pending, success, failure")
    return Reservation(rid, number, moment(entries[0].get("expired_at")))


def holds_on(number: str, data: list[dict]) -> list[Reservation]:
    """The holds listed reservations give on `number` (a record not naming it is not about it)."""
    named = [r for r in data if any(e.get("phone_number") == number for e in _entries(r))]
    return [h for h in (hold_on(r, number) for r in named) if h is not None]


def _entries(record: dict) -> list[dict]:
    entries = record.get("phone_numbers") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadAnswer(f"phone_numbers {shown(entries)} is not a list of records")
    return entries


# -- number orders -----------------------------------------------------------------------------
def order_body(numbers: list[str], key: str, options: dict[str, Any]) -> bytes:
    """The order with tnorder's key as `customer_reference` (the only handle Telnyx keeps: §9) and
    the account's connection, messaging profile and billing group when configured."""
    fields = {k: str(options[k]) for k in ("connection_id", "messaging_profile_id", "billing_group_id")
              if options.get(k) not in (None, "")}
    return body({"customer_reference": key, "phone_numbers": [{"phone_number": n} for n in numbers]} | fields)


def order_answer(doc: Any) -> CarrierOrder:
    """An order decided by its numbers: any pending → pending; all success → complete; all failure
    → failed; both → partial. An order status other than pending/success/failure (`partial_success`)
    is noted as itself; a number's status tnorder does not know keeps the order pending, noted."""
    record = data_of(doc, dict)
    _record_type(record, "number_order")
    oid, said = text(record, "id", required=True) or "", record.get("status")
    if said is not None and not isinstance(said, str):
        raise BadAnswer(f"order status {shown(said)} is not a text")
    lines = [_line(e) for e in _entries(record)]
    status, note = _outcome([s for _, s in lines], said)
    done = [AvailableNumber(n) for n, s in lines if s == "success"]
    failed = [FailedNumber(n, None, "Telnyx did not complete this number (status failure)")
              for n, s in lines if s == "failure"]
    return CarrierOrder(id=oid, status=status, completed=done, failed=failed, errors=_errors(status, failed, lines),
                        key=_str(record.get("customer_reference")), note=note,
                        raw=f"number_order {oid} {said}: " + ", ".join(f"{n} {s}" for n, s in lines))


def _errors(status: str, failed: list[FailedNumber], lines: list) -> list[tuple[str | None, str]]:
    if status == "failed" and not lines:
        return [(None, "the order failed at Telnyx")]
    if failed and status != "pending":
        return [(None, f"{len(failed)} of {len(lines)} number(s) failed at Telnyx")]
    return []


def _line(entry: dict) -> tuple[str, str]:
    number, status = text(entry, "phone_number", required=True) or "", entry.get("status")
    if not isinstance(status, str):
        raise BadAnswer(f"status {shown(status)} of {shown(number)} is not a text")
    return number, status


def _outcome(statuses: list[str], said: str | None) -> tuple[str, str | None]:
    strange = [s for s in statuses if s not in LINE_STATUSES]
    note = f"carrier status {shown(said, 60)}" if said is not None and said not in LINE_STATUSES else None
    if strange:
        return "pending", f"carrier status {shown(strange[0], 60)} of a number"
    if "pending" in statuses:
        return "pending", note
    if not statuses:  # a record without its numbers: only an explicit failure concludes it
        return ("failed" if said == "failure" else "pending"), note
    if all(s == "success" for s in statuses):
        return "complete", note
    return ("failed" if all(s == "failure" for s in statuses) else "partial"), note


def orders_under(data: list[dict], key: str) -> list[str]:
    """Ids of listed orders whose `customer_reference` is exactly `key` (the filter's match is not documented)."""
    return [text(r, "id", required=True) or "" for r in data if r.get("customer_reference") == key]


# -- phone numbers -----------------------------------------------------------------------------
PHONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # `numbers_IntId`: digits, as a path segment


def numbers_of(data: list[dict], status: str | None = None) -> list[str]:
    """The phone numbers of listed records, those of `status` only when it is given."""
    return [text(r, "phone_number", required=True) or "" for r in data
            if status is None or r.get("status") == status]


def phone_ids(data: list[dict], number: str) -> tuple[list[str], bool]:
    """(ids of the records of exactly `number` not deleted, whether a deleted record of it exists)."""
    mine = [r for r in data if r.get("phone_number") == number]
    ids = [_phone_id(r) for r in mine if r.get("status") != "deleted"]
    return ids, any(r.get("status") == "deleted" for r in mine)


def _phone_id(record: dict) -> str:
    value = record.get("id")
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(value, str) or not PHONE_ID.fullmatch(value):
        raise BadAnswer(f"phone number id {shown(value)} is not a plain id")
    return value


def deleted(number: str, doc: Any) -> bool:
    """A DELETE's answer: the number's record saying `deleted` (an empty 2xx says nothing against it)."""
    if doc is None:
        return True
    record = data_of(doc, dict)
    said = record.get("phone_number")
    if said is not None and said != number:
        raise BadAnswer(f"the release of {number} answered for {shown(said)}")
    return record.get("status", "deleted") == "deleted"


def total_results(doc: Any) -> int | None:
    meta = doc.get("meta") if isinstance(doc, dict) else None
    count = meta.get("total_results") if isinstance(meta, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None
