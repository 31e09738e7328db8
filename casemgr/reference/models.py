"""Reference tables: ethnic groups, target groups and sub-groups, each named in both languages."""

from __future__ import annotations

from flask_babel import get_locale
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemgr.db import Base, intpk


class Bilingual:
    """Rows named in Vietnamese and English; `label` picks the user's language."""

    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        """The name in the current UI language."""
        return self.name_en if str(get_locale()) == "en" else self.name_vi


class Ethnicity(Bilingual, Base):
    """One of Viet Nam's 54 ethnic groups (plus foreign / unknown), by official code."""

    __tablename__ = "ethnicities"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)


class TargetGroup(Bilingual, Base):
    """One of the five programmes' target groups."""

    __tablename__ = "target_groups"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)


class SubGroup(Bilingual, Base):
    """A sub-group of a target group (a child may be in several of the a–o groups)."""

    __tablename__ = "sub_groups"
    __table_args__ = (UniqueConstraint("group_code", "code"),)

    id: Mapped[intpk]
    group_code: Mapped[str] = mapped_column(ForeignKey("target_groups.code"))
    code: Mapped[str] = mapped_column(String(20))
