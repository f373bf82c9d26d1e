"""`tnorder customer …`: customers, their service lines, and numbers ordered for them ("Add from Carrier")."""


from typing import Annotated

import typer

from tnorder import completing
from tnorder.commands.common import (
    HELD_COLUMNS,
    HELD_KEYS,
    AllOpt,
    AreaCode,
    City,
    CsvOpt,
    FieldsOpt,
    FormatOpt,
    FromFileOpt,
    JsonlOpt,
    JsonOpt,
    KeyOpt,
    Lata,
    LocalVanity,
    NpaNxx,
    NumbersOpt,
    PickOpt,
    QuantityOpt,
    RateCenter,
    RetryFailedOpt,
    SelectOpt,
    State,
    TimeoutOpt,
    TollFree,
    TypeOpt,
    Vanity,
    WaitOpt,
    YesOpt,
    Zip,
    context,
    output,
)

app = typer.Typer(help="Customers, their service lines, and the numbers assigned to them.", no_args_is_help=True)
line_app = typer.Typer(help="Service lines of a customer: where its numbers are assigned.", no_args_is_help=True)
app.add_typer(line_app, name="line")

NewAccount = Annotated[str, typer.Argument(help="The customer's account (its id in your systems).")]
Account = Annotated[str, typer.Argument(help="The customer's account (its id in your systems).",
                                        autocompletion=completing.customers)]
NewLine = Annotated[str, typer.Argument(help="The service line's name.")]
LineArg = Annotated[str, typer.Argument(help="The service line's name.", autocompletion=completing.lines)]
LINE_COLUMNS = [("line", "Line"), ("number", "Number"), ("status", "Status"), ("inventory_type", "Inventory type"),
                ("rate_center", "Rate center"), ("state", "State"), ("order_ref", "Order")]
CUSTOMER_KEYS = ("customer", "name", "lines", "numbers", "created_at")
SHOW_KEYS = ("customer", "name", "created_at", "lines")
LINE_KEYS = ("customer", "line", "description", "created_at", "numbers")
LineOpt = Annotated[str, typer.Option("--line", "-l", help="The customer's service line the numbers go on.",
                                      autocompletion=completing.lines)]


def _emit(doc: object, as_json: bool, text: str) -> None:
    from tnorder import render

    if as_json:
        render.emit_json(doc)
    else:
        render.line(text)


@app.command("add")
def add(ctx: typer.Context, account: NewAccount,
        name: Annotated[str, typer.Option("--name", help="The customer's name.")], json: JsonOpt = False) -> None:
    """Add a customer."""
    from tnorder.services import customers

    doc = customers.add(context(ctx), account, name)
    _emit(doc, json, f"customer {doc['customer']} ({doc['name']}) added")


