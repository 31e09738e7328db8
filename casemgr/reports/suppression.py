"""Small-cell protection: primary and complementary suppression of a table with its margins.

The table is handled with its margins as one (rows + 1) x (cols + 1) grid: the last column holds
the row totals, the last row the column totals, the corner the grand total. Every row and every
column of that grid is a "line" whose cells add up to its total entry.

1. Primary: every entry (cell or total) from 1 to 4 is suppressed and published as "<5", so the
   reader knows it lies in [1, 4]. Zeros are not sensitive and are never suppressed.
2. Complementary: an entry suppressed only to protect another is published as "x"; the reader
   can tell it is at least 5 (else it would read "<5") and at most the grand total.
3. A line is safe when it has no suppressed entry, or at least two and the reader's bounds
   leave slack on both sides: writing the line as  sum(suppressed cells) - suppressed total = b
   (b known from the published entries), b lies strictly between the smallest and the largest
   value the left side can take. Then every suppressed entry of the line can move by at least
   one while another compensates. Bounds are first narrowed by propagating every line's
   equation over the others (a reader can do that too), so a cell pinned through a chain of
   lines is found as well.
4. While some line is unsafe, its smallest non-zero published entry (cell or total) is
   suppressed too; rows and columns are revisited until nothing changes. Each round suppresses
   one more entry, so it ends after at most (rows + 1) x (cols + 1) rounds.
5. A line can be unsafe with every non-zero entry hidden already: one row [1, 1, 1, 1] with its
   total 4 tells that each cell is 1, whatever is hidden. Only then the table is published with
   the note "a '<5' may stand for 0" (`may_hide_zero`): the reader's range of "<5" widens to
   0-4, and the line's zeros are hidden as "<5" too if that still does not suffice.

tests/reports/test_suppression.py checks the result exhaustively on random small tables: for
each suppressed entry, the values consistent with everything published form more than one value.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5  # counts below this (and above zero) are never published
PRIMARY_LABEL = "<5"
COMPLEMENTARY_LABEL = "x"
UNBOUNDED = 10**12  # a hidden grand total gives the reader no ceiling
PROPAGATION_SWEEPS = 12


class Mark(enum.Enum):
    """How one published entry is shown."""

    SHOWN = "shown"
    PRIMARY = "primary"  # 1-4, published as "<5"
    COMPLEMENTARY = "complementary"  # suppressed to protect another, published as "x"


@dataclass(frozen=True)
class Protected:
    """A table with margins and the mark of every entry; `grid[i][j]` with totals last."""

    grid: tuple[tuple[int, ...], ...]
    marks: tuple[tuple[Mark, ...], ...]
    may_hide_zero: bool = False  # "<5" may stand for 0 (step 5 of the module docstring)

    def label(self, i: int, j: int) -> str:
        """The published text of one entry."""
        mark = self.marks[i][j]
        if mark is Mark.PRIMARY:
            return PRIMARY_LABEL
        if mark is Mark.COMPLEMENTARY:
            return COMPLEMENTARY_LABEL
        return str(self.grid[i][j])

    def is_suppressed(self, i: int, j: int) -> bool:
        return self.marks[i][j] is not Mark.SHOWN


def with_margins(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """The grid of cells with row totals, column totals and the grand total appended."""
    rows = [[*row, sum(row)] for row in cells]
    width = len(rows[0]) if rows else 1
    totals = [sum(row[j] for row in rows) for j in range(width)]
    return [*rows, totals]


def lines(n_rows: int, n_cols: int) -> list[list[tuple[tuple[int, int], int]]]:
    """Every line of an n_rows x n_cols grid (totals last) as (entry, sign): cells +1, total -1."""
    result = []
    for i in range(n_rows):
        result.append([((i, j), 1) for j in range(n_cols - 1)] + [((i, n_cols - 1), -1)])
    for j in range(n_cols):
        result.append([((i, j), 1) for i in range(n_rows - 1)] + [((n_rows - 1, j), -1)])
    return result


def _bounds(
    grid: list[list[int]], marks: list[list[Mark]], primary_lo: int
) -> dict[tuple[int, int], list[int]]:
    """What a reader knows of each suppressed entry from its mark, narrowed over the lines."""
    ceiling = _ceiling(grid, marks)
    bounds: dict[tuple[int, int], list[int]] = {}
    for i, row in enumerate(marks):
        for j, mark in enumerate(row):
            if mark is Mark.PRIMARY:
                bounds[(i, j)] = [primary_lo, THRESHOLD - 1]
            elif mark is Mark.COMPLEMENTARY:
                bounds[(i, j)] = [THRESHOLD, max(THRESHOLD, ceiling)]
    all_lines = lines(len(grid), len(grid[0]))
    # A few sweeps narrow what chains of lines give away; more would only tighten bounds that
    # are already outer bounds (the check stays sound, just less sharp, if it stops early).
    for _ in range(PROPAGATION_SWEEPS):
        changed = False
        for line in all_lines:
            hidden = [(entry, sign) for entry, sign in line if entry in bounds]
            if len(hidden) < 2:
                continue
            target = -sum(sign * grid[i][j] for (i, j), sign in line if (i, j) not in bounds)
            terms = [_term(bounds[e], s) for e, s in hidden]
            all_lo = sum(t[0] for t in terms)
            all_hi = sum(t[1] for t in terms)
            for (entry, sign), (own_lo, own_hi) in zip(hidden, terms, strict=True):
                rest_lo, rest_hi = all_lo - own_lo, all_hi - own_hi
                # sign * x = target - rest  =>  bounds on x
                lo, hi = sorted((sign * (target - rest_hi), sign * (target - rest_lo)))
                bound = bounds[entry]
                if lo > bound[0] or hi < bound[1]:
                    new = [max(bound[0], lo), min(bound[1], hi)]
                    if new != bound:
                        bounds[entry] = new
                        changed = True
        if not changed:
            break
    return bounds


def _ceiling(grid: Sequence[Sequence[int]], marks: Sequence[Sequence[Mark]]) -> int:
    """The largest value a reader can give any entry: the grand total, when it is shown."""
    mark = marks[-1][-1]
    if mark is Mark.SHOWN:
        return grid[-1][-1]
    if mark is Mark.PRIMARY:
        return THRESHOLD - 1
    return UNBOUNDED


def _term(bound: list[int], sign: int) -> tuple[int, int]:
    return (bound[0], bound[1]) if sign > 0 else (-bound[1], -bound[0])


def _unsafe_lines(
    grid: list[list[int]], marks: list[list[Mark]], primary_lo: int
) -> list[list[tuple[tuple[int, int], int]]]:
    """The lines that let a reader pin a suppressed entry (or that hold one that is pinned)."""
    bounds = _bounds(grid, marks, primary_lo)
    pinned = {entry for entry, (lo, hi) in bounds.items() if lo == hi}
    unsafe = []
    for line in lines(len(grid), len(grid[0])):
        hidden = [(entry, sign) for entry, sign in line if entry in bounds]
        if not hidden:
            continue
        if len(hidden) == 1 or any(entry in pinned for entry, _ in hidden):
            unsafe.append(line)
            continue
        actual = sum(sign * grid[i][j] for (i, j), sign in hidden)
        low = sum(_term(bounds[e], s)[0] for e, s in hidden)
        high = sum(_term(bounds[e], s)[1] for e, s in hidden)
        if not low < actual < high:
            unsafe.append(line)
    return unsafe


def protect(cells: Sequence[Sequence[int]]) -> Protected:
    """Suppress small cells and enough others that no hidden entry can be worked back out."""
    grid = with_margins(cells)
    marks = [
        [Mark.PRIMARY if 0 < value < THRESHOLD else Mark.SHOWN for value in row] for row in grid
    ]
    primary_lo = 1
    for _ in range(2 * len(grid) * len(grid[0]) + 1):
        unsafe = _unsafe_lines(grid, marks, primary_lo)
        if not unsafe:
            break
        shown = [
            [(grid[i][j], i, j) for (i, j), _ in line if marks[i][j] is Mark.SHOWN]
            for line in unsafe
        ]
        # One more entry per unsafe line in each round (not one per round: big tables would
        # take a round per cell); a line that got one this round waits for the next check.
        touched: set[tuple[int, int]] = set()
        for line, line_shown in zip(unsafe, shown, strict=True):
            if any(entry in touched for entry, _ in line):
                continue
            candidates = [e for e in line_shown if e[0] > 0 and (e[1], e[2]) not in touched]
            if candidates:
                _, i, j = min(candidates)
                marks[i][j] = Mark.COMPLEMENTARY
                touched.add((i, j))
        if touched:
            continue
        if primary_lo == 1:
            primary_lo = 0  # step 5: "<5" may now stand for 0
        elif any(shown):
            for _, i, j in next(s for s in shown if s):
                marks[i][j] = Mark.PRIMARY
        else:
            break  # everything in every unsafe line is hidden; nothing more to do
    return Protected(
        grid=tuple(tuple(row) for row in grid),
        marks=tuple(tuple(row) for row in marks),
        may_hide_zero=primary_lo == 0,
    )
