"""Command-line values checked at the door, before the parser turns them into numbers.

Surrounding whitespace is trimmed from every value, in every command (`' 919'` is 919 in a lookup
and in `inventory list` alike; `' ACME'` names customer ACME); names are never stored with it.
`--key` too: carriers trim the text of their client reference, so the key tnorder keeps is the
key the carrier finds when `orders poll` asks for it.

Python's `int()` and `float()` (and so the parser) read `９１９`, `٩١٩` or `९१९` as 919: a digit in
any script; and `1_0` as 10, `+5` as 5, `1e1` as 10.0. tnorder has one digit rule, here and in
batch files (`services/batch.py`) and order references (`order_reads.normalize_ref`): a count is
ASCII digits 0-9 and nothing else, a number of seconds may add a decimal point, and a code or
pattern of digits is ASCII. Anything else is refused here, with exit 2, before any store or
carrier is touched.
"""

from __future__ import annotations

import re

from tnorder.errors import BadInput

WHOLE = re.compile(r"[0-9]+")  # the one rule for a count, on the command line and in files
DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")

# options whose values are digits, codes or numbers (long and short forms)
DIGIT_OPTIONS = frozenset({
    "--quantity", "-q", "--limit", "--timeout", "--from-inventory", "--area-code", "--lata", "--zip",
    "--pick", "--port", "--latency-ms", "--seed", "--complete-after", "--fail-rate", "--rate-limit",
    "--npa-nxx", "--toll-free", "--drop-rate",
})
COUNT_OPTIONS = frozenset({"--quantity", "-q", "--limit", "--from-inventory", "--port", "--latency-ms", "--seed",
                           "--rate-limit"})
SECONDS_OPTIONS = frozenset({"--timeout", "--complete-after", "--fail-rate", "--drop-rate"})


KEEP_AS_GIVEN: frozenset[str] = frozenset()  # every value is trimmed (see the module notes)


def normalise(argv: list[str]) -> list[str]:
    """`argv` with surrounding whitespace trimmed from each value (see the module notes)."""
    out: list[str] = []
    previous = ""
    for arg in argv:
        if arg.startswith("--") and "=" in arg:
            option, _, value = arg.partition("=")
            out.append(arg if option in KEEP_AS_GIVEN else f"{option}={value.strip()}")
        elif previous in KEEP_AS_GIVEN or arg.strip().startswith("-") or arg == "--":
            out.append(arg)  # an option name, or a value kept as given: left for the parser to judge
        else:
            out.append(arg.strip())
        previous = arg
    return out


def is_whole(text: str) -> bool:
    """A count as tnorder reads it everywhere: ASCII digits 0-9 only (no sign, `_`, space or other script)."""
    return WHOLE.fullmatch(text) is not None


def check(argv: list[str]) -> None:
    """Refuse a value that breaks the digit rule (see the module notes) given to an option that takes
    digits, and `--timeout` without `--wait`."""
    for option, value in _option_values(argv):
        if option in COUNT_OPTIONS and _read_otherwise(value, int, WHOLE):
            raise BadInput(f"{option} {_short(value)!r}: write a whole number with ASCII digits 0-9")
        if option in SECONDS_OPTIONS and _read_otherwise(value, float, DECIMAL):
            raise BadInput(f"{option} {_short(value)!r}: write a number with ASCII digits 0-9 (and a decimal point)")
        if option in DIGIT_OPTIONS and not value.isascii():
            raise BadInput(f"{option} {_short(value)!r}: write it with ASCII digits 0-9")
    _timeout_needs_wait(argv)


def _timeout_needs_wait(argv: list[str]) -> None:
    """`--timeout` bounds `--wait` only: alone it would be silently ignored, so it is refused (the
    script that wrote it expects a wait)."""
    options = argv[:argv.index("--")] if "--" in argv else argv
    if any(a == "--timeout" or a.startswith("--timeout=") for a in options) and "--wait" not in options:
        raise BadInput("--timeout applies only with --wait: add --wait, or leave --timeout out")


def _read_otherwise(value: str, parse: type, rule: re.Pattern[str]) -> bool:
    """Would the parser read `value` as a number it does not spell (`1_0`, `+5`, `1e1`, `١`)?

    What the parser refuses anyway (`ten`), a plain negative and `nan`/`inf` are left to it and to
    the option's own range check, which say what is allowed."""
    try:
        parse(value)
    except ValueError:
        return False
    plain = value.removeprefix("-")
    return not (rule.fullmatch(plain) or plain.lower() in ("nan", "inf", "infinity"))


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def _option_values(argv: list[str]):
    waiting: str | None = None
    for arg in argv:
        if arg == "--":
            return
        if waiting is not None:
            yield waiting, arg
            waiting = None
            continue
        if arg.startswith("--") and "=" in arg:
            option, _, value = arg.partition("=")
            yield option, value
        elif arg in DIGIT_OPTIONS:
            waiting = arg
        elif arg.startswith("-q") and len(arg) > 2 and not arg.startswith("--"):
            yield "-q", arg[2:]
