"""Chart axis labels: cut at a whole word with an ellipsis, the whole label kept as a tooltip,
and slanted so that they stay inside the picture."""

from __future__ import annotations

import math
import re

from casemgr.reports.charts import BOTTOM, LABEL_CHARS, Point, bar_chart, short_label

LONG = "Chuyển khỏi tỉnh hoặc ra nước ngoài"


def test_a_long_label_is_cut_at_a_word_with_an_ellipsis():
    short = short_label(LONG)
    assert short == "Chuyển khỏi tỉnh hoặc…"
    assert len(short) <= LABEL_CHARS and LONG.startswith(short[:-1])
    assert short_label("Nữ") == "Nữ"


def test_the_whole_label_is_the_tooltip_and_the_labels_fit_in_the_picture():
    points = [Point(LONG, 3 + i, str(3 + i)) for i in range(12)]
    svg = bar_chart("Đã đóng", "Số hồ sơ", points)
    assert svg.count(f"<title>{LONG}</title>") == 12
    first = re.search(r'<text x="([\d.]+)"[^>]*rotate\((-?\d+) [\d.]+ [\d.]+\)"><title>', svg)
    x, angle = float(first.group(1)), math.radians(-float(first.group(2)))
    length = LABEL_CHARS * 6.5  # px at font size 11, a generous average
    assert x - length * math.cos(angle) >= 0  # not cut on the left
    assert 26 + length * math.sin(angle) <= BOTTOM  # nor at the bottom


def test_a_table_without_columns_names_no_column_in_its_second_chart(client, province):
    """The column-totals chart of a table with no column dimension is titled by the table
    alone (it read "Số hồ sơ đã đăng ký ((không))")."""
    client.login(province.lead)
    svg = client.get("/reports/trend.svg?report=registered&rows=sex&cols=none&year=2026")
    title = re.search(r"<title>([^<]*)</title>", svg.get_data(as_text=True)).group(1)
    assert "(" not in title, title
