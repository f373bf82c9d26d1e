"""The emulator's gate: HTTP Basic and OAuth2 client-credentials auth, and injected faults.

With no credentials configured any Basic user and any OAuth client is let in (the emulator is
for rehearsal); once any credential is configured, only the configured ones are. Bearer tokens
are always checked: they must be ones this emulator issued and that have not expired.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tnorder.sim.bandwidth_xml import DECLARATION, XML, Reply, node, xml_reply

TOKEN_SECONDS = 3600
FAULTS = ("server_error", "rate_limited", "malformed")
UNAUTHORIZED_BODY = node("ErrorResponse", node("Description", "Unauthorized"))


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    telnyx_key: str | None = field(default=None, repr=False)  # the Telnyx face's Bearer key, apart

    @property
    def checked(self) -> bool:
        """Whether Basic and OAuth callers are checked (the Telnyx key guards its own face only)."""
        return any(v is not None for v in (self.username, self.password, self.client_id, self.client_secret))

    def describe(self) -> str:
        """For the start-up line: who may call, never a secret."""
        if not self.checked:
            return "credentials: any"
        parts = [f"Basic user {self.username}" if self.username is not None else "no Basic auth",
                 f"OAuth client {self.client_id}" if self.client_id is not None else "no OAuth"]
        return "; ".join(parts)


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def decode_basic(value: str) -> tuple[str, str] | None:
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def unauthorized(scheme: str = "Basic") -> Reply:
    return xml_reply(401, UNAUTHORIZED_BODY, {"WWW-Authenticate": f'{scheme} realm="Bandwidth API emulator"'})


def json_reply(status: int, document: dict, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(document).encode()
    return Reply(status, body, {"Content-Type": "application/json", "Cache-Control": "no-store"} | (headers or {}))


class Auth:
    def __init__(self, credentials: Credentials | None = None, token_seconds: int = TOKEN_SECONDS) -> None:
        self.credentials = credentials or Credentials()
        self.token_seconds = token_seconds
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (client id, expiry)
        self._lock = threading.Lock()

    def caller(self, header: str | None, bearer_only: bool = False) -> str | None:
        """Who is calling (Basic user or OAuth client id), or None when not let in."""
        scheme, _, value = (header or "").strip().partition(" ")
        if scheme.lower() == "basic" and not bearer_only:
            pair = decode_basic(value)
            return self._basic(*pair) if pair else None
        if scheme.lower() == "bearer":
            with self._lock:
                client, expires = self._tokens.get(value.strip(), ("", 0.0))
            return client if expires > time.time() else None
        return None

    def _basic(self, user: str, password: str) -> str | None:
        expected = self.credentials
        if not expected.checked:
            return user or "apiuser"
        return user if _same(user, expected.username) and _same(password, expected.password) else None

    def _client_ok(self, client_id: str, secret: str) -> bool:
        expected = self.credentials
        if not expected.checked:
            return True
        return _same(client_id, expected.client_id) and _same(secret, expected.client_secret)

    def token(self, header: str | None, body: bytes) -> Reply:
        """`POST /api/v1/oauth2/token`: client auth by Basic (or form fields), grant client_credentials."""
        form = parse_qs(body.decode("utf-8", "replace"))
        scheme, _, value = (header or "").strip().partition(" ")
        client = decode_basic(value) if scheme.lower() == "basic" else None
        if client is None and "client_id" in form:
            client = (form["client_id"][0], form.get("client_secret", [""])[0])
        if client is None or not self._client_ok(*client):
            return json_reply(401, {"error": "invalid_client"}, {"WWW-Authenticate": 'Basic realm="oauth2"'})
        grant = form.get("grant_type", [None])[0]
        if grant != "client_credentials":
            return json_reply(400, {"error": "invalid_request" if grant is None else "unsupported_grant_type"})
        return json_reply(200, {"access_token": self._issue(client[0]), "token_type": "bearer",
                                "expires_in": self.token_seconds})

    def _issue(self, client_id: str) -> str:
        token, now = secrets.token_urlsafe(32), time.time()
        with self._lock:
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (client_id, now + self.token_seconds)
        return token


class Faults:
    """Each API call fails with probability `rate`: a 500, a 429, or a truncated 200 body.

    Drawn before the call touches the world, so an injected fault never changes its state.
    """

    def __init__(self, rate: float = 0.0, seed: int = 0) -> None:
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        if self.rate <= 0:
            return None
        with self._lock:
            return self._random.choice(FAULTS) if self._random.random() < self.rate else None


def fault_reply(kind: str) -> Reply:
    if kind == "rate_limited":
        # the next whole second (epoch seconds, as Bandwidth sends it): a wait under a second
        return Reply(429, b"", {"X-RateLimit-Reset": str(int(time.time()) + 1)})
    if kind == "malformed":
        return Reply(200, DECLARATION + b"<OrderResponse><OrderStatus>COMP", {"Content-Type": XML})
    inner = node("ResponseStatus", node("ErrorCode", "1000"), node("Description", "Internal server error"))
    return xml_reply(500, node("ErrorResponse", inner))
