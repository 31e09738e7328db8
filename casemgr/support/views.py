"""Support pages: services delivered, trafficking statuses, referrals, the service-point
directory."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from casemgr import clock
from casemgr.auth.roles import Action, Role
from casemgr.cases import dates
from casemgr.cases.models import Case
from casemgr.cases.queries import Need, load_case
from casemgr.extensions import db
from casemgr.org.models import Area
from casemgr.people.forms import CONSENT_GIVER_LABELS
from casemgr.people.services import AttachmentRejected, PersonError, sniff_content_type
from casemgr.reference import queries as reference
from casemgr.support import letters, queries, referrals, services
from casemgr.support.forms import (
    AUTHORITY_LABELS,
    DOCUMENT_KIND_LABELS,
    GROUPS_NOT_RECORDED,
    LOCATION_LABELS,
    NONE,
    POINT_KIND_LABELS,
    REFERRAL_STATUS_LABELS,
    VICTIM_STATUS_LABELS,
    AnswerForm,
    CompleteForm,
    DeliveryForm,
    PointFilterForm,
    ReferralFilterForm,
    ReferralForm,
    ServicePointForm,
    StatusForm,
)
from casemgr.support.models import DocumentKind, Referral, ServicePoint, ServiceType
from casemgr.support.policy import letter_refusal, may_manage_point
from casemgr.web.access import requires, user_may
from casemgr.web.forms import area_choices, date_refused, starting_empty
from casemgr.web.ids import MAX_ID, id_arg
from casemgr.web.pagination import paginate

bp = Blueprint("support", __name__, url_prefix="/support")

ERRORS = {
    "read only": _l("You can read this case but not change it."),
    "not eligible": _l("The person is not eligible for this service on that date."),
    "service of another group": _l("Choose a service of the case's own programme."),
    "partner inactive": _l("This partner is no longer in use."),
    "partner of another group": _l("This partner does not serve the case's target group."),
    "unknown group": _l("Choose target groups from the list."),
    "not a trafficking case": _l("Statuses are recorded on trafficking cases only."),
    "location needed": _l("Say whether the person being identified is in Viet Nam or abroad."),
    "consent missing": _l("Referral refused: consent to referral is missing."),
    "override not allowed": _l("Your role cannot refer without consent."),
    "reason too short": _l("Write at least one full sentence."),
    "already answered": _l("This referral was already answered."),
    "before it was sent": _l("The answer cannot be dated before the referral was sent."),
    "decline reason needed": _l("Say why the partner declined."),
    "not accepted": _l("Only an accepted referral can be completed."),
    "before it was accepted": _l("The outcome cannot be dated before the referral was accepted."),
    "outcome needed": _l("Describe the outcome."),
    "not your area": _l("You can only manage service points of the areas your units serve."),
    "file too large": _l("The file is too large."),
    "file type not accepted": _l("Only PDF, JPEG and PNG files are accepted."),
    "file content does not match its type": _l("The file's content does not match its type."),
}

# Why a referral letter is not printed (codes from support.policy.letter_refusal).
LETTER_REFUSALS = {
    "consent missing": _l(
        "The letter cannot be printed: consent to referral is not in force today. Record the "
        "consent on the person's page first."
    ),
    "declined": _l("The letter cannot be printed: the partner declined this referral."),
    "person erased": _l("The letter cannot be printed: the person's data was erased."),
}


def _error(exc: Exception) -> str:
    return str(ERRORS.get(str(exc), _l("The request could not be completed.")))


@bp.app_context_processor
def support_helpers():
    return {
        "support_panel": lambda case: queries.case_panel(case, clock.today()),
        "victim_status_labels": VICTIM_STATUS_LABELS,
        "location_labels": LOCATION_LABELS,
        "authority_labels": AUTHORITY_LABELS,
        "document_kind_labels": DOCUMENT_KIND_LABELS,
        "point_kind_labels": POINT_KIND_LABELS,
        "referral_status_labels": REFERRAL_STATUS_LABELS,
        "consent_giver_labels": CONSENT_GIVER_LABELS,
        "letter_refusal": letter_refusal,
    }


def _not_found(object_type: str, case: Case | None = None) -> NoReturn:
    """404 for an object id that is missing or belongs elsewhere (audited as a refusal)."""
    services.refuse_unknown(current_user, object_type, case)
    abort(404)


def _arg_id() -> int | None:
    return id_arg("id")


def _to_detail(case: Case):
    return redirect(url_for("cases.detail", case_id=case.id) + "#support")


def partner_choices(case: Case, keep: ServicePoint | None = None) -> list[SelectChoice]:
    """The partners serving the case's group, those with no group recorded marked; `keep` (a
    record's own partner, when a correction shows it) is listed even if it no longer would be."""
    points = queries.partners(case.group_code)
    if keep is not None and keep not in points:
        points.append(keep)
    return [
        SelectChoice(p.id, f"{p.name} ({POINT_KIND_LABELS[p.kind]}, {p.area.name})"
                     + ("" if p.groups else f" {GROUPS_NOT_RECORDED}"))
        for p in points
    ]  # fmt: skip


