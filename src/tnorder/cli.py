"""The root command: global options, the sub-apps, and the one place errors become exit codes."""


import contextlib
import os
import sys
from typing import Annotated

import typer

from tnorder import __version__, coercion, interrupts
from tnorder.commands import completion, config, customer, examples, inventory, orders, sim

app = typer.Typer(
    name="tnorder",
    help="Order telephone numbers (DIDs) from carriers and keep their inventory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config.app, name="config")
app.add_typer(inventory.app, name="inventory")
app.add_typer(customer.app, name="customer")
app.add_typer(orders.app, name="orders")
app.add_typer(sim.app, name="sim")
app.add_typer(completion.app, name="completion")
examples.attach(app)


def _flags_take_no_value() -> None:
    """Typer's help shows a type beside every flag (`--yes <bool>`) as if it took a value: a flag shows
    none, whoever declared it (the --help option included)."""
    from typer.core import TyperOption

    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None:  # a Typer that draws help otherwise
        return

    def display_type_rich(self: TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag and not self.count else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()
coercion.install()
typer._click.termui.visible_prompt_func = interrupts.read_line  # prompts and confirmations: signal-safe


def _version(value: bool) -> None:
    if value:
        print(f"tnorder {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", envvar="TNORDER_DB", help="Store: a SQLite path or any SQLAlchemy URL."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log carrier requests on stderr (never credentials).")
    ] = False,
) -> None:
    if verbose:
        import logging

        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("tnorder").setLevel(logging.DEBUG)
    ctx.obj = {"db": db}


def main(argv: list[str] | None = None) -> None:
    """Run tnorder; every failure ends as one line on stderr and a documented exit code."""
    from typer.exceptions import TyperException

    from tnorder import arguments, deadline, prune
    from tnorder.argv import hoist
    from tnorder.errors import TnorderError

    interrupts.install()
    given = sys.argv[1:] if argv is None else argv
    try:
        deadline.start()
        args = hoist(arguments.normalise(given))
        arguments.check(args)
        if os.environ.get(completion.COMPLETE_VAR):
            with completion.enabled(app) as command:
                code = command.main(args=args, prog_name="tnorder", standalone_mode=False)
        else:
            command = typer.main.get_command(prune.for_args(app, args))
            code = command.main(args=args, prog_name="tnorder", standalone_mode=False)
    except interrupts.Interrupted as exc:
        _interrupted(exc, given)
    except TnorderError as exc:
        _after_send(str(exc), given)
        _fail(str(exc), exc.exit_code, given)
    except TyperException as exc:  # usage errors from the parser
        _fail(exc.format_message(), getattr(exc, "exit_code", 2) or 2, given)
    except typer.Abort:
        _fail("aborted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("TNORDER_DEBUG"):
            raise
        _unexpected(exc, given)
    finally:
        interrupts.restore()
    sys.exit(code if isinstance(code, int) else 0)


def _unexpected(exc: Exception, given: list[str]) -> None:
    """A database error the operator can act on has its own line and code; anything else is a bug (1)."""
    from tnorder import storecheck

    if storecheck.is_busy(exc):  # a write that waited past TNORDER_LOCK_TIMEOUT outside `Store.write`
        message, code = str(storecheck.busy(storecheck.opened or "")), 10
    elif storecheck.is_store_failure(exc):  # e.g. a read-only store met by a command that writes
        message, code = str(storecheck.unusable(storecheck.opened or "", exc)), 2
    else:
        message, code = f"unexpected {type(exc).__name__}: {exc}", 1
    _after_send(message, given)
    _fail(message + (" (set TNORDER_DEBUG=1 for a traceback)" if code == 1 else ""), code, given)


def _interrupted(exc: BaseException, given: list[str]) -> None:
    """Name every order this run sent (or may have sent): a rerun without --key would buy again."""
    with contextlib.suppress(OSError):  # a closed terminal (SIGHUP) must not stop the exit code
        for ref, how in interrupts.sent().items():
            sys.stderr.write(f"tnorder: order {ref} was {how} before the interrupt; "
                             "`tnorder orders poll` will follow it (do not order it again)\n")
    said = getattr(exc, "said", None)  # what the interrupted flow left behind, when it knows
    _fail(said or f"interrupted by {exc}", getattr(exc, "exit_code", 130), given)


def _after_send(message: str, given: list[str]) -> None:
    """A failure once this run sent orders (or may have): never exit 2 ("nothing was sent") or 1
    without naming them. Each is named with the next step, and the exit is 5 (still pending)."""
    from tnorder.errors import EXIT_STILL_PENDING

    sent = interrupts.sent()
    if not sent:
        return
    with contextlib.suppress(OSError):
        for ref, how in sent.items():
            sys.stderr.write(f"tnorder: order {ref} was {how}; `tnorder orders poll` will settle it "
                             "(do not order it again)\n")
    _fail(message, EXIT_STILL_PENDING, given)


def _fail(message: str, code: int, given: list[str] | None = None) -> None:
    from tnorder import render

    first = _shown(str(message), given or [])
    if first:  # empty when the parser already showed help (a group called with no command)
        with contextlib.suppress(OSError):
            render.message(f"tnorder: error: {first}")  # one line in a pipe; wrapped between words on a terminal
    sys.exit(code)


def _shown(message: str, given: list[str]) -> str:
    """The one line an error is: no store password (whichever URL it came from), no control
    character, and the arguments it echoes cut short."""
    from tnorder import render, storecheck

    named = [given[i + 1] for i, arg in enumerate(given[:-1]) if arg == "--db"]
    named += [arg.partition("=")[2] for arg in given if arg.startswith("--db=")]
    text = storecheck.scrub(message, storecheck.opened, os.environ.get("TNORDER_DB"), *named)
    return render.cut(render.printable(" ".join(text.split())), given)
