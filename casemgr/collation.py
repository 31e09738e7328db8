"""Vietnamese alphabetical order for names shown in lists: one sort key, one SQL collation.

Code-point order put "Cao Bằng" before "Cà Mau" and "Xã Ái Tử" after "Xã Yên", because every
accented letter comes after "z". Vietnamese order (CLDR's tailoring, which PostgreSQL's ICU
collation "vi" follows) is a b c … with ă after a, â after ă, đ after d, ê after e, ô and ơ
after o, ư after u; the tones matter only between names that are otherwise equal, in the
order ngang, huyền, hỏi, ngã, sắc, nặng; lower case before upper case last of all. Numbers
compare by their value ("Phường 2" before "Phường 10"; the units' paths "/1/2/" before "/1/10/",
so that ordering by path is the tree's order).

- `sort_key(text)` is that order for Python sorts.
- `vietnamese(column)` orders a query by it: the collation named "vietnamese", which migration
  0028 creates on PostgreSQL (ICU, locale "vi-u-kn": Vietnamese, numbers by value) and
  `register_sqlite` adds to every SQLite connection (comparing `sort_key`s).
  `tests/org/test_collation.py` checks that both databases order the country's province and
  commune names as `sort_key` does.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement

NAME = "vietnamese"

# Primary weights: spaces, then punctuation and symbols, then numbers, then letters.
_SYMBOLS, _DIGITS, _LETTERS, _OTHER_SCRIPTS = 100, 0x200000, 0x40000000, 0x50000000
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER = {letter: _LETTERS + i for i, letter in enumerate(_ALPHABET)}
# Marks that make another letter of the alphabet (a + breve = ă), and the tones.
_MODIFIERS = {"\u0306", "\u0302", "\u031b"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# ICU's root order of the punctuation that names hold; spaces first, then these, then digits.
_PUNCTUATION = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


def _primary(base: str) -> int:
    if base in _LETTER:
        return _LETTER[base]
    if base.isspace():
        return 1
    if base in _PUNCTUATION:
        return 10 + _PUNCTUATION.index(base)
    if base.isdigit():
        return _DIGITS + unicodedata.digit(base, 0)
    if unicodedata.category(base)[0] in "PSZ":  # other punctuation (’), symbols: by code point
        return _SYMBOLS + ord(base)
    return _OTHER_SCRIPTS + ord(base)  # another script's letter: after the Latin letters


@lru_cache(maxsize=8192)
def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The key of `text` in Vietnamese order: letters, then tones, then case."""
    letters: list[int] = []
    tones: list[int] = []
    cases: list[int] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if not letters:
                continue
            if char in _MODIFIERS and 0 <= letters[-1] - _LETTERS < len(_ALPHABET):
                composed = unicodedata.normalize("NFC", _ALPHABET[letters[-1] - _LETTERS] + char)
                letters[-1] = _LETTER.get(composed, letters[-1])
            elif char in _TONES:
                tones[-1] = _TONES[char]
            continue
        lower = char.lower()
        weight = _primary(lower)
        if _DIGITS <= weight < _LETTERS and letters and _DIGITS <= letters[-1] < _LETTERS:
            # A number is one element, by its value: "Phường 2" before "Phường 10".
            letters[-1] = min(
                _DIGITS + (letters[-1] - _DIGITS) * 10 + weight - _DIGITS, _LETTERS - 1
            )
            continue
        letters.append(weight)
        tones.append(0)
        cases.append(0 if lower == char else 1)
    return tuple(letters), tuple(tones), tuple(cases)


def compare(left: str | None, right: str | None) -> int:
    """-1, 0 or 1 as `left` comes before, with or after `right` (SQLite's collation contract)."""
    a, b = sort_key(left or ""), sort_key(right or "")
    return (a > b) - (a < b)


def vietnamese(column: Any) -> ColumnElement:
    """`column` compared and ordered in Vietnamese order (an ORDER BY term)."""
    return column.collate(NAME)


def register_sqlite(dbapi_connection: Any) -> None:
    """Give a new SQLite connection the "vietnamese" collation."""
    dbapi_connection.create_collation(NAME, compare)
