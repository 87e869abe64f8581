"""What users type into the prompts: ASCII digits only, and never an exception.

Issue 9, item 4 (the parsing part): `²` in the clamp prompt and `0 ³` in the
new-network prompt crashed the app, because `str.isdigit()` accepts them and `int()`
refuses them; `\\d` in the sum prompt accepted Arabic-Indic and other Unicode digits.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui.parsing import (
    parse_iteration,
    parse_load_path,
    parse_reset,
    parse_save_path,
    parse_sum,
    parse_unit,
)

# Every character Python calls a digit, decimal or numeric that is not an ASCII digit:
# superscripts, fractions, Roman numerals, circled numbers, 60-odd scripts' digits ...
UNICODE_DIGITS = "".join(
    c
    for c in map(chr, range(sys.maxunicode + 1))
    if (c.isdigit() or c.isdecimal() or c.isnumeric()) and not ("0" <= c <= "9")
)
DIGIT_CLASSES = sorted({unicodedata.category(c) for c in UNICODE_DIGITS})


def test_the_alphabet_covers_every_unicode_digit_class() -> None:
    assert DIGIT_CLASSES == ["Lo", "Nd", "Nl", "No"]  # Lo: CJK numerals like 〇 and 五
    assert {"²", "³", "٣", "۴", "५", "౬", "๗", "Ⅷ", "½", "①", "𝟗"} <= set(UNICODE_DIGITS)


@pytest.mark.parametrize("text", ["²", "h³", "٣", "𝟗", "①", "Ⅷ", "1²", "½"])
def test_a_unit_number_takes_ascii_digits_only(text: str) -> None:
    assert parse_unit(text, 16) == (
        None,
        "type a unit number from 0 to 15, or leave it blank",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("²", "type a seed and a hidden size, like 0 16"),
        ("0 ³", "the hidden size must be a whole number from 1 to 1024, not ³"),
        ("٣ ٤", "the seed must be a whole number from 0 to 4294967295, not ٣"),
        ("0 ١٦", "the hidden size must be a whole number from 1 to 1024, not ١٦"),
        ("𝟎 16", "the seed must be a whole number from 0 to 4294967295, not 𝟎"),
        ("0 ¹⁶", "the hidden size must be a whole number from 1 to 1024, not ¹⁶"),
        ("Ⅰ 16", "the seed must be a whole number from 0 to 4294967295, not Ⅰ"),
        ("-1 8", "the seed must be a whole number from 0 to 4294967295, not -1"),
    ],
)
def test_a_reset_takes_ascii_digits_only(text: str, problem: str) -> None:
    assert parse_reset(text) == (None, problem)


@pytest.mark.parametrize("text", ["٩ + ٦٠", "9 + ٦٠", "９ + 60", "𝟗 + 60", "9² + 1", "9 + 60 + 1"])
def test_a_sum_takes_ascii_digits_only(text: str) -> None:
    assert parse_sum(text, 8) == (None, "type two whole numbers, like 9 + 60 (each 0 to 127)")


def test_the_ascii_forms_still_work() -> None:
    assert parse_unit(" 5 ", 16) == (5, None)
    assert parse_unit("h15", 16) == (15, None)
    assert parse_unit("", 16) == (-1, None)
    assert parse_unit("16", 16) == (None, "type a unit number from 0 to 15, or leave it blank")
    assert parse_reset("0 16") == ((0, 16), None)
    assert parse_reset(" 4294967295, 1024 ") == ((4294967295, 1024), None)
    assert parse_sum("9 + 60", 8) == ((9, 60), None)
    assert parse_sum("9,60", 8) == ((9, 60), None)
    assert parse_sum("0009 60", 8) == ((9, 60), None)


def test_huge_numbers_get_the_range_message_not_an_exception() -> None:
    huge = "9" * 5000  # int() refuses more than 4300 digits with a ValueError
    assert parse_reset(f"{huge} 16") == (None, f"seed must be at most {2**32 - 1}")
    assert parse_reset(f"0 {huge}") == (None, "hidden size must be between 1 and 1024")
    assert parse_reset(f"{'0' * 5000}7 16") == ((7, 16), None)  # leading zeros are fine
    assert parse_unit(huge, 16)[1] == "type a unit number from 0 to 15, or leave it blank"
    assert parse_sum(f"{huge} + 1", 8)[0] is None


# ------------------------------------------------------------------------- fuzzing

NASTY = (
    UNICODE_DIGITS[::7]
    + "0123456789+,-. h"
    + "[]/=#@:"  # Rich markup: [/], [b], [link=...]
    + "".join(map(chr, range(32)))  # control characters, newline and escape among them
    + "\x7f\x85\xa0\u2028\u2029\u200b\u3000\ufeff"  # DEL, NEL, odd spaces and breaks
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=NASTY, max_size=40),
    st.builds(
        lambda a, sep, b: f"{a}{sep}{b}",
        st.text(alphabet="0123456789" + UNICODE_DIGITS[::13], min_size=1, max_size=14),
        st.sampled_from([" + ", ",", " ", "+", "\t", "\n", " \u3000", "[/]"]),
        st.text(alphabet="0123456789" + UNICODE_DIGITS[::11], min_size=1, max_size=14),
    ),
    st.integers(4000, 6000).map(lambda n: "9" * n),  # int() refuses over 4300 digits
    st.integers(0, 10**40).map(str),
    st.sampled_from(["[/]", "x[/b].npz", "[bold]1[/bold]", "1\x1b[31m", "\0", "~", "~nobody"]),
)
ASCII_SUM = re.compile(r"[ \t\n\r\f\v]*[0-9]+[ \t\n\r\f\v]*[+, \t\n\r\f\v][ \t\n\r\f\v]*[0-9]+\s*")


def is_one_line_message(message: object) -> bool:
    return (
        isinstance(message, str)
        and bool(message.strip())
        and not any(c in message for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    )


def check_result(result: object) -> object:
    """(value, None) or (None, one-line message); returns the value."""
    assert isinstance(result, tuple) and len(result) == 2, result
    value, message = result
    if message is None:
        assert value is not None
    else:
        assert value is None and is_one_line_message(message), result
    return value


@settings(max_examples=1500, deadline=None)
@given(text=TEXTS, bits=st.integers(2, 32), hidden=st.integers(1, 1024))
@example(text="²", bits=8, hidden=16)
@example(text="0 ³", bits=8, hidden=16)
@example(text="٩ + ٦٠", bits=8, hidden=16)
def test_the_number_prompts_never_raise_and_take_ascii_digits_only(
    text: str, bits: int, hidden: int
) -> None:
    pair = check_result(parse_sum(text, bits))
    if pair is not None:
        a, b = pair  # type: ignore[misc]
        assert ASCII_SUM.fullmatch(text), text
        assert 0 <= a < 2 ** (bits - 1) and 0 <= b < 2 ** (bits - 1)
    unit = check_result(parse_unit(text, hidden))
    if unit == -1:
        assert text.strip() == ""
    elif unit is not None:
        digits = text.strip().removeprefix("h")
        assert digits.isascii() and digits.isdigit() and int(digits) == unit < hidden
    reset = check_result(parse_reset(text))
    if reset is not None:
        parts = text.replace(",", " ").split()
        assert all(p.isascii() and p.isdigit() for p in parts)
        assert reset == (int(parts[0]), int(parts[1]))  # type: ignore[comparison-overlap]


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_the_path_prompts_never_raise(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # They only look at the file system (stat), never write; `~` is a scratch folder.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for parse in (parse_save_path, parse_load_path):
        value, message = parse(text)
        assert (value is None) != (message is None)
        assert isinstance(value if message is None else message, str)


def test_the_load_prompt_names_what_is_there_instead_of_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    os.mkfifo(tmp_path / "pipe")
    assert parse_load_path("adir") == (None, "adir is a folder; type a checkpoint file's name")
    assert parse_load_path(" pipe ") == (None, "pipe is not a regular file")
    assert parse_load_path("gone.npz") == (None, "no file named gone.npz")


def test_a_unit_of_a_carried_state() -> None:
    from tui.parsing import parse_state_unit

    assert parse_state_unit("c3", 16, ("h", "c")) == (("c", 3), None)
    assert parse_state_unit("h3", 16, ("h", "c")) == (("h", 3), None)
    assert parse_state_unit("3", 16, ("h",)) == (("h", 3), None)
    assert parse_state_unit("", 16, ("h",)) == (("h", -1), None)
    assert parse_state_unit("c3", 16, ("h",))[0] is None  # the RNN has no c
    assert parse_state_unit("c", 16, ("h", "c"))[0] is None


def test_going_before_the_loaded_history_is_refused_in_the_prompt() -> None:
    assert parse_iteration("5,000", first=340_584) == (
        None,
        "this run's history starts at 340,584 (where it was loaded): type 340,584 or later",
    )
    assert parse_iteration("340584", first=340_584) == (340_584, None)
    assert parse_iteration("0") == (0, None)


def test_a_sum_of_numbers_too_long_for_any_range_says_the_range() -> None:
    assert parse_sum("99999999999999999 + 3", 8) == (
        None,
        "each number must be between 0 and 127 for 8-bit sums",
    )
    assert parse_sum("1" + " " * 50_000 + "x", 8)[0] is None  # no backtracking over a run
    assert parse_sum(" 9 \t+   60 ", 8) == ((9, 60), None)
