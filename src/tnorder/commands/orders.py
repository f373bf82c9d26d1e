"""`tnorder orders …`: follow orders, including those the carrier completes later."""


from typing import Annotated

import typer

from tnorder.commands.common import JsonOpt, LimitOpt, TimeoutOpt, context

app = typer.Typer(help="Follow orders: pending, list, show, poll.", no_args_is_help=True)

COLUMNS = [("ref", "Order"), ("kind", "Kind"), ("method", "Method"), ("status", "Status"),
           ("carrier", "Carrier"), ("inventory_type", "Inventory type"), ("count", "Numbers"),
           ("created_at", "Placed (UTC)")]
STATUSES = ("submitting", "pending", "complete", "partial", "failed")


def _rows(c, found) -> list[dict]:
    from tnorder.services import orders

    docs = orders.documents(c, found)
    for doc in docs:
        doc["count"] = len(doc["completed"] or doc["numbers"]) or doc["quantity"]
    return docs


def _print(docs: list[dict], as_json: bool) -> None:
    from tnorder import render

    if as_json:
        for doc in docs:
            doc.pop("count", None)
        render.emit_json(docs)
    else:
        render.table(docs, COLUMNS)


@app.command("pending")
def pending(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Orders the carrier has not finished."""
    from tnorder.services import orders

    c = context(ctx)
    _print(_rows(c, orders.pending_orders(c)), json)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(STATUSES))] = None,
    limit: LimitOpt = None,
    json: JsonOpt = False,
) -> None:
    """All orders, newest first."""
    from tnorder.errors import BadInput
    from tnorder.services import orders

    if status is not None and status not in STATUSES:
        raise BadInput(f"unknown order status {status!r}: use one of {', '.join(STATUSES)}")
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1")
    c = context(ctx)
    _print(_rows(c, orders.list_orders(c, status, limit)), json)


@app.command("show")
def show(ctx: typer.Context, ref: str, json: JsonOpt = False) -> None:
    """One order: numbers asked for, completed and failed (with the carrier's reasons)."""
    from tnorder.commands import order_view
    from tnorder.services import orders

    c = context(ctx)
    order = orders.find(c, ref)
    order_view.show(c, order, json)
    raise typer.Exit(order_view.exit_code(order.status, waited=False))


@app.command("poll")
def poll(
    ctx: typer.Context,
    wait: Annotated[bool, typer.Option("--wait", help="Keep polling until nothing is pending.")] = False,
    timeout: TimeoutOpt = 300.0,
    json: JsonOpt = False,
) -> None:
    """Ask the carriers about pending orders and apply the finished ones (quiet when nothing changed)."""
    from tnorder import render
    from tnorder.commands import order_view
    from tnorder.errors import EXIT_STILL_PENDING, BadInput
    from tnorder.services import orders

    if timeout <= 0:
        raise BadInput("--timeout must be more than 0 seconds")
    c = context(ctx)
    result = orders.wait(c, None, timeout) if wait else orders.poll(c)
    docs = orders.documents(c, [order for order, _ in result.changed])
    if json:
        render.emit_json(docs)
    else:
        for doc in docs:
            print(order_view.summary(doc))
    for order, error in result.errors:
        render.warning(f"{order.ref}: {error}")
    if result.released is not None:
        for number, why in result.released.failed:
            render.warning(f"reservation of {number} still held: {why}")
    raise typer.Exit(order_view.worst([order_view.exit_code(doc["status"], False) for doc in docs]
                                      + [error.exit_code for _, error in result.errors]
                                      + [EXIT_STILL_PENDING if wait and result.pending else 0]))
