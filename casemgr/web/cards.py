"""Lists as cards on small screens: one template filter labels every cell with its column.

A list table is wrapped in `{% filter cards %}…{% endfilter %}`. The filter adds the class
`table-cards` to the table and, to each body cell without one, a `data-label` taken from its
column's header (colspan counted), so the labels can never drift from the headers.
casemgr.css turns such a table into one card per row below 576 px, each cell showing its
label (docs/accessibility.md). A cell spanning several columns (an "empty list" row) gets no
label; a hand-written `data-label` is kept.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

_TABLE_OPEN = re.compile(r"<table\b[^>]*>", re.I)
_CLASS = re.compile(r"""\bclass=(["'])(.*?)\1""", re.I | re.S)
_THEAD = re.compile(r"<thead\b.*?</thead>", re.I | re.S)
_TBODY = re.compile(r"(<tbody\b[^>]*>)(.*?)(</tbody>)", re.I | re.S)
_HEADER_CELL = re.compile(r"<th\b([^>]*)>(.*?)</th>", re.I | re.S)
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.I | re.S)
_CELL_OPEN = re.compile(r"<(td|th)\b([^>]*)>", re.I)
_COLSPAN = re.compile(r"""\bcolspan=["']?(\d+)""", re.I)
_TAG = re.compile(r"<[^>]+>")

CARDS_CLASS = "table-cards"


def _span(attrs: str) -> int:
    found = _COLSPAN.search(attrs)
    return max(1, int(found.group(1))) if found else 1


def _column_labels(thead: str) -> list[str]:
    """The text of each header column (visually hidden text included), one per column."""
    labels: list[str] = []
    for attrs, inner in _HEADER_CELL.findall(thead):
        text = " ".join(html.unescape(_TAG.sub(" ", inner)).split())
        labels += [text] * _span(attrs)
    return labels


def _label_row(row: str, labels: list[str]) -> str:
    column = 0
    out: list[str] = []
    last = 0
    for cell in _CELL_OPEN.finditer(row):
        attrs = cell.group(2)
        span = _span(attrs)
        label = labels[column] if column < len(labels) else ""
        if span == 1 and label and "data-label" not in attrs:
            # First, so that the cell's own attributes still close its opening tag.
            opening = f'<{cell.group(1)} data-label="{escape(label)}"{attrs}>'
            out.append(row[last : cell.start()] + opening)
        else:
            out.append(row[last : cell.end()])
        last = cell.end()
        column += span
    out.append(row[last:])
    return "".join(out)


def _with_class(opening: str) -> str:
    found = _CLASS.search(opening)
    if found is None:
        return f'{opening[:-1]} class="{CARDS_CLASS}">'
    if CARDS_CLASS in found.group(2).split():
        return opening
    start, end = found.span(2)
    return f"{opening[:start]}{found.group(2)} {CARDS_CLASS}{opening[end:]}"


def cards(markup: str) -> Markup:
    """Label the body cells of the table(s) in `markup` by column, and mark them as cards."""
    text = str(markup)
    thead = _THEAD.search(text)
    if thead is None:
        return Markup(text)  # noqa: S704 - rendered template output, unchanged
    labels = _column_labels(thead.group(0))
    text = _TABLE_OPEN.sub(lambda m: _with_class(m.group(0)), text, count=1)
    text = _TBODY.sub(
        lambda body: (
            body.group(1)
            + _ROW.sub(
                lambda row: row.group(1) + _label_row(row.group(2), labels) + row.group(3),
                body.group(2),
            )
            + body.group(3)
        ),
        text,
    )
    return Markup(text)  # noqa: S704 - rendered template output, only attributes added
