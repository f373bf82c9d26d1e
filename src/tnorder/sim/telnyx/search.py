"""`GET /available_phone_numbers` (telnyx.md §3): Telnyx's filters over the world's pool.

The world searches by one criterion; the narrowest filter given picks it (rate center, city,
area code, state) and the others narrow its candidates. Where the note leaves a choice open:
- `filter[limit]` defaults to 100 and is capped at 1000 (more is answered with 1000);
- every answer is exact (`best_effort: false`, `best_effort_results: 0`), every number reservable,
  every toll-free number quickship; `exclude_held_numbers` changes nothing (the world never offers a
  held number, to this account or any other);
- `rate_center` and `locality` without `administrative_area` look in every state that has one;
  a search with no place at all looks in the first few states only;
- a filter holding a wildcard or (in a digits filter) a letter matches nothing, as documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tnorder.carriers.bandwidth_versions import country_of
from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria
from tnorder.sim.bandwidth_auth import json_reply
from tnorder.sim.bandwidth_xml import Reply
from tnorder.sim.pool import rate_center_of
from tnorder.sim.telnyx.wire import ACCOUNT, Problem, Query, bad_request, number_type
from tnorder.sim.world import World
from tnorder.usgeo import STATES, TOLL_FREE_NPAS

TYPES = ("local", "toll_free", "mobile", "national", "shared_cost", "landline")
FEATURES = ("sms", "mms", "voice", "fax", "emergency", "hd_voice", "international_sms", "local_calling")
OFFERED = {"local": ("sms", "mms", "voice", "fax", "emergency", "hd_voice"),
           "toll_free": ("sms", "mms", "voice", "fax")}
PATTERNS = ("starts_with", "ends_with", "contains")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
COUNTRY_WIDE_STATES = 6
WILDCARD = re.compile(r"[*%?_]")
COUNTRIES = {"US": "USA", "CA": "CAN"}


@dataclass(frozen=True)
class Wanted:
    kind: str  # local | toll_free
    country: str  # USA | CAN, as country_of names them
    ndc: str | None = None
    state: str | None = None
    rate_center: str | None = None
    city: str | None = None
    patterns: dict[str, str] = field(default_factory=dict)
    features: frozenset[str] = frozenset()


def search(world: World, query: Query) -> Reply:
    wanted = parse(query)
    limit = min(query.whole("filter[limit]", DEFAULT_LIMIT), MAX_LIMIT)
    found = [] if wanted is None else find(world, wanted, limit)
    world.offer([n.number for n in found], ACCOUNT)  # Telnyx sells only what a recent search returned
    meta = {"total_results": len(found), "best_effort_results": 0}
    return json_reply(200, {"data": [record(n) for n in found], "meta": meta, "metadata": meta})


# -- the filters ---------------------------------------------------------------------------
def parse(query: Query) -> Wanted | None:
    """What was asked, or None when nothing can match (a wildcard, a letter, another country)."""
    country = _country(query)
    kind = query.one("filter[phone_number_type]")
    if kind is not None and kind not in TYPES:
        raise bad_request(f"phone_number_type must be one of {', '.join(TYPES)}", "filter[phone_number_type]")
    features = frozenset(query.many("filter[features]"))
    if features - set(FEATURES):
        raise bad_request(f"features must be among {', '.join(FEATURES)}", "filter[features]")
    for name in ("best_effort", "reservable", "exclude_held_numbers", "quickship"):
        query.flag(f"filter[{name}]")
    texts = {name: query.one(f"filter[{name}]")
             for name in ("national_destination_code", "administrative_area", "rate_center", "locality")}
    patterns = {p: v for p in PATTERNS if (v := query.one(f"filter[phone_number][{p}]")) is not None}
    if country is None or any(WILDCARD.search(v) for v in [*texts.values(), *patterns.values()] if v):
        return None
    if any(not v.isdigit() for v in patterns.values()):
        return None
    return _wanted(kind, country, texts, patterns, features)


def _country(query: Query) -> str | None:
    code = query.one("filter[country_code]")
    if code is None:
        raise Problem(400, "10004", "Missing required parameter", "filter[country_code] is required",
                      {"parameter": "filter[country_code]"})
    if not re.fullmatch(r"[A-Za-z]{2}", code):
        raise bad_request("country_code must be an ISO 3166-1 alpha-2 code such as US", "filter[country_code]")
    return COUNTRIES.get(code.upper())


def _wanted(kind: str | None, country: str, texts: dict[str, str | None], patterns: dict[str, str],
            features: frozenset[str]) -> Wanted | None:
    ndc = texts["national_destination_code"]
    if ndc is not None and not re.fullmatch(r"[2-9]\d\d", ndc):
        return None
    if kind is None:  # the area code says which, written as the NDC or leading the number
        kind = "toll_free" if (ndc or patterns.get("starts_with", "")[:3]) in TOLL_FREE_NPAS else "local"
    if kind == "landline":
        kind = "local"
    place = {"state": texts["administrative_area"], "rate_center": texts["rate_center"], "city": texts["locality"]}
    if kind not in OFFERED or (ndc is not None and (ndc in TOLL_FREE_NPAS) != (kind == "toll_free")):
        return None
    if kind == "toll_free" and any(place.values()):
        return None  # toll-free numbers have no place
    if features - set(OFFERED[kind]):
        return None
    state = place["state"].upper() if place["state"] else None
    rate_center = rate_center_of(place["rate_center"]) if place["rate_center"] else None
    city = " ".join(place["city"].split()).upper() if place["city"] else None
    return Wanted(kind, country, ndc, state, rate_center, city, patterns, features)


# -- to the world --------------------------------------------------------------------------
def find(world: World, wanted: Wanted, limit: int) -> list[AvailableNumber]:
    accept = _accept(wanted)
    found: dict[str, AvailableNumber] = {}
    for criteria in _sources(world, wanted):
        for number in world.search(criteria, limit - len(found), accept):
            found.setdefault(number.number, number)
        if len(found) >= limit:
            break
    return list(found.values())


def _sources(world: World, wanted: Wanted) -> list[Criteria]:
    """The world searches to draw from, narrowest first."""
    # without an NDC, a starts_with of three digits or more names the area code all the same
    leading = "" if wanted.ndc else wanted.patterns.get("starts_with", "")
    ndc = wanted.ndc or (leading[:3] if len(leading) >= 3 else None)
    if wanted.kind == "toll_free":
        vanity = [Criteria(vanity=d) for p, d in wanted.patterns.items() if p != "starts_with" and len(d) <= 7]
        return [*vanity, Criteria(toll_free=ndc or "8**")]
    if wanted.rate_center or wanted.city:
        states = [wanted.state] if wanted.state else _states_with(world, wanted)
        return [Criteria(rate_center=wanted.rate_center, city=wanted.city, state=s) for s in states]
    if ndc:
        return [Criteria(area_code=ndc)]
    if wanted.state:
        return [Criteria(state=wanted.state)] if wanted.state in STATES else []
    return [Criteria(state=s) for s in sorted(STATES)[:COUNTRY_WIDE_STATES]]


def _states_with(world: World, wanted: Wanted) -> list[str]:
    return sorted({e.state for e in world.pool.exchanges
                   if e.rate_center == (wanted.rate_center or e.rate_center) and e.city == (wanted.city or e.city)})


def _accept(wanted: Wanted) -> Callable[[AvailableNumber], bool]:
    """Every filter given, checked on each candidate (the one the world searched by passes trivially)."""
    place = {"state": wanted.state, "rate_center": wanted.rate_center, "city": wanted.city}
    place = {k: v for k, v in place.items() if v}

    def accept(found: AvailableNumber) -> bool:
        national = found.number[2:]
        # with an area code, the digit filters read what follows it (telnyx.md §3, "excludes NDC")
        digits = national[3:] if wanted.ndc else national
        return (
            number_type(found.number) == wanted.kind and country_of(national[:3]) == wanted.country
            and (wanted.ndc is None or national.startswith(wanted.ndc))
            and all((getattr(found, k) or "") == v for k, v in place.items())
            and _digits_match(digits, wanted.patterns)
        )

    return accept


def _digits_match(digits: str, patterns: dict[str, str]) -> bool:
    return (digits.startswith(patterns.get("starts_with", "")) and digits.endswith(patterns.get("ends_with", ""))
            and patterns.get("contains", "") in digits)


# -- the reply -----------------------------------------------------------------------------
def record(number: AvailableNumber) -> dict:
    kind = number_type(number.number)
    return {
        "record_type": "available_phone_number", "phone_number": number.number, "phone_number_type": kind,
        "best_effort": False, "reservable": True, "quickship": kind == "toll_free", "vanity_format": None,
        "region_information": _regions(number),
        "cost_information": {"upfront_cost": "1.00000", "monthly_cost": "1.00000" if kind == "local" else "2.00000",
                             "currency": "USD"},
        "features": [{"name": name} for name in OFFERED[kind]],
    }


def _regions(number: AvailableNumber) -> list[dict]:
    country = {"region_type": "country_code", "region_name": "CA" if country_of(number.number[2:5]) == "CAN" else "US"}
    if not number.state:
        return [country]
    location = f"{number.city} ({number.rate_center})" if number.city else None
    regions = [("state", number.state), ("rate_center", number.rate_center), ("location", location)]
    return [{"region_type": t, "region_name": n} for t, n in regions if n] + [country]
