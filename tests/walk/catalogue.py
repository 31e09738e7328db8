"""English interface text in a Vietnamese page: the catalogue's msgids that should not show.

A text node of a Vietnamese page that reads as a msgid of casemgr's catalogue (whose Vietnamese
differs from the English) was either never wrapped in _() or has no translation; one that reads
as a WTForms or Flask-WTF default message is a validator text that the app never wrapped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import wtforms

from casemgr import ROOT

CATALOGUE = ROOT / "casemgr" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
WTFORMS_POT = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
# Flask-WTF's CSRF messages are plain English strings in its source, not in a catalogue.
FLASK_WTF_MESSAGES = (
    "The CSRF token is missing.",
    "The CSRF session token is missing.",
    "The CSRF token has expired.",
    "The CSRF token is invalid.",
    "The CSRF tokens do not match.",
)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdif]|%[sdif]")


@dataclass(frozen=True)
class Entry:
    msgids: tuple[str, ...]  # singular and plural
    msgstrs: tuple[str, ...]
    fuzzy: bool


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po/.pot file (enough of the format for Babel's output)."""
    entries: list[Entry] = []
    current: dict[str, str] = {}
    fuzzy = False
    key = None

    def flush() -> None:
        nonlocal current, fuzzy
        if current.get("msgid"):
            ids = tuple(v for k, v in current.items() if k.startswith("msgid"))
            strs = tuple(v for k, v in current.items() if k.startswith("msgstr"))
            entries.append(Entry(ids, strs, fuzzy))
        current, fuzzy = {}, False

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            key = None
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, rest = line.partition(" ")
            current[key] = ast.literal_eval(rest)
    return entries


@dataclass(frozen=True)
class Pattern:
    msgid: str
    why: str
    anchor: str  # the longest literal part: a cheap pre-test
    regex: re.Pattern[str] | None  # None: exact match


def _pattern(msgid: str, why: str) -> Pattern | None:
    text = " ".join(msgid.split())
    literals = PLACEHOLDER.split(text)
    if sum(len(re.findall(r"[A-Za-z]{2,}", part)) for part in literals) < 1:
        return None  # nothing English in it (a bare placeholder or a symbol)
    if len(literals) == 1:
        return Pattern(text, why, text, None)
    regex = re.compile(".+?".join(re.escape(part) for part in literals), re.DOTALL)
    return Pattern(text, why, max(literals, key=len), regex)


class EnglishText:
    """Finds interface text left in English in Vietnamese pages."""

    def __init__(self) -> None:
        patterns: list[Pattern] = []
        self.translations: dict[str, str] = {}
        for entry in read_po(CATALOGUE):
            if entry.msgstrs and not entry.fuzzy:
                self.translations[entry.msgids[0]] = entry.msgstrs[0]
            for number, msgid in enumerate(entry.msgids):
                msgstr = entry.msgstrs[min(number, len(entry.msgstrs) - 1)] if entry.msgstrs else ""
                if entry.fuzzy or not msgstr:
                    why = "a msgid without a Vietnamese translation"
                elif msgstr.strip() != msgid.strip():
                    why = "a msgid shown untranslated"
                else:
                    continue  # the same in both languages (a code, a name)
                pattern = _pattern(msgid, why)
                if pattern:
                    patterns.append(pattern)
        defaults = [m for entry in read_po(WTFORMS_POT) for m in entry.msgids]
        for msgid in (*defaults, *FLASK_WTF_MESSAGES):
            pattern = _pattern(msgid, "a WTForms/Flask-WTF default message never wrapped")
            if pattern:
                patterns.append(pattern)
        self.exact = {p.msgid: p for p in patterns if p.regex is None}
        self.formatted = [p for p in patterns if p.regex is not None]

    def translation(self, msgid: str) -> str:
        """The Vietnamese of a msgid ('' when it has none)."""
        return self.translations.get(msgid, "")

    @lru_cache(maxsize=20_000)  # noqa: B019 - one instance per test session
    def find(self, text: str) -> Pattern | None:
        """The catalogue pattern this interface text reads as, if any."""
        text = " ".join(text.split())
        if len(text) < 2:
            return None
        if text in self.exact:
            return self.exact[text]
        for pattern in self.formatted:
            if pattern.anchor in text and pattern.regex.fullmatch(text):
                return pattern
        return None
