"""Values for shell completion: inventory types, carriers, accounts, customers, lines, statuses,
criteria enumerations and pending order references.

A completion runs on every Tab press, so each answer is one read of the config file (TOML, no
schema check) or one indexed query on the store through the `sqlite3` driver (no SQLAlchemy, no
SQLModel, no carrier). A store that does not exist yet is never created (it is opened read-only)
and never migrated; anything that goes wrong yields no values rather than text in the shell.

Each callback takes Typer's `(ctx, incomplete)` and returns `(value, help)` pairs; Typer keeps
those that start with what was typed.
"""

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import typer

Values = list[tuple[str, str]]
MAX_VALUES = 200  # a screenful is plenty; a longer list would only scroll


def quiet(source: Callable[[typer.Context, str], Values]) -> Callable[[typer.Context, str], Values]:
    """`source`, answering no values instead of raising: a shell prompt is no place for a traceback."""

    def callback(ctx: typer.Context, incomplete: str) -> Values:
        try:
            return source(ctx, incomplete)
        except Exception:
            return []

    callback.__name__ = source.__name__
    callback.__doc__ = source.__doc__
    return callback


def _matching(pairs: Iterable[tuple[str, str]], incomplete: str) -> Values:
    return [(value, help_) for value, help_ in pairs if value.startswith(incomplete)][:MAX_VALUES]


# --- the config file -------------------------------------------------------------------------


def _config() -> dict[str, Any]:
    """The config as parsed TOML (the built-in default when there is no file)."""
    import tomllib

    from tnorder.settings import config_path, default_config

    path = config_path()
    if not path.is_file():
        return default_config()
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _section(name: str, describe: Callable[[dict[str, Any]], str], incomplete: str) -> Values:
    entries = _config().get(name)
    if not isinstance(entries, dict):
        return []
    return _matching(((key, describe(value) if isinstance(value, dict) else "")
                      for key, value in sorted(entries.items())), incomplete)


@quiet
def inventory_types(ctx: typer.Context, incomplete: str) -> Values:
    """Inventory types in the config, with the account each orders from."""
    return _section("inventory_types", lambda v: f"account {v.get('account', '?')}", incomplete)


@quiet
def carriers(ctx: typer.Context, incomplete: str) -> Values:
    """Carriers in the config, with their kind."""
    return _section("carriers", lambda v: str(v.get("kind", "")), incomplete)


@quiet
def accounts(ctx: typer.Context, incomplete: str) -> Values:
    """Carrier accounts in the config, with their carrier."""
    return _section("accounts", lambda v: f"carrier {v.get('carrier', '?')}", incomplete)


@quiet
def carrier_kinds(ctx: typer.Context, incomplete: str) -> Values:
    """Carrier plugins installed (read from the entry points, none loaded)."""
    from tnorder.carriers import installed

    return _matching(((name, "carrier plugin") for name in sorted(installed())), incomplete)


# --- fixed enumerations ------------------------------------------------------------------------


@quiet
def number_statuses(ctx: typer.Context, incomplete: str) -> Values:
    from tnorder.statuses import NUMBER_STATUSES

    return _matching(((status, "number status") for status in NUMBER_STATUSES), incomplete)


@quiet
def order_statuses(ctx: typer.Context, incomplete: str) -> Values:
    from tnorder.statuses import FINAL_ORDER_STATUSES, PENDING_ORDER_STATUSES

    return _matching(((status, "order status") for status in (*PENDING_ORDER_STATUSES, *FINAL_ORDER_STATUSES)),
                     incomplete)


@quiet
def states(ctx: typer.Context, incomplete: str) -> Values:
    """Two-letter US states, with their names."""
    from tnorder.usgeo import STATES

    return _matching(((code, name) for code, (name, _, _) in sorted(STATES.items())), incomplete)


@quiet
def output_formats(ctx: typer.Context, incomplete: str) -> Values:
    from tnorder.render import FORMATS

    return _matching(((form, "output format") for form in FORMATS), incomplete)


