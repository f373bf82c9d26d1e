"""`tnorder inventory …`: look numbers up, order them, list and show the inventory."""


from typing import Annotated

import typer

from tnorder import completing
from tnorder.commands.common import (
    HELD_COLUMNS,
    HELD_KEYS,
    LOOKUP_COLUMNS,
    LOOKUP_KEYS,
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
    LimitOpt,
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
    criteria,
    output,
)

app = typer.Typer(help="Look numbers up, order them, and keep the inventory.", no_args_is_help=True)



@app.command("lookup")
def lookup(
    ctx: typer.Context, type: TypeOpt = None, area_code: AreaCode = None, rate_center: RateCenter = None,
    state: State = None, city: City = None, zip: Zip = None, lata: Lata = None,
    toll_free: TollFree = None, vanity: Vanity = None, npa_nxx: NpaNxx = None, local_vanity: LocalVanity = None,
    quantity: QuantityOpt = 10,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Look numbers up at the carrier (nothing is held or ordered)."""
    from tnorder import render
    from tnorder.services import ordering

    output(form, fields, LOOKUP_KEYS, json=json, jsonl=jsonl, csv=csv)
    crit = criteria(area_code, rate_center, state, city, zip, lata, toll_free, vanity, npa_nxx, local_vanity)
    c = context(ctx)
    found = ordering.lookup(c, ordering.plan(c, inventory_type=type, criteria=crit, quantity=quantity))
    if render.emit([n.as_dict() for n in found], LOOKUP_KEYS):
        return
    word = crit.vanity or crit.local_vanity
    render.table((n.as_dict() for n in found), LOOKUP_COLUMNS, numbered=True,
                 on_terminal=(lambda row: row | {"number": render.spelled(row["number"], word)}) if word else None)
    render.message(f"{len(found)} number(s) found ({crit.describe()})")


@app.command("order")
def order(
    ctx: typer.Context, type: TypeOpt = None, area_code: AreaCode = None, rate_center: RateCenter = None,
    state: State = None, city: City = None, zip: Zip = None, lata: Lata = None,
    toll_free: TollFree = None, vanity: Vanity = None, npa_nxx: NpaNxx = None, local_vanity: LocalVanity = None,
    quantity: QuantityOpt = 10,
    select: SelectOpt = False, all_: AllOpt = False, pick: PickOpt = None, numbers: NumbersOpt = None,
    key: KeyOpt = None, wait: WaitOpt = False, timeout: TimeoutOpt = 60.0, yes: YesOpt = False,
    from_file: FromFileOpt = None, retry_failed: RetryFailedOpt = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Order numbers: --select, --pick, --all (lookup-and-order) or --numbers; or many from a file.

    --from-file FILE (or - for stdin): CSV with a header row, or JSON lines; one order per line,
    fields named as the flags (area_code, state, …, numbers, quantity, key, type, customer, line).
    """
    from tnorder.commands import batch, purchase

    as_json = batch.output(from_file, output(form, fields, purchase.keys(), json=json, jsonl=jsonl, csv=csv))
    lookup = {"area_code": area_code, "rate_center": rate_center, "state": state, "city": city, "zip": zip,
              "lata": lata, "toll_free": toll_free, "vanity": vanity, "npa_nxx": npa_nxx,
              "local_vanity": local_vanity}
    batch.check_retry(from_file, retry_failed)
    if from_file is not None:
        batch.check_alone(from_file, {f"--{k.replace('_', '-')}": v for k, v in lookup.items()} | {
            "--select": select, "--all": all_, "--pick": pick, "--numbers": numbers, "--key": key, "--wait": wait})
        raise typer.Exit(batch.run(context(ctx), from_file, yes=yes, as_json=as_json, inventory_type=type,
                                   retry_failed=retry_failed))
    raise typer.Exit(purchase.start(context(ctx), select=select, all_=all_, pick=pick, numbers=numbers,
                                    lookup=lookup, inventory_type=type, quantity=quantity, key=key, wait=wait,
                                    timeout=timeout, yes=yes, as_json=as_json))


@app.command("disconnect")
def disconnect(
    ctx: typer.Context,
    numbers: Annotated[list[str] | None, typer.Argument(help="Numbers to disconnect.")] = None,
    type: TypeOpt = None,
    select: Annotated[bool, typer.Option("--select", help="Choose from the inventory type's numbers.")] = False,
    area_code: Annotated[str | None, typer.Option("--area-code", help="With --select: only this NPA.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="With --select: available or assigned.",
                                               autocompletion=completing.number_statuses)] = None,
    customer: Annotated[str | None, typer.Option(
        "--customer", help="With --select: only numbers on this customer's lines.",
        autocompletion=completing.customers)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Disconnect numbers assigned to a customer's line too.")] = False,
    key: KeyOpt = None, wait: Annotated[bool, typer.Option("--wait", help="Wait for the carrier.")] = False,
    timeout: TimeoutOpt = 60.0, yes: YesOpt = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Select-and-disconnect: send the carrier a disconnect order for numbers in inventory."""
    from tnorder.commands import release
    from tnorder.services.order_reads import KEYS

    out = output(form, fields, KEYS, json=json, jsonl=jsonl, csv=csv)
    raise typer.Exit(release.run(context(ctx), numbers or [], inventory_type=type, select=select, key=key,
                                 wait=wait, timeout=timeout, yes=yes, as_json=out.document, force=force,
                                 filters=release.Filters(area_code, status, customer)))


Numbers = Annotated[list[str], typer.Argument(help="Numbers in the inventory, in any common form.")]


def _held(docs: list[dict], done: str) -> None:
    from tnorder import render

    if render.emit(docs, HELD_KEYS):
        return
    render.table(docs, HELD_COLUMNS)
    render.message(f"{len(docs)} number(s) {done}")


@app.command("assign")
def assign(
    ctx: typer.Context, numbers: Numbers,
    customer: Annotated[str, typer.Option("--customer", help="Customer account.", autocompletion=completing.customers)],
    line: Annotated[str, typer.Option("--line", help="The customer's service line.", autocompletion=completing.lines)],
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Assign available numbers to a customer's service line."""
    output(form, fields, HELD_KEYS, json=json, jsonl=jsonl, csv=csv)
    from tnorder.numbers import parse_numbers
    from tnorder.services import holding

    docs = holding.assign(context(ctx), parse_numbers(numbers), customer, line)
    _held(docs, f"assigned to customer {customer} line {line}")


@app.command("unassign")
def unassign(
    ctx: typer.Context, numbers: Numbers,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in each number's history).")] = None,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Take assigned numbers off their customer's line: available again."""
    output(form, fields, HELD_KEYS, json=json, jsonl=jsonl, csv=csv)
    from tnorder.numbers import parse_numbers
    from tnorder.services import holding

    _held(holding.unassign(context(ctx), parse_numbers(numbers), reason=reason), "available again")


@app.command("move")
def move(
    ctx: typer.Context, numbers: Numbers,
    to_type: Annotated[str, typer.Option("--to-type", help="Inventory type of the same carrier account.",
                                         autocompletion=completing.inventory_types)],
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Move numbers to another inventory type of the same carrier account."""
    output(form, fields, HELD_KEYS, json=json, jsonl=jsonl, csv=csv)
    from tnorder.numbers import parse_numbers
    from tnorder.services import holding

    c = context(ctx)
    to_type = c.inventory_type(to_type).name  # as --type: case-insensitive, a unique prefix
    _held(holding.move(c, parse_numbers(numbers), to_type), f"moved to {to_type!r}")


IMPORT_KEYS = ("inventory_type", "imported", "already_held", "skipped")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="CSV file, or - for standard input.")],
    type: TypeOpt = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the good rows and report the bad ones (else nothing is imported).")] = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Import numbers obtained outside tnorder from CSV.

    The first column is a number in any common US form; a header row may name more columns:
    rate_center, state, city, lata, zip, customer, line, status (available or assigned).
    """
    from tnorder import render
    from tnorder.commands.common import open_input
    from tnorder.services import importing

    output(form, fields, IMPORT_KEYS, json=json, jsonl=jsonl, csv=csv)
    with open_input(file) as stream:
        report = importing.import_csv(context(ctx), type, stream, skip_invalid=skip_invalid)
    if render.emit(report.as_dict(), IMPORT_KEYS):
        return
    for line, number, status in report.held:
        render.message(f"line {line}: {number} is held already ({status}): left as it is")
    for line, why in report.invalid:
        render.warning(f"line {line} skipped: {why}")
    render.message(f"imported {len(report.imported)} number(s) into {report.inventory_type!r}; "
                   f"{len(report.held)} held already, {len(report.invalid)} invalid row(s) skipped")


@app.command("reconcile")
def reconcile(
    ctx: typer.Context, type: TypeOpt = None,
    fix: Annotated[bool, typer.Option(
        "--fix", help="Import numbers only the carrier has; mark those it does not hold disconnected.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="With --fix: take numbers the carrier does not hold off their customer's line too.")] = False,
    yes: YesOpt = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Compare an inventory type with the carrier's in-service numbers (exit 8 when they differ)."""
    from tnorder import render
    from tnorder.commands.common import check_confirmable, confirm
    from tnorder.errors import EXIT_DISAGREE, BadInput
    from tnorder.services import reconcile as service

    if force and not fix:
        raise BadInput("--force goes with --fix: a comparison alone changes nothing")
    out = output(form, fields, RECONCILE_KEYS, json=json, jsonl=jsonl, csv=csv)
    c = context(ctx)
    if fix:
        check_confirmable(yes)
    found = service.compare(c, type)
    shown = False
    if fix and not found.agree:
        if not yes:  # what would change, before the question (on stderr when stdout carries JSON)
            shown = _differences(found, render.err if out.document else None)
        if confirm(_question(found, force), yes):
            found = service.fix(c, found, force=force)
    if not render.emit(found.as_dict(), RECONCILE_KEYS):
        _show_comparison(found, table=not shown)
    _notes(found, fix)
    raise typer.Exit(0 if found.settled else EXIT_DISAGREE)


RECONCILE_KEYS = ("inventory_type", "account", "carrier", "accounts", "agree", "carrier_only", "tnorder_only",
                  "status_mismatch", "on_customer", "skipped", "fixed")


def _question(found, force: bool) -> str:
    kept = 0 if force else len(found.on_customer)
    leave = f" (leaving {kept} on a customer's line: --force takes them off)" if kept else ""
    return (f"Fix {len(found.carrier_only) + len(found.mismatched)} number(s) in service at the carrier and "
            f"{len(found.tnorder_only) - kept} it does not hold{leave}, in {found.inventory_type!r}?")


def _differences(found, console=None) -> bool:
    from tnorder import render

    rows = ([{"number": n, "status": "(none)", "carrier_status": "in service"} for n in found.carrier_only]
            + [{"number": n, "status": "in use", "carrier_status": "(not held)"} for n in found.tnorder_only]
            + [{"number": m["number"], "status": m["status"], "carrier_status": m["carrier_status"]}
               for m in found.mismatched])
    if rows:  # a mismatch's keys, headed as the two sides
        render.table(rows, [("number", "Number"), ("status", "tnorder"), ("carrier_status", "Carrier")],
                     title=f"{found.inventory_type}: tnorder and {found.carrier} differ", console=console)
    return bool(rows)


def _show_comparison(found, table: bool = True) -> None:
    from tnorder import render

    if table:
        _differences(found)
    state = "agree" if found.agree else ("fixed" if found.fixed else "differ")
    render.message(f"{found.inventory_type} ({found.carrier}): {state}: {len(found.carrier_only)} only at the "
                   f"carrier, {len(found.tnorder_only)} only in tnorder, {len(found.mismatched)} status mismatch(es)")


def _notes(found, fix: bool) -> None:
    """What was left alone, and why: on stderr, with --json too."""
    from tnorder import render

    if len(found.accounts) > 1:
        render.message(f"compared together (one carrier list): carrier accounts {', '.join(found.accounts)}")
    for s in found.skipped:
        render.message(f"{s['number']}: skipped: {s['reason']}")
    if fix and found.fixed:
        for n in found.on_customer:
            render.warning(f"{n['number']} is on customer {n['customer']} line {n['line']} and the carrier "
                           "does not hold it: left as it is (--force takes it off the line)")


LIST_COLUMNS = [("number", "Number"), ("status", "Status"), ("inventory_type", "Inventory type"),
                ("rate_center", "Rate center"), ("state", "State"), ("customer", "Customer"),
                ("line", "Line"), ("order_ref", "Order"), ("activated_at", "Activated (UTC)")]


@app.command("list")
def list_(
    ctx: typer.Context, type: TypeOpt = None,
    status: Annotated[str | None, typer.Option("--status", help="pending, available, assigned, …",
                                                                  autocompletion=completing.number_statuses)] = None,
    area_code: Annotated[str | None, typer.Option("--area-code", help="NPA.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer account.",
                                                           autocompletion=completing.customers)] = None,
    limit: LimitOpt = None,
    all_statuses: Annotated[bool, typer.Option(
        "--all-statuses", help="Disconnected numbers too (left out unless --status disconnected).")] = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """List numbers in the inventory (disconnected ones only when asked for)."""
    from tnorder import render
    from tnorder.services import inventory

    output(form, fields, inventory.FIELDS, json=json, jsonl=jsonl, csv=csv)
    inventory.check_filters(status, area_code, limit)
    rows = inventory.list_numbers(context(ctx), inventory_type=type, status=status, area_code=area_code,
                                  customer=customer, limit=limit, all_statuses=all_statuses)
    if render.emit(rows, inventory.FIELDS):
        return
    count = render.table(rows, LIST_COLUMNS, empty="no numbers match")
    if count:
        render.message(f"{count} number(s)")


SUMMARY_KEYS = ("inventory_type", "status", "area_code", "count")


@app.command("summary")
def summary(
    ctx: typer.Context, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Counts by inventory type and status, and available numbers by area code.

    json is one document (by_type, available_by_area_code); jsonl, csv, tsv and --fields give one
    row per count instead: inventory_type, status, area_code, count (a type's count per status has
    no area code; an area code's available count has no inventory type).
    """
    from tnorder import render
    from tnorder.services.summary import summary as count

    output(form, fields, SUMMARY_KEYS, json=json, jsonl=jsonl, csv=csv)
    doc = count(context(ctx))
    if render.emit(doc, SUMMARY_KEYS, rows=_summary_rows):
        return
    render.summary(doc)


def _summary_rows(doc: dict) -> list[dict]:
    from tnorder.statuses import NUMBER_STATUSES

    return ([{"inventory_type": t["inventory_type"], "status": s, "area_code": None, "count": t[s]}
             for t in doc["by_type"] for s in NUMBER_STATUSES]
            + [{"inventory_type": None, "status": "available", "area_code": a["area_code"], "count": a["available"]}
               for a in doc["available_by_area_code"]])


@app.command("show")
def show(
    ctx: typer.Context, number: str, form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Show one number: details and history (csv and tsv: one row, the history as JSON)."""
    from tnorder import render
    from tnorder.services import inventory

    keys = (*inventory.FIELDS, "history")
    output(form, fields, keys, json=json, jsonl=jsonl, csv=csv)
    doc = inventory.show(context(ctx), number)
    if render.emit(doc, keys):
        return
    for key in ("number", "status", "inventory_type", "carrier", "account", "customer", "line",
                "rate_center", "city", "state", "lata", "zip", "order_ref", *inventory.DATES):
        if doc.get(key):
            value = render.minute(doc[key]) if key.endswith("_at") else doc[key]
            render.line(f"{key.replace('_', ' ').capitalize():<15} {value}")
    render.table(doc["history"], [("at", "When"), ("event", "Event"), ("from_status", "From"), ("to_status", "To"),
                                  ("order_ref", "Order"), ("actor", "Who"), ("note", "Note")],
                 title="History")


RESERVATION_KEYS = ("number", "carrier", "account", "reservation_id", "status", "owner", "in_use", "hold_until",
                    "error", "created_at")


@app.command("reservations")
def reservations_(
    ctx: typer.Context,
    release: Annotated[bool, typer.Option(
        "--release", help="Release those no running tnorder is using (what `orders poll` also does); "
        "a hold its carrier cannot release is dropped once it has lapsed.")] = False,
    form: FormatOpt = None, fields: FieldsOpt = None,
    json: JsonOpt = False, jsonl: JsonlOpt = False, csv: CsvOpt = False,
) -> None:
    """Reservations still held at carriers (numbers shown in a selection, or a release that failed)."""
    from tnorder import render
    from tnorder.services import reservations

    output(form, fields, RESERVATION_KEYS, json=json, jsonl=jsonl, csv=csv)
    c = context(ctx)
    if release:
        done = reservations.release_stale(c)
        for line in done.warnings():
            render.warning(line)
        for line in done.notes():
            render.message(line)
        if done.released:
            render.message(f"released {len(done.released)} reservation(s)")
    rows = reservations.held(c)
    if not render.emit(rows, RESERVATION_KEYS):
        render.table(rows, [("number", "Number"), ("carrier", "Carrier"), ("account", "Account"),
                            ("status", "Status"), ("in_use", "In use"), ("owner", "Held by"),
                            ("created_at", "Since (UTC)"), ("hold_until", "Held until (UTC)"),
                            ("error", "Last error")])
        render.message(f"{len(rows)} reservation(s) held")
    if release:
        raise typer.Exit(done.exit_code)
