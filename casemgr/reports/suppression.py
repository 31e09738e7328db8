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
4b. Interval propagation is not complete: a cell hidden with its own total, in a row that is
   otherwise zeros, is tied to it, and such ties can pin an entry through several lines. So
   when no line is unsafe, tables with at most EXACT_MAX_HIDDEN hidden entries get an exact
   check: for every hidden entry, a search (bound narrowing + splitting) for a solution of all
   lines in which it differs from its true value. A pinned entry's lines count as unsafe.
   Larger tables (or a search past its node budget) keep the line-by-line verdict: they are
   wide, with many hidden entries per line, where such chains are rare (docs/reports.md).
5. A line can be unsafe with every non-zero entry hidden already: one row [1, 1, 1, 1] with its
   total 4 tells that each cell is 1, whatever is hidden. Only then the table is published with
   the note "a '<5' may stand for 0" (`may_hide_zero`): the reader's range of "<5" widens to
   0-4, and the line's zeros are hidden as "<5" too if that still does not suffice; when a
   line has nothing left to hide, the table's smallest shown entry elsewhere is hidden.

tests/reports/test_suppression.py checks the result exhaustively on random small tables: for
each suppressed entry, the values consistent with everything published form more than one value.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5  # counts below this (and above zero) are never published
PRIMARY_LABEL = "<5"
COMPLEMENTARY_LABEL = "x"
UNBOUNDED = 10**12  # a hidden grand total gives the reader no ceiling
PROPAGATION_SWEEPS = 12
# The exact check (step 4b) runs on tables with at most this many hidden entries, within a
# budget of search nodes; bigger ones keep the line-by-line check with propagated bounds.
EXACT_MAX_HIDDEN = 30
EXACT_MAX_NODES = 4_000


class Mark(enum.Enum):
    """How one published entry is shown."""

    SHOWN = "shown"
    PRIMARY = "primary"  # 1-4, published as "<5"
    COMPLEMENTARY = "complementary"  # suppressed to protect another, published as "x"
    WITHHELD = "withheld"  # step 6: an interior cell of a table whose totals alone are shown


@dataclass(frozen=True)
class Protected:
    """A table with margins and the mark of every entry; `grid[i][j]` with totals last."""

    grid: tuple[tuple[int, ...], ...]
    marks: tuple[tuple[Mark, ...], ...]
    may_hide_zero: bool = False  # "<5" may stand for 0 (step 5 of the module docstring)
    # Step 6: the margins were locked and no choice of interior cells made the table safe.
    interior_hidden: bool = False  # every non-zero cell is hidden (margins as decided)
    withheld: bool = False  # even then an entry was pinned: nothing of the table is published

    def label(self, i: int, j: int) -> str:
        """The published text of one entry."""
        if self.withheld:
            return COMPLEMENTARY_LABEL
        mark = self.marks[i][j]
        if mark is Mark.PRIMARY:
            return PRIMARY_LABEL
        if mark in (Mark.COMPLEMENTARY, Mark.WITHHELD):
            return COMPLEMENTARY_LABEL
        return str(self.grid[i][j])

    def is_suppressed(self, i: int, j: int) -> bool:
        return self.withheld or self.marks[i][j] is not Mark.SHOWN


def with_margins(cells: Sequence[Sequence[int]], n_cols: int | None = None) -> list[list[int]]:
    """The grid of cells with row totals, column totals and the grand total appended.

    `n_cols` gives the width when there may be no rows: a table with no row of data still has
    its columns, and its total row must have one entry per column plus the corner.
    """
    width = (len(cells[0]) if cells else 0) if n_cols is None else n_cols
    if any(len(row) != width for row in cells):
        raise ValueError("every row of a table has one cell per column")
    rows = [[*row, sum(row)] for row in cells]
    totals = [sum(row[j] for row in rows) for j in range(width + 1)]
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
            elif mark is Mark.WITHHELD:
                bounds[(i, j)] = [0, max(THRESHOLD, ceiling)]
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
    if unsafe or not bounds:
        return unsafe
    # Line by line nothing is pinned; chains of lines can still pin an entry (a cell tied to
    # its total, whose sum with others is known). Small tables get an exact search.
    pinned = _pinned_exactly(grid, bounds)
    return [line for line in lines(len(grid), len(grid[0])) if any(e in pinned for e, _ in line)]


