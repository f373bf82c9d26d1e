"""`tnorder orders …`: follow orders, including those the carrier completes later."""


from typing import TYPE_CHECKING, Annotated

import typer

from tnorder import completing
from tnorder.commands.common import (
    CsvOpt,
    FieldsOpt,
    FormatOpt,
    JsonlOpt,
    JsonOpt,
    LimitOpt,
    TimeoutOpt,
    context,
    output,
)

if TYPE_CHECKING:
    from tnorder.render import Output

app = typer.Typer(help="Follow orders: pending, list, show, poll.", no_args_is_help=True)

COLUMNS = [("order_ref", "Order"), ("kind", "Kind"), ("method", "Method"), ("status", "Status"),
           ("carrier", "Carrier"), ("inventory_type", "Inventory type"), ("numbers", "Numbers"),
           ("created_at", "Placed (UTC)"), ("updated_at", "Updated (UTC)")]
STATUSES = ("submitting", "pending", "complete", "partial", "failed")


def _table(docs: list[dict], empty: str) -> None:
    from tnorder import render

    # the Numbers column counts them (what was completed, else asked for)
    render.table(({**doc, "numbers": len(doc["completed"] or doc["numbers"]) or doc["quantity"]} for doc in docs),
                 COLUMNS, empty=empty)


def _emit(docs: list[dict]) -> bool:
    from tnorder import render
    from tnorder.services.order_reads import KEYS, csv_row

    return render.emit(docs, KEYS, flat=csv_row)


def _output(form: str | None, fields: str | None, **aliases: bool) -> "Output":
    from tnorder.services.order_reads import KEYS

    return output(form, fields, KEYS, **aliases)


@app.command("pending")
def pending(
    ctx: typer.Context, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Orders the carrier has not finished."""
    from tnorder.services import order_reads

    _output(form, fields, json=json, jsonl=jsonl, csv=csv)
    docs = order_reads.pending(context(ctx))
    if not _emit(docs):
        _table(docs, "no pending orders")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(STATUSES),
                                                                  autocompletion=completing.order_statuses)] = None,
    limit: LimitOpt = None,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """All orders, newest first."""
    from tnorder.errors import BadInput
    from tnorder.services import order_reads

    _output(form, fields, json=json, jsonl=jsonl, csv=csv)
    if status is not None and status not in STATUSES:
        raise BadInput(f"unknown order status {status!r}: use one of {', '.join(STATUSES)}")
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1")
    docs = order_reads.listed(context(ctx), status, limit)
    if not _emit(docs):
        _table(docs, f"no {status} orders" if status else "no orders yet")


@app.command("show")
def show(ctx: typer.Context,
         ref: Annotated[str, typer.Argument(help="Order reference (ORD-000042, ORD-42 or 42) or its key.",
                                             autocompletion=completing.order_refs)],
         form: FormatOpt = None, fields: FieldsOpt = None,
         json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False) -> None:
    """One order: numbers asked for, completed and failed (with the carrier's reasons)."""
    from tnorder.commands import order_view
    from tnorder.services import order_reads

    out = _output(form, fields, json=json, jsonl=jsonl, csv=csv)
    doc = order_reads.find(context(ctx), ref)
    order_view.show_document(doc, out.document)
    raise typer.Exit(order_view.exit_code(doc["status"], waited=False))


@app.command("poll")
def poll(
    ctx: typer.Context,
    wait: Annotated[bool, typer.Option("--wait", help="Keep polling until nothing is pending.")] = False,
    timeout: TimeoutOpt = 300.0,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Ask the carriers about pending orders and apply the finished ones (quiet when nothing changed).

    With --jsonl, one line per order that changed and nothing on a quiet run: `>> poll.log` from cron.
    """
    from tnorder import render
    from tnorder.commands import order_view
    from tnorder.errors import EXIT_STILL_PENDING, BadInput

    _output(form, fields, json=json, jsonl=jsonl, csv=csv)
    if timeout <= 0:
        raise BadInput("--timeout must be more than 0 seconds")
    c = context(ctx)
    if _quiet(c):
        return
    from tnorder.services import orders

    result = order_view.wait_with_progress(c, None, timeout) if wait else orders.poll(c)
    docs = orders.documents(c, [order for order, _ in result.changed])
    if not _emit(docs):
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


def _quiet(c) -> bool:
    """Nothing pending: answered by one light count, without loading the ordering machinery
    (cron runs this every few minutes, and most runs find nothing)."""
    from tnorder.services import order_reads

    if order_reads.anything_to_poll(c):
        return False
    _emit([])  # `[]`, a csv header, or nothing at all (jsonl, table)
    return True
