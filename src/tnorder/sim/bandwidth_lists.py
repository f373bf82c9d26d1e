"""Rules the Bandwidth emulator's lists share: the parameters each list knows, its user and date filters.

Each list takes the parameters Bandwidth documents for it (bandwidth.md §3, §5, §6; bandwidth-v2.md
§3.5-3.7) and refuses any other by name, never ignoring it (an ignored filter answers everything):
the in-service lists with 404, as their error table says of invalid parameters; the others with a
400 (their documentation is silent there: the code, 1003, is the emulator's). Without `page` and
`size` every list takes the documented defaults, on v1 and v2 alike.

`startdate`/`enddate` are documented as YY-MM-DD and used as a pair: the emulator also reads
YYYY-MM-DD, keeps both days, and refuses one without the other, or a date it cannot read, with
15501 on the order and disconnect lists (ERRS names 15501/15509 for date ranges; which one says
what is not known), 404 on the in-service lists.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterable

from tnorder.sim.bandwidth_xml import Call, Refused, status_error

DAY = 86400
DATED = ("startdate", "enddate")
ORDERS = frozenset({"page", "size", "customerOrderId", "status", "userid", *DATED})
DISCONNECTS = frozenset({"page", "size", "status", "userid", *DATED})
IN_SERVICE = {
    "v1": frozenset({"page", "size", "areacode", "npanxx", "lata", "state", "ratecenter", *DATED}),
    "v2": frozenset({"page", "size", "areaCode", "npaNxx", "npaNxxx", "lata", "state", "ratecenter",
                     "countryCodeA3", "phoneNumberType", "city", "tier", *DATED}),
}
Refusal = Callable[[str], Refused]


def selecting(root: str, code: str = "1003") -> Refusal:
    """A 400 of the order and disconnect lists: `<root><ResponseStatus><ErrorCode/>…`."""
    return lambda text: status_error(root, code, text)


def check_params(call: Call, known: Iterable[str], refuse: Refusal) -> None:
    known = frozenset(known)
    for name in call.query:
        if name not in known:
            raise refuse(f"{name} is not a parameter of this list; it takes {', '.join(sorted(known, key=str.lower))}")


def by_user(call: Call, found: list, user: Callable[[object], str]) -> list:
    wanted = call.query.get("userid")
    return found if not wanted else [item for item in found if user(item) == wanted]


def dated(call: Call, found: list, when: Callable[[object], float | None], refuse: Refusal) -> list:
    """The items whose time falls in `startdate`..`enddate` (both days kept), when both are given."""
    given = [call.query.get(name) for name in DATED]
    if given == [None, None]:
        return found
    if None in given:
        raise refuse("startdate and enddate must be given together")
    start, end = (_day(value, refuse) for value in given)
    return [item for item in found if start <= (when(item) or 0.0) < end + DAY]


def _day(value: str, refuse: Refusal) -> float:
    for form in ("%y-%m-%d", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(value, form)))
        except ValueError:
            continue
    raise refuse(f"The date {value} is invalid: use YY-MM-DD")


def narrowed(call: Call, found: list) -> list:
    """Orders or disconnects by `userid` (who placed them) and by their `OrderDate` in the date range."""
    found = by_user(call, found, lambda order: order.request.get("user", "apiuser"))
    return dated(call, found, lambda order: order.created_at, selecting(SELECT, "15501"))


SELECT = "ResponseSelectWrapper"
