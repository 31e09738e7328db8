"""Pagination of select() statements for every list page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from sqlalchemy import Select, func, select

from casemgr.extensions import db


@dataclass(frozen=True)
class Page:
    """One page of results with what the pager needs."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(raw: str | None) -> int:
    """A page number as sent (1-based): 1 for a missing, non-numeric, zero or negative value.
    Callers clamp it to the last page (before it reaches SQL, where a huge number would
    overflow) once they know the total."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    try:
        return max(1, int(raw))
    except ValueError:  # more digits than Python converts
        return 1


def requested_page() -> int:
    """The page asked for in ?page= (see page_number)."""
    return page_number(request.args.get("page"))


def paginate(statement: Select, *, scalars: bool = True) -> Page:
    """Run the statement for the page named in ?page= (1-based), counting the total in SQL.

    A page beyond the last shows the last one: a stale or edited link still lands on a list.
    """
    per_page = current_app.config["PER_PAGE"]
    total = db.session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())
    ).scalar_one()
    page = min(requested_page(), max(1, -(-total // per_page)))
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total)


def paginate_ids(
    ids: Select, load: Callable[[list[Any]], list[Any]], *, page: int | None = None
) -> Page:
    """Like paginate, for a select of ids in the list's order: the count and the page's ids
    read only those narrow rows (an index can hold them), then `load` reads the page's rows.

    `page` is the page asked for otherwise than by ?page= (a form's pager buttons, whose
    list keeps what was ticked on other pages), clamped the same way.
    """
    per_page = current_app.config["PER_PAGE"]
    total = db.session.execute(
        select(func.count()).select_from(ids.order_by(None).subquery())
    ).scalar_one()
    asked = requested_page() if page is None else page
    page = min(asked, max(1, -(-total // per_page)))
    page_ids = list(db.session.scalars(ids.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=load(page_ids), page=page, per_page=per_page, total=total)