def _refused(form: DeliveryForm | ReferralForm, exc: Exception) -> None:
    """A refusal about the partner goes under its field; any other is flashed."""
    if str(exc).startswith("partner "):
        form.partner_id.errors.append(_error(exc))
    else:
        flash(_error(exc), "danger")


# -- services delivered ----------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/services/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def new_service(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = DeliveryForm()
    if request.method == "GET":
        form.delivered_on.data = clock.today()
    # A date outside the case is refused under its field; the services offered stay today's.
    refused = dates.refusal(case, form.delivered_on.data, "delivered_on")
    day = clock.today() if refused else form.delivered_on.data or clock.today()
    offered = queries.offered_services(case, day)
    form.service_type_id.choices = starting_empty(SelectChoice(t.id, t.label) for t in offered)
    form.partner_id.choices = [NONE, *partner_choices(case)]
    if form.validate_on_submit() and refused is None:
        try:
            services.deliver_service(
                current_user,
                case,
                access,
                service_type=db.session.get(ServiceType, form.service_type_id.data),
                delivered_on=form.delivered_on.data,
                partner=db.session.get(ServicePoint, form.partner_id.data)
                if form.partner_id.data
                else None,
                provider=form.provider.data or None,
                quantity=form.quantity.data,
                amount_vnd=form.amount_vnd.data,
                note=form.note.data or None,
            )
        except dates.CaseDateRefused as exc:
            refused = exc
        except services.SupportError as exc:
            _refused(form, exc)
        else:
            flash(_("Service recorded."), "success")
            return _to_detail(case)
    if refused is not None:
        date_refused(form, refused)
    return render_template(
        "support/service_form.html", case=case, form=form, offered=offered, day=day
    )


# -- trafficking statuses --------------------------------------------------------------------


def _documents(form: StatusForm) -> list[services.Document]:
    uploads = [(DocumentKind.DECISION, form.decision_file.data)]
    uploads += [(DocumentKind.EVIDENCE, f) for f in form.evidence_files.data or []]
    documents = []
    for kind, upload in uploads:
        if upload and upload.filename:
            data = upload.read()
            # The type is read from the file's signature, not from what the browser claims.
            content_type = sniff_content_type(data) or upload.mimetype or ""
            documents.append(services.Document(kind, upload.filename, content_type, data))
    return documents


