"""Telnyx API v2 keys: sent as `Authorization: Bearer …`, read from the variable the account names.

The key is read when the first request leaves (a poll of other accounts runs without it), never
stored in the config, and kept out of every message, log line and repr: httpx puts a header that
it cannot encode into its exception text, so a key that is not a plain token is refused first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator

import httpx

from tnorder.errors import CarrierAuthError, ConfigError
from tnorder.settings import AccountConfig

KEY_FORM = re.compile(r"[\x21-\x7e]{1,1024}")  # printable ASCII, no spaces: what a header can carry
PORTAL = "create one in Mission Control → Auth"


class BearerKey(httpx.Auth):
    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._key}"
        yield request

    def __repr__(self) -> str:
        return "BearerKey(<hidden>)"


def variable(account: AccountConfig) -> str:
    """The name of the variable holding the account's key (checked when the account is opened)."""
    name = account.env.get("api_key_env")
    if not name:
        raise ConfigError(f"carrier account {account.name!r} needs --api-key-env VAR for Telnyx (the environment "
                          f"variable holding an API v2 key; {PORTAL}); Telnyx takes no other credentials")
    return name


def api_key(carrier: str, account: AccountConfig) -> str:
    """The key from its variable; unset, empty or not a token: exit 6 naming the variable."""
    name = variable(account)
    value = os.environ.get(name, "").strip()
    if not value:
        raise CarrierAuthError(carrier, f"no Telnyx API key: ${name} (named by carrier account {account.name!r}) "
                               f"is not set or empty; export it with an API v2 key ({PORTAL})", "no-key")
    if not KEY_FORM.fullmatch(value):
        raise CarrierAuthError(carrier, f"${name} does not hold a Telnyx API key (it has spaces, control or "
                               f"non-ASCII characters); export the key itself ({PORTAL})", "bad-key")
    return value
