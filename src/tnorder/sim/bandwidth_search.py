"""`GET /accounts/{id}/availableNumbers`: query parameters -> criteria for the simulated world.

The world searches by one criterion; the combinations Bandwidth allows (`areaCode` with `state`,
`npaNxx`, `localVanity`…) search by the narrowest one and filter by the others. The checks and
their codes follow bandwidth.md §2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from tnorder.carriers.bandwidth_versions import country_of
from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria, build, check_npa
from tnorder.errors import BadInput
from tnorder.sim.bandwidth_faces import COUNTRIES, V1, Face
from tnorder.sim.bandwidth_xml import Refused, leaf, node, search_error, ten
from tnorder.usgeo import STATES

MAX_QUANTITY = 5000
GEO = ("areaCode", "npaNxx", "npaNxxx", "rateCenter", "state", "city", "zip", "lata", "localVanity")
TOLL_FREE = ("tollFreeVanity", "tollFreeWildCardPattern")
PREFIXES = ("areaCode", "npaNxx", "npaNxxx")
LCA_SEARCHES = ({"npaNxx"}, {"npaNxxx"}, {"rateCenter", "state"})
ORDER_BY = ("fullNumber", "npaNxxx", "npaNxx", "areaCode")
ORDER_BY_WITH = ("npaNxx", "npaNxxx", "rateCenter", "city", "zip", *TOLL_FREE)
PROTECTED = ("NONE", "ONLY", "MIXED")

NULL_OR_EMPTY = "One of more required search parameters are null or empty, please refer to the api documentation"
UNSUPPORTED = "The combination of search criteria is unsupported"
NO_LCA = "LCA search is not supported for specified search criteria"


@dataclass(frozen=True)
class Search:
    criteria: Criteria | None  # None: nothing can match (protected=ONLY: the world has no protected numbers)
    quantity: int
    detail: bool
    accept: Callable[[AvailableNumber], bool] | None = None
    ordered: bool = False
    lca: str | None = None  # widen to the local calling area of this rate center ("rateCenter") or exchange


def parse_search(query: Mapping[str, str], face: Face = V1) -> Search:
    given = {k: query[k].strip() for k in (*GEO, *TOLL_FREE) if query.get(k, "").strip()}
    _check_combination(given, query)
    country = _country(given, query, face)
    values = _checked_values(given)
    if "localVanity" in values and _flag(query, "endsIn", False):
        values["endsIn"] = "true"
    quantity = _quantity(query.get("quantity"))
    detail = _flag(query, "enableTNDetail", False)
    ordered = _order_by(query.get("orderBy"), given)
    protected = query.get("protected")
    if protected is not None and protected.upper() not in PROTECTED:
        raise search_error("4022", f"protected value {protected} is invalid; use one of NONE, ONLY, MIXED")
    if protected is not None and protected.upper() == "ONLY":
        return Search(None, quantity, detail)
    criteria, accept = _criteria(values, country)
    geo = {k for k in given if k in GEO}
    lca = None
    if geo in LCA_SEARCHES and _flag(query, "LCA", True):  # documented default: true
        lca = "rateCenter" if "rateCenter" in geo else values.get("npaNxx") or values.get("npaNxxx")
    return Search(criteria, quantity, detail, accept, ordered, lca)


def _country(given: dict[str, str], query: Mapping[str, str], face: Face) -> str | None:
    """v2: `countryCodeA3` (one of USA, CAN) must come with `areaCode` and `city`."""
    value = (query.get("countryCodeA3") or "").strip().upper() or None
    if value is not None and value not in COUNTRIES:
        raise search_error("4010", f"countryCodeA3 {value} is not supported: use USA or CAN")
    if face.country and value is None:
        for needs in ("areaCode", "city"):
            if needs in given:
                raise search_error("4010", f"The countryCodeA3 is a required parameter with {needs}")
    return value


def _check_combination(given: dict[str, str], query: Mapping[str, str]) -> None:
    geo = {k for k in given if k in GEO}
    toll_free = {k for k in given if k in TOLL_FREE}
    if not given:
        raise search_error("4010", NULL_OR_EMPTY)
    if (toll_free and geo) or len(toll_free) > 1 or len(geo & set(PREFIXES)) > 1:
        raise search_error("4010", UNSUPPORTED)
    for needs_state in ("rateCenter", "city"):
        if needs_state in geo and "state" not in geo:
            raise search_error("4010", "Please also specify state to search by current criteria")
    if "localVanity" in geo:
        if geo - {"localVanity", "state", "areaCode"}:
            raise search_error("4010", UNSUPPORTED)
        if not geo & {"state", "areaCode"}:
            raise search_error("4010", "Please also specify areaCode or state to search by current criteria")
    if query.get("endsIn") is not None and "localVanity" not in geo:
        raise search_error("4010", "Ends In is meaningless without Local Vanity")
    if _flag(query, "LCA", False) and geo not in LCA_SEARCHES:
        raise search_error("4010", NO_LCA)


def _flag(query: Mapping[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None:
        return default
    if value.strip().lower() not in ("true", "false"):
        raise search_error("4010", f"{name} must be true or false")
    return value.strip().lower() == "true"


def _quantity(value: str | None) -> int:
    if value is None:
        return MAX_QUANTITY
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_QUANTITY:
        raise search_error("4010", f"quantity must be a number between 1 and {MAX_QUANTITY}")
    return int(value)


def _order_by(value: str | None, given: dict[str, str]) -> bool:
    if value is None:
        return False
    if value not in ORDER_BY:
        raise search_error("4020", f"orderBy value {value} is invalid; use one of {', '.join(ORDER_BY)}")
    if not set(given) & set(ORDER_BY_WITH):
        raise search_error("4021", "orderBy is not supported for specified search criteria")
    return True


# -- values --------------------------------------------------------------------------------
def _checked_values(given: dict[str, str]) -> dict[str, str]:
    checks = {
        "state": _state, "areaCode": _area_code, "npaNxx": _npa_prefix, "npaNxxx": _npa_prefix,
        "rateCenter": lambda v: _valid("4001", rate_center=v, state="NC").rate_center,
        "city": lambda v: _valid("4005", city=v, state="NC").city,
        "zip": lambda v: _valid("4007", zip=v).zip, "lata": lambda v: _valid("4008", lata=v).lata,
        "tollFreeVanity": lambda v: _valid("4003", vanity=v).vanity,
        "tollFreeWildCardPattern": _wildcard, "localVanity": _local_vanity,
    }
    return {name: checks[name](value) for name, value in given.items()}


def _valid(code: str, **fields: str) -> Criteria:
    try:
        return build(**fields)
    except BadInput as exc:
        raise search_error(code, str(exc)) from None


def _state(value: str) -> str:
    if value.upper() not in STATES:
        raise search_error("4006", f"State {value} is invalid: use a two-letter US state code")
    return value.upper()


def _area_code(value: str) -> str:
    try:
        return check_npa(value)
    except BadInput as exc:
        raise search_error("4000", str(exc)) from None


def _npa_prefix(value: str) -> str:
    if not re.fullmatch(r"\d{6,7}", value):
        raise search_error("4002", f"NPA-NXX {value} must be 6 (npaNxx) or 7 (npaNxxx) digits")
    try:
        check_npa(value[:3])
    except BadInput as exc:
        raise search_error("4002", str(exc)) from None
    if value[3] in "01":
        raise search_error("4002", "The Nxx cannot begin with a 0 or 1")
    return value


def _wildcard(value: str) -> str:
    if not re.fullmatch(r"8[0-9*]{2}", value):
        raise search_error("4004", "Tollfree Wild Card search invalid format")
    return value


def _local_vanity(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9*_]{3,7}", value):
        raise search_error("4010", "localVanity must be 3 to 7 letters, digits, * or _")
    return value.upper()


# -- to the world --------------------------------------------------------------------------
def _criteria(values: dict[str, str], country: str | None = None) -> tuple[Criteria, Callable[[AvailableNumber], bool]]:
    """The narrowest single criterion the world searches by, and a filter for the rest."""
    if "tollFreeVanity" in values:
        return Criteria(vanity=values["tollFreeVanity"]), None
    if "tollFreeWildCardPattern" in values:
        return Criteria(toll_free=values["tollFreeWildCardPattern"]), None
    prefix = next((values[k] for k in PREFIXES if k in values), None)
    state = values.get("state")
    if "zip" in values:
        primary = Criteria(zip=values["zip"])
    elif "rateCenter" in values:
        primary = Criteria(rate_center=values["rateCenter"], state=state)
    elif "city" in values:
        primary = Criteria(city=values["city"], state=state)
    elif prefix:
        primary = Criteria(area_code=prefix[:3])
    elif "lata" in values:
        primary = Criteria(lata=values["lata"])
    else:
        primary = Criteria(state=state)
    return primary, _filter(values, prefix, country)


def combine(values: dict[str, str]) -> tuple[Criteria, Callable[[AvailableNumber], bool]]:
    """Checked values under the search's names -> the world's criterion and a filter for the rest
    (the orders' `CombinedSearchAndOrderType` combines criteria as a search does)."""
    return _criteria(values)


def _filter(values: dict[str, str], prefix: str | None, country: str | None) -> Callable[[AvailableNumber], bool]:
    """Every given constraint, checked on each candidate (the primary one passes trivially)."""
    wanted = {attr: values[key] for key, attr in (("state", "state"), ("rateCenter", "rate_center"),
                                                  ("city", "city"), ("lata", "lata")) if key in values}
    vanity = _vanity_pattern(values["localVanity"], "endsIn" in values) if "localVanity" in values else None

    def accept(found: AvailableNumber) -> bool:
        digits = ten(found.number)
        return (
            (prefix is None or digits.startswith(prefix))
            and all(getattr(found, attr) == value for attr, value in wanted.items())
            and (vanity is None or vanity.search(digits[3:]) is not None)
            and (country is None or country_of(digits[:3]) == country)
        )

    return accept


def _vanity_pattern(word: str, ends_in: bool) -> re.Pattern[str]:
    from tnorder.numbers import keypad_digits

    parts = {"*": r"\d*", "_": r"\d"}
    body = "".join(parts.get(ch, keypad_digits(ch)) for ch in word)
    return re.compile(body + ("$" if ends_in else ""))


# -- the reply -----------------------------------------------------------------------------
def search_result(found: list[AvailableNumber], detail: bool, face: Face = V1) -> Element:
    if not found:
        return node("SearchResult", node("ResultCount", 0))
    if not detail:
        numbers = [node("TelephoneNumber", face.out(n.number)) for n in found]
        return node("SearchResult", node("ResultCount", len(found)), node("TelephoneNumberList", numbers))
    details = [
        node("TelephoneNumberDetail", leaf("City", n.city), leaf("LATA", n.lata), leaf("RateCenter", n.rate_center),
             leaf("State", n.state), node("FullNumber", face.out(n.number)), node("Tier", 0), node("VendorId", 49),
             node("VendorName", "Bandwidth CLEC"),
             leaf("CountryCodeA3", country_of(n.number[2:5]) if face.country else None),
             leaf("PhoneNumberType", "GEOGRAPHIC" if face.country else None))
        for n in found
    ]
    return node("SearchResult", node("ResultCount", len(found)), node("TelephoneNumberDetailList", details))


__all__ = ["Refused", "Search", "combine", "parse_search", "search_result"]
