"""`tnorder inventory …`: look numbers up, order them, list and show the inventory."""


from typing import Annotated

import typer

from tnorder.commands.common import (
    AreaCode,
    City,
    JsonOpt,
    KeyOpt,
    Lata,
    LocalVanity,
    NpaNxx,
    QuantityOpt,
    RateCenter,
    State,
    TimeoutOpt,
    TollFree,
    TypeOpt,
    Vanity,
    YesOpt,
    Zip,
    any_criteria,
    context,
    criteria,
)

app = typer.Typer(help="Look numbers up, order them, and keep the inventory.", no_args_is_help=True)

LOOKUP_COLUMNS = [("number", "Number"), ("rate_center", "Rate center"), ("city", "City"),
                  ("state", "State"), ("lata", "LATA")]


@app.command("lookup")
def lookup(
    ctx: typer.Context, type: TypeOpt = None, area_code: AreaCode = None, rate_center: RateCenter = None,
    state: State = None, city: City = None, zip: Zip = None, lata: Lata = None,
    toll_free: TollFree = None, vanity: Vanity = None, npa_nxx: NpaNxx = None, local_vanity: LocalVanity = None,
    quantity: QuantityOpt = 10, json: JsonOpt = False,
) -> None:
    """Look numbers up at the carrier (nothing is held or ordered)."""
    from tnorder import render
    from tnorder.services import ordering

    crit = criteria(area_code, rate_center, state, city, zip, lata, toll_free, vanity, npa_nxx, local_vanity)
    c = context(ctx)
    found = ordering.lookup(c, ordering.plan(c, inventory_type=type, criteria=crit, quantity=quantity))
    if json:
        render.emit_json([n.as_dict() for n in found])
        return
    render.table((n.as_dict() for n in found), LOOKUP_COLUMNS, numbered=True)
    render.message(f"{len(found)} number(s) found ({crit.describe()})")


@app.command("order")
def order(
    ctx: typer.Context, type: TypeOpt = None, area_code: AreaCode = None, rate_center: RateCenter = None,
    state: State = None, city: City = None, zip: Zip = None, lata: Lata = None,
    toll_free: TollFree = None, vanity: Vanity = None, npa_nxx: NpaNxx = None, local_vanity: LocalVanity = None,
    quantity: QuantityOpt = 10,
    select: Annotated[bool, typer.Option("--select", help="Show results, ask which to order.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Lookup-and-order: order what the lookup finds.")] = False,
    pick: Annotated[str | None, typer.Option("--pick", help="Order these results: 1,3-5.")] = None,
    numbers: Annotated[str | None, typer.Option("--numbers", help="Order these numbers: TN,TN…")] = None,
    key: KeyOpt = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the carrier to finish.")] = False,
    timeout: TimeoutOpt = 60.0, yes: YesOpt = False, json: JsonOpt = False,
) -> None:
    """Order numbers: --select, --pick, --all (lookup-and-order) or --numbers."""
    from tnorder.commands import purchase

    has_criteria = any_criteria(area_code, rate_center, state, city, zip, lata, toll_free, vanity, npa_nxx,
                                local_vanity)
    mode = purchase.mode(select, all_, pick, numbers, has_criteria)
    crit = criteria(area_code, rate_center, state, city, zip, lata, toll_free, vanity, npa_nxx, local_vanity) \
        if has_criteria else None
    code = purchase.run(context(ctx), mode, inventory_type=type, criteria=crit, quantity=quantity,
                        pick=pick, numbers=numbers, key=key, wait=wait, timeout=timeout, yes=yes,
                        as_json=json)
    raise typer.Exit(code)


@app.command("disconnect")
def disconnect(
    ctx: typer.Context,
    numbers: Annotated[list[str] | None, typer.Argument(help="Numbers to disconnect.")] = None,
    type: TypeOpt = None,
    select: Annotated[bool, typer.Option("--select", help="Choose from the inventory type's numbers.")] = False,
    key: KeyOpt = None, wait: Annotated[bool, typer.Option("--wait", help="Wait for the carrier.")] = False,
    timeout: TimeoutOpt = 60.0, yes: YesOpt = False, json: JsonOpt = False,
) -> None:
    """Select-and-disconnect: send the carrier a disconnect order for numbers in inventory."""
    from tnorder.commands import release

    raise typer.Exit(release.run(context(ctx), numbers or [], inventory_type=type, select=select, key=key,
                                 wait=wait, timeout=timeout, yes=yes, as_json=json))


LIST_COLUMNS = [("number", "Number"), ("status", "Status"), ("inventory_type", "Inventory type"),
                ("rate_center", "Rate center"), ("state", "State"), ("customer", "Customer"),
                ("line", "Line"), ("order_ref", "Order")]


@app.command("list")
def list_(
    ctx: typer.Context, type: TypeOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="pending, available, assigned, …")] = None,
    area_code: Annotated[str | None, typer.Option("--area-code", help="NPA.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer account.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N numbers.")] = None,
    json: JsonOpt = False,
    csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout.")] = False,
) -> None:
    """List numbers in the inventory."""
    from tnorder import render
    from tnorder.errors import BadInput
    from tnorder.services import inventory

    if json and csv:
        raise BadInput("--json and --csv cannot be combined")
    inventory.check_filters(status, area_code, limit)
    rows = inventory.list_numbers(context(ctx), inventory_type=type, status=status,
                                  area_code=area_code, customer=customer, limit=limit)
    if json:
        render.stream_json(rows)
    elif csv:
        render.stream_csv(rows, inventory.COLUMNS)
    else:
        count = render.table(rows, LIST_COLUMNS)
        render.message(f"{count} number(s)")


@app.command("show")
def show(ctx: typer.Context, number: str, json: JsonOpt = False) -> None:
    """Show one number: details and history."""
    from tnorder import render
    from tnorder.services import inventory

    doc = inventory.show(context(ctx), number)
    if json:
        render.emit_json(doc)
        return
    for key in ("number", "status", "inventory_type", "carrier", "account", "customer", "line",
                "rate_center", "city", "state", "lata", "zip", "order_ref"):
        if doc.get(key):
            print(f"{key.replace('_', ' ').capitalize():<15} {doc[key]}")
    render.table(doc["history"], [("at", "When"), ("from_status", "From"), ("to_status", "To"),
                                  ("order_ref", "Order"), ("actor", "Who"), ("note", "Note")],
                 title="History")
