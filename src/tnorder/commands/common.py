"""Options shared by several commands (defined once) and small helpers for command modules."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from tnorder import completing

if TYPE_CHECKING:
    from tnorder.criteria import Criteria
    from tnorder.render import Output
    from tnorder.services.context import Context

_O = "Output"
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout (--format json).",
                                       rich_help_panel=_O)]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="One JSON object per line (--format jsonl).",
                                        rich_help_panel=_O)]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV with a header row (--format csv).", rich_help_panel=_O)]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-o", metavar="FORMAT", rich_help_panel=_O, autocompletion=completing.output_formats,
    help="table, json (one document), jsonl (one object a line), csv or tsv (a header row; lists joined by "
    "spaces, objects as JSON).")]
FieldsOpt = Annotated[str | None, typer.Option(
    "--fields", metavar="A,B,…", rich_help_panel=_O,
    help="These keys (columns), in this order, in every format.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
TypeOpt = Annotated[
    str | None,
    typer.Option("--type", "-t", help="Inventory type (optional while only one exists).",
                 autocompletion=completing.inventory_types),
]
KeyOpt = Annotated[
    str | None,
    typer.Option("--key", help="Idempotency key: the same key again returns the first order."),
]
MAX_TIMEOUT = 86400.0
MAX_LIMIT = 1_000_000_000


def _timeout(value: float) -> float:
    # `nan` compares false to everything and `inf` never ends: both would wait forever
    import math

    from tnorder.errors import BadInput

    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise BadInput(f"--timeout must be more than 0 seconds and at most {MAX_TIMEOUT:.0f}")
    return value


def _limit(value: int | None) -> int | None:
    from tnorder.errors import BadInput

    if value is not None and not 1 <= value <= MAX_LIMIT:
        raise BadInput(f"--limit must be at least 1 and at most {MAX_LIMIT}")
    return value


QuantityOpt = Annotated[int, typer.Option("--quantity", "-q", help="How many numbers.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds to wait at most.", callback=_timeout)]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="At most N.", callback=_limit)]

_C = "Lookup criteria"
AreaCode = Annotated[str | None, typer.Option("--area-code", help="NPA, e.g. 919.", rich_help_panel=_C)]
RateCenter = Annotated[
    str | None, typer.Option("--rate-center", help="Rate center (with --state).", rich_help_panel=_C)
]
State = Annotated[str | None, typer.Option("--state", help="Two-letter state.", rich_help_panel=_C,
                                           autocompletion=completing.states)]
City = Annotated[str | None, typer.Option("--city", help="City (with --state).", rich_help_panel=_C)]
Zip = Annotated[str | None, typer.Option("--zip", help="5-digit ZIP.", rich_help_panel=_C)]
Lata = Annotated[str | None, typer.Option("--lata", help="LATA code.", rich_help_panel=_C)]
TollFree = Annotated[
    str | None, typer.Option("--toll-free", help="Toll-free wildcard: 8**, 87*.", rich_help_panel=_C,
                               autocompletion=completing.toll_free_patterns)
]
Vanity = Annotated[
    str | None, typer.Option("--vanity", help="Toll-free vanity word, 4-7 characters.", rich_help_panel=_C)
]

NpaNxx = Annotated[
    str | None, typer.Option("--npa-nxx", help="Area code and exchange, 6 digits: 919439.", rich_help_panel=_C)
]
LocalVanity = Annotated[
    str | None,
    typer.Option("--local-vanity", help="Local vanity word, 3-7 characters (with --area-code or --state).",
                 rich_help_panel=_C),
]

SelectOpt = Annotated[bool, typer.Option("--select", help="Show results, ask which to order.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Lookup-and-order: order what the lookup finds.")]
PickOpt = Annotated[str | None, typer.Option("--pick", help="Order these results: 1,3-5.")]
NumbersOpt = Annotated[str | None, typer.Option("--numbers", help="Order these numbers: TN,TN…")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Wait for the carrier to finish.")]
FromFileOpt = Annotated[str | None, typer.Option(
    "--from-file", help="Many orders from a file (- for stdin): CSV with a header row, or JSON lines.")]
RetryFailedOpt = Annotated[bool, typer.Option(
    "--retry-failed", help="With --from-file: place again the lines whose earlier order failed and bought nothing.")]

LOOKUP_COLUMNS = [("number", "Number"), ("rate_center", "Rate center"), ("city", "City"),
                  ("state", "State"), ("lata", "LATA")]
LOOKUP_KEYS = ("number", "rate_center", "city", "state", "lata", "zip")  # a lookup result's document
HELD_KEYS = ("number", "status", "inventory_type", "customer", "line", "rate_center", "state", "order_ref")
HELD_COLUMNS = [("number", "Number"), ("status", "Status"), ("inventory_type", "Inventory type"),
                ("customer", "Customer"), ("line", "Line"), ("rate_center", "Rate center"), ("state", "State")]


def criteria(area_code: str | None = None, rate_center: str | None = None, state: str | None = None,
             city: str | None = None, zip: str | None = None, lata: str | None = None,
             toll_free: str | None = None, vanity: str | None = None,
             npa_nxx: str | None = None, local_vanity: str | None = None) -> Criteria:
    from tnorder.criteria import build

    return build(area_code=area_code, rate_center=rate_center, state=state, city=city, zip=zip,
                 lata=lata, toll_free=toll_free, vanity=vanity, npa_nxx=npa_nxx, local_vanity=local_vanity)


def output(form: str | None, fields: str | None, keys: Sequence[str], *, json: bool = False,
           jsonl: bool = False, csv: bool = False) -> Output:
    """The one output choice from --format and its aliases (at most one way, exit 2 otherwise), and
    --fields checked against `keys` before anything is done."""
    from tnorder import render
    from tnorder.errors import BadInput

    given = [(f"--{name}", name) for name, on in (("json", json), ("jsonl", jsonl), ("csv", csv)) if on]
    if form is not None:
        if form.lower() not in render.FORMATS:
            raise BadInput(f"unknown --format {form!r}: use one of {', '.join(render.FORMATS)}")
        given.append((f"--format {form.lower()}", form.lower()))
    if len({value for _, value in given}) > 1:
        raise BadInput(" and ".join(flag for flag, _ in given) + " cannot be combined: choose one output format")
    return render.choose(given[0][1] if given else "table", _fields(fields, keys))


def _fields(text: str | None, keys: Sequence[str]) -> tuple[str, ...] | None:
    from tnorder.errors import BadInput

    if text is None:
        return None
    chosen = tuple(name.strip() for name in text.split(","))
    unknown = [name for name in chosen if name not in keys]
    if unknown or not all(chosen):
        what = f"unknown field {unknown[0]!r}" if unknown else "an empty field"
        raise BadInput(f"{what} in --fields: use some of {', '.join(keys)}")
    if len(set(chosen)) < len(chosen):
        raise BadInput("--fields names a field twice")
    return chosen


def any_criteria(*values: str | None) -> bool:
    return any(v is not None for v in values)


def context(ctx: typer.Context) -> Context:
    """The services context for this invocation (built once, closed by the root callback)."""
    from tnorder.services.context import Context

    root = ctx.find_root()
    obj = root.obj or {}
    if "context" not in obj:
        obj["context"] = Context(db=obj.get("db"))
        root.obj = obj
        root.call_on_close(obj["context"].close)
        # every command checks the config file, also those that never need it: a hand-edited bad
        # value fails them all the same way (exit 2, naming it) instead of surfacing at random later
        obj["context"].config  # noqa: B018
    return obj["context"]


def interactive() -> bool:
    return sys.stdin.isatty()


def check_confirmable(yes: bool) -> None:
    """Without a terminal and without --yes, refuse (exit 2) up front rather than hang at a prompt."""
    from tnorder.errors import BadInput

    if not yes and not interactive():
        raise BadInput("this spends money or gives numbers up: confirm with --yes when not on a terminal")


def confirm(question: str, yes: bool) -> bool:
    """Ask on a terminal, unless --yes."""
    check_confirmable(yes)
    return yes or typer.confirm(question, default=False, err=True)


@contextmanager
def open_input(path: str) -> Iterator[TextIO]:
    """A text file named on the command line, or standard input for `-`."""

    if path == "-":
        yield sys.stdin
        return
    from tnorder.regular import named_input

    fd = named_input(path)
    with open(fd, encoding="utf-8-sig", newline="") as stream:
        yield stream
