"""`tnorder orders …`: follow orders, including those the carrier completes later."""


from typing import Annotated

import typer

from tnorder import completing
from tnorder.commands.common import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, TimeoutOpt, context

app = typer.Typer(help="Follow orders: pending, list, show, poll.", no_args_is_help=True)

COLUMNS = [("order_ref", "Order"), ("kind", "Kind"), ("method", "Method"), ("status", "Status"),
           ("carrier", "Carrier"), ("inventory_type", "Inventory type"), ("count", "Numbers"),
           ("created_at", "Placed (UTC)"), ("updated_at", "Updated (UTC)")]
STATUSES = ("submitting", "pending", "complete", "partial", "failed")


def _table(docs: list[dict], empty: str) -> None:
    from tnorder import render

    for doc in docs:
        doc["count"] = len(doc["completed"] or doc["numbers"]) or doc["quantity"]
    render.table(docs, COLUMNS, empty=empty)


@app.command("pending")
def pending(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Orders the carrier has not finished."""
    from tnorder import render
    from tnorder.services import order_reads

    docs = order_reads.pending(context(ctx))
    if json:
        render.emit_json(docs)
    else:
        _table(docs, "no pending orders")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(STATUSES),
                                                                  autocompletion=completing.order_statuses)] = None,
    limit: LimitOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """All orders, newest first."""
    from tnorder import render
    from tnorder.commands.common import output_format
    from tnorder.errors import BadInput
    from tnorder.services import order_reads

    form = output_format(json, jsonl, csv)
    if status is not None and status not in STATUSES:
        raise BadInput(f"unknown order status {status!r}: use one of {', '.join(STATUSES)}")
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1")
    docs = order_reads.listed(context(ctx), status, limit)
    if form == "csv":
        render.stream_csv((order_reads.csv_row(doc) for doc in docs), order_reads.KEYS)
    elif form != "table":
        render.stream(docs, form, order_reads.KEYS)
    else:
        _table(docs, f"no {status} orders" if status else "no orders yet")


@app.command("show")
def show(ctx: typer.Context,
         ref: Annotated[str, typer.Argument(help="Order reference (ORD-000042, ORD-42 or 42) or its key.",
                                             autocompletion=completing.order_refs)],
         json: JsonOpt = False) -> None:
    """One order: numbers asked for, completed and failed (with the carrier's reasons)."""
    from tnorder.commands import order_view
    from tnorder.services import order_reads

    doc = order_reads.find(context(ctx), ref)
    order_view.show_document(doc, json)
    raise typer.Exit(order_view.exit_code(doc["status"], waited=False))


@app.command("poll")
def poll(
    ctx: typer.Context,
    wait: Annotated[bool, typer.Option("--wait", help="Keep polling until nothing is pending.")] = False,
    timeout: TimeoutOpt = 300.0,
    json: JsonOpt = False, jsonl: JsonlOpt = False,
) -> None:
    """Ask the carriers about pending orders and apply the finished ones (quiet when nothing changed).

    With --jsonl, one line per order that changed and nothing on a quiet run: `>> poll.log` from cron.
    """
    from tnorder import render
    from tnorder.commands import order_view
    from tnorder.commands.common import output_format
    from tnorder.errors import EXIT_STILL_PENDING, BadInput

    form = output_format(json, jsonl)
    if timeout <= 0:
        raise BadInput("--timeout must be more than 0 seconds")
    c = context(ctx)
    if _quiet(c, form):
        return
    from tnorder.services import orders

    result = order_view.wait_with_progress(c, None, timeout) if wait else orders.poll(c)
    docs = orders.documents(c, [order for order, _ in result.changed])
    if form == "jsonl":
        render.stream_jsonl(docs)
    elif json:
        render.emit_json(docs)
    else:
        for doc in docs:
            print(order_view.summary(doc))
    for order, error in result.errors:
        render.warning(f"{order.ref}: {error}")
    for account, refs in result.unconfigured.items():
        render.warning(f"carrier account {account!r} is no longer in the config: order(s) {', '.join(refs[:5])}"
                       f"{' …' if len(refs) > 5 else ''} wait until it is added back (`tnorder config account add`)")
    for account, (count, error) in sorted(result.unrechecked.items()):  # nothing pending: no exit code
        render.warning(f"could not recheck {count} concluded order(s) of carrier account {account!r}: {error}")
    for line in result.released.warnings() if result.released is not None else []:
        render.warning(line)
    for line in result.released.notes() if result.released is not None else []:
        render.message(line)
    raise typer.Exit(order_view.worst([order_view.exit_code(doc["status"], False) for doc in docs]
                                      + [error.exit_code for _, error in result.errors]
                                      + [result.released.exit_code if result.released is not None else 0]
                                      + [EXIT_STILL_PENDING if wait and result.pending else 0]))


def _quiet(c, form: str) -> bool:
    """Nothing pending: answered by one light count, without loading the ordering machinery
    (cron runs this every few minutes, and most runs find nothing)."""
    from tnorder import render
    from tnorder.services import order_reads

    if order_reads.anything_to_poll(c):
        return False
    if form == "json":
        render.emit_json([])
    return True
