"""The two faces of the Bandwidth emulator over one world: v1 ("Iris") and v2 (Universal Platform).

Everything that differs is in this table; the handlers ask the request's face instead of
branching on a version. Wire shapes: shared/carriers/bandwidth.md (v1), bandwidth-v2.md (v2).
Where the v2 note leaves a choice open, the emulator answers:
- a 10-digit number in a v2 body: 400, code 1022 (as observed on other v2 resources);
- `areaCode` or `city` without `countryCodeA3`: 4010 (the real code is unknown);
- `Links` of v2 lists point at `/v1.0/...`, as the v2 spec's own samples do, so a client that
  follows them verbatim lands on the wrong version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NANP = re.compile(r"[2-9]\d\d[2-9]\d{6}")
E164_NANP = re.compile(r"\+1([2-9]\d\d[2-9]\d{6})")


@dataclass(frozen=True)
class Face:
    name: str
    e164: bool  # telephone numbers on the wire are E.164 (else 10 digits)
    country: bool  # countryCodeA3 required with areaCode and city
    bearer_only: bool  # OAuth2 tokens only, no API-user Basic auth
    link_prefix: str | None  # where `Links` point (None: the prefix the client used)

    def out(self, number: str) -> str:
        """A world (E.164) number in this face's wire form."""
        if self.e164 or not number.startswith("+1"):
            return number
        return number[2:]

    def number_in(self, wire: str) -> str | None:
        """A number from a request body, as E.164 for the world; None when it is not in this face's form."""
        if self.e164:
            found = E164_NANP.fullmatch(wire)
            return f"+1{found.group(1)}" if found else None
        return f"+1{wire}" if NANP.fullmatch(wire) else None

    def wrong_form(self, wire: str) -> tuple[str, str] | None:
        """(code, text) when a number is well formed but in the other version's form."""
        if self.e164 and NANP.fullmatch(wire):
            return "1022", (f"TelephoneNumber '{wire}' is in an invalid format. "
                            "Retry request with all E.164 formatted phone numbers.")
        return None


V1 = Face("v1", e164=False, country=False, bearer_only=False, link_prefix=None)
V2 = Face("v2", e164=True, country=True, bearer_only=True, link_prefix="/v1.0")
PREFIXES = (("/api/v2", V2), ("/api/v1", V1), ("/v1.0", V1), ("/api", V1))
COUNTRIES = ("USA", "CAN")
