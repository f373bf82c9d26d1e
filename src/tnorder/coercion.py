"""Typer's coercion of parsed values, without Pydantic for the values a command line usually holds.

Typer passes every parsed value through a Pydantic TypeAdapter, built per parameter even when the
value is absent: importing Pydantic and building the adapters is a quarter of a store command's
start (about 80 ms of 350 on this machine). Most of tnorder's values are plain words (`str`),
flags, lists of words, whole numbers written in digits, or nothing; for those the adapter's answer is
known (the word itself, the list, `int(digits)`), and they get it here without Pydantic. Any other
value, and every value that would fail, still goes through Typer's own adapter, built on first
need: the result and every error message stay Typer's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer.core import _TyperParameter

_UNKNOWN = object()  # "not a value this module answers for": ask Typer's adapter
_MAX_EXACT = 2**53  # an int float() holds exactly, as Pydantic's float from an int does
_MAX_DIGITS = 18  # int("9" * 18) is well inside every limit Pydantic or Python sets


def _word(value: Any) -> Any:
    return value if type(value) is str else _UNKNOWN


def _flag(value: Any) -> Any:
    return value if type(value) is bool else _UNKNOWN


def _words(value: Any) -> Any:
    if type(value) in (list, tuple) and all(type(item) is str for item in value):
        return list(value)
    return _UNKNOWN


def _digits(value: Any) -> str | None:
    if type(value) is str and 0 < len(value) <= _MAX_DIGITS and value.isascii() and value.isdigit():
        return value
    return None


def _whole(value: Any) -> Any:
    if type(value) is int:
        return value
    digits = _digits(value)
    return int(digits) if digits is not None else _UNKNOWN


def _real(value: Any) -> Any:
    """Digits with at most one point between them: Python and Pydantic both round these correctly."""
    if type(value) is float:
        return value
    if type(value) is int and -_MAX_EXACT < value < _MAX_EXACT:
        return float(value)
    whole, point, fraction = value.partition(".") if type(value) is str else ("", "", "")
    if _digits(whole) is not None and (not point or _digits(fraction) is not None):
        return float(value)
    return _UNKNOWN


_QUICK: dict[Any, Callable[[Any], Any]] = {
    str: _word, bool: _flag, list[str]: _words, int: _whole, float: _real,
}


class _Quick(RuntimeParam):
    """Answers the plain values itself and hands every other to Typer's coercion, built on first need."""

    def __init__(self, descriptor: TypeDescriptor, quick: Callable[[Any], Any]) -> None:
        # RuntimeParam is a frozen dataclass; only `coerce` (which reads nothing of it) is used
        object.__setattr__(self, "_descriptor", descriptor)
        object.__setattr__(self, "_quick", quick)
        object.__setattr__(self, "_typer", None)

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        answer = self._quick(value)
        if answer is not _UNKNOWN:
            return answer
        if self._typer is None:
            object.__setattr__(self, "_typer", build_runtime_param(self._descriptor))
        return self._typer._coerce_value(value, param=param, ctx=ctx)


def runtime_param(descriptor: TypeDescriptor) -> RuntimeParam:
    """The coercion of one parameter: the quick one where its type allows, else Typer's own."""
    info = descriptor.parameter_info
    plain = (info.parser is None and info.min is None and info.max is None and not info.clamp
             and descriptor.file_annotation is None and not descriptor.is_path)
    quick = _QUICK.get(descriptor.annotation) if plain else None
    return _Quick(descriptor, quick) if quick is not None else build_runtime_param(descriptor)


def _get_runtime_param(self: _TyperParameter) -> RuntimeParam:
    if self._runtime_param is None:
        self._runtime_param = runtime_param(self.type_descriptor)
    return self._runtime_param


def install() -> None:
    """Every Typer parameter coerces through `runtime_param` from now on."""
    _TyperParameter.get_runtime_param = _get_runtime_param  # type: ignore[method-assign]
