"""Pagination of select() statements for every list page."""

from __future__ import annotations

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


def paginate(statement: Select, *, scalars: bool = True) -> Page:
    """Run the statement for the page named in ?page= (1-based), counting the total in SQL."""
    per_page = current_app.config["PER_PAGE"]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())
    ).scalar_one()
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total)
