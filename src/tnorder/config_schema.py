"""The config file checked on every read and every write, without importing any plugin.

A hand-edited file with a bad value fails every command with exit 2, naming the file, the key and
what it should hold: a value tnorder cannot use is refused where it is written, not when a carrier
(or the store) trips over it later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tnorder.errors import ConfigError

NAME_MAX = 64
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_FIELDS = ("username_env", "password_env", "client_id_env", "client_secret_env", "api_key_env")
ID_FIELDS = ("account_id", "site_id", "peer_id")
ACCOUNT_KEYS = frozenset({"carrier", *ID_FIELDS, *ENV_FIELDS})
TYPE_KEYS = frozenset({"account"})
CARRIER_KEYS = frozenset({"kind", "url", "options"})
SECTIONS = ("carriers", "accounts", "inventory_types")
# free text an operator may keep on any entry; tnorder never reads it (so a typo in a real option,
# `partial_alowed`, is still refused)
NOTES = frozenset({"note", "label", "description"})


def _note_problem(value: object) -> str | None:
    ok = isinstance(value, str) and len(value) <= 200 and value.isprintable()
    return None if ok else "expected a printable note of at most 200 characters"


def shown(value: object, limit: int = 40) -> str:
    """A value as an error may quote it: short, and never a password given inside a URL."""
    if isinstance(value, str):
        value = re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", value)
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def name_problem(value: object) -> str | None:
    if (isinstance(value, str) and 0 < len(value) <= NAME_MAX and value.isprintable()
            and value == value.strip()):
        return None
    return f"expected a name of 1 to {NAME_MAX} printable characters without surrounding spaces"


def url_problem(value: object) -> str | None:
    """http(s), a host, no credentials (they belong in environment variables, never in config)."""
    from urllib.parse import urlsplit

    expected = "expected an http:// or https:// URL with a host"
    if not isinstance(value, str) or not value.isprintable() or any(c.isspace() for c in value) or len(value) > 500:
        return expected
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
        host = parts.hostname
    except ValueError:
        return expected
    if parts.scheme not in ("http", "https") or not host:
        return expected
    if parts.username is not None or parts.password is not None:
        return "expected a URL without user name or password (name the variables with --username-env etc.)"
    return None


def _id_problem(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    ok = isinstance(value, str) and 0 < len(value) <= NAME_MAX and value.isprintable() and not any(
        c.isspace() for c in value)
    return None if ok else f"expected a non-empty id of at most {NAME_MAX} characters without spaces"


def _env_problem(value: object) -> str | None:
    ok = isinstance(value, str) and len(value) <= 128 and ENV_NAME.fullmatch(value)
    return None if ok else "expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"


def carrier_problems(entry: dict[str, Any]) -> list[tuple[str, str, object]]:
    """(key, expected, value) for each bad value of one carrier entry."""
    from tnorder.carriers.options import BUILT_IN

    found = []
    kind = entry.get("kind")
    if name_problem(kind):
        found.append(("kind", "expected the name of an installed carrier plugin (sandbox, bandwidth, …)", kind))
    if "url" in entry and url_problem(entry["url"]):
        found.append(("url", url_problem(entry["url"]) or "", entry["url"]))
    nested = entry.get("options", {})
    if not isinstance(nested, dict):
        return [*found, ("options", "expected a table of options", nested)]
    options = nested | {k: v for k, v in entry.items() if k not in CARRIER_KEYS}
    schema = BUILT_IN.get(kind) if isinstance(kind, str) else None
    for key, value in options.items():
        if key in NOTES:
            if _note_problem(value):
                found.append((key, _note_problem(value) or "", value))
        elif schema is not None and key not in schema:
            known = ", ".join(sorted(schema)) or "none"
            found.append((key, f"no such option for kind {kind} (its options: {known})", value))
        elif schema is not None and schema[key].problem(value):
            found.append((key, schema[key].problem(value) or "", value))
        elif isinstance(value, dict | list):
            found.append((key, "expected a single value", value))
    return found


def account_problems(entry: dict[str, Any], kind: object = None) -> list[tuple[str, str, object]]:
    """Bad values of one carrier account; any other key must be an account option of its carrier's
    `kind` (carriers/options.py: Telnyx's connection_id …), checked against that kind's schema."""
    from tnorder.carriers.options import ACCOUNT_BUILT_IN

    schema = ACCOUNT_BUILT_IN.get(kind, {}) if isinstance(kind, str) else {}
    found: list[tuple[str, str, object]] = []
    if name_problem(entry.get("carrier")):
        found.append(("carrier", "expected the name of a carrier", entry.get("carrier")))
    for key, value in entry.items():
        problem = _account_value_problem(key, value, schema, kind)
        if problem:
            found.append((key, problem, value))
    return found


def _account_value_problem(key: str, value: object, schema: dict, kind: object) -> str | None:
    if key in NOTES:
        return _note_problem(value)
    if key in ID_FIELDS:
        return _id_problem(value)
    if key in ENV_FIELDS:
        return _env_problem(value)
    if key in schema:
        return schema[key].problem(value)
    if key in ACCOUNT_KEYS:
        return None
    options = f"; options of kind {kind}: {', '.join(sorted(schema))}" if schema else ""
    return f"no such setting (known: {', '.join(sorted(ACCOUNT_KEYS))}{options})"


def type_problems(entry: dict[str, Any]) -> list[tuple[str, str, object]]:
    found: list[tuple[str, str, object]] = []
    if name_problem(entry.get("account")):
        found.append(("account", "expected the name of a carrier account", entry.get("account")))
    found += [(k, "no such setting (known: account)", v) for k, v in entry.items() if k not in TYPE_KEYS | NOTES]
    found += [(k, _note_problem(v) or "", v) for k, v in entry.items() if k in NOTES and _note_problem(v)]
    return found


CHECKS = {"carriers": carrier_problems, "accounts": account_problems, "inventory_types": type_problems}


def section_problems(section: str, name: object, entry: object,
                     data: dict[str, Any] | None = None) -> list[tuple[str, str, object]]:
    """Problems of one entry, keys relative to the entry (`data`: the whole config, whose carriers
    say which kind an account's options belong to)."""
    if name_problem(name):
        return [("", name_problem(name) or "", name)]
    if not isinstance(entry, dict):
        return [("", "expected a table of settings", entry)]
    if section == "accounts":
        return account_problems(entry, _kind_of(data or {}, entry.get("carrier")))
    return CHECKS[section](entry)


def _kind_of(data: dict[str, Any], carrier: object) -> object:
    carriers = data.get("carriers")
    entry = carriers.get(carrier) if isinstance(carriers, dict) and isinstance(carrier, str) else None
    return entry.get("kind") if isinstance(entry, dict) else None


def check_config(data: dict[str, Any], path: Path) -> None:
    """Raise ConfigError for the first bad value of a config file: file, key, expected value."""
    for section in SECTIONS:
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            _fail(path, section, "expected a table", entries)
        for name, entry in entries.items():
            for key, expected, value in section_problems(section, name, entry, data):
                _fail(path, _dotted(section, name, key), expected, value)


def check_entry(section: str, name: str, entry: dict[str, Any], what: str,
                data: dict[str, Any] | None = None) -> None:
    """The same checks for a value given on the command line (`config … add`)."""
    for key, expected, value in section_problems(section, name, entry, data):
        where = f"{what} {shown(name)}" + (f": {key}" if key else "")
        raise ConfigError(f"{where}: {expected}, not {shown(value)}")


def _dotted(section: str, name: object, key: str) -> str:
    def part(text: object) -> str:
        text = str(text)
        return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else shown(text)

    return ".".join(part(p) for p in (section, name, key) if p != "")


def _fail(path: Path, key: str, expected: str, value: object) -> None:
    raise ConfigError(f"{path}: {key}: {expected}, not {shown(value)}; fix the file or remove that entry")
