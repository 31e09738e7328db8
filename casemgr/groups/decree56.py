"""The child-protection forms 01-06 of Decree 56/2017/ND-CP, filled from a case's records.

Each form keeps the decree's Vietnamese heading (the printed form is an official document);
the English gloss is translated like any other text. Facts the system does not hold (the
reporter, how the report came in) print as dotted blanks, to be filled by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from casemgr.cases import queries
from casemgr.cases.models import (
    Assessment,
    AssessmentKind,
    Case,
    CaseNote,
    CaseTransitionLog,
    NoteKind,
    PlanAction,
)
from casemgr.people.registration import relatives_of
from casemgr.people.relations import Relationship, Relative
from casemgr.rules import local_date
from casemgr.rules.tasks import DeadlineRecord, child_deadlines


@dataclass(frozen=True)
class FormSpec:
    """One form of the decree's appendix."""

    number: str
    heading_vi: str  # as printed on the official form
    heading: object  # English gloss (gettext)
    step: object  # where the form sits in the process


FORMS: dict[str, FormSpec] = {
    spec.number: spec
    for spec in (
        FormSpec(
            "01",
            "BÁO CÁO TIẾP NHẬN THÔNG TIN TRẺ EM BỊ XÂM HẠI HOẶC CÓ NGUY CƠ BỊ BẠO LỰC, "
            "BÓC LỘT, BỎ RƠI",
            _l("Intake record: report received about a child"),
            _l("Step 1: intake"),
        ),
        FormSpec(
            "02",
            "ĐÁNH GIÁ NGUY CƠ BAN ĐẦU VỀ MỨC ĐỘ TỔN HẠI CỦA TRẺ EM",
            _l("Initial assessment of the risk of harm to the child"),
            _l("Step 3: initial risk assessment"),
        ),
        FormSpec(
            "03",
            "THU THẬP THÔNG TIN, XÁC MINH, ĐÁNH GIÁ NGUY CƠ VÀ NHU CẦU CỦA TRẺ EM",
            _l("Detailed assessment of the child's risks and needs"),
            _l("Step 4: detailed assessment and case meeting"),
        ),
        FormSpec(
            "04",
            "KẾ HOẠCH HỖ TRỢ, CAN THIỆP ĐỐI VỚI TRẺ EM",
            _l("Support and intervention plan for the child"),
            _l("Step 5: case plan"),
        ),
        FormSpec(
            "05",
            "QUYẾT ĐỊNH VỀ VIỆC PHÊ DUYỆT KẾ HOẠCH HỖ TRỢ, CAN THIỆP ĐỐI VỚI TRẺ EM",
            _l("Decision approving the support and intervention plan"),
            _l("Step 5: plan approval by the commune chairperson"),
        ),
        FormSpec(
            "06",
            "RÀ SOÁT, ĐÁNH GIÁ TÌNH TRẠNG CỦA TRẺ EM SAU KHI THỰC HIỆN KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
            _l("Review of the child's situation after the plan"),
            _l("Step 7: review"),
        ),
    )
}
FORM_NUMBERS = tuple(FORMS)


@dataclass(frozen=True)
class Move:
    """A workflow move with the plan cycle it belongs to."""

    log: CaseTransitionLog
    cycle: int


@dataclass
class CaseRecords:
    """Everything the forms read from a case, gathered in a fixed number of queries."""

    case: Case
    first_worker: object
    relatives: list[Relative]
    assessments: list[Assessment]  # newest first
    notes: list[CaseNote]  # newest first
    moves: list[Move]  # oldest first
    actions: list[PlanAction]  # of the current cycle
    deadlines: list[DeadlineRecord]  # emergency action (12 h) and plan draft, met or not
    date_of_birth: dt.date | None = None
    parents: dict[str, Relative] = field(default_factory=dict)

    def latest(self, kind: AssessmentKind) -> Assessment | None:
        """The newest assessment of a kind."""
        return next((a for a in self.assessments if a.kind == kind), None)

    def last_move(self, name: str, cycle: int | None = None) -> Move | None:
        """The latest move of that name (in that plan cycle, if given)."""
        found = [m for m in self.moves if m.log.transition == name]
        if cycle is not None:
            found = [m for m in found if m.cycle == cycle]
        return found[-1] if found else None

    def form_date(self, number: str) -> dt.date | None:
        """The local date a form carries: when what it records happened (None: blank)."""
        moment = self._form_moment(number)
        return local_date(moment) if moment else None

    def _form_moment(self, number: str) -> dt.datetime | None:
        kinds = {"02": AssessmentKind.INITIAL, "03": AssessmentKind.DETAILED,
                 "06": AssessmentKind.REVIEW}  # fmt: skip
        if number == "01":
            return self.case.opened_at
        if number in kinds:
            found = self.latest(kinds[number])
            return found.created_at if found else None
        move = self.last_move("submit_plan" if number == "04" else "approve_plan", self.cycle)
        return move.log.occurred_at if move else None

    @property
    def commune_name(self) -> str:
        """The commune the case's unit serves (whose People's Committee decides), or the
        unit's own name when it serves none or several."""
        areas = self.case.unit.areas
        return areas[0].name if len(areas) == 1 else self.case.unit.name

    @property
    def cycle(self) -> int:
        """The plan cycle the forms 04 and 05 show (the current one)."""
        return self.case.plan_cycle

    def review_outcome(self) -> str | None:
        """What followed the latest review: "closure" or "new_cycle" (None: not yet)."""
        review = self.latest(AssessmentKind.REVIEW)
        if review is None:
            return None
        names = {"request_closure": "closure", "approve_closure": "closure",
                 "new_plan_cycle": "new_cycle"}  # fmt: skip
        after = [m for m in self.moves if m.log.occurred_at >= review.created_at]
        found = [names[m.log.transition] for m in after if m.log.transition in names]
        return found[-1] if found else None

    def case_meetings(self) -> list[CaseNote]:
        """Case-conference notes (the minutes of form 03's case meeting)."""
        return [n for n in self.notes if n.kind == NoteKind.CASE_CONFERENCE]


def _with_cycles(logs: list[CaseTransitionLog]) -> list[Move]:
    moves, cycle = [], 1
    for log in sorted(logs, key=lambda t: (t.occurred_at, t.id)):
        if log.transition == "new_plan_cycle":
            cycle += 1
        moves.append(Move(log, cycle))
    return moves


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def case_records(case: Case) -> CaseRecords:
    """The case's records for the forms (timeline and history, plan, relatives, deadlines: about
    ten queries whatever the size of the file)."""
    entries = queries.timeline(case)
    by_kind: dict[str, list] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind, []).append(entry.item)
    opened = by_kind.get("opened", [])
    relatives = relatives_of(case.person)
    parents = {}
    for relative in relatives:
        if relative.relationship_kind in (Relationship.FATHER, Relationship.MOTHER):
            parents.setdefault(str(relative.relationship_kind), relative)
    return CaseRecords(
        case=case,
        # Who received the report: who opened the case (its history says, whoever owns it now).
        first_worker=opened[0].actor if opened else case.owner,
        relatives=relatives,
        assessments=by_kind.get("assessment", []),
        notes=[n for n in by_kind.get("note", []) if n.is_current],
        moves=_with_cycles(by_kind.get("transition", [])),
        actions=queries.plan_actions(case, entries),
        deadlines=child_deadlines(case),
        date_of_birth=_date(case.person.date_of_birth),
        parents=parents,
    )
