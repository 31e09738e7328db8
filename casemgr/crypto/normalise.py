"""Normalisers feeding the blind indexes: national ids, Vietnamese phone numbers, names."""

from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s+")
# Separators people type inside phone numbers.
_PHONE_NOISE = re.compile(r"[\s.\-()/]")

# In 2018 Viet Nam moved 11-digit mobile numbers to 10 digits by changing the prefix; old
# records still carry the old prefixes, so both forms must index the same.
LEGACY_MOBILE_PREFIXES = {
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",  # MobiFone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",  # VinaPhone
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36",  # Viettel
    "167": "37", "168": "38", "169": "39",
    "186": "56", "188": "58",  # Vietnamobile
    "199": "59",  # Gmobile
}  # fmt: skip


def national_id(value: str | None) -> str | None:
    """Digits only; a 12-digit personal id or a legacy 9-digit one, otherwise None."""
    if not value:
        return None
    digits = _NON_DIGITS.sub("", value)
    return digits if len(digits) in (9, 12) else None


def phone(value: str | None) -> str | None:
    """One canonical form (+84 and the national number) for +84 / 84 / 0084 / 0 forms.

    Returns None for what is not a Vietnamese number (9 or 10 digits after the trunk prefix).
    """
    if not value:
        return None
    text = _PHONE_NOISE.sub("", value.strip())
    if text.startswith("+"):
        if not text.startswith("+84"):
            return None
        national = text[3:]
    elif text.startswith("0084"):
        national = text[4:]
    elif text.startswith("84") and len(text) in (11, 12):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        return None
    national = national.removeprefix("0")  # "+84 (0)91..." is a common way of writing it
    if not national.isdigit():
        return None
    if len(national) == 10 and national[:3] in LEGACY_MOBILE_PREFIXES:
        national = LEGACY_MOBILE_PREFIXES[national[:3]] + national[3:]
    if len(national) not in (9, 10):
        return None
    return "+84" + national


def name_nfc(value: str | None) -> str | None:
    """How a name part is stored: NFC, single spaces, trimmed; None when empty."""
    if value is None:
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    return text or None


def fold(value: str) -> str:
    """Search key of a name: NFD, combining marks removed, đ/Đ -> d, lower-case, single spaces."""
    decomposed = unicodedata.normalize("NFD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "d")
    return _SPACES.sub(" ", stripped.lower()).strip()


def exact(value: str) -> str:
    """Comparison form that keeps diacritics: NFC, lower-case, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value).lower()).strip()


def whole_name(*parts: str | None) -> str | None:
    """Folded full name (surname, middle name, given name), or None if all are empty."""
    folded = fold(" ".join(p for p in parts if p))
    return folded or None


def name_tokens(*parts: str | None) -> set[str]:
    """The distinct folded words of a name."""
    return set(typed_tokens(*parts))


def typed_tokens(*parts: str | None) -> list[str]:
    """The distinct folded words of a name, in the order written."""
    folded = whole_name(*parts)
    return list(dict.fromkeys(folded.split(" "))) if folded else []


# Spellings of one name that registrations mix up, mapped to one form after folding and i/y.
# Sino-Vietnamese readings differ between North and South (Hoàng/Huỳnh 黃, Vũ/Võ 武,
# Phúc/Phước 福, Nguyên/Nguơn 元, Thái/Thới 泰, Hoàn/Huờn 環, Kính/Kiếng 鏡, Thật/Thiệt 實).
# Pairs whose folded form is itself another common name (Thạnh/Thịnh: "thanh" is Thanh) are
# left out: they would make every Thanh a candidate for every Thịnh.
NAME_VARIANTS = {
    "huinh": "hoang",
    "vo": "vu",
    "phuoc": "phuc",
    "nguon": "nguien",
    "thoi": "thai",
    "huon": "hoan",
    "kieng": "kinh",
    "thiet": "that",
}


def variant_word(word: str) -> str:
    """One folded word in its variant form: y read as i (Mỹ/Mĩ, Quý/Quí), then NAME_VARIANTS."""
    word = word.replace("y", "i")
    return NAME_VARIANTS.get(word, word)


def variant_words(*parts: str | None) -> list[str]:
    """The folded words of a name in variant form, in the order written."""
    folded = whole_name(*parts)
    return [variant_word(w) for w in folded.split(" ")] if folded else []


def variant_keys(surname: str | None, middle_name: str | None, given_name: str | None) -> list[str]:
    """Duplicate-candidate keys of a name, insensitive to word order and spelling variants.

    Two keys: every word, and the surname with the given name only (a middle name such as
    Thị or Văn is often left out); each is the sorted variant words, so "Mỹ Trần Thị" and
    "Trần Thị Mĩ" share them.
    """
    words = variant_words(surname, middle_name, given_name)
    if not words:
        return []
    keys = [" ".join(sorted(words))]
    outer = variant_words(surname) + variant_words(given_name)
    if outer and len(outer) < len(words):
        keys.append(" ".join(sorted(outer)))
    return list(dict.fromkeys(keys))