@app.command("list")
def list_(
    ctx: typer.Context, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """List customers with how many lines and numbers each has."""
    from tnorder import render
    from tnorder.services import customers

    output(form, fields, CUSTOMER_KEYS, json=json, jsonl=jsonl, csv=csv)
    rows = customers.list_customers(context(ctx))
    if render.emit(rows, CUSTOMER_KEYS):
        return
    render.table(rows, [("customer", "Customer"), ("name", "Name"), ("lines", "Lines"), ("numbers", "Numbers")],
                 empty="no customers yet: add one with `tnorder customer add`")


@app.command("show")
def show(
    ctx: typer.Context, account: Account, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """The customer's inventory: its numbers, each with its service line and status (csv and tsv:
    one row, the lines as JSON)."""
    from tnorder import render
    from tnorder.services import customers

    output(form, fields, SHOW_KEYS, json=json, jsonl=jsonl, csv=csv)
    doc = customers.show(context(ctx), account)
    if render.emit(doc, SHOW_KEYS):
        return
    rows = [{"line": line["line"]} | number for line in doc["lines"] for number in line["numbers"]]
    # one table, the line on every row: a pipe gets one TSV, a terminal one box
    render.table(rows, LINE_COLUMNS, title=f"Customer {doc['customer']}: {doc['name']}")
    for line in doc["lines"]:  # said beside the table, not as rows without a number
        if not line["numbers"]:
            about = f" ({line['description']})" if line["description"] else ""
            render.message(f"line {line['line']}{about}: no numbers")
    if not doc["lines"]:
        render.message(f"customer {account} has no service lines: add one with `tnorder customer line add`")


@app.command("remove")
def remove(ctx: typer.Context, account: Account, json: JsonOpt = False) -> None:
    """Remove a customer and its lines (refused while numbers are on them)."""
    from tnorder.services import customers

    _emit(customers.remove(context(ctx), account), json, f"customer {account} removed")


@line_app.command("add")
def line_add(ctx: typer.Context, account: Account, line: NewLine,
             description: Annotated[str | None, typer.Option("--description", help="What the line is.")] = None,
             json: JsonOpt = False) -> None:
    """Add a service line to a customer."""
    from tnorder.services import customers

    doc = customers.add_line(context(ctx), account, line, description)
    _emit(doc, json, f"service line {doc['line']} added to customer {account}")


@line_app.command("list")
def line_list(
    ctx: typer.Context, account: Account, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """List a customer's service lines."""
    from tnorder import render
    from tnorder.services import customers

    output(form, fields, LINE_KEYS, json=json, jsonl=jsonl, csv=csv)
    rows = customers.list_lines(context(ctx), account)
    if render.emit(rows, LINE_KEYS):
        return
    render.table(rows, [("line", "Line"), ("description", "Description"), ("numbers", "Numbers")],
                 empty=f"customer {account} has no service lines")


@line_app.command("remove")
def line_remove(ctx: typer.Context, account: Account, line: LineArg, json: JsonOpt = False) -> None:
    """Remove a service line (refused while numbers are on it)."""
    from tnorder.services import customers

    _emit(customers.remove_line(context(ctx), account, line), json, f"service line {line} of {account} removed")


def _bounded_count(value: int | None) -> int | None:
    from tnorder.commands.common import MAX_LIMIT
    from tnorder.errors import BadInput

    if value is not None and value > MAX_LIMIT:  # SQLite takes 64-bit integers at most
        raise BadInput(f"--from-inventory must be at most {MAX_LIMIT}")
    return value


@app.command("add-dids")
def add_dids(
    ctx: typer.Context, account: Account, line: LineOpt, type: TypeOpt = None,
    area_code: AreaCode = None, rate_center: RateCenter = None, state: State = None, city: City = None,
    zip: Zip = None, lata: Lata = None, toll_free: TollFree = None, vanity: Vanity = None,
    npa_nxx: NpaNxx = None, local_vanity: LocalVanity = None, quantity: QuantityOpt = 10,
    select: SelectOpt = False, all_: AllOpt = False, pick: PickOpt = None,
    numbers: NumbersOpt = None,
    from_inventory: Annotated[int | None, typer.Option(
        "--from-inventory", callback=_bounded_count,
        help="Assign N available numbers of the inventory type (no carrier call); "
        "--area-code, --state, --rate-center narrow them.")] = None,
    key: KeyOpt = None, wait: WaitOpt = False, timeout: TimeoutOpt = 60.0, yes: YesOpt = False,
    from_file: FromFileOpt = None, retry_failed: RetryFailedOpt = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Add from Carrier: order numbers onto a customer's service line (or assign held ones).

    The same three ways as `inventory order`; the numbers are pending on the line until the carrier
    completes them, then assigned to it.
    """
    from tnorder.commands import batch, purchase

    keys = HELD_KEYS if from_inventory is not None else purchase.keys()
    as_json = batch.output(from_file, output(form, fields, keys, json=json, jsonl=jsonl, csv=csv))
    lookup = {"area_code": area_code, "rate_center": rate_center, "state": state, "city": city, "zip": zip,
              "lata": lata, "toll_free": toll_free, "vanity": vanity, "npa_nxx": npa_nxx,
              "local_vanity": local_vanity}
    c = context(ctx)
    batch.check_retry(from_file, retry_failed)
    if from_file is not None:
        batch.check_alone(from_file, {f"--{k.replace('_', '-')}": v for k, v in lookup.items()} | {
            "--select": select, "--all": all_, "--pick": pick, "--numbers": numbers, "--key": key,
            "--wait": wait, "--from-inventory": from_inventory})
        raise typer.Exit(batch.run(c, from_file, yes=yes, as_json=as_json, inventory_type=type, customer=account,
                                   line=line, retry_failed=retry_failed))
    if from_inventory is not None:
        _from_inventory(c, account, line, type, from_inventory, lookup, as_json, yes,
                        others={"--select": select, "--all": all_, "--pick": pick, "--numbers": numbers,
                                "--key": key, "--wait": wait})
        return
    raise typer.Exit(purchase.start(c, select=select, all_=all_, pick=pick, numbers=numbers, lookup=lookup,
                                    inventory_type=type, quantity=quantity, key=key, wait=wait, timeout=timeout,
                                    yes=yes, as_json=as_json, customer=account, line=line))


def _from_inventory(c, account: str, line: str, inventory_type: str | None, count: int,
                    lookup: dict[str, str | None], as_json: bool, yes: bool, others: dict[str, object]) -> None:
    from tnorder import render
    from tnorder.criteria import check_npa, check_state, clean_name
    from tnorder.errors import BadInput
    from tnorder.services import holding

    clash = [flag for flag, value in others.items() if value not in (None, False)]
    clash += [f"--{k.replace('_', '-')}" for k, v in lookup.items()
              if v is not None and k not in ("area_code", "state", "rate_center")]
    if clash:
        raise BadInput(f"--from-inventory cannot be combined with {', '.join(clash)}: "
                       "it narrows by --area-code, --state and --rate-center only")
    how = dict(
        inventory_type=inventory_type, account=account, line=line,
        area_code=check_npa(lookup["area_code"]) if lookup["area_code"] is not None else None,
        state=check_state(lookup["state"]) if lookup["state"] is not None else None,
        rate_center=clean_name(lookup["rate_center"], "rate center") if lookup["rate_center"] is not None else None)
    # --yes picks and assigns in one transaction; at a terminal the numbers are shown before asking
    docs = holding.assign_from_inventory(c, count, **how) if yes else _previewed(c, count, how, as_json)
    if not render.emit(docs, HELD_KEYS) and docs:  # `[]` after a "no", in a chosen format
        render.table(docs, HELD_COLUMNS)
        render.message(f"assigned {len(docs)} number(s) to customer {account} line {line!r}")
    if not docs:
        render.message("nothing assigned")


def _previewed(c, count: int, how: dict, as_json: bool) -> list[dict]:
    """The chosen numbers in a table, then the question; the answer's numbers assigned, or none."""
    from tnorder import render
    from tnorder.commands.common import check_confirmable, confirm
    from tnorder.services import holding

    chosen = holding.preview_from_inventory(c, count, **how)
    check_confirmable(False)  # no terminal and no --yes: exit 2, as every other question does
    render.table(chosen, [("number", "Number"), ("rate_center", "Rate center"), ("state", "State")],
                 title=f"{len(chosen)} available number(s) of {chosen[0]['inventory_type']!r}",
                 console=render.err if as_json else render.out)
    if not confirm(f"Assign {len(chosen)} number(s) of {chosen[0]['inventory_type']!r} to customer "
                   f"{how['account']} line {how['line']!r}?", False):
        return []
    return holding.assign(c, [d["number"] for d in chosen], how["account"], how["line"])


@app.command("remove-dids")
def remove_dids(
    ctx: typer.Context, account: Account,
    numbers: Annotated[list[str], typer.Argument(help="Numbers to take off the customer.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in each number's history).")] = None,
    disconnect: Annotated[bool, typer.Option(
        "--disconnect", help="Disconnect them at the carrier instead of keeping them available.")] = False,
    key: KeyOpt = None, wait: WaitOpt = False, timeout: TimeoutOpt = 60.0, yes: YesOpt = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Take numbers off a customer: back to available in their inventory type, or --disconnect."""
    from tnorder import render
    from tnorder.commands import release
    from tnorder.commands.common import confirm
    from tnorder.errors import BadInput
    from tnorder.numbers import parse_numbers
    from tnorder.services import holding
    from tnorder.services.order_reads import KEYS
    from tnorder.testhooks import pause

    out = output(form, fields, KEYS if disconnect else HELD_KEYS, json=json, jsonl=jsonl, csv=csv)
    c = context(ctx)
    tns = parse_numbers(numbers)
    holding.check_assigned_to(c, tns, account)
    if disconnect:
        if reason is not None:
            raise BadInput("--reason goes with numbers kept available; a disconnect order records itself")
        raise typer.Exit(release.run(c, tns, inventory_type=None, select=False, key=key, wait=wait,
                                     timeout=timeout, yes=yes, as_json=out.document, force=True,
                                     customer=account))
    if key is not None or wait:
        raise BadInput("--key and --wait go with --disconnect: taking numbers off a customer sends nothing")
    if not confirm(f"Take {len(tns)} number(s) off customer {account}? They go back to available.", yes):
        render.message("nothing changed")
        return
    pause("remove-dids-decided")  # unassign checks again, under the lock, that they are still this customer's
    docs = holding.unassign(c, tns, reason=reason, customer=account)
    if render.emit(docs, HELD_KEYS):
        return
    render.table(docs, HELD_COLUMNS)
    render.message(f"{len(docs)} number(s) taken off customer {account}, available again")
