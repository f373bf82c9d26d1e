"""Numbers obtained outside tnorder (a carrier's spreadsheet, a portal export) come in by CSV.

Every row is checked before anything is written: one bad row refuses the whole file (each bad row
named by its line number), unless the operator asks to skip the bad ones. Numbers tnorder already
holds are reported and left as they are, so importing a file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import column, select, table

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import check_state, clean_lata, clean_name, clean_zip
from tnorder.errors import BadInput
from tnorder.numbers import to_e164
from tnorder.services import customers
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tnorder.services.context import Context

NUMBER_HEADS = ("number", "tn", "did", "telephone_number", "phone_number", "phone")
OPTIONAL = ("rate_center", "state", "city", "lata", "zip", "customer", "line", "status")
STATUSES = ("available", "assigned")
BATCH = 5000  # rows a statement: well under SQLite's bound-parameter limit
SHOWN_BAD = 50  # bad rows named in the error line; --skip-invalid --json lists every one
NUMBERS = table("numbers", column("number"), column("status"))


@dataclass
class Row:
    line: int
    number: AvailableNumber
    customer: str | None = None
    service_line: str | None = None

    @property
    def status(self) -> str:
        return "assigned" if self.service_line else "available"


@dataclass
class Report:
    inventory_type: str
    imported: list[str] = field(default_factory=list)
    held: list[tuple[int, str, str]] = field(default_factory=list)  # line, number, where it is
    invalid: list[tuple[int, str]] = field(default_factory=list)  # line, why

    def as_dict(self) -> dict:
        return {"inventory_type": self.inventory_type, "imported": self.imported,
                "already_held": [{"line": ln, "number": n, "status": st} for ln, n, st in self.held],
                "skipped": [{"line": ln, "reason": why} for ln, why in self.invalid]}


def _header(first: list[str]) -> list[str] | None:
    """The column names if the first row is a header row, else None (a bare list of numbers)."""
    names = [c.strip().lower().replace(" ", "_") for c in first]
    if not names or (names[0] not in NUMBER_HEADS and not set(names[1:]) & set(OPTIONAL)):
        return None
    unknown = [n for n in names[1:] if n not in OPTIONAL]
    if unknown:
        raise BadInput(f"unknown column {unknown[0]!r} in the header row: the first column is the number, "
                       f"the others may be {', '.join(OPTIONAL)}")
    return ["number", *names[1:]]


def _records(stream: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(stream)
    names: list[str] | None = None
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # blank lines are no rows
        if names is None:
            header = _header(cells)
            names = header or ["number"]
            if header:
                continue
        values = {name: cell for name, cell in zip(names, map(str.strip, cells), strict=False) if cell}
        yield reader.line_num, values


CHECKS = {"state": check_state, "rate_center": lambda v: clean_name(v, "rate center"),
          "city": lambda v: clean_name(v, "city"), "lata": clean_lata, "zip": clean_zip}


def _details(checked: dict[tuple, dict], values: dict[str, str]) -> dict[str, str | None]:
    """A row's place fields, checked. Rows of one file repeat the same few places (a rate center's
    city, LATA and zip), so each combination is checked once: most rows cost one dict lookup."""
    given = tuple(values.get(name) for name in CHECKS)
    if given not in checked:
        checked[given] = {name: None if value is None else CHECKS[name](value)
                          for name, value in zip(CHECKS, given, strict=True)}
    return checked[given]


def _row(line: int, values: dict[str, str], lines: set[tuple[str, str]], checked: dict[tuple, dict]) -> Row:
    """One record checked; raises BadInput saying what is wrong with it."""
    number = to_e164(values.get("number", ""))
    details = AvailableNumber(number, **_details(checked, values))
    customer, service_line = values.get("customer"), values.get("line")
    status = values.get("status", "").lower() or None
    if status is not None and status not in STATUSES:
        raise BadInput(f"status {status!r} cannot be imported: use available or assigned")
    if bool(customer) != bool(service_line):
        raise BadInput("customer and line go together")
    if customer and (customer, service_line) not in lines:
        raise BadInput(f"customer {customer!r} has no service line {service_line!r}")
    if status == "assigned" and not customer:
        raise BadInput("status assigned needs a customer and a line")
    if status == "available" and customer:
        raise BadInput("status available cannot have a customer and a line")
    return Row(line, details, customer, service_line)


def read(stream: TextIO, lines: set[tuple[str, str]]) -> tuple[list[Row], list[tuple[int, str]]]:
    """Every row checked: (good rows, bad rows as (line number, why)). A number twice is a bad row."""
    good: list[Row] = []
    bad: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    checked: dict[tuple, dict] = {}
    try:
        for line, values in _records(stream):
            try:
                row = _row(line, values, lines, checked)
            except BadInput as exc:
                bad.append((line, str(exc)))
                continue
            if row.number.number in first_seen:
                bad.append((line, f"{row.number.number} is on line {first_seen[row.number.number]} already"))
                continue
            first_seen[row.number.number] = line
            good.append(row)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the file as CSV: {exc}") from None
    return good, bad


def _lines(ctx: Context) -> set[tuple[str, str]]:
    with ctx.store.engine.connect() as conn:
        return _line_set(conn)


def _line_set(conn: Connection) -> set[tuple[str, str]]:
    query = select(customers.CUSTOMERS.c.account, customers.LINES.c.line).join(
        customers.LINES, customers.LINES.c.customer_id == customers.CUSTOMERS.c.id)
    return {(a, ln) for a, ln in conn.execute(query)}


def _lines_still_there(conn: Connection, rows: list[Row]) -> None:
    wanted = {(r.customer, r.service_line) for r in rows if r.service_line}
    if wanted and (gone := sorted(wanted - _line_set(conn))):
        customer, line = gone[0]
        raise BadInput(f"line {line!r} of customer {customer!r} was removed while this import ran: "
                       "nothing was imported")


def import_csv(ctx: Context, inventory_type: str | None, stream: TextIO, *, skip_invalid: bool) -> Report:
    itype = ctx.inventory_type(inventory_type)
    account = ctx.config.account(itype.account)
    good, bad = read(stream, _lines(ctx))
    if bad and not skip_invalid:
        raise BadInput(_refusal(bad))
    if not good and not bad:
        raise BadInput("the file holds no numbers")
    report = Report(itype.name, invalid=bad)
    from tnorder.services import lifecycle

    good.sort(key=lambda r: r.number.number)  # index pages filled in order: a third faster to insert
    pause("import-decided")
    with ctx.store.begin() as conn:  # held numbers are read under the write lock: none is added twice
        # the type and the lines as they are now: a removal committed meanwhile refuses the import
        ctx.config.still_as_read(inventory_types=itype.name, accounts=account.name)
        _lines_still_there(conn, good)
        for start in range(0, len(good), BATCH):
            batch = good[start:start + BATCH]
            known = dict(conn.execute(select(NUMBERS.c.number, NUMBERS.c.status).where(
                NUMBERS.c.number.in_([r.number.number for r in batch]))).all())
            held = {n: st for n, st in known.items() if st != "disconnected"}  # a disconnected one comes back
            report.held += [(r.line, r.number.number, held[r.number.number]) for r in batch if r.number.number in held]
            fresh = [r for r in batch if r.number.number not in held]
            for (status, owner, service_line), rows in _groups(fresh):
                lifecycle.add(conn, [r.number for r in rows], status=status, inventory_type=itype.name,
                              carrier=account.carrier, account=account.name, ref=None, actor=ctx.actor,
                              event="imported", customer=owner, line=service_line, known=known,
                              note="imported" + (f"; assigned to customer {owner} line {service_line}"
                                                 if service_line else ""))
            report.imported += [r.number.number for r in fresh]
    report.held.sort()
    return report


def _groups(rows: Iterable[Row]) -> list[tuple[tuple[str, str | None, str | None], list[Row]]]:
    groups: dict[tuple[str, str | None, str | None], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.status, row.customer, row.service_line), []).append(row)
    return list(groups.items())


def _refusal(bad: list[tuple[int, str]]) -> str:
    shown = "; ".join(f"line {line}: {why}" for line, why in bad[:SHOWN_BAD])
    more = f"; … and {len(bad) - SHOWN_BAD} more" if len(bad) > SHOWN_BAD else ""
    return (f"{len(bad)} invalid row(s), nothing imported ({shown}{more}); "
            "fix them, or give --skip-invalid to import the rest")
