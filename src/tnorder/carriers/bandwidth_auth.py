"""Bandwidth authentication: OAuth2 client credentials (cached token) or a legacy API user (Basic).

Legacy API users stop authenticating on 2026-12-02 (Bandwidth's notice, v2 note §2.2). tnorder
warns before that date and explains a 401 after it, but never refuses on the date alone: if
Bandwidth extends it, Basic keeps working.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Generator
from datetime import UTC, date, datetime

import httpx

from tnorder.errors import CarrierAuthError, CarrierNotReached

RENEW_BEFORE = 60  # seconds: renew a token about a minute before it expires, as Bandwidth's tools do
DEFAULT_LIFETIME = 3600
BASIC_RETIRES = date(2026, 12, 2)
NOW_VARIABLE = "TNORDER_NOW"  # test-only: an ISO date standing in for today (the retirement clock)


def today() -> date:
    """Today in UTC, or the `TNORDER_NOW` date that tests inject; the one clock of the retirement."""
    injected = os.environ.get(NOW_VARIABLE)
    if injected:
        return date.fromisoformat(injected[:10])
    return datetime.now(UTC).date()


def basic_retirement(account: str | None) -> str:
    """What to tell an operator whose carrier account still uses an API user."""
    when = "stopped" if today() >= BASIC_RETIRES else "stops"
    who = f"carrier account {account!r}" if account else "this carrier account"
    return (f"{who} uses a Bandwidth API user (Basic auth); Bandwidth {when} accepting "
            f"API-user credentials on {BASIC_RETIRES.isoformat()}. Create OAuth2 client credentials in the "
            "Bandwidth App (Account > API Credentials), put them in two environment variables and re-add the "
            "account with --client-id-env/--client-secret-env")


class ClientCredentials(httpx.Auth):
    """Fetches a bearer token with the client id and secret, caches it, renews it before expiry."""

    def __init__(self, carrier: str, token_url: str, client_id: str, client_secret: str,
                 http: httpx.Client) -> None:
        self.carrier = carrier
        self.token_url = token_url
        self._client = (client_id, client_secret)
        self._http = http
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: one fresh token, one retry
            request.headers["Authorization"] = f"Bearer {self.token(renew=True)}"
            yield request

    def token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or not self._token or time.time() > self._expires - RENEW_BEFORE:
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        """A token before the request it authorises: however fetching it fails, that request was
        never sent (`CarrierNotReached`, a plain carrier error, never an unknown outcome)."""
        try:
            # the token endpoint answers JSON: the API client's `Accept: application/xml` is replaced
            response = self._http.post(
                self.token_url, data={"grant_type": "client_credentials"}, auth=self._client,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise CarrierNotReached(self.carrier, f"token endpoint unreachable ({type(exc).__name__}); "
                                    "nothing was sent") from None
        if response.status_code in (400, 401, 403):
            raise CarrierAuthError(self.carrier, "OAuth2 client credentials were refused: check the client id "
                                   "and secret variables of this carrier account", str(response.status_code))
        if response.status_code != 200:
            raise CarrierNotReached(self.carrier, f"token endpoint answered HTTP {response.status_code}; "
                                    "nothing was sent")
        try:
            body = response.json()
            self._token = str(body["access_token"])
        except (ValueError, KeyError, TypeError):
            raise CarrierNotReached(self.carrier, "token endpoint answered without an access_token; "
                                    "nothing was sent") from None
        self._expires = time.time() + _lifetime(body.get("expires_in"))


def _lifetime(value: object) -> float:
    """`expires_in` as the server sent it, if it is a sane number of seconds; else the default."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME
    return seconds if math.isfinite(seconds) and 0 < seconds <= 86400 * 30 else DEFAULT_LIFETIME
