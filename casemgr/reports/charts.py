"""Server-rendered SVG charts (bars and trends) of published, already protected figures."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from markupsafe import escape

WIDTH, HEIGHT = 720, 430
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 54, 165
LABEL_CHARS = 24  # an axis label's length before it is cut (at a word, with an ellipsis)
BAR_FILL = "#2f6f9f"
HIDDEN_TEXT = "#666666"


@dataclass(frozen=True)
class Point:
    """One bar or trend point: its label, its value when published, and its published text."""

    label: str
    value: int | None  # None when suppressed: nothing is drawn (no bar, no point, no zero)
    text: str


def _frame(title: str, y_title: str, body: list[str], points: list[Point]) -> str:
    # Presentation attributes only: the CSP forbids style attributes and inline styles.
    if any(point.value is None for point in points):
        note = escape(
            str(_l('Hidden entries ("<5", "x") are not drawn: a gap does not mean zero.'))
        )
        body = [
            f'<text class="hidden-note" x="{WIDTH / 2}" y="40" text-anchor="middle" '
            f'font-family="sans-serif" font-size="11" fill="{HIDDEN_TEXT}">{note}</text>',
            *body,
        ]
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
            f"<title>{escape(title)}</title>",
            f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
            f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-family="sans-serif" '
            f'font-size="15" font-weight="bold">{escape(title)}</text>',
            f'<text x="14" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2}" font-family="sans-serif" '
            f'font-size="12" text-anchor="middle" transform="rotate(-90 14 '
            f'{TOP + (HEIGHT - TOP - BOTTOM) / 2})">{escape(y_title)}</text>',
            f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
            f'y2="{HEIGHT - BOTTOM}" stroke="#333333"/>',
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333333"/>',
            *body,
            "</svg>",
        ]
    )


def _scale(points: list[Point]) -> float:
    top = max([p.value for p in points if p.value is not None] + [5])
    return (HEIGHT - TOP - BOTTOM) / top


def short_label(label: str) -> str:
    """An axis label that fits under the chart: cut at the last whole word, with an ellipsis."""
    if len(label) <= LABEL_CHARS:
        return label
    cut = label[: LABEL_CHARS - 1].rsplit(" ", 1)[0].rstrip(" :,;-")
    return cut + "…"


def _x_label(x: float, label: str) -> str:
    """Slanted at 60 degrees, so that the first label stays inside the frame on the left; the
    whole label is its tooltip (the table beside the chart has it too)."""
    y = HEIGHT - BOTTOM + 26
    return (
        f'<text x="{x:.1f}" y="{y}" font-family="sans-serif" font-size="11" text-anchor="end" '
        f'transform="rotate(-60 {x:.1f} {y})"><title>{escape(label)}</title>'
        f"{escape(short_label(label))}</text>"
    )


def _hidden_mark(x: float, point: Point) -> str:
    """A hidden entry's published text ("<5", "x"), under the axis: nothing is drawn above
    it, so it reads as a gap and never as a bar or point of height zero."""
    return (
        f'<text class="value" x="{x:.1f}" y="{HEIGHT - BOTTOM + 13}" font-family="sans-serif" '
        f'font-size="11" text-anchor="middle" fill="{HIDDEN_TEXT}">{escape(point.text)}</text>'
    )


def bar_chart(title: str, y_title: str, points: list[Point]) -> str:
    """Vertical bars; a suppressed entry has no bar (a gap), its "<5" or "x" under the axis."""
    body: list[str] = []
    if points:
        scale = _scale(points)
        slot = (WIDTH - LEFT - RIGHT) / len(points)
        for index, point in enumerate(points):
            x = LEFT + index * slot + slot * 0.15
            width = slot * 0.7
            base = HEIGHT - BOTTOM
            if point.value is None:
                body.append(_hidden_mark(x + width / 2, point))
            else:
                height = point.value * scale
                body.append(
                    f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{width:.1f}" '
                    f'height="{height:.1f}" fill="{BAR_FILL}"><title>{escape(point.label)}: '
                    f"{escape(point.text)}</title></rect>"
                )
                body.append(
                    f'<text class="value" x="{x + width / 2:.1f}" y="{base - height - 4:.1f}" '
                    f'font-family="sans-serif" font-size="11" text-anchor="middle">'
                    f"{escape(point.text)}</text>"
                )
            body.append(_x_label(x + width / 2, point.label))
    return _frame(title, y_title, body, points)


def trend_chart(title: str, y_title: str, points: list[Point]) -> str:
    """A line over periods; it breaks at suppressed points, whose "<5" or "x" is under the axis."""
    body: list[str] = []
    if points:
        scale = _scale(points)
        step = (WIDTH - LEFT - RIGHT) / max(1, len(points))
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, point in enumerate(points):
            x = LEFT + step * (index + 0.5)
            if point.value is None:
                if segment:
                    segments.append(segment)
                segment = []
                body.append(_hidden_mark(x, point))
            else:
                y = HEIGHT - BOTTOM - point.value * scale
                segment.append(f"{x:.1f},{y:.1f}")
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR_FILL}"/>')
                body.append(
                    f'<text class="value" x="{x:.1f}" y="{y - 8:.1f}" font-family="sans-serif" '
                    f'font-size="11" text-anchor="middle">{escape(point.text)}</text>'
                )
            body.append(_x_label(x, point.label))
        if segment:
            segments.append(segment)
        for line in segments:
            body.insert(
                0,
                f'<polyline points="{" ".join(line)}" fill="none" stroke="{BAR_FILL}" '
                f'stroke-width="2"/>',
            )
    return _frame(title, y_title, body, points)


def points_of(published: list[tuple[str, str]]) -> list[Point]:
    """Points from a table's published totals, (label, text): a hidden entry ("<5", "x") has
    no value, so no bar or point of its true height can be drawn. Charts get nothing else."""
    return [Point(label, int(text) if text.isdigit() else None, text) for label, text in published]
