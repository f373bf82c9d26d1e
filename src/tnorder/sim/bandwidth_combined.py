"""`CombinedSearchAndOrderType`: one order over any mix of search criteria (bandwidth.md §3).

Any of `AreaCode`, `RateCenter`, `State`, `NpaNxx`, `NpaNxxX`, `Lata`/`LATA`, `City`, `Zip`, with
`EnableLCA`, `LocalVanity`, `EndsIn` and `Quantity`. The spec's limits: `AreaCode`, `NpaNxx` and
`NpaNxxX` exclude each other; LCA only with `NpaNxx`, `NpaNxxX` or `RateCenter`+`State`; `City` or
`RateCenter` needs `State`; the local-vanity form is `AreaCode` + `LocalVanity` [+ `EndsIn`] and
nothing else. Refusals are 5002 (or the code ERRS gives) with ERRS's own texts. The world searches
by one criterion; the others filter its results (`bandwidth_search.combine`).

Where the spec leaves a choice open, the emulator chooses:
- `Quantity` is required (the RAML's default of 5000 would buy 5000 numbers by omission):
  5002 "Please also specify Quantity to search by current criteria";
- `EnableLCA` is checked but never widens an order: the numbers match every criterion exactly;
- `EndsIn` is refused without `LocalVanity` only when true (the spec's own example sends `false`);
- a child the type does not define is ignored, as for every other order type;
- `LocalVanity` takes 3 to 7 letters, digits, `*` (any run) or `_` (one digit), as the search does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree.ElementTree import Element

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria
from tnorder.sim.bandwidth_search import MAX_QUANTITY, NO_LCA, UNSUPPORTED, combine
from tnorder.sim.bandwidth_xml import Refused, list_error
from tnorder.usgeo import STATES

COMBINED = "CombinedSearchAndOrderType"
# element -> the search parameter it stands for (bandwidth_search's names)
CRITERIA = {"AreaCode": "areaCode", "NpaNxx": "npaNxx", "NpaNxxX": "npaNxxx", "RateCenter": "rateCenter",
            "State": "state", "City": "city", "Zip": "zip", "Lata": "lata", "LATA": "lata",
            "LocalVanity": "localVanity"}
PREFIXES = ("AreaCode", "NpaNxx", "NpaNxxX")
LCA_ALONE = ({"NpaNxx"}, {"NpaNxxX"}, {"RateCenter", "State"})
DIGITS = {"AreaCode": 3, "NpaNxx": 6, "NpaNxxX": 7}
NO_CRITERIA = "Unable to perform search. Please, provide some search criteria"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .'\-]{0,39}")
RESPONSE = "OrderResponse"


class Combined:
    """A checked `CombinedSearchAndOrderType`: the world's criterion, a filter for the rest, how many."""

    def __init__(self, order_type: Element, echo: Element) -> None:
        self.echo = echo
        given = self._given(order_type)
        self.lca = self._flag(order_type, "EnableLCA")
        ends_in = self._flag(order_type, "EndsIn")
        self.quantity = self._quantity(order_type)
        self._check_combination(set(given), self.lca, ends_in)
        values = {CRITERIA[tag]: self._value(tag, value) for tag, value in given.items()}
        if ends_in:
            values["endsIn"] = "true"
        self.criteria, self.accept = combine(values)
        self.prefix_or_vanity = bool(set(given) & {"NpaNxx", "NpaNxxX", "LocalVanity"})

    def refuse(self, description: str, code: str = "5002") -> Refused:
        return list_error(RESPONSE, code, description, self.echo)

    def _given(self, order_type: Element) -> dict[str, str]:
        given = {}
        for child in order_type:
            if child.tag in CRITERIA:
                value = (child.text or "").strip()
                if not value:
                    raise self.refuse(f"The search criteria '{child.tag}' cannot be empty", "5224")
                given[child.tag] = value
        return given

    def _flag(self, order_type: Element, tag: str) -> bool:
        child = order_type.find(tag)
        value = "false" if child is None else (child.text or "").strip().lower()
        if value not in ("true", "false"):
            raise self.refuse(f"The value specified for the search criteria '{tag}' cannot be parsed.")
        return value == "true"

    def _quantity(self, order_type: Element) -> int:
        child = order_type.find("Quantity")
        if child is None:
            raise self.refuse("Please also specify Quantity to search by current criteria")
        value = (child.text or "").strip()
        if not value.isdigit() or int(value) < 1:
            raise self.refuse(f"The quantity specified {value} is invalid.", "5009")
        if int(value) > MAX_QUANTITY:
            raise self.refuse(f"The quantity specified in the order is not valid or exceeds the maximum value of "
                              f"{MAX_QUANTITY}", "5215")
        return int(value)

    def _check_combination(self, given: set[str], lca: bool, ends_in: bool) -> None:
        geo = {"Lata" if tag == "LATA" else tag for tag in given}
        if not geo:
            raise self.refuse(NO_CRITERIA)
        if len(geo & set(PREFIXES)) > 1 or len(given & {"Lata", "LATA"}) > 1:
            raise self.refuse(UNSUPPORTED)
        if "LocalVanity" in geo:
            if "AreaCode" not in geo:
                raise self.refuse("Please also specify AreaCode to search by current criteria")
            if geo - {"LocalVanity", "AreaCode"}:
                raise self.refuse(UNSUPPORTED)
        elif ends_in:
            raise self.refuse("Ends In is meaningless without Local Vanity")
        if geo & {"City", "RateCenter"} and "State" not in geo:
            raise self.refuse("Please also specify State to search by current criteria")
        if lca and geo not in LCA_ALONE:
            raise self.refuse(NO_LCA)

    # -- each value, in ERRS's words ---------------------------------------------------------
    def _value(self, tag: str, value: str) -> str:
        if tag in DIGITS:
            return self._digits(tag, value)
        checks: dict[str, tuple[Callable[[str], bool], str]] = {
            "State": (lambda v: v.upper() in STATES, f"The state abbreviation {value} is not valid."),
            "RateCenter": (NAME.fullmatch, f"The ratecenter abbreviation {value} is not valid"),
            "City": (NAME.fullmatch, f"The city value {value} is not valid."),
            "Zip": (re.compile(r"\d{5}(-\d{4})?").fullmatch, f"The zip code {value} is not valid."),
            "Lata": (re.compile(r"\d{3,5}").fullmatch, f"The lata {value} is not valid"),
            "LATA": (re.compile(r"\d{3,5}").fullmatch, f"The lata {value} is not valid"),
            "LocalVanity": (re.compile(r"[A-Za-z0-9*_]*").fullmatch, f"The localVanity value {value} is invalid."),
        }
        valid, problem = checks[tag]
        if not valid(value):
            raise self.refuse(problem)
        if tag == "LocalVanity" and not 3 <= len(value) <= 7:
            raise self.refuse("The localVanity value should contain 3 or more digits" if len(value) < 3 else problem)
        return _normal(tag, value)

    def _digits(self, tag: str, value: str) -> str:
        if not re.fullmatch(r"[0-9]+", value):
            raise self.refuse(f"The value specified for the search criteria '{tag}' cannot be parsed.")
        if len(value) != DIGITS[tag]:
            raise self.refuse(f"The length of the search criteria '{tag}' is not valid, the acceptable length is "
                              f"{DIGITS[tag]} characters.")
        problem = _npa_problem(value[:3]) or (
            "The Nxx cannot begin with a 0 or 1" if tag != "AreaCode" and value[3] in "01" else None)
        if problem:
            raise self.refuse(problem)
        return value


def _npa_problem(npa: str) -> str | None:
    if npa[0] in "01" or npa[:2] in ("37", "96"):
        return "The area code of telephone numbers cannot begin with 0,1 or 37 or 96."
    if npa[1] == "9":
        return "The area Code of telephone numbers can not have a 9 as the second digit."
    if npa[1:] == "11":
        return "The area code of telephone numbers can not end with 11."
    return None


def _normal(tag: str, value: str) -> str:
    """The world's spelling of a checked value (upper-case names, a 5-digit zip)."""
    if tag == "Zip":
        return value[:5]
    if tag in ("RateCenter", "City"):
        return " ".join(value.split()).upper()
    return value.upper()


def criteria_of(order_type: Element, echo: Element) -> tuple[Criteria, Callable[[AvailableNumber], bool], int, bool]:
    """(criterion, filter, quantity, whether backorders are refused) of a checked Combined type."""
    combined = Combined(order_type, echo)
    return combined.criteria, combined.accept, combined.quantity, combined.prefix_or_vanity


__all__ = ["COMBINED", "Combined", "criteria_of"]
