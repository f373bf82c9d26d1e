"""Carrier options declared as data: what each kind accepts, with types and ranges.

Light on purpose (no plugin import, no httpx): every command checks the config file against these
before it does anything (config_schema.py). The built-in plugins point at their schema here
(`options_schema`); a third-party plugin declares its own `options_schema` on its class, checked
when the plugin is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tnorder.arguments import DECIMAL, WHOLE


@dataclass(frozen=True)
class Option:
    """One carrier option: its type (`bool`, `number`, `int`, `url`, `choice`, `text`, `id`) and bounds."""

    type: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def problem(self, value: object) -> str | None:
        """What is wrong with `value`, as "expected …"; None when it is fine."""
        from tnorder.config_schema import url_problem

        if self.type == "bool":
            ok = isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))
            return None if ok else "expected true or false"
        if self.type in ("number", "int"):
            return self._number(value)
        if self.type == "url":
            return url_problem(value)
        if self.type == "choice":
            return None if value in self.choices else f"expected one of {', '.join(self.choices)}"
        if self.type == "id" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return None  # `connection_id = 123` as TOML reads it: an id is text, or digits typed bare
        ok = isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable() and not any(
            c.isspace() for c in value)
        return None if ok else "expected a non-empty text without spaces (at most 200 characters)"

    def _number(self, value: object) -> str | None:
        whole = self.type == "int"
        expected = f"expected {'a whole number' if whole else 'a finite number'} from {self.low:g} to {self.high:g}"
        if isinstance(value, bool):
            return expected
        try:
            number = int(value) if whole else float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return expected
        if isinstance(value, str) and not (WHOLE if whole else DECIMAL).fullmatch(value.strip()):
            return expected  # the command line's one digit rule: `1_0`, `+5`, `١`, `1e1` are not numbers here
        if not math.isfinite(number) or not (self.low or 0) <= number <= (self.high or math.inf):
            return expected
        return None


SANDBOX = {"complete_after": Option("number", 0, 86400), "seed": Option("int", 0, 2**31 - 1)}
BANDWIDTH = {"token_url": Option("url"), "partial_allowed": Option("bool"),
             "rate_limit_wait": Option("number", 0, 3600), "api": Option("choice", choices=("v1", "v2")),
             "environment": Option("choice", choices=("prod", "test"))}
BROADVOX = {"namespace": Option("text")}
TELNYX = {"rate_limit_wait": Option("number", 0, 3600)}
BUILT_IN = {"sandbox": SANDBOX, "bandwidth": BANDWIDTH, "broadvox": BROADVOX, "telnyx": TELNYX}

# options of a carrier *account* (`config account add --option KEY=VALUE`), by carrier kind: the
# account-level ids a kind sends with its orders (Telnyx: where the numbers it buys are attached)
TELNYX_ACCOUNT = {"connection_id": Option("id"), "messaging_profile_id": Option("id"),
                  "billing_group_id": Option("id")}
ACCOUNT_BUILT_IN = {"telnyx": TELNYX_ACCOUNT}
