"""Case pages: caseload, opening cases, the case page, workflow, notes, assessments, plans;
emergency access (break-glass)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from casemgr import clock
from casemgr.auth.models import User
from casemgr.auth.roles import Action
from casemgr.cases import closure, gates, history_labels, queries, search, services
from casemgr.cases.dates import CaseDateRefused, case_start
from casemgr.cases.forms import (
    ASSESSMENT_LABELS,
    ASSESSMENT_QUESTIONS,
    BREAK_GLASS_LABELS,
    NOTE_LABELS,
    PROTECTION_LABELS,
    RISK_LABELS,
    ActionDoneForm,
    AssessmentForm,
    BreakGlassForm,
    CaseEditForm,
    CaseFilterForm,
    CaseForm,
    CoWorkerForm,
    NoteForm,
    PlanActionForm,
    SearchForm,
    TransitionForm,
)
from casemgr.cases.models import (
    AssessmentKind,
    Case,
    NoteKind,
    PlanAction,
    ProtectionLevel,
    RiskLevel,
)
from casemgr.cases.policy import may_take, may_take_combined
from casemgr.cases.queries import Need
from casemgr.cases.services import CLOSURE_REQUEST
from casemgr.cases.workflow import (
    BY_NAME,
    STATUS_LABELS,
    Status,
    combined_from,
    consequences,
    last_step,
    move_named,
    transitions_from,
)
from casemgr.extensions import db
from casemgr.groups.policy import closure_reasons
from casemgr.i18n import show_date
from casemgr.org.models import Unit
from casemgr.people.access import load_person
from casemgr.reference import queries as reference
from casemgr.rules.tasks import overdue_plan_actions
from casemgr.web import saved_meanwhile
from casemgr.web.access import requires, user_may
from casemgr.web.forms import EMPTY, date_refused, field_error, flash_warnings, sub_group_choices
from casemgr.web.pagination import paginate_ids

bp = Blueprint("cases", __name__, url_prefix="/cases")

CASE_ERRORS = {
    "read only": _l("You can read this case but not change it."),
    "transition not allowed": _l("This step is not allowed now, or not for you."),
    "plan locked": _l("The plan can only be changed while it is being drafted."),
    "sub-group of another group": _l("Choose sub-groups of the case's own target group."),
    "not your unit": _l("You can only open cases in a unit where you work."),
    "reason too short": _l("Write at least one full sentence."),
    "not allowed": _l("Your role does not allow this action."),
    "not a worker of the unit": _l("Choose a social worker of the case's unit."),
    "already the owner": _l("This worker already owns the case."),
    "comment required": _l("Say why: a comment is required when you return or decline."),
    gates.DETAILED_ASSESSMENT_MISSING: _l(
        "The plan cannot be submitted yet: record the detailed assessment of this plan cycle "
        "first (Decree 56 puts it before the plan)."
    ),
}
# A closure reason the service refuses: said under the reason's field, the comment kept.
CLOSURE_REASON_ERRORS = {
    closure.REASON_REQUIRED: _l("Choose why the case can close."),
    closure.REASON_NOT_FOR_CASE: _l("Choose one of the options offered."),
    closure.REASON_NOT_ASKED: _l("Choose one of the options offered."),
    closure.NOT_YET_AGED_OUT: _l(
        "This person is not 16 yet, so they are still in the child group: choose another reason."
    ),
}


@bp.app_context_processor
def labels():
    return {
        "status_labels": STATUS_LABELS,
        "risk_labels": RISK_LABELS,
        "question_labels": dict(ASSESSMENT_QUESTIONS),
        "protection_labels": PROTECTION_LABELS,
        "note_labels": NOTE_LABELS,
        "assessment_labels": ASSESSMENT_LABELS,
        "break_glass_labels": BREAK_GLASS_LABELS,
        "history_field_labels": history_labels.FIELD_LABELS,
        "reassign_reason_labels": history_labels.REASSIGN_REASON_LABELS,
        "workflow_moves": BY_NAME,
        "closure_reason_label": closure.label,
    }


def _error(exc: services.CaseError) -> str:
    return str(CASE_ERRORS.get(str(exc), _l("The request could not be completed.")))


@bp.route("/")
@requires(Action.VIEW_CASES)
def caseload():
    form = CaseFilterForm(request.args)
    form.status.choices = [SelectChoice("", "—")] + [
        SelectChoice(s.value, STATUS_LABELS[s]) for s in Status
    ]
    form.group.choices = [SelectChoice("", "—")] + [
        SelectChoice(g.code, g.label) for g in reference.target_groups()
    ]
    if not form.validate():  # an unknown filter value (a hand-made URL) filters nothing
        for field in (form.status, form.group, form.risk, form.sort):
            if field.errors:
                field.data = None
    statement = queries.filtered_caseload(
        current_user,
        status=form.status.data or None,
        group=form.group.data or None,
        risk=form.risk.data or None,
        sort=form.sort.data or "updated",
        overdue=bool(form.overdue.data),
    )
    page = paginate_ids(statement, queries.caseload_rows)
    queries.preload_data_keys(page.items)
    return render_template(
        "cases/caseload.html",
        may_approve=user_may(current_user, Action.APPROVE_CASES),
        form=form,
        page=page,
        search=SearchForm(),
        grants=queries.live_grants(current_user),
    )


@bp.route("/search", methods=["POST"])
@requires(Action.VIEW_CASES)
def search_cases():
    form = SearchForm()
    results = search.search_cases(current_user, form.q.data) if form.validate_on_submit() else None
    return render_template("cases/search.html", form=form, results=results)


@bp.route("/new/<int:person_id>", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def new_case(person_id: int):
    person = load_person(current_user, person_id)
    form = CaseForm()
    form.group_code.choices = [SelectChoice("", EMPTY)] + [
        SelectChoice(g.code, g.label) for g in reference.target_groups()
    ]
    # Every group's sub-groups are on the page; those of other groups are hidden (a script
    # follows the choice; without it, "Update sub-groups" re-renders with every value kept).
    form.sub_group_ids.choices = sub_group_choices(
        s for subs in reference.sub_groups_by_group().values() for s in subs
    )
    form.unit_id.choices = [
        SelectChoice(a.unit_id, a.unit.name)
        for a in current_user.roles
        if a.role in ("social_worker", "supervisor")
    ]
    # The person's open cases, and once a group is chosen one of it the user may not see.
    open_cases = queries.open_cases_of(current_user, person.id, form.group_code.data or None)
    if form.refresh.data:
        form.validate_on_submit()
        for field in form:  # only the sub-groups were asked for: no other field is judged yet
            field.errors = list(field.errors) if field is form.sub_group_ids else []
    elif (  # every check runs (no short circuit): all refusals are shown at once
        form.validate_on_submit() & form.fits_person(person) & form.confirmed_another(open_cases)
    ):
        try:
            case = services.open_case(
                current_user,
                person=person,
                group_code=form.group_code.data,
                sub_groups=reference.sub_groups_by_ids(form.sub_group_ids.data),
                protection_level=ProtectionLevel(form.protection_level.data),
                risk_level=RiskLevel(form.risk_level.data),
                unit=db.get_or_404(Unit, form.unit_id.data),
                summary=form.summary.data or None,
            )
        except services.CaseError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Case %(number)s opened.", number=case.number), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template(
        "cases/new.html",
        form=form,
        person=person,
        groups=reference.sub_groups_by_group(),
        open_cases=open_cases,
    )


@bp.route("/<int:case_id>")
@requires(Action.VIEW_CASES)
def detail(case_id: int):
    case, access = queries.load_case(current_user, case_id)
    return _detail_page(case, access, TransitionForm(version=case.version))


def _transition_form(case: Case, form: TransitionForm | None = None) -> TransitionForm:
    """The workflow form (posted, or new), offering the closure reasons that fit the case."""
    form = form or TransitionForm(version=case.version)
    form.closure_choices(closure_reasons(case))
    return form


def _detail_page(case, access, transition_form: TransitionForm) -> str:
    # A refused move's form comes back with its comment and the message under it.
    transition_form = _transition_form(case, transition_form)
    entries = queries.timeline(case)
    moves = [t for t in transitions_from(case.status) if may_take(current_user, case, access, t)]
    moves += [
        c for c in combined_from(case.status) if may_take_combined(current_user, case, access, c)
    ]
    # A move the user may take but whose records are not on file yet: shown, with what to do.
    gated = {m.name: gate for m in moves if (gate := gates.missing_for(case, m.name))}
    writes = access.can_write
    shares = writes and not access.is_break_glass  # who may add or remove co-workers
    plan_open = case.status in (Status.INITIAL_ASSESSMENT, Status.DETAILED_ASSESSMENT)
    plan_running = case.status in (Status.PLAN_APPROVED, Status.IMPLEMENTATION, Status.REVIEW)
    return render_template(
        "cases/detail.html",
        case=case,
        access=access,
        moves=moves,
        gated={name: _error(services.CaseError(code)) for name, code in gated.items()},
        consequences={m.name: consequences(m.name) for m in moves},
        timeline=entries,
        # The request being decided, whose comment the supervisor reads beside its reason.
        closure_request=next(
            (e.item for e in entries if getattr(e.item, "closure_reason", None)), None
        )
        if case.status == Status.CLOSURE_REQUESTED
        else None,
        actions=queries.plan_actions(case, entries),
        # Marked as on the task lists: the stored deadlines under the same condition.
        overdue_actions=overdue_plan_actions(case),
        transition_form=transition_form,
        comment_required=services.COMMENT_REQUIRED_MOVES,
        asks_closure_reason={m.name for m in moves if last_step(m.name) == CLOSURE_REQUEST},
        # The forms only the user may submit are built (and drawn); a reader gets none.
        note_form=NoteForm(formdata=None, occurred_on=clock.today()) if writes else None,
        plan_form=PlanActionForm(formdata=None) if writes and plan_open else None,
        unit_workers=queries.unit_workers(case) if shares else [],
        plan_open=plan_open,
        plan_running=plan_running,
    )


@bp.route("/<int:case_id>/summary")
@requires(Action.VIEW_CASES)
def summary(case_id: int):
    case, access = queries.load_case(current_user, case_id)
    entries = queries.timeline(case)
    return render_template(
        "cases/summary.html",
        case=case,
        access=access,
        timeline=entries,
        actions=queries.plan_actions(case, entries),
        printed_at=clock.utcnow(),
    )


def _form_values(case: Case) -> dict[str, object]:
    """The edit form's fields as loaded from `case` (also what a save made meanwhile holds)."""
    return {
        "risk_level": str(case.risk_level),
        "protection_level": str(case.protection_level),
        "sub_group_ids": [s.id for s in case.sub_groups],
        "summary": case.summary,
    }


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def edit(case_id: int):
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    form = CaseEditForm()
    if request.method == "GET":
        saved_meanwhile.load(form, _form_values(case))
        form.version.data = case.version
    form.sub_group_ids.choices = sub_group_choices(reference.sub_groups(case.group_code))
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_case(
                current_user,
                case,
                access,
                expected_version=int(form.version.data),
                risk_level=RiskLevel(form.risk_level.data),
                protection_level=ProtectionLevel(form.protection_level.data),
                sub_groups=reference.sub_groups_by_ids(form.sub_group_ids.data),
                summary=form.summary.data or None,
                reason=form.reason.data or None,
            )
        except services.StaleCase as exc:
            saved = exc.current
            form.version.data = saved.version  # saving again now overwrites, knowingly
            conflict = saved_meanwhile.merge(form, form.loaded.data, _form_values(saved))
            flash(
                _(
                    "This case was saved elsewhere while you were editing (by someone else, "
                    "or by you in another tab). What changed is listed below and is now in "
                    "the form, except where you changed the same field: your value is kept "
                    "there. Check and save again."
                ),
                "warning",
            )
        except services.CaseError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/edit.html", case=case, form=form, conflict=conflict)