class _Budget(Exception):
    """The exact search took too long: keep the line-by-line verdict."""


def _pinned_exactly(grid: list[list[int]], bounds: dict) -> set[tuple[int, int]]:
    """Entries whose every integer solution, given all that is published, has one value."""
    if len(bounds) > EXACT_MAX_HIDDEN:
        return set()
    all_lines = lines(len(grid), len(grid[0]))
    counter = [0]
    pinned = set()
    try:
        for entry, (lo, hi) in bounds.items():
            actual = grid[entry[0]][entry[1]]
            below = actual > lo and _feasible(
                grid, all_lines, {**bounds, entry: [lo, actual - 1]}, counter
            )
            above = actual < hi and _feasible(
                grid, all_lines, {**bounds, entry: [actual + 1, hi]}, counter
            )
            if not below and not above:
                pinned.add(entry)
    except _Budget:
        return set()
    return pinned


def _feasible(grid, all_lines, domains: dict, counter: list[int]) -> bool:
    """Whether the hidden entries can take values in `domains` with every line adding up:
    bound narrowing over the lines, then splitting the first open domain in two."""
    counter[0] += 1
    if counter[0] > EXACT_MAX_NODES:
        raise _Budget
    domains = {e: list(d) for e, d in domains.items()}
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            hidden = [(e, sg) for e, sg in line if e in domains]
            target = -sum(sg * grid[e[0]][e[1]] for e, sg in line if e not in domains)
            terms = [_term(domains[e], sg) for e, sg in hidden]
            all_lo = sum(t[0] for t in terms)
            all_hi = sum(t[1] for t in terms)
            if not all_lo <= target <= all_hi:
                return False
            for (entry, sign), (own_lo, own_hi) in zip(hidden, terms, strict=True):
                lo, hi = sorted(
                    (sign * (target - (all_hi - own_hi)), sign * (target - (all_lo - own_lo)))
                )
                bound = domains[entry]
                new = [max(bound[0], lo), min(bound[1], hi)]
                if new[0] > new[1]:
                    return False
                if new != bound:
                    domains[entry] = new
                    changed = True
                    # The line's sums moved: recompute them before narrowing its next entry.
                    terms = [_term(domains[e], sg) for e, sg in hidden]
                    all_lo = sum(t[0] for t in terms)
                    all_hi = sum(t[1] for t in terms)
    open_entries = [e for e, (lo, hi) in domains.items() if lo < hi]
    if not open_entries:
        return True
    entry = open_entries[0]
    lo, hi = domains[entry]
    mid = (lo + hi) // 2
    return _feasible(grid, all_lines, {**domains, entry: [lo, mid]}, counter) or _feasible(
        grid, all_lines, {**domains, entry: [mid + 1, hi]}, counter
    )


Entry = tuple[int, int]


