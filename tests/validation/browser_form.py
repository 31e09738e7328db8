"""What a browser would submit: the default values of a page's form, and the errors it shows."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.forms: list[list[tuple[str, str]]] = []
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside, self.values = True, []
            self.forms.append(self.values)
            return
        if not self.inside:
            return
        kind = (a.get("type") or "text").lower()
        if tag == "input" and a.get("name") and kind not in ("submit", "button", "reset"):
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.append((a["name"], a.get("value", "on")))
            else:
                self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if chosen or self._options:  # a browser submits the first option by default
                self.values.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops one line break right after the start tag (CRLF or LF).
            text = self._text
            text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self.values.append((self._textarea, text))
            self._textarea = None


def defaults(html: str) -> dict[str, str]:
    """The values a browser would send for the page's main form (the one with most controls)."""
    reader = _FormReader()
    reader.feed(html)
    return dict(max(reader.forms, key=len))


def errors_under(html: str, name: str) -> list[str]:
    """The error messages shown right under the control(s) named `name` (Bootstrap's feedback)."""
    pattern = rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>'
    controls = list(re.finditer(pattern, html))
    assert controls, f"no control named {name}"
    match = controls[-1]  # a group of checkboxes has its messages after the last one
    rest = html[match.end() :]
    following = re.split(r"<(?:input|select|textarea)\b", rest, maxsplit=1)[0]
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', following, re.S)
    ]


def is_marked(html: str, name: str) -> bool:
    """Whether the control named `name` carries Bootstrap's invalid state."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    return bool(match and "is-invalid" in match.group(0))
