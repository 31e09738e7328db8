"""The approvals queue: plans and closures of the supervisor's units, never their own
submissions; incoming transfers and break-glass reviews counted in scope."""

from __future__ import annotations

from casemgr.audit.models import AlertKind, AlertStatus, AuditAlert
from casemgr.cases import services as case_services
from casemgr.cases.models import Case, CaseTransfer
from casemgr.cases.policy import case_access
from casemgr.cases.workflow import Status
from casemgr.clock import utcnow
from casemgr.supervision import queries
from tests.cases.conftest import open_child_case, record_detailed_assessment


def submit(user, case, *steps):
    for name in steps:
        if name == "submit_plan":  # the plan gate
            record_detailed_assessment(user, case)
        access = case_access(user, case, None, utcnow())
        closing = name == "request_closure"
        case_services.take_transition(
            user, case, access, name, expected_version=case.version,
            reason="Không còn nguy cơ." if closing else None,
            closure_reason="goals_met" if closing else None,
        )  # fmt: skip


def awaiting(db, office, user, units) -> set[int]:
    """Independently: every case of `units` waiting for a decision, not submitted by `user`."""
    return {
        c.id
        for c in db.session.query(Case).filter(Case.unit_id.in_(units))
        if c.status in (Status.PLAN_DRAFTED, Status.CLOSURE_REQUESTED)
        and c.submitted_by_id != user.id
    }


def test_queue_never_shows_what_the_supervisor_submitted(db, office):
    worker, supervisor = office.workers[0], office.supervisor
    own_plan = open_child_case(worker, office.commune)
    submit(supervisor, own_plan, "verify", "assess", "assess_in_detail", "submit_plan")
    theirs = open_child_case(worker, office.commune)
    submit(worker, theirs, "verify", "assess", "assess_in_detail", "submit_plan")
    own_closure = open_child_case(worker, office.commune)
    own_closure.status = Status.REVIEW
    db.session.flush()
    submit(supervisor, own_closure, "request_closure")
    assert own_plan.submitted_by_id == own_closure.submitted_by_id == supervisor.id

    listed = {c.id for c in db.session.scalars(queries.approvals(supervisor))}
    assert own_plan.id not in listed and own_closure.id not in listed
    assert theirs.id in listed
    assert listed == awaiting(db, office, supervisor, [office.commune.id])
    counts = queries.approval_counts(supervisor)
    assert counts.plans + counts.closures == len(listed)
    # The provincial lead submitted neither: both are theirs to decide.
    lead_listed = {c.id for c in db.session.scalars(queries.approvals(office.lead))}
    assert {own_plan.id, own_closure.id, theirs.id} <= lead_listed
    assert lead_listed == awaiting(
        db, office, office.lead, [office.commune.id, office.other_commune.id]
    )


def test_queue_page_shows_only_others_submissions(client, db, office):
    supervisor = office.supervisor
    own_plan = open_child_case(office.workers[0], office.commune)
    submit(supervisor, own_plan, "verify", "assess", "assess_in_detail", "submit_plan")
    other_unit = {c.number for c in office.cases if c.unit_id == office.other_commune.id}
    client.login(supervisor)
    page = client.get("/supervision/approvals?page=1").get_data(as_text=True)
    assert f'data-case="{own_plan.id}"' not in page
    for case_id in awaiting(db, office, supervisor, [office.commune.id]):
        assert f'data-case="{case_id}"' in page
    assert not any(number in page for number in other_unit)


def test_transfers_and_break_glass_reviews_are_counted_in_scope(db, office):
    case = next(c for c in office.cases if c.unit_id == office.other_commune.id)
    db.session.add(
        CaseTransfer(
            case_id=case.id,
            person_id=case.person_id,
            from_unit_id=case.unit_id,
            to_unit_id=office.commune.id,
            from_owner_id=case.owner_id,
            requested_by_id=case.owner_id,
        )
    )
    now = utcnow()
    ours = next(c for c in office.cases if c.unit_id == office.commune.id)
    for key, status in (("bg-open", AlertStatus.OPEN), ("bg-done", AlertStatus.REVIEWED)):
        db.session.add(
            AuditAlert(
                key=key,
                kind=AlertKind.BREAK_GLASS,
                status=status,
                case_id=ours.id,
                actor_id=office.other_worker.id,
                window_start=now,
                window_end=now,
                event_count=1,
                first_seq=1,
                last_seq=1,
            )
        )
    db.session.add(
        AuditAlert(
            key="off-hours",
            kind=AlertKind.OFF_HOURS,
            case_id=ours.id,
            window_start=now,
            window_end=now,
            event_count=1,
            first_seq=1,
            last_seq=1,
        )
    )
    db.session.flush()
    mine = queries.approval_counts(office.supervisor)
    assert (mine.transfers, mine.break_glass) == (1, 1)
    # The sending unit's supervisor decides nothing here; the user who broke the glass is
    # theirs, so they review the use as well.
    theirs = queries.approval_counts(office.other_supervisor)
    assert (theirs.transfers, theirs.break_glass) == (0, 1)
