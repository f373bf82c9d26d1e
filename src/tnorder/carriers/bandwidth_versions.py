"""What differs between Bandwidth's v1 ("Iris", 10-digit numbers) and v2 (Universal Platform, E.164) APIs.

One plugin speaks both through one code path; this table is the whole difference. Sources and the
points still unverified: shared/carriers/bandwidth-v2.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tnorder.errors import ConfigError
from tnorder.numbers import ten_digit

ENVIRONMENTS = ("prod", "test")
# tokens of one realm are refused by the other, so the environment picks both hosts (v2 note §2.3)
TOKEN_URLS = {"prod": "https://api.bandwidth.com/api/v1/oauth2/token",
              "test": "https://test.api.bandwidth.com/api/v1/oauth2/token"}

# Canadian NPAs: v2 wants countryCodeA3=CAN for them, one value only (v2 note, CONFLICT C1)
_CANADIAN = (
    "204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 460 "
    "468 474 506 514 519 548 579 581 584 587 600 604 613 622 639 647 672 683 705 709 742 753 778 780 782 "
    "807 819 825 867 873 879 902 905 942"
)
CANADIAN_NPAS = frozenset(_CANADIAN.split())


@dataclass(frozen=True)
class Version:
    name: str
    hosts: dict[str, str]  # environment -> default API base URL
    e164: bool  # telephone numbers on the wire (bodies and filters): E.164, else 10 digits
    country: bool  # countryCodeA3 goes with areaCode and city searches
    basic: bool  # legacy API-user (Basic) credentials accepted by tnorder
    page_cursor: bool = False  # a list's `page` is the id of the page's first element, else a page number

    def tn(self, e164: str) -> str:
        """A stored (E.164) number in this version's wire form."""
        return e164 if self.e164 else ten_digit(e164)


V1 = Version("v1", {"prod": "https://dashboard.bandwidth.com/api",
                    # the v1 forms on the new host (v2 note §1); the test host's v1 path is unverified
                    "test": "https://test.api.bandwidth.com/api/v1"}, e164=False, country=False, basic=True)
V2 = Version("v2", {"prod": "https://api.bandwidth.com/api/v2",
                    "test": "https://test.api.bandwidth.com/api/v2"}, e164=True, country=True, basic=False,
             page_cursor=True)  # "ID of the first element in a page" (bandwidth-v2.md §3.7)
VERSIONS = {"v1": V1, "v2": V2}


def version_of(options: dict) -> Version:
    name = str(options.get("api", "v1")).lower()
    if name not in VERSIONS:
        raise ConfigError(f"bandwidth option api must be v1 or v2, not {name!r}")
    return VERSIONS[name]


def environment_of(options: dict) -> str:
    env = str(options.get("environment", "prod")).lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"bandwidth option environment must be prod or test, not {env!r}")
    return env


def country_of(npa: str) -> str:
    return "CAN" if npa in CANADIAN_NPAS else "USA"


def token_url(options: dict, custom_url: str | None) -> str:
    """`token_url` when set; else the environment's, when tnorder picked the host too.

    A custom `url` never borrows an environment's token URL (a test-realm token is refused by
    production and the other way round): on Bandwidth's own hosts it follows the host, elsewhere
    (the emulator) it is `/api/v1/oauth2/token` on the same origin, where Bandwidth keeps it.
    """
    if options.get("token_url"):
        return str(options["token_url"])
    if not custom_url:
        return TOKEN_URLS[environment_of(options)]
    parts = urlsplit(custom_url)
    host = parts.hostname or ""
    if host.endswith("bandwidth.com"):
        return TOKEN_URLS["test" if host.startswith("test.") else "prod"]
    return f"{parts.scheme}://{parts.netloc}/api/v1/oauth2/token"
