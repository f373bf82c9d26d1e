"""The fast paths of `to_e164` (E.164, ten plain digits, the everyday written forms) read every form
exactly as phonenumbers' full parser does, and never accept what it refuses: invalid area codes and
exchanges (0xx, 1xx), wrong lengths, other countries, separators phonenumbers does not take."""

from __future__ import annotations

import itertools
import random

import pytest

from tnorder.errors import BadInput
from tnorder.numbers import parsed_e164, to_e164

PREFIXES = ("", "1", "+1", "1 ", "+1 ", "1-", "+1-", "1.", "+1.", "+", "0", "01", "11", "+11", "+44 ", "001")
AREAS = ("000", "011", "100", "211", "919", "911")  # 0xx and 1xx are no area codes
EXCHANGES = ("000", "011", "155", "211", "555", "911")
LAST = ("0142",)
WRAPS = ("{a}", "({a})", "({a}", "{a})")
SEPARATORS = ("", " ", "-", ".", "\t", "  ", " - ", "\n", "/")


def outcome(read, text: str) -> str:
    try:
        return read(text)
    except BadInput as exc:
        return f"refused: {exc}"


def forms():
    for prefix, area, exchange, last, wrap, sep in itertools.product(
            PREFIXES, AREAS, EXCHANGES, LAST, WRAPS, SEPARATORS):
        yield f"{prefix}{wrap.format(a=area)}{sep}{exchange}{sep}{last}"


def test_every_written_form_reads_as_phonenumbers_reads_it():
    read = ((text, outcome(to_e164, text), outcome(parsed_e164, text)) for text in forms())
    assert [(text, fast, full) for text, fast, full in read if fast != full] == []


@pytest.mark.parametrize("text", [
    "9195550142", "+19195550142", "2002000000", "+12002000000",  # the plain fast path
    "1195550142", "0195550142", "9191550142", "9190550142", "+11195550142", "+19190550142",  # 0/1 leads
    "919555014", "91955501422", "+1919555014", "+191955501422", "+29195550142", "+1919555014x",
    " 9195550142", "9195550142 ", "+1 9195550142", "919555 0142", "+1919-5550142",
])
def test_plain_digits_and_e164_read_as_phonenumbers_reads_them(text):
    assert outcome(to_e164, text) == outcome(parsed_e164, text)


def test_random_strings_of_digits_and_punctuation_read_as_phonenumbers_reads_them():
    rng = random.Random(18)
    alphabet = "0123456789" * 4 + "+()-. \t"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(9, 16))) for _ in range(3000)]
    texts += [f"{rng.choice(PREFIXES)}{rng.randint(0, 10**10 - 1):010d}" for _ in range(3000)]
    read = ((text, outcome(to_e164, text), outcome(parsed_e164, text)) for text in texts)
    assert [(text, fast, full) for text, fast, full in read if fast != full] == []


def test_the_fast_paths_accept_what_they_should():
    assert to_e164("9195550142") == to_e164("+19195550142") == to_e164("(919) 555-0142") == "+19195550142"
    for refused in ("1195550142", "9191550142", "+11195550142", "+19190550142", "919\t555\t0142"):
        with pytest.raises(BadInput):
            to_e164(refused)
