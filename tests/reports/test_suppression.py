"""Small-cell protection: no suppressed entry can be worked back out from what is published."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casemgr.reports.suppression import (
    COMPLEMENTARY_LABEL,
    PRIMARY_LABEL,
    THRESHOLD,
    Mark,
    lines,
    protect,
)

counts = st.one_of(st.integers(0, 6), st.integers(0, 30))
tables = st.integers(1, 4).flatmap(
    lambda cols: st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=1, max_size=4)
)


def reader_domains(published) -> dict[tuple[int, int], tuple[int, int]]:
    """What a reader knows of each suppressed entry from its label alone.

    "<5" is 1-4 (0-4 under the note "a '<5' may stand for 0"); "x" is 5 or more (else it
    would read "<5") and at most the grand total when that is shown. A hidden grand total
    gives no ceiling: the search looks well past it (a wider window can only help the reader,
    so it never hides a derivable entry).
    """
    grid, marks = published.grid, published.marks
    ceiling = {Mark.SHOWN: grid[-1][-1], Mark.PRIMARY: THRESHOLD - 1}.get(
        marks[-1][-1], 2 * grid[-1][-1] + THRESHOLD
    )
    low = 0 if published.may_hide_zero else 1
    return {
        (i, j): (low, THRESHOLD - 1)
        if mark is Mark.PRIMARY
        else (THRESHOLD, max(THRESHOLD, ceiling))
        for i, row in enumerate(marks)
        for j, mark in enumerate(row)
        if mark is not Mark.SHOWN
    }


def feasible(published, domains: dict) -> bool:
    """Whether some integer filling of the hidden entries within `domains` makes every line add
    up (a complete search: bound narrowing over the lines, then splitting a domain in two)."""
    grid = published.grid
    all_lines = lines(len(grid), len(grid[0]))
    domains = dict(domains)
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            hidden = [(e, s) for e, s in line if e in domains]
            target = -sum(s * grid[e[0]][e[1]] for e, s in line if e not in domains)
            lo_sum = sum(domains[e][0] if s > 0 else -domains[e][1] for e, s in hidden)
            hi_sum = sum(domains[e][1] if s > 0 else -domains[e][0] for e, s in hidden)
            if not lo_sum <= target <= hi_sum:
                return False
            for e, s in hidden:
                lo, hi = domains[e]
                own_lo, own_hi = (lo, hi) if s > 0 else (-hi, -lo)
                rest_lo, rest_hi = lo_sum - own_lo, hi_sum - own_hi
                new_lo, new_hi = target - rest_hi, target - rest_lo  # bounds on s * x
                if s < 0:
                    new_lo, new_hi = -new_hi, -new_lo
                narrowed = (max(lo, new_lo), min(hi, new_hi))
                if narrowed[0] > narrowed[1]:
                    return False
                if narrowed != (lo, hi):
                    domains[e] = narrowed
                    changed = True
                    break
            if changed:
                break
    open_entries = [e for e, (lo, hi) in domains.items() if lo < hi]
    if not open_entries:
        return True  # every line was checked against the fixed values above
    entry = open_entries[0]
    lo, hi = domains[entry]
    mid = (lo + hi) // 2
    return feasible(published, {**domains, entry: (lo, mid)}) or feasible(
        published, {**domains, entry: (mid + 1, hi)}
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_suppressed_entry_can_be_derived(cells):
    published = protect(cells)
    grid, marks = published.grid, published.marks
    # Primary suppression: every entry from 1 to 4; zeros only in the documented last resort.
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if 0 < value < THRESHOLD:
                assert marks[i][j] is Mark.PRIMARY
            if value == 0 and marks[i][j] is not Mark.SHOWN:
                assert published.may_hide_zero and marks[i][j] is Mark.PRIMARY
    # Every line holds no suppressed entry or at least two.
    for line in lines(len(grid), len(grid[0])):
        hidden = sum(1 for (i, j), _ in line if marks[i][j] is not Mark.SHOWN)
        assert hidden != 1, (cells, line)
    # Stronger: each suppressed entry could hold another value given everything published.
    domains = reader_domains(published)
    assert feasible(published, domains)  # the true table is consistent: the search is sound
    for (i, j), (lo, hi) in domains.items():
        actual = grid[i][j]
        below = actual > lo and feasible(published, {**domains, (i, j): (lo, actual - 1)})
        above = actual < hi and feasible(published, {**domains, (i, j): (actual + 1, hi)})
        assert below or above, (cells, (i, j))


def test_known_table():
    # Row 0 has one small cell: the next smallest (7) hides with it, and so does column 1's
    # partner so that column 1 is not left with a single hidden cell.
    published = protect([[3, 7, 20], [6, 9, 12]])
    labels = [[published.label(i, j) for j in range(4)] for i in range(3)]
    assert labels[0][0] == PRIMARY_LABEL
    assert labels[0][1] == COMPLEMENTARY_LABEL
    assert sum(published.is_suppressed(i, 0) for i in range(3)) >= 2
    assert labels[2][3] == "57"


def test_two_ones_are_not_left_alone():
    # [1, 1, 10]: hiding only the two 1s would pin both (they add to 2 and each is >= 1).
    published = protect([[1, 1, 10]])
    assert published.is_suppressed(0, 2) or published.is_suppressed(0, 3)
    domains = reader_domains(published)
    for entry in ((0, 0), (0, 1)):
        other = {**domains, entry: (2, 4)}  # a 1 could be read as 2 or more
        assert feasible(published, other)


def test_zero_table_publishes_everything():
    published = protect([[0, 0], [0, 0]])
    assert not any(published.is_suppressed(i, j) for i in range(3) for j in range(3))


def test_a_table_without_rows_keeps_its_columns():
    """Issue 10: a breakdown with no data (no ethnicity recorded) has columns but no rows; its
    total row still has one entry per column and the corner (it was the corner alone)."""
    published = protect([], 3)
    assert published.grid == ((0, 0, 0, 0),)
    assert [published.label(0, j) for j in range(4)] == ["0", "0", "0", "0"]
