"""Changing the config: adding, changing and removing carriers, carrier accounts and inventory types.

Every change is a read-modify-write of the file as it is now, under the config file's lock
(`settings.editing`), so concurrent writers keep each other's changes. A change that could alter
what an order means (remove, set) also holds the store's write lock while it checks what uses the
entry and rewrites the file: an order's write-ahead, under that same lock, either comes first (and
the change sees it and is refused) or reads the file already changed (and is refused itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tnorder.errors import BadInput, ConfigError
from tnorder.services.inventory import holders
from tnorder.settings import SECRET_FIELDS, WHAT, Config, editing, locked
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlmodel import Session

    from tnorder.services.context import Context

PARENT = {"accounts": ("carriers", "carrier"), "inventory_types": ("accounts", "account")}
ORDER_COLUMN = {"carriers": "carrier", "accounts": "account", "inventory_types": "inventory_type"}
# the kinds of credentials an account names variables for (one kind per account)
CREDENTIALS = (("username_env", "password_env"), ("client_id_env", "client_secret_env"), ("api_key_env",))


def add(ctx: Context, section: str, name: str, values: dict[str, Any], replace: bool = False) -> None:
    if not name.strip():
        raise BadInput(f"the {WHAT[section]} needs a name")
    from tnorder.config_schema import check_entry

    entry = {k: v for k, v in values.items() if v is not None}
    check_entry(section, name, entry, WHAT[section], ctx.config.data)
    with editing(ctx.config.path) as config:
        if name in config.names(section) and not replace:
            raise BadInput(f"{WHAT[section]} {name!r} exists already in {config.path}")
        _need_parent(config, section, entry)
        check_entry(section, name, entry, WHAT[section], config.data)  # its carrier as the file says now
        config.put(section, name, entry)
    ctx.config = config


def check_account(ctx: Context, values: dict[str, Any]) -> list[str]:
    """The carrier plugin's say on a new account (e.g. Bandwidth v2 refuses Basic): warnings to show."""
    check_credentials(values)
    return _plugin_says(ctx.config, values)


def check_credentials(values: dict[str, Any]) -> None:
    """One kind of credentials, each kind whole: refused before anything is written."""
    given = [pair for pair in CREDENTIALS if any(values.get(k) is not None for k in pair)]
    if len(given) > 1:
        raise BadInput("use either " + ", ".join("/".join(_flag(k) for k in pair) for pair in CREDENTIALS[:-1])
                       + f" or {_flag(CREDENTIALS[-1][0])}: one kind of credentials")
    for pair in given:
        if not all(values.get(k) is not None for k in pair):
            raise BadInput(f"give both {' and '.join(_flag(k) for k in pair)}")


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _plugin_says(config: Config, values: dict[str, Any]) -> list[str]:
    from tnorder.carriers import carrier_class

    if values.get("carrier") not in config.names("carriers"):
        return []  # `add` names the missing carrier
    carrier = config.carrier(values["carrier"])
    credentials = {k: v for k, v in values.items() if k in SECRET_FIELDS and v}
    return carrier_class(carrier.kind).check_account(carrier, credentials)


def remove(ctx: Context, section: str, name: str) -> None:
    """Refused while anything still uses it: config entries, pending orders, or numbers in the store."""
    _entry(ctx.config, section, name)
    with ctx.store.session() as early:  # a quick answer; checked again under the locks
        _refuse_removal(ctx, early, ctx.config, section, name)
    pause("config-decided")
    with _changing(ctx) as (config, s):
        _refuse_removal(ctx, s, config, section, name)
        config.remove(section, name)


def set_carrier(ctx: Context, name: str, url: str | None, options: dict[str, Any]) -> None:
    """Change a carrier's URL or options in place; refused while pending orders use it."""
    if url is None and not options:
        raise BadInput("nothing to change: give --url URL or --option KEY=VALUE")
    _entry(ctx.config, "carriers", name)
    pause("config-decided")
    with _changing(ctx) as (config, s):
        entry = _with_options(_entry(config, "carriers", name), url, options)
        _check_carrier(name, entry)
        _refuse_pending(s, "carriers", name)
        config.put("carriers", name, entry)


def set_account(ctx: Context, name: str, values: dict[str, Any]) -> list[str]:
    """Change a carrier account in place (the options of `add`; a credential pair given replaces the
    other kind); refused while pending orders use it. Returns the plugin's warnings."""
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        raise BadInput("nothing to change: give at least one of the options of `config account add`")
    _entry(ctx.config, "accounts", name)
    pause("config-decided")
    with _changing(ctx) as (config, s):
        current = _entry(config, "accounts", name)
        entry = _with_credentials(current, given)
        _check_account(config, name, entry)
        _refuse_pending(s, "accounts", name)
        if entry["carrier"] != current.get("carrier") and holders(ctx, account=name):
            raise BadInput(f"carrier account {name!r} still holds numbers at carrier {current.get('carrier')!r}: "
                           "its carrier cannot change (add a new account instead)")
        warnings = _plugin_says(config, entry)
        config.put("accounts", name, entry)
    return warnings