def protect(
    cells: Sequence[Sequence[int]],
    n_cols: int | None = None,
    *,
    forced: Mapping[Entry, Mark] | None = None,
    locked: Iterable[Entry] = (),
) -> Protected:
    """Suppress small cells and enough others that no hidden entry can be worked back out.

    Pass `n_cols` whenever the table may have no rows (see `with_margins`). `forced` entries
    are hidden with the given mark and `locked` ones stay shown: both were decided elsewhere
    (the linked margins, `protect_margins`), so complementary suppression never picks them.
    If no choice of other entries makes the table safe, step 6 of the module docstring."""
    grid = with_margins(cells, n_cols)
    forced = dict(forced or {})
    fixed = set(forced) | set(locked)
    marks = [
        [Mark.PRIMARY if 0 < value < THRESHOLD else Mark.SHOWN for value in row] for row in grid
    ]
    for i, j in locked:
        marks[i][j] = Mark.SHOWN
    for (i, j), mark in forced.items():
        marks[i][j] = mark
    primary_lo = 1
    for _ in range(3 * len(grid) * len(grid[0]) + 2):
        unsafe = _unsafe_lines(grid, marks, primary_lo)
        if not unsafe:
            break
        shown = [
            [(grid[i][j], i, j) for (i, j), _ in line
             if marks[i][j] is Mark.SHOWN and (i, j) not in fixed]
            for line in unsafe
        ]  # fmt: skip
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
            # Every entry of the unsafe lines is hidden: only hiding more of the table (its
            # smallest shown count, then its zeros) can add uncertainty to them.
            rest = [(v, i, j) for i, row in enumerate(grid) for j, v in enumerate(row)
                    if marks[i][j] is Mark.SHOWN and (i, j) not in fixed]  # fmt: skip
            if not rest:
                break  # everything that may be hidden is hidden
            value, i, j = min(rest, key=lambda e: (e[0] == 0, e))
            marks[i][j] = Mark.COMPLEMENTARY if value > 0 else Mark.PRIMARY
    interior_hidden = withheld = False
    if fixed and _unsafe_lines(grid, marks, primary_lo):
        # Step 6: the margins are locked and the interior could not protect them. Withhold
        # every interior cell (the reader learns nothing of them but the margins); if an entry
        # is still pinned, publish nothing of the table.
        primary_lo, interior_hidden = 1, True
        # (A cell whose row or column total is a published 0 is known to be 0: it stays shown.)
        for i, row in enumerate(grid[:-1]):
            for j in range(len(row) - 1):
                known_zero = any(
                    grid[a][b] == 0 and marks[a][b] is Mark.SHOWN
                    for a, b in ((i, len(row) - 1), (len(grid) - 1, j))
                )
                if (i, j) not in fixed:
                    marks[i][j] = Mark.SHOWN if known_zero else Mark.WITHHELD
        withheld = bool(_unsafe_lines(grid, marks, primary_lo))
    return Protected(
        grid=tuple(tuple(row) for row in grid),
        marks=tuple(tuple(row) for row in marks),
        may_hide_zero=primary_lo == 0,
        interior_hidden=interior_hidden,
        withheld=withheld,
    )


@dataclass(frozen=True)
class Margins:
    """The published marks of the margins shared by every layout of one report (one measure,
    period, group filter and scope): each dimension's totals by key, and the grand total."""

    grand: int
    grand_mark: Mark
    totals: dict  # dimension -> {key: (count, Mark)}

    def mark(self, dimension, key) -> Mark:
        """The mark of one dimension's total (a key it lacks counts 0: shown)."""
        return self.totals[dimension].get(key, (0, Mark.SHOWN))[1]


def protect_margins(totals: Mapping) -> Margins:
    """Protect every dimension's 1-D totals as linked 1 x |D| tables sharing one grand total.

    The grand total is hidden if any dimension's protection hides it; then every dimension is
    protected again with the grand total forced hidden (two passes: it cannot change again)."""
    grand = next((sum(v.values()) for v in totals.values()), 0)
    forced_mark: Mark | None = None
    for _ in range(2):
        decided, grand_hidden = {}, False
        for dimension, counts in totals.items():
            keys = list(counts)
            n = len(keys)
            forced = {(0, n): forced_mark, (1, n): forced_mark} if forced_mark else None
            protected = protect([[counts[k] for k in keys]], n, forced=forced)
            decided[dimension] = {
                k: (counts[k], _hidden_of(protected, j)) for j, k in enumerate(keys)
            }
            grand_hidden |= _hidden_of(protected, n) is not Mark.SHOWN
        if forced_mark or not grand_hidden:
            break
        forced_mark = Mark.PRIMARY if 0 < grand < THRESHOLD else Mark.COMPLEMENTARY
    return Margins(grand, forced_mark or Mark.SHOWN, decided)


def _hidden_of(protected: Protected, j: int) -> Mark:
    """The mark of column j of a 1 x n table (its entry and its copy in the total row)."""
    marks = (protected.marks[0][j], protected.marks[1][j])
    if Mark.PRIMARY in marks:
        return Mark.PRIMARY
    return Mark.COMPLEMENTARY if Mark.COMPLEMENTARY in marks else Mark.SHOWN


def unprotected(cells: Sequence[Sequence[int]], n_cols: int | None = None) -> Protected:
    """The table with its margins and nothing hidden: real counts, for the internal
    monitoring view only (never published: exports refuse a table built from it)."""
    grid = with_margins(cells, n_cols)
    return Protected(
        grid=tuple(tuple(row) for row in grid),
        marks=tuple(tuple(Mark.SHOWN for _ in row) for row in grid),
    )
