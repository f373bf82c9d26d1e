"""tnorder's quick coercion (`tnorder.coercion`) gives what Typer's Pydantic coercion gives: the same
value of the same type, or the same error, for every value a command line can bring."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.models import ArgumentInfo, OptionInfo

from tnorder import coercion
from tnorder.cli import app  # noqa: F401  (installs the quick coercion, as running tnorder does)

WORDS = ["50", "0", "007", "00", " 5", "5 ", "+5", "-5", "1_000", "1e3", "1.5", "1.0", "1.", ".5", "0.1",
         "12.50", "inf", "nan", "", "abc", "٣", "３", "é", "9" * 18, "9" * 19, "9" * 400, "0x10", "1,5",
         "true", "no", "+19195551234", "Sandbox DIDs", "--json", "\x00", "1.2.3"]
OTHERS = [5, 0, -7, 2**53, 2**60, 5.0, 2.5, float("inf"), True, False, ("a", "b"), ["x"], (), ("a", 1),
          b"bytes", None]


def _outcome(runtime, value):
    try:
        got = runtime.coerce(value, param=_Param(), ctx=None)
    except Exception as exc:  # the error itself is what is compared
        return ("error", type(exc).__name__, str(getattr(exc, "message", exc)))
    return ("value", type(got).__name__, repr(got))


class _Param:
    """What `coerce` reads of a Click parameter."""

    multiple = False
    nargs = 1
    name = "value"

    def get_error_hint(self, ctx):
        return "'--value'"


class _Many(_Param):
    nargs = -1


@pytest.mark.parametrize("annotation", [str, int, float, bool], ids=lambda a: a.__name__)
@pytest.mark.parametrize("info", [OptionInfo, ArgumentInfo], ids=["option", "argument"])
def test_quick_coercion_answers_as_typers_own(annotation, info):
    descriptor = resolve_type_descriptor(annotation, info())
    quick, typers = coercion.runtime_param(descriptor), build_runtime_param(descriptor)
    assert isinstance(quick, coercion._Quick)  # the quick path is the one under test
    for value in WORDS + OTHERS:
        assert _outcome(quick, value) == _outcome(typers, value), (annotation, value)


def test_quick_coercion_of_a_list_of_words_answers_as_typers_own():
    descriptor = resolve_type_descriptor(list[str], ArgumentInfo())
    quick, typers = coercion.runtime_param(descriptor), build_runtime_param(descriptor)
    assert isinstance(quick, coercion._Quick)
    param = _Many()
    for value in [(), ("a",), ("a", "b"), ["x", "y"], ("a", 1), (b"x",), "word", None, 5]:
        def outcome(runtime, value=value):
            try:
                got = runtime.coerce(value, param=param, ctx=None)
            except Exception as exc:
                return ("error", type(exc).__name__, str(getattr(exc, "message", exc)))
            return ("value", type(got).__name__, repr(got))
        assert outcome(quick) == outcome(typers), value


def test_bounded_and_parsed_values_keep_typers_own_coercion():
    for info in (OptionInfo(min=0), OptionInfo(max=9), OptionInfo(clamp=True, min=0), OptionInfo(parser=int)):
        descriptor = resolve_type_descriptor(int, info)
        assert not isinstance(coercion.runtime_param(descriptor), coercion._Quick)


PROBE = """
import sys
sys.argv = ["tnorder"] + sys.argv[1:]
from tnorder.cli import main
try:
    main()
except SystemExit:
    pass
print("PYDANTIC:" + str("pydantic" in sys.modules), file=sys.stderr)
"""


def _pydantic_loaded(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    return [x for x in done.stderr.splitlines() if x.startswith("PYDANTIC:")][-1]


def test_store_commands_do_not_load_pydantic_for_plain_values():
    for args in (("inventory", "list", "--status", "available", "--limit", "50", "--json"),
                 ("orders", "list", "--limit", "5"), ("config", "carrier", "list", "--json")):
        assert _pydantic_loaded(*args) == "PYDANTIC:False", args
    # guards the check above against passing vacuously: a value the quick path does not answer
    # goes to Typer's own coercion, which loads Pydantic and words the error as before
    assert _pydantic_loaded("inventory", "list", "--limit", "x") == "PYDANTIC:True"


def test_a_bad_number_is_refused_in_typers_words(cli):
    result = cli("inventory", "list", "--limit", "ten")
    assert result.code == 2
    assert result.err == ("tnorder: error: Invalid value for '--limit': Input should be a valid integer, "
                          "unable to parse string as an integer\n")