@contextmanager
def _changing(ctx: Context) -> Iterator[tuple[Config, Session]]:
    """The file as it is now, to change while no order can be written ahead: the config's lock, then
    the store's write lock, both held until the file is written (orders take only the store's)."""
    with locked(ctx.config.path):
        config = Config.load(ctx.config.path)
        with ctx.store.write() as s:
            yield config, s
            config.save()
    ctx.config = config


def _entry(config: Config, section: str, name: str) -> dict[str, Any]:
    if name not in config.names(section):
        known = ", ".join(config.names(section)) or "none"
        raise BadInput(f"no {WHAT[section]} named {name!r} (known: {known})")
    return dict(config.data[section][name])


def _need_parent(config: Config, section: str, entry: dict[str, Any]) -> None:
    if section in PARENT:
        parent_section, key = PARENT[section]
        if entry.get(key) not in config.names(parent_section):
            raise ConfigError(f"no {WHAT[parent_section]} named {entry.get(key)!r}; "
                              f"known: {', '.join(config.names(parent_section)) or 'none'}")


def _with_options(entry: dict[str, Any], url: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """`entry` with a new URL and options; an option kept in an `[options]` table is changed there."""
    nested = dict(entry["options"]) if isinstance(entry.get("options"), dict) else None
    if url is not None:
        entry["url"] = url
    for key, value in options.items():
        if nested is not None and key in nested:
            nested[key] = value
        else:
            entry[key] = value
    if nested is not None:
        entry["options"] = nested
    return entry


def _check_carrier(name: str, entry: dict[str, Any]) -> None:
    """What `config carrier add` checks, on the entry as it will be written."""
    from tnorder.carriers import carrier_class
    from tnorder.config_schema import CARRIER_KEYS, check_entry

    check_entry("carriers", name, entry, WHAT["carriers"])
    plugin = carrier_class(entry["kind"])
    nested = entry.get("options", {})
    plugin.check_options(nested | {k: v for k, v in entry.items() if k not in CARRIER_KEYS})
    plugin.check_url(entry.get("url"))


def _with_credentials(entry: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`entry` with the given values; giving one kind of credentials drops the other kinds."""
    kinds = [pair for pair in CREDENTIALS if any(k in given for k in pair)]
    if len(kinds) > 1:
        check_credentials(given)
    for pair in CREDENTIALS:
        if kinds and pair not in kinds:
            for key in pair:
                entry.pop(key, None)
    return entry | given


def _check_account(config: Config, name: str, entry: dict[str, Any]) -> None:
    from tnorder.config_schema import check_entry

    for pair in CREDENTIALS:
        if any(entry.get(k) for k in pair) and not all(entry.get(k) for k in pair):
            raise BadInput(f"give both {' and '.join(_flag(k) for k in pair)}")
    check_entry("accounts", name, entry, WHAT["accounts"], config.data)
    _need_parent(config, "accounts", entry)


def _refuse_removal(ctx: Context, s: Session, config: Config, section: str, name: str) -> None:
    _entry(config, section, name)
    _refuse_pending(s, section, name)
    users = config.users_of(section, name)
    if users:
        child = "carrier accounts" if section == "carriers" else "inventory types"
        raise BadInput(f"{WHAT[section]} {name!r} is used by {child} {', '.join(users)}; remove those first")
    held = holders(ctx, **{ORDER_COLUMN[section]: name})
    if held:
        from tnorder.storecheck import shown

        raise BadInput(f"{WHAT[section]} {name!r} still holds {held} number(s) in {shown(ctx.store.url)}; "
                       "disconnect them, or move them with `tnorder inventory move`, first")


def _refuse_pending(s: Session, section: str, name: str) -> None:
    """Orders not final that name this carrier, account or inventory type: polling needs it as it is."""
    following = _pending_orders(s, ORDER_COLUMN[section], name)
    if following:
        more = f" and {len(following) - 5} more" if len(following) > 5 else ""
        raise BadInput(f"{WHAT[section]} {name!r} is used by pending order(s) {', '.join(following[:5])}{more}: "
                       "`tnorder orders poll` must settle them first")


def _pending_orders(s: Session, key: str, name: str) -> list[str]:
    from sqlalchemy import column, select, table

    from tnorder.statuses import PENDING_ORDER_STATUSES

    orders = table("orders", column("ref"), column("status"), column(key))
    query = select(orders.c.ref).where(orders.c[key] == name, orders.c.status.in_(PENDING_ORDER_STATUSES))
    return list(s.execute(query.order_by(orders.c.ref)).scalars())
