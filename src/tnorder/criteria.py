"""Lookup criteria: one search at a carrier, checked before any request leaves."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

from tnorder.errors import BadInput
from tnorder.usgeo import STATES, state_code

KINDS = ("area_code", "rate_center", "state", "city", "zip", "lata", "toll_free", "vanity", "npa_nxx",
         "local_vanity")
FLAG = {kind: "--" + kind.replace("_", "-") for kind in KINDS}


@dataclass(frozen=True)
class Criteria:
    """Exactly one search kind; `state` goes with `rate_center` and `city`, or stands alone."""

    area_code: str | None = None
    rate_center: str | None = None
    state: str | None = None
    city: str | None = None
    zip: str | None = None
    lata: str | None = None
    toll_free: str | None = None
    vanity: str | None = None
    npa_nxx: str | None = None
    local_vanity: str | None = None  # with area_code or state, which narrow it

    @property
    def kind(self) -> str:
        for name in ("local_vanity", "rate_center", "city"):
            if getattr(self, name):
                return name
        for name in KINDS:
            if getattr(self, name):
                return name
        raise BadInput("no lookup criteria: give one of " + ", ".join(FLAG.values()))

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Criteria:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def describe(self) -> str:
        return ", ".join(f"{FLAG[k]} {v}" for k, v in self.as_dict().items())


def check_npa(npa: str) -> str:
    """NANP area-code rules: the codes that cannot exist are refused before any lookup.

    Digits are ASCII only (`\\d` would take `９１９`); surrounding spaces are trimmed, here and in
    every filter that takes an area code, so lookups and lists read the same value the same way."""
    npa = npa.strip()
    if not re.fullmatch(r"[0-9]{3}", npa):
        raise BadInput(f"area code {npa!r} must be 3 digits")
    if npa[0] in "01":
        raise BadInput(f"area code {npa} cannot exist: it cannot begin with 0 or 1")
    if npa[1:] == "11":
        raise BadInput(f"area code {npa} cannot exist: N11 codes are service codes")
    if npa[1] == "9":
        raise BadInput(f"area code {npa} cannot exist: the second digit cannot be 9")
    if npa[:2] in ("37", "96"):
        raise BadInput(f"area code {npa} cannot exist: 37X and 96X are reserved")
    return npa


def _state(value: str) -> str:
    code = state_code(value)
    if code is None:
        raise BadInput(f"unknown state {value!r}: use a two-letter US state code such as NC")
    return code


def _name(value: str, what: str) -> str:
    value = " ".join(value.split()).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 .'\-]{0,39}", value):
        raise BadInput(f"{what} {value!r} is not a valid name")
    return value


def _zip(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", value):
        raise BadInput(f"zip {value!r} must be 5 digits or ZIP+4 (27601 or 27601-1234)")
    return value[:5]


def _lata(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[0-9]{3,5}", value):
        raise BadInput(f"LATA {value!r} must be 3 to 5 digits")
    return value


# Bandwidth's documented wildcard forms: 8** (any toll-free code) or 8X* for a toll-free code 8XX
TOLL_FREE_PATTERNS = ("8**", *(f"8{d}*" for d in "0345678"))


def _toll_free(value: str) -> str:
    value = value.strip()
    if value not in TOLL_FREE_PATTERNS:
        raise BadInput(f"toll-free pattern {value!r} must be one of {', '.join(TOLL_FREE_PATTERNS)}")
    return value


def _npa_nxx(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"\d{6}", value):
        raise BadInput(f"NPA-NXX {value!r} must be 6 digits, e.g. 919439")
    check_npa(value[:3])
    if value[3] in "01":
        raise BadInput(f"NPA-NXX {value}: the exchange (NXX) cannot begin with 0 or 1")
    return value


def _local_vanity(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{3,7}", value):
        raise BadInput(f"local vanity word {value!r} must be 3 to 7 letters or digits")
    return value


def _vanity(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]+", value):
        raise BadInput(f"vanity word {value!r} may hold only letters and digits")
    if not 4 <= len(value) <= 7:
        raise BadInput(f"vanity word {value!r} must be 4 to 7 characters long")
    return value


def build(
    *,
    area_code: str | None = None,
    rate_center: str | None = None,
    state: str | None = None,
    city: str | None = None,
    zip: str | None = None,
    lata: str | None = None,
    toll_free: str | None = None,
    vanity: str | None = None,
    npa_nxx: str | None = None,
    local_vanity: str | None = None,
) -> Criteria:
    """Check the flags an operator gave and return normalised criteria, or raise BadInput."""
    if local_vanity is not None:
        return _local_vanity_criteria(local_vanity, area_code, state, rate_center, city, zip, lata, toll_free,
                                      vanity, npa_nxx)
    given = {
        "area_code": area_code, "rate_center": rate_center, "city": city, "zip": zip,
        "lata": lata, "toll_free": toll_free, "vanity": vanity, "npa_nxx": npa_nxx,
    }
    primary = [k for k, v in given.items() if v is not None]
    if len(primary) > 1:
        flags = " and ".join(FLAG[k] for k in primary)
        raise BadInput(f"{flags} cannot be combined: give one lookup criterion")
    if not primary and state is None:
        raise BadInput("no lookup criteria: give one of " + ", ".join(FLAG.values()))
    kind = primary[0] if primary else "state"
    if kind in ("rate_center", "city") and state is None:
        raise BadInput(f"{FLAG[kind]} needs --state")
    if state is not None and kind not in ("state", "rate_center", "city"):
        raise BadInput(f"--state cannot be combined with {FLAG[kind]}")
    return Criteria(
        area_code=check_npa(area_code) if area_code is not None else None,
        rate_center=_name(rate_center, "rate center") if rate_center is not None else None,
        state=_state(state) if state is not None else None,
        city=_name(city, "city") if city is not None else None,
        zip=_zip(zip) if zip is not None else None,
        lata=_lata(lata) if lata is not None else None,
        toll_free=_toll_free(toll_free) if toll_free is not None else None,
        vanity=_vanity(vanity) if vanity is not None else None,
        npa_nxx=_npa_nxx(npa_nxx) if npa_nxx is not None else None,
    )


def _local_vanity_criteria(word: str, area_code: str | None, state: str | None, *others: str | None) -> Criteria:
    """Local vanity is narrowed by exactly one of area code or state (Bandwidth refuses it alone)."""
    if any(v is not None for v in others):
        raise BadInput("--local-vanity combines only with --area-code or --state")
    if (area_code is None) == (state is None):
        raise BadInput("--local-vanity needs one of --area-code or --state")
    return Criteria(local_vanity=_local_vanity(word),
                    area_code=check_npa(area_code) if area_code is not None else None,
                    state=_state(state) if state is not None else None)


# the same checks for fields that arrive from elsewhere (CSV imports)
check_state, clean_name, clean_zip, clean_lata = _state, _name, _zip, _lata


def check_quantity(quantity: int, maximum: int, carrier: str) -> int:
    if not 1 <= quantity <= maximum:
        raise BadInput(f"--quantity must be between 1 and {maximum} for carrier {carrier}")
    return quantity


__all__ = ["KINDS", "STATES", "Criteria", "build", "check_npa", "check_quantity"]