TOLL_FREE_HELP = {"8**": "any toll-free code"}


@quiet
def toll_free_patterns(ctx: typer.Context, incomplete: str) -> Values:
    from tnorder.criteria import TOLL_FREE_PATTERNS

    return _matching(((p, TOLL_FREE_HELP.get(p, f"toll-free code {p[:2]}{p[1]}")) for p in TOLL_FREE_PATTERNS),
                     incomplete)


# --- the store ---------------------------------------------------------------------------------


def _store_path(ctx: typer.Context) -> str | None:
    """The SQLite file `--db`/`TNORDER_DB`/the home names, or None (another database, or no file)."""
    from pathlib import Path

    from tnorder.settings import store_url

    url = store_url(ctx.find_root().params.get("db"))
    if not url.startswith("sqlite:///"):
        return None  # a server database: reaching it may take longer than a Tab press should
    path = url[len("sqlite:///"):].partition("?")[0]
    return path if Path(path).is_file() else None


def _query(ctx: typer.Context, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one read-only query; none when there is no store file."""
    import sqlite3
    from urllib.parse import quote

    path = _store_path(ctx)
    if path is None:
        return []
    conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=0.2)
    with contextlib.closing(conn):
        return conn.execute(sql, params).fetchall()


def _prefix_range(incomplete: str) -> tuple[str, str]:
    """Bounds for `column >= ? AND column < ?`: a prefix search that walks an index (LIKE may not)."""
    return incomplete, incomplete + "\U0010ffff"


@quiet
def customers(ctx: typer.Context, incomplete: str) -> Values:
    """Customer accounts starting with what was typed, with their names."""
    rows = _query(ctx, "SELECT account, name FROM customers WHERE account >= ? AND account < ? "
                       f"ORDER BY account LIMIT {MAX_VALUES}", _prefix_range(incomplete))
    return _matching(rows, incomplete)


@quiet
def lines(ctx: typer.Context, incomplete: str) -> Values:
    """The service lines of the customer already on the command line (its ACCOUNT or --customer)."""
    account = ctx.params.get("account") or ctx.params.get("customer")
    if not account:
        return []
    rows = _query(ctx, "SELECT l.line, coalesce(l.description, '') FROM service_lines l "
                       "JOIN customers c ON c.id = l.customer_id WHERE c.account = ? "
                       f"ORDER BY l.line LIMIT {MAX_VALUES}", (account,))
    return _matching(rows, incomplete)


_ORDER_HELP = "status || ' ' || kind || ' ' || coalesce(quantity, '?') || ' via ' || account || ' · ' || inventory_type"


@quiet
def pending_orders(ctx: typer.Context, incomplete: str) -> Values:
    """References of orders still pending (submitting or pending at the carrier)."""
    from tnorder.statuses import PENDING_ORDER_STATUSES

    marks = ", ".join("?" * len(PENDING_ORDER_STATUSES))
    rows = _query(ctx, f"SELECT ref, {_ORDER_HELP} FROM orders WHERE status IN ({marks}) "
                       f"AND ref IS NOT NULL ORDER BY ref LIMIT {MAX_VALUES}", PENDING_ORDER_STATUSES)
    return _matching(rows, incomplete)


@quiet
def order_refs(ctx: typer.Context, incomplete: str) -> Values:
    """Pending orders' references first; once a reference is partly typed, any order's that matches."""
    pending = pending_orders(ctx, incomplete)
    if len(incomplete) < len("ORD-0"):
        return pending
    rows = _query(ctx, f"SELECT ref, {_ORDER_HELP} FROM orders WHERE ref >= ? AND ref < ? "
                       f"ORDER BY ref LIMIT {MAX_VALUES}", _prefix_range(incomplete))
    seen = {ref for ref, _ in pending}
    return pending + [row for row in _matching(rows, incomplete) if row[0] not in seen]
