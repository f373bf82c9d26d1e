"""`tnorder config …`: carriers, carrier accounts and inventory types."""


from typing import Annotated

import typer

from tnorder import completing
from tnorder.commands.common import CsvOpt, FieldsOpt, FormatOpt, JsonlOpt, JsonOpt, context, output

app = typer.Typer(help="Carriers, carrier accounts and inventory types.", no_args_is_help=True)
carrier_app = typer.Typer(help="Carriers: who numbers are ordered from.", no_args_is_help=True)
account_app = typer.Typer(help="Carrier accounts: credentials and account ids.", no_args_is_help=True)
type_app = typer.Typer(help="Inventory types: folders that hold numbers.", no_args_is_help=True)
app.add_typer(carrier_app, name="carrier")
app.add_typer(account_app, name="account")
app.add_typer(type_app, name="inventory-type")
CarrierName = Annotated[str, typer.Argument(autocompletion=completing.carriers)]
AccountName = Annotated[str, typer.Argument(autocompletion=completing.accounts)]
TypeName = Annotated[str, typer.Argument(autocompletion=completing.inventory_types)]


@app.command("path")
def path() -> None:
    """Print where the config file is (it may not exist yet: the built-in default applies)."""
    from tnorder.settings import config_path

    print(config_path())


def _option(text: str) -> tuple[str, object]:
    import tomllib

    from tnorder.arguments import DECIMAL, WHOLE
    from tnorder.errors import BadInput

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise BadInput(f"--option {text!r} must be KEY=VALUE")
    raw = raw.strip()
    # numbers and booleans keep their type in the TOML file, but only in the one digit rule's form:
    # TOML would also read `1_0`, `+5` and `1e1` as numbers, which no other tnorder input takes
    if raw in ("true", "false") or WHOLE.fullmatch(raw) or DECIMAL.fullmatch(raw):
        try:
            return key.strip(), tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:  # `.5` is a number to tnorder, not to TOML
            return key.strip(), float(raw)
    return key.strip(), raw


KIND_HELP = ("Plugin: sandbox, bandwidth, broadvox, telnyx or a third-party one. The broadvox interface is modeled "
             "on Broadvox's known SOAP operation names (no public specification exists) and verified only against "
             "tnorder's emulator.")
URL_HELP = ("API base URL (broadvox: the SOAP endpoint URL, required; telnyx: the API v2 base ending in /v2, "
            "default https://api.telnyx.com/v2).")


@carrier_app.command("add")
def carrier_add(
    ctx: typer.Context,
    name: str,
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP, autocompletion=completing.carrier_kinds)],
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="KEY=VALUE, repeatable.")] = None,
) -> None:
    """Add a carrier."""
    from tnorder.carriers import carrier_class
    from tnorder.services import config_admin

    options = dict(_option(o) for o in option or [])
    # refuses an uninstalled or broken kind (listing what is installed) and bad options
    carrier_class(kind).check_options(options)
    carrier_class(kind).check_url(url)
    config_admin.add(context(ctx), "carriers", name, {"kind": kind, "url": url} | options)
    print(f"carrier {name} ({kind}) added")


@carrier_app.command("set")
def carrier_set(
    ctx: typer.Context,
    name: CarrierName,
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="KEY=VALUE, repeatable.")] = None,
) -> None:
    """Change a carrier's URL or options in place (refused while pending orders use it).

    The carrier as it will be is checked as `add` checks a new one."""
    from tnorder.services import config_admin

    config_admin.set_carrier(context(ctx), name, url, dict(_option(o) for o in option or []))
    print(f"carrier {name} changed")


@carrier_app.command("list")
def carrier_list(
    ctx: typer.Context, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """List carriers."""
    keys = ("name", "kind", "url", "options")
    output(form, fields, keys, json=json, jsonl=jsonl, csv=csv)
    cfg = context(ctx).config
    rows = []
    for n in cfg.names("carriers"):
        raw = dict(cfg.data["carriers"][n])
        kind, url = raw.pop("kind", None), raw.pop("url", None)
        options = raw.pop("options", {}) | raw
        rows.append({"name": n, "kind": kind, "url": url, "options": options or None})
    _show(rows, [("name", "Name"), ("kind", "Kind"), ("url", "URL")], keys)


@carrier_app.command("remove")
def carrier_remove(ctx: typer.Context, name: CarrierName) -> None:
    """Remove a carrier (refused while accounts or numbers use it)."""
    from tnorder.services import config_admin

    config_admin.remove(context(ctx), "carriers", name)
    print(f"carrier {name} removed")


EnvOpt = Annotated[str | None, typer.Option(help="Name of the environment variable holding it.")]


CarrierOpt = Annotated[str, typer.Option("--carrier", help="Carrier name.", autocompletion=completing.carriers)]
AccountIdOpt = Annotated[str | None, typer.Option("--account-id")]
SiteIdOpt = Annotated[str | None, typer.Option("--site-id")]
PeerIdOpt = Annotated[str | None, typer.Option("--peer-id")]


ApiKeyOpt = Annotated[str | None, typer.Option(help="Name of the environment variable holding the API key (Telnyx).")]
AccountOptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", help="KEY=VALUE, repeatable: the carrier kind's account options (Telnyx: connection_id, "
    "messaging_profile_id, billing_group_id).")]