@bp.route("/<int:case_id>/transition", methods=["POST"])
@requires(Action.VIEW_CASES)
def transition(case_id: int):
    case, access = queries.load_case(current_user, case_id)
    form = _transition_form(case, TransitionForm())
    if not form.validate_on_submit():
        # The fields drawn for this move (a closure reason sent with another move is forged).
        shown = {"reason", "understood"}
        if form.asks_closure_reason():
            shown.add("closure_reason")
        if form.errors and not (set(form.errors) - shown):
            return _detail_page(case, access, form)  # the comment is kept, the message shown
        abort(400)
    try:
        services.take_move(
            current_user,
            case,
            access,
            form.transition.data,
            expected_version=int(form.version.data),
            reason=form.reason.data or None,
            closure_reason=form.chosen_closure_reason(),
        )
    except services.StaleCase:
        flash(
            _("Someone else changed this case a moment ago. Check its status and try again."),
            "warning",
        )
    except services.CaseError as exc:
        if str(exc) in CLOSURE_REASON_ERRORS:  # under the field, with the comment kept
            field_error(form.closure_reason, CLOSURE_REASON_ERRORS[str(exc)])
            return _detail_page(case, access, form)
        flash(_error(exc), "danger")
        if str(exc) == gates.DETAILED_ASSESSMENT_MISSING:  # a rule of the process, not access
            return redirect(url_for("cases.detail", case_id=case.id))
        return redirect(url_for("cases.detail", case_id=case.id)), 403
    else:
        move = move_named(form.transition.data)
        flash(
            _(
                "Done: %(move)s. The case is now at: %(status)s.",
                move=move.label if move else form.transition.data,
                status=STATUS_LABELS[case.status],
            ),
            "success",
        )
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/notes", methods=["POST"])
@requires(Action.EDIT_CASES)
def add_note(case_id: int):
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(
                current_user,
                case,
                access,
                kind=NoteKind(form.kind.data),
                occurred_on=form.occurred_on.data,
                body=form.body.data,
            )
        except CaseDateRefused as exc:
            date_refused(form, exc)
        else:
            flash(_("Note saved."), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/note_form.html", case=case, form=form), 400


@bp.route("/<int:case_id>/assessments/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def new_assessment(case_id: int):
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    form = AssessmentForm()
    if request.method == "GET" and request.args.get("kind") in set(AssessmentKind):
        form.kind.data = request.args["kind"]  # the link says which one (the plan gate's)
    if form.validate_on_submit():
        services.record_assessment(
            current_user,
            case,
            access,
            kind=AssessmentKind(form.kind.data),
            risk_rating=form.rating(),
            answers=form.answers(),
        )
        flash(_("Assessment saved."), "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/assessment_form.html", case=case, form=form)


@bp.route("/<int:case_id>/plan", methods=["POST"])
@requires(Action.EDIT_CASES)
def add_plan_action(case_id: int):
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    form = PlanActionForm()
    if form.validate_on_submit():
        try:
            services.add_plan_action(
                current_user,
                case,
                access,
                goal=form.goal.data,
                action=form.action.data,
                responsible=form.responsible.data,
                due_on=form.due_on.data,
            )
        except services.CaseError as exc:
            if str(exc) != services.DUE_BEFORE_OPENING:
                flash(_error(exc), "danger")
                return redirect(url_for("cases.detail", case_id=case.id))
            message = _(
                "The due date cannot be before the case was opened (%(day)s).",
                day=show_date(case_start(case).day),
            )
            field_error(form.due_on, message)
        else:
            flash(_("Added to the plan."), "success")
            flash_warnings(form)
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/plan_form.html", case=case, form=form), 400


@bp.route("/<int:case_id>/plan/done", methods=["POST"])
@requires(Action.EDIT_CASES)
def plan_action_done(case_id: int):
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    form = ActionDoneForm()
    if not form.validate_on_submit():
        abort(400)
    item = db.session.get(PlanAction, form.action_id.data)
    if item is None or item.case_id != case.id or not item.is_current:
        abort(404)
    services.mark_action_done(current_user, case, access, item, clock.today())
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/workers", methods=["POST"])
@requires(Action.EDIT_CASES)
def co_workers(case_id: int):
    case, access = queries.load_case(current_user, case_id, Need.WRITE)
    form = CoWorkerForm()
    form.user_id.choices = [SelectChoice(u.id, u.display_name) for u in queries.unit_workers(case)]
    if not request.form.get("user_id") and form.change.data == "add":  # nobody chosen
        flash(_("Choose the social worker to add."), "danger")
        return redirect(url_for("cases.detail", case_id=case.id))
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_co_worker(
            current_user,
            case,
            access,
            db.get_or_404(User, form.user_id.data),
            on=form.change.data == "add",
        )
    except services.CaseError as exc:
        flash(_error(exc), "danger")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/break-glass", methods=["GET", "POST"])
@requires(Action.BREAK_GLASS)
def break_glass():
    form = BreakGlassForm()
    if form.validate_on_submit():
        case = queries.find_case_for_break_glass(current_user, form.case_number.data)
        if case is None:
            form.case_number.errors = [_("No case has this number.")]
        else:
            try:
                services.break_glass(
                    current_user,
                    case,
                    reason_type=form.reason_type.data,
                    reason=form.reason.data,
                    minutes=current_app.config["BREAK_GLASS_MINUTES"],
                )
            except services.CaseError as exc:
                form.reason.errors = [_error(exc)]
            else:
                return redirect(url_for("cases.detail", case_id=case.id))
    return render_template(
        "cases/break_glass.html", form=form, minutes=current_app.config["BREAK_GLASS_MINUTES"]
    )
