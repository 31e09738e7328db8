"""The `cards` template filter: list cells labelled by their column, the table marked as cards."""

from __future__ import annotations

from casemgr.web.cards import cards

TABLE = """<div class="table-responsive"><table class="table table-sm" data-testid="x">
<thead><tr><th>Case</th><th colspan="2">Who &amp; "what"</th><th><span class="visually-hidden">Open</span></th><th></th></tr></thead>
<tbody>
<tr class="a"><td><a href="/x">1</a></td><td>a</td><td data-label="Mine">b</td><td>c</td><td><button>Go</button></td></tr>
<tr><td colspan="5">Nothing yet.</td></tr>
</tbody></table></div>"""  # noqa: E501


def test_cells_are_labelled_by_their_column_and_the_table_becomes_cards():
    html = str(cards(TABLE))
    assert 'class="table table-sm table-cards"' in html
    assert '<td data-label="Case"><a href="/x">1</a></td>' in html
    assert '<td data-label="Who &amp; &#34;what&#34;">a</td>' in html  # escaped once, not twice
    assert '<td data-label="Mine">b</td>' in html  # a hand-written label is kept
    assert '<td data-label="Open">c</td>' in html  # visually hidden header text counts
    assert "<td><button>Go</button></td>" in html  # an empty header labels nothing
    assert '<td colspan="5">Nothing yet.</td>' in html  # nor does an "empty list" row


def test_a_table_already_marked_or_without_header_is_left_as_it_is():
    marked = TABLE.replace('class="table table-sm"', 'class="table table-cards"')
    assert str(cards(marked)).count("table-cards") == 1
    plain = "<table><tbody><tr><td>1</td></tr></tbody></table>"
    assert str(cards(plain)) == plain


def test_the_filter_is_registered_for_templates(app):
    rendered = app.jinja_env.from_string("{% filter cards %}" + TABLE + "{% endfilter %}").render()
    assert 'data-label="Case"' in rendered
