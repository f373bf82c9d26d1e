"""Telephone numbers in and out: any common US form in, E.164 in the store, 10 digits on the wire."""

from __future__ import annotations

import re

from tnorder.errors import BadInput

# the everyday written forms, read without phonenumbers' full parser (7x faster: imports of 100,000
# rows spend most of their time here); anything else goes through phonenumbers. Each form read here
# must read as phonenumbers reads it (tests/test_number_forms.py): separators inside are a space, a
# dot or a dash only, since phonenumbers refuses a tab or a line break between the digits
_PLAIN = re.compile(r"\s*(?:\+?1[ .-]?)?\(?([2-9][0-9]{2})\)?[ .-]?([2-9][0-9]{2})[ .-]?([0-9]{4})\s*")
_LEADS = frozenset("23456789")  # an area code and an exchange never start with 0 or 1


def to_e164(text: str) -> str:
    """Accept `919-555-0142`, `(919) 555 0142`, `+1 919 555 0142`, `19195550142`… return `+19195550142`."""
    # the store's own form and ten plain digits, as carriers' exports hold them: no regex at all
    if len(text) == 12 and text.startswith("+1") and text.isascii() and text[2:].isdigit():
        if text[2] in _LEADS and text[5] in _LEADS:
            return text
    elif len(text) == 10 and text.isascii() and text.isdigit() and text[0] in _LEADS and text[3] in _LEADS:
        return "+1" + text
    if not text.isascii():  # phonenumbers would read `９１９…` (any script's digits) as 919…
        raise BadInput(f"not a telephone number: {text!r} (write it with ASCII digits)")
    plain = _PLAIN.fullmatch(text)
    if plain:
        return "+1" + "".join(plain.groups())
    return parsed_e164(text)


def parsed_e164(text: str) -> str:
    """`to_e164` by phonenumbers' full parser alone: every form the fast paths read must agree with it."""
    import phonenumbers

    raw = text.strip()
    try:
        parsed = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        raise BadInput(f"not a telephone number: {text!r}") from None
    national = str(parsed.national_number)
    if parsed.country_code != 1 or not re.fullmatch(r"[2-9][0-9]{2}[2-9][0-9]{6}", national):
        raise BadInput(f"not a North American number: {text!r}")
    return f"+1{national}"


def ten_digit(e164: str) -> str:
    """The carrier wire form (`NPANXXXXXX`) of an E.164 number."""
    return e164[2:] if e164.startswith("+1") else e164


def from_ten_digit(digits: str) -> str:
    digits = digits.strip()
    return digits if digits.startswith("+") else f"+1{digits[-10:]}"


def parse_numbers(values: list[str]) -> list[str]:
    """Numbers in any form, separated by commas, semicolons or newlines, deduplicated, order kept.

    Spaces inside a number are part of it (`(919) 555-0142`); a part that is no number as a whole
    but splits on spaces into numbers is read as several (`+19195550142 +19195550143`).
    """
    seen: dict[str, None] = {}
    for value in values:
        for part in re.split(r"[,;\n]+", value):
            for number in _numbers_in(part.strip()):
                seen[number] = None
    if not seen:
        raise BadInput("no telephone numbers given")
    return list(seen)


def _numbers_in(part: str) -> list[str]:
    if not part:
        return []
    try:
        return [to_e164(part)]
    except BadInput:
        pieces = part.split()
        if len(pieces) < 2:
            raise
        return [to_e164(piece) for piece in pieces]


def in_area_code(column, area_code: str) -> tuple:
    """Conditions for a stored E.164 `column` under one area code: a range on its text, not LIKE, so
    an index on the column serves it."""
    return column >= f"+1{area_code}", column < past_area_code(area_code)


def past_area_code(area_code: str) -> str:
    """The least text after every stored number of `area_code`, for range reads on the E.164 text:
    ":" sorts right after "9", so this holds for any three digits (the next area code as a number
    would not: "+11000" sorts before "+1999…", which summary meets in stored numbers)."""
    return f"+1{area_code}:"


def keypad_digits(word: str) -> str:
    """`FLOWERS` -> `3569377`, the digits a caller dials for a vanity word."""
    import phonenumbers

    return phonenumbers.convert_alpha_characters_in_number(word.upper())


def parse_pick(spec: str, count: int) -> list[int]:
    """`1,3-5` / `all` / `none` -> zero-based indices into a list of `count` results."""
    spec = spec.strip().lower()
    if spec == "all":
        return list(range(count))
    if spec in ("none", ""):
        return []
    chosen: set[int] = set()
    for part in spec.split(","):
        match = re.fullmatch(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", part)
        if not match:
            raise BadInput(f"cannot read selection {part.strip()!r}: use numbers and ranges like 1,3-5")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last > count or first > last:
            raise BadInput(f"selection {part.strip()!r} is outside 1-{count}")
        chosen.update(range(first - 1, last))
    return sorted(chosen)
