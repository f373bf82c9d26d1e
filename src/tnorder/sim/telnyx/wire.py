"""The Telnyx face's wire (telnyx.md §1-2): deepObject queries, JSON bodies, the `errors[]`
envelope, paged lists, timestamps and the ids the face derives from the world's."""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from tnorder.sim.bandwidth_auth import json_reply
from tnorder.sim.bandwidth_xml import Reply
from tnorder.usgeo import TOLL_FREE_NPAS

ACCOUNT = "telnyx"  # the world account every Telnyx key owns: one Telnyx account per emulator
ERROR_URL = "https://developers.telnyx.com/docs/overview/errors/{}"
IDS = uuid.UUID("6f1c2a4e-93b0-4c55-9a57-1d0e5b8c7f21")  # namespace of the ids derived here
E164 = re.compile(r"\+1[2-9]\d\d[2-9]\d{6}")
MAX_NUMBERS = 1000
OFFER_SECONDS = 24 * 3600  # "it must have been returned in a recent search request" (v1 said 24 hours)
PAGE_SIZE, MAX_PAGE_SIZE = 20, 250


class Problem(Exception):
    """An answer in Telnyx's error envelope, raised by a handler to answer at once."""

    def __init__(self, status: int, code: str, title: str, detail: str, source: dict | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.headers = status, headers or {}
        self.error = {"code": code, "title": title, "detail": detail} | ({"source": source} if source else {})
        self.error["meta"] = {"url": ERROR_URL.format(code)}

    @property
    def reply(self) -> Reply:
        return json_reply(self.status, {"errors": [self.error]}, self.headers)


def bad_request(detail: str, parameter: str | None = None) -> Problem:
    return Problem(400, "10015", "Bad Request", detail, {"parameter": parameter} if parameter else None)


def invalid(detail: str, pointer: str = "/", code: str = "10015") -> Problem:
    title = "Phone number must be in +E.164 format" if code == "10016" else "Bad Request"
    return Problem(422, code, title, detail, {"pointer": pointer})


def not_found(detail: str = "The requested resource or URL could not be found.") -> Problem:
    return Problem(404, "10005", "Resource not found", detail)


@dataclass
class Request:
    method: str
    path: str  # after /telnyx/v2
    query: Query
    body: bytes = b""
    args: dict[str, str] = field(default_factory=dict)  # path parameters


class Query:
    """deepObject parameters, brackets decoded: `filter[phone_number][starts_with]`; arrays come
    comma-joined (the SDK), repeated or as `name[]=` (older curl samples)."""

    def __init__(self, raw: str) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):  # `+` is a space, %5B a bracket
            self.values.setdefault(key.removesuffix("[]"), []).append(value)

    def one(self, name: str) -> str | None:
        given = [v.strip() for v in self.values.get(name, []) if v.strip()]
        return given[0] if given else None

    def many(self, name: str) -> list[str]:
        return [part.strip() for v in self.values.get(name, []) for part in v.split(",") if part.strip()]

    def flag(self, name: str) -> bool | None:
        value = self.one(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise bad_request(f"{name} must be true or false", name)
        return value.lower() == "true"

    def whole(self, name: str, default: int, low: int = 1, high: int | None = None) -> int:
        value = self.one(name)
        if value is None:
            return default
        if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise bad_request(f"{name} must be a whole number {span}", name)
        return int(value)

    def page(self) -> tuple[int, int]:
        return self.whole("page[number]", 1), self.whole("page[size]", PAGE_SIZE, 1, MAX_PAGE_SIZE)


def paged(query: Query, items: list, render: Callable[[object], dict]) -> Reply:
    """A `{data, meta: PaginationMeta}` page of `items` (newest first, as the caller sorted them)."""
    number, size = query.page()
    chunk = items[(number - 1) * size:number * size]
    meta = {"page_number": number, "page_size": size, "total_pages": math.ceil(len(items) / size),
            "total_results": len(items)}
    return json_reply(200, {"data": [render(item) for item in chunk], "meta": meta})


def document(data: dict, status: int = 200) -> Reply:
    return json_reply(status, {"data": data})


def json_object(body: bytes) -> dict:
    try:
        found = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "10015", "Bad Request", "The request body is not well-formed JSON.",
                      {"pointer": "/"}) from None
    if not isinstance(found, dict):
        raise invalid("The request body must be a JSON object.")
    return found


def text_field(body: dict, name: str) -> str | None:
    """An optional string (ids such as `connection_id` may come as JSON numbers)."""
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise invalid(f"{name} must be a string", f"/{name}")


def e164(value: object, pointer: str) -> str:
    if not isinstance(value, str) or not E164.fullmatch(value) or value[3:5] == "11":
        raise invalid(f"{value!r} is not a +E.164 US number such as +19195550142", pointer, "10016")
    return value


def ordered_numbers(body: dict) -> list[str]:
    """`phone_numbers: [{phone_number}]` of an order or a reservation, each once, 1 to 1000."""
    given = body.get("phone_numbers")
    if not isinstance(given, list) or not given:
        raise invalid("phone_numbers must list at least one {\"phone_number\": ...}", "/phone_numbers")
    if len(given) > MAX_NUMBERS:
        raise invalid(f"{MAX_NUMBERS} numbers is the maximum allowed.", "/phone_numbers")
    numbers = []
    for i, entry in enumerate(given):
        if not isinstance(entry, dict):
            raise invalid("each phone_numbers entry must be an object", f"/phone_numbers/{i}")
        numbers.append(e164(entry.get("phone_number"), f"/phone_numbers/{i}/phone_number"))
    return list(dict.fromkeys(numbers))


def stamp(epoch: float | None) -> str | None:
    """`2026-11-15T10:00:00.000000Z`, as Telnyx's examples write time."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def moment(value: str, parameter: str) -> float:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{parameter} must be an ISO 8601 date-time", parameter) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def created_between(query: Query, prefix: str = "filter[created_at]") -> Callable[[float], bool]:
    """`filter[created_at][gt|lt]` as a test on a creation time."""
    after, before = query.one(f"{prefix}[gt]"), query.one(f"{prefix}[lt]")
    low = moment(after, f"{prefix}[gt]") if after else -math.inf
    high = moment(before, f"{prefix}[lt]") if before else math.inf
    return lambda at: low < at < high


def derived_id(*parts: str) -> str:
    """A stable uuid for a record the world keeps no id of (an order line, a sub order)."""
    return str(uuid.uuid5(IDS, ":".join(parts)))


def number_type(number: str) -> str:
    return "toll_free" if number[2:5] in TOLL_FREE_NPAS else "local"