@bp.route("/cases/<int:case_id>/statuses/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def new_status(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    if case.group_code != "trafficking":
        _not_found("trafficking_status", case)
    form = StatusForm()
    if request.method == "GET":
        form.valid_from.data = clock.today()
    if form.validate_on_submit():
        try:
            services.record_trafficking_status(
                current_user,
                case,
                access,
                status=form.status.data,
                location=form.location.data or None,
                valid_from=form.valid_from.data,
                decided_by=form.decided_by.data or None,
                decision_ref=form.decision_ref.data or None,
                note=form.note.data or None,
                documents=_documents(form),
            )
        except dates.CaseDateRefused as exc:
            date_refused(form, exc)
        except (services.SupportError, AttachmentRejected, PersonError) as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Status recorded."), "success")
            return _to_detail(case)
    return render_template(
        "support/status_form.html",
        case=case,
        form=form,
        history=queries.status_history(case.id),
    )


@bp.route("/cases/<int:case_id>/document")
@requires(Action.VIEW_CASES)
def document(case_id: int):
    case, access = load_case(current_user, case_id)
    attachment = services.open_document(current_user, case, access, _arg_id())
    content = attachment.content if attachment is not None else None
    if not isinstance(content, bytes):  # not this case's, or its person was erased
        _not_found("attachment", case)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
    # The stored file name may name the person: the download gets a neutral one.
    name = f"document-{attachment.id}.{extension.get(attachment.content_type, 'bin')}"
    return Response(
        content,
        mimetype=attachment.content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- referrals -------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/referrals/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def new_referral(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = ReferralForm()
    if request.method == "GET":
        form.sent_on.data = clock.today()
    # The date is judged first: consent and services are read on it, so a date outside the
    # case is said under its field, never as a missing consent (today's state is shown).
    refused = dates.refusal(case, form.sent_on.data, "sent_on")
    day = clock.today() if refused else form.sent_on.data or clock.today()
    form.partner_id.choices = starting_empty(partner_choices(case))
    form.service_type_id.choices = starting_empty(
        SelectChoice(t.id, t.label) for t in queries.offered_services(case, day)
    )
    missing = queries.missing_referral_consents(case, day)
    may_override = user_may(current_user, Action.OVERRIDE_CONSENT) and not access.is_break_glass
    status = 200
    if form.validate_on_submit() and refused is None:
        try:
            referrals.send_referral(
                current_user,
                case,
                access,
                partner=db.session.get(ServicePoint, form.partner_id.data),
                service_type=db.session.get(ServiceType, form.service_type_id.data),
                reason=form.reason.data,
                sent_on=form.sent_on.data,
                override_reason=form.override_reason.data if may_override else None,
            )
        except dates.CaseDateRefused as exc:
            refused = exc
        except referrals.ConsentMissing as exc:
            missing, status = exc.missing, 403
            flash(_error(exc), "danger")
        except services.SupportError as exc:
            status = 403 if str(exc) == "override not allowed" else 200
            _refused(form, exc)
        else:
            flash(_("Referral sent."), "success")
            return _to_detail(case)
    if refused is not None:
        date_refused(form, refused)
    return render_template(
        "support/referral_form.html",
        case=case,
        form=form,
        missing=missing,
        may_override=may_override,
    ), status


@bp.route("/cases/<int:case_id>/referral")
@requires(Action.VIEW_CASES)
def referral(case_id: int):
    case, access = load_case(current_user, case_id)
    item = queries.case_referral(case, _arg_id())
    if item is None:
        _not_found("referral", case)
    return _referral_page(case, access, item)


@bp.route("/cases/<int:case_id>/referral/letter")
@requires(Action.VIEW_CASES)
def referral_letter(case_id: int):
    case, access = load_case(current_user, case_id)
    item = queries.case_referral(case, _arg_id())
    if item is None:
        _not_found("referral", case)
    try:
        letter = letters.referral_letter(current_user, case, access, item, clock.today())
    except letters.LetterRefused as exc:
        message = LETTER_REFUSALS.get(str(exc), _l("The request could not be completed."))
        return render_template(
            "support/referral_letter.html", case=case, referral=item, refusal=str(message)
        ), 403
    return render_template("support/referral_letter.html", case=case, referral=item, letter=letter)


def _referral_page(case, access, item, answer_form=None, complete_form=None, status=200):
    """The referral page; a refused answer or outcome comes back with what was typed."""
    today = clock.today()
    return render_template(
        "support/referral.html",
        case=case,
        access=access,
        referral=item,
        today=today,
        missing=queries.missing_referral_consents(case, today),
        answer_form=answer_form
        or AnswerForm(formdata=None, referral_id=item.id, answered_on=today),
        complete_form=complete_form
        or CompleteForm(formdata=None, referral_id=item.id, completed_on=today),
    ), status


def _posted_referral(case: Case, form: AnswerForm | CompleteForm) -> Referral:
    """The referral a posted answer or outcome is about (400 when malformed, 404 elsewhere)."""
    try:
        referral_id = int(form.referral_id.data)
    except (TypeError, ValueError):
        abort(400)
    if not 0 < referral_id <= MAX_ID:
        abort(400)
    item = queries.case_referral(case, referral_id)
    if item is None:
        _not_found("referral", case)
    return item


@bp.route("/cases/<int:case_id>/referral/answer", methods=["POST"])
@requires(Action.EDIT_CASES)
def answer_referral(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = AnswerForm()
    item = _posted_referral(case, form)
    if not form.validate_on_submit():
        return _referral_page(case, access, item, answer_form=form, status=400)
    try:
        referrals.answer_referral(
            current_user,
            case,
            access,
            item,
            accepted=form.answer.data == "accept",
            answered_on=form.answered_on.data,
            decline_reason=form.decline_reason.data or None,
        )
    except dates.CaseDateRefused as exc:
        date_refused(form, exc)
        return _referral_page(case, access, item, answer_form=form, status=400)
    except services.SupportError as exc:
        flash(_error(exc), "danger")
    else:
        flash(_("Answer recorded."), "success")
    return redirect(url_for("support.referral", case_id=case.id, id=item.id))


@bp.route("/cases/<int:case_id>/referral/complete", methods=["POST"])
@requires(Action.EDIT_CASES)
def complete_referral(case_id: int):
    case, access = load_case(current_user, case_id, Need.WRITE)
    form = CompleteForm()
    item = _posted_referral(case, form)
    if not form.validate_on_submit():
        return _referral_page(case, access, item, complete_form=form, status=400)
    try:
        referrals.complete_referral(
            current_user,
            case,
            access,
            item,
            completed_on=form.completed_on.data,
            outcome=form.outcome.data,
        )
    except dates.CaseDateRefused as exc:
        date_refused(form, exc)
        return _referral_page(case, access, item, complete_form=form, status=400)
    except services.SupportError as exc:
        flash(_error(exc), "danger")
    else:
        flash(_("Outcome recorded: the referral is closed."), "success")
    return redirect(url_for("support.referral", case_id=case.id, id=item.id))


@bp.route("/referrals")
@requires(Action.VIEW_CASES)
def referrals_list():
    form = ReferralFilterForm(request.args)
    today = clock.today()
    page = paginate(
        queries.referral_list(
            current_user,
            today,
            open_only=form.show.data != "all",
            waiting_only=form.show.data == "waiting",
        ),
        scalars=False,
    )
    return render_template("support/referrals.html", form=form, page=page, today=today)


# -- service points --------------------------------------------------------------------------


@bp.route("/points")
@requires(Action.VIEW_SERVICE_POINTS)
def points():
    form = PointFilterForm(request.args)
    form.area.choices = [NONE, *(SelectChoice(a.id, a.name) for a in queries.point_areas())]
    form.validate()  # an unknown kind or area filters nothing (it was a 500)
    kind = None if form.kind.errors else form.kind.data or None
    area_id = None if form.area.errors else form.area.data or None
    page = paginate(queries.service_points(kind=kind, area_id=area_id))
    return render_template(
        "support/points.html",
        form=form,
        page=page,
        visible=queries.locations_visible(current_user, page.items),
        may_manage=user_may(current_user, Action.MANAGE_SERVICE_POINTS),
    )


def _point_or_404() -> ServicePoint:
    point = db.session.get(ServicePoint, _arg_id() or 0)
    if point is None:
        _not_found("service_point")
    return point


@bp.route("/points/view")
@requires(Action.VIEW_SERVICE_POINTS)
def point():
    item = _point_or_404()
    return render_template(
        "support/point.html",
        point=item,
        visible=services.reveal_location(current_user, item),
        may_manage=may_manage_point(
            current_user, queries.covers_area(current_user, item.area_id, (Role.SUPERVISOR,))
        ),
    )


def _point_form_choices(form: ServicePointForm) -> None:
    form.area_id.choices = area_choices(queries.manageable_areas(current_user))
    form.groups.choices = [SelectChoice(g.code, g.label) for g in reference.target_groups()]


@bp.route("/points/new", methods=["GET", "POST"])
@requires(Action.MANAGE_SERVICE_POINTS)
def new_point():
    form = ServicePointForm()
    _point_form_choices(form)
    if form.validate_on_submit():
        try:
            item = services.create_service_point(
                current_user,
                kind=form.kind.data,
                name=form.name.data,
                area=db.get_or_404(Area, form.area_id.data),
                address=form.address.data or None,
                contact=form.contact.data or None,
                groups=form.groups.data or (),
            )
        except services.SupportError as exc:
            flash(_error(exc), "danger")
            return render_template("support/point_form.html", form=form, point=None), 403
        flash(_("Service point saved."), "success")
        return redirect(url_for("support.point", id=item.id))
    return render_template("support/point_form.html", form=form, point=None)


@bp.route("/points/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_SERVICE_POINTS)
def edit_point():
    item = _point_or_404()
    if not services.may_edit_point(current_user, item):
        abort(403)
    form = ServicePointForm(obj=None if request.method == "POST" else item)
    if request.method == "GET":
        form.groups.data = [g.code for g in item.groups]
        if services.reveal_location(current_user, item):
            form.address.data, form.contact.data = item.address, item.contact
    _point_form_choices(form)
    if item.area_id not in {c.value for c in form.area_id.choices}:
        form.area_id.choices.insert(0, SelectChoice(item.area_id, item.area.name))
    if form.validate_on_submit():
        try:
            services.update_service_point(
                current_user,
                item,
                kind=form.kind.data,
                name=form.name.data,
                area=db.get_or_404(Area, form.area_id.data),
                address=form.address.data or None,
                contact=form.contact.data or None,
                is_active=form.is_active.data,
                groups=form.groups.data or (),
            )
        except services.SupportError as exc:
            flash(_error(exc), "danger")
        else:
            flash(_("Service point saved."), "success")
            return redirect(url_for("support.point", id=item.id))
    return render_template("support/point_form.html", form=form, point=item)