@account_app.command("add")
def account_add(
    ctx: typer.Context,
    name: str,
    carrier: CarrierOpt,
    account_id: AccountIdOpt = None,
    site_id: SiteIdOpt = None,
    peer_id: PeerIdOpt = None,
    username_env: EnvOpt = None,
    password_env: EnvOpt = None,
    client_id_env: EnvOpt = None,
    client_secret_env: EnvOpt = None,
    api_key_env: ApiKeyOpt = None,
    option: AccountOptionOpt = None,
) -> None:
    """Add a carrier account. Secrets are named by environment variable, never stored."""
    from tnorder import render
    from tnorder.services import config_admin

    values = {"carrier": carrier, "account_id": account_id, "site_id": site_id, "peer_id": peer_id,
              "username_env": username_env, "password_env": password_env, "client_id_env": client_id_env,
              "client_secret_env": client_secret_env, "api_key_env": api_key_env} | _account_options(option)
    warnings = config_admin.check_account(context(ctx), values)
    config_admin.add(context(ctx), "accounts", name, values)
    for warning in warnings:
        render.warning(warning)
    print(f"carrier account {name} added")


@account_app.command("set")
def account_set(
    ctx: typer.Context,
    name: AccountName,
    carrier: Annotated[str | None, typer.Option("--carrier", help="Carrier name.",
                                                 autocompletion=completing.carriers)] = None,
    account_id: AccountIdOpt = None,
    site_id: SiteIdOpt = None,
    peer_id: PeerIdOpt = None,
    username_env: EnvOpt = None,
    password_env: EnvOpt = None,
    client_id_env: EnvOpt = None,
    client_secret_env: EnvOpt = None,
    api_key_env: ApiKeyOpt = None,
    option: AccountOptionOpt = None,
) -> None:
    """Change a carrier account in place (refused while pending orders use it).

    What is given replaces what was there; one kind of credentials replaces the other."""
    from tnorder import render
    from tnorder.services import config_admin

    values = {"carrier": carrier, "account_id": account_id, "site_id": site_id, "peer_id": peer_id,
              "username_env": username_env, "password_env": password_env, "client_id_env": client_id_env,
              "client_secret_env": client_secret_env, "api_key_env": api_key_env} | _account_options(option)
    for warning in config_admin.set_account(context(ctx), name, values):
        render.warning(warning)
    print(f"carrier account {name} changed")


def _account_options(given: list[str] | None) -> dict[str, object]:
    """Account options stay text (`connection_id=0123` keeps its zero): they are ids, not numbers."""
    from tnorder.errors import BadInput

    options = {}
    for text in given or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--option {text!r} must be KEY=VALUE")
        options[key.strip()] = value.strip()
    return options


@account_app.command("list")
def account_list(
    ctx: typer.Context, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """List carrier accounts (environment variable names only, never their values)."""
    from tnorder.settings import SECRET_FIELDS

    keys = ("carrier", "account_id", "site_id", "peer_id", *SECRET_FIELDS)
    output(form, fields, ("name", *keys, "options"), json=json, jsonl=jsonl, csv=csv)
    cfg = context(ctx).config
    rows = [{"name": n} | {k: cfg.data["accounts"][n].get(k) for k in keys}
            | {"options": cfg.account(n).options or None} for n in cfg.names("accounts")]
    _show(rows, [("name", "Name"), ("carrier", "Carrier"), ("account_id", "Account id"),
                 ("site_id", "Site id"), ("peer_id", "Peer id")], ("name", *keys, "options"))


@account_app.command("remove")
def account_remove(ctx: typer.Context, name: AccountName) -> None:
    """Remove a carrier account (refused while inventory types or numbers use it)."""
    from tnorder.services import config_admin

    config_admin.remove(context(ctx), "accounts", name)
    print(f"carrier account {name} removed")


@type_app.command("add")
def type_add(
    ctx: typer.Context,
    name: str,
    account: Annotated[str, typer.Option("--account", help="Carrier account its numbers come from.",
                                                autocompletion=completing.accounts)],
) -> None:
    """Add an inventory type bound to a carrier account."""
    from tnorder.services import config_admin

    config_admin.add(context(ctx), "inventory_types", name, {"account": account})
    print(f"inventory type {name} added")


@type_app.command("list")
def type_list(
    ctx: typer.Context, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """List inventory types."""
    output(form, fields, ("name", "account"), json=json, jsonl=jsonl, csv=csv)
    cfg = context(ctx).config
    rows = [{"name": n, "account": cfg.data["inventory_types"][n].get("account")}
            for n in cfg.names("inventory_types")]
    _show(rows, [("name", "Name"), ("account", "Carrier account")], ("name", "account"))


@type_app.command("remove")
def type_remove(ctx: typer.Context, name: TypeName) -> None:
    """Remove an inventory type (refused while it holds numbers)."""
    from tnorder.services import config_admin

    config_admin.remove(context(ctx), "inventory_types", name)
    print(f"inventory type {name} removed")


@app.command("test")
def test(ctx: typer.Context,
         account: Annotated[str | None, typer.Argument(autocompletion=completing.accounts)] = None) -> None:
    """Reach the carrier with an account's credentials (a cheap authenticated read).

    With no account named, every account is tested and reported, one line each; the exit code is
    the first failure's (accounts in name order), 0 when all passed."""
    import sys

    from tnorder.errors import TnorderError

    c = context(ctx)
    if account:
        print(f"{account}: ok ({c.carrier(account).check_access()})")
        return
    codes = []
    for name in c.config.names("accounts"):
        try:
            print(f"{name}: ok ({c.carrier(name).check_access()})", flush=True)
        except TnorderError as exc:
            print(f"{name}: failed: {exc}", file=sys.stderr, flush=True)
            codes.append(exc.exit_code)
    if codes:
        raise typer.Exit(codes[0])


def _show(rows: list[dict], columns: list[tuple[str, str]], keys: tuple[str, ...]) -> None:
    from tnorder import render

    if not render.emit(rows, keys):
        render.table(rows, columns)
