"""Person pages: the list and search, registration with duplicate checks, the person page,
relatives, consents, links, and erasure requests (one user asks, a second one decides)."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import lazyload
from wtforms import SelectChoice

from casemgr import clock
from casemgr.auth.roles import Action
from casemgr.cases.models import Case
from casemgr.crypto import envelope
from casemgr.crypto.fields import ensure_readable
from casemgr.extensions import db
from casemgr.jobs import services as job_services
from casemgr.jobs.kinds import ERASURE
from casemgr.org.models import Unit
from casemgr.org.queries import communes_for_units
from casemgr.people import (
    access,
    consents,
    duplicates,
    identity,
    links,
    queries,
    registration,
    services,
)
from casemgr.people.forms import (
    CONSENT_GIVER_LABELS,
    CONSENT_RULE_LABELS,
    CONSENT_SCOPE_LABELS,
    LINK_REASON_LABELS,
    REASON_LABELS,
    RELATIONSHIP_LABELS,
    SEX_LABELS,
    ConsentsForm,
    DecisionForm,
    ErasureRequestForm,
    LinkFindForm,
    LinkForm,
    PersonForm,
    PersonSearchForm,
    RelativeForm,
    UnlinkForm,
    WithdrawConsentForm,
)
from casemgr.people.models import ErasureRequest, Person
from casemgr.people.relations import Consent, ConsentGiver, ConsentScope, Relative
from casemgr.web import saved_meanwhile
from casemgr.web.access import requires, user_may
from casemgr.web.forms import field_error, starting_empty
from casemgr.web.pagination import paginate

bp = Blueprint("people", __name__, url_prefix="/people")
# The comparison of two registrations shows each ID number by its last digits only.
bp.add_app_template_filter(identity.masked_national_id, "masked_id")

ERASURE_ERRORS = {
    "not allowed to request erasure": _l("Your role does not allow this action."),
    "not allowed to decide erasure": _l("Your role does not allow this action."),
    "person already erased": _l("This person was already erased."),
    "erasure already requested": _l("Erasure of this person was already requested."),
    "erasure request already decided": _l("This request was already decided."),
    "the requester cannot decide their own request": _l(
        "A second user must decide on a request you made."
    ),
}


def _flash_error(exc: services.PersonError) -> None:
    flash(str(ERASURE_ERRORS.get(str(exc), _l("The request could not be completed."))), "danger")


@bp.route("/erasure-requests")
@requires(Action.CONFIRM_ERASURE)
def erasure_requests():
    return _erasure_page(ErasureRequestForm(formdata=None))


def _erasure_page(form: ErasureRequestForm, status: int = 200):
    """Pending requests and the request form (a refused one comes back with its messages)."""
    return render_template(
        "people/erasure_requests.html",
        requests=queries.pending_erasure_requests(current_user),
        form=form,
        decision=DecisionForm(),
        reason_labels=REASON_LABELS,
    ), status


@bp.route("/erasure-requests", methods=["POST"])
@requires(Action.REQUEST_ERASURE)
def request_erasure():
    form = ErasureRequestForm()
    if not form.validate_on_submit():
        return _erasure_page(form, status=400)
    person = access.load_erasable_person(current_user, form.person_id.data)
    try:
        services.request_erasure(current_user, person, form.reason.data)
    except services.PersonError as exc:
        _flash_error(exc)
    else:
        flash(_("Erasure requested; a second user must confirm it."), "success")
    return redirect(url_for("people.erasure_requests"))


def _decide(confirm: bool):
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose a request."), "danger")
        return redirect(url_for("people.erasure_requests"))
    erasure = db.get_or_404(ErasureRequest, form.request_id.data)
    access.load_erasable_person(current_user, erasure.person_id)  # 404 outside the user's scope
    try:
        if confirm:
            # The decision is taken now; the erasure itself is a background job.
            services.decide_erasure(current_user, erasure)
            job_services.start_job(current_user, ERASURE, {"request_id": erasure.id})
        else:
            services.cancel_erasure(current_user, erasure)
    except services.PersonError as exc:
        _flash_error(exc)
    else:
        flash(
            _("Erasure confirmed: it is carried out in the background.")
            if confirm
            else _("Request cancelled."),
            "success",
        )
    return redirect(url_for("people.erasure_requests"))


@bp.route("/erasure-requests/confirm", methods=["POST"])
@requires(Action.CONFIRM_ERASURE)
def confirm_erasure():
    return _decide(confirm=True)


@bp.route("/erasure-requests/cancel", methods=["POST"])
@requires(Action.CONFIRM_ERASURE)
def cancel_erasure():
    return _decide(confirm=False)


# -- the person list and search -------------------------------------------------------------


@bp.route("/")
@requires(Action.VIEW_CASES)
def index():
    page = paginate(queries.visible_persons(current_user))
    queries.record_list_read(current_user, page.page)
    envelope.preload(db.session, [p.id for p in page.items])
    return render_template("people/list.html", page=page, search=PersonSearchForm(formdata=None))


@bp.route("/search", methods=["POST"])
@requires(Action.VIEW_CASES)
def search():
    form = PersonSearchForm()
    if not form.validate_on_submit():
        return render_template("people/search.html", form=form, results=None), 400
    kind, persons = queries.search_persons(current_user, form.q.data)
    per_page = current_app.config["PER_PAGE"]
    total_pages = max(1, -(-len(persons) // per_page))
    number = min(form.page.data or 1, total_pages)
    shown = persons[(number - 1) * per_page : number * per_page]
    return render_template(
        "people/search.html",
        form=form,
        results=shown,
        total=len(persons),
        page_number=number,
        pages=total_pages,
        kind=kind,
    )


# -- registration and the person page ----------------------------------------------------------

PERSON_ERRORS = {
    "not your unit": _l("You can only register people in a unit where you work."),
    "guardian consent needs a guardian": _l("Choose the guardian who gave consent."),
    "person erased": _l("This person was erased."),
}


# Refusals that concern one field are shown under that field, never as a bare banner.
FIELD_ERRORS = {
    "phone is not a Vietnamese phone number": (
        "phone",
        _l("Enter a Vietnamese phone number, e.g. 0912 345 678 or +84 912 345 678."),
    ),
    "national id must have 12 digits (or 9 for a legacy id)": (
        "national_id",
        _l("Enter 12 digits, or 9 for an old ID."),
    ),
}


def _person_error(exc: services.PersonError) -> str:
    return str(PERSON_ERRORS.get(str(exc), _l("The request could not be completed.")))


def _refuse(form: PersonForm, exc: services.PersonError) -> None:
    """Put a service's refusal under its field, or say in a banner what is wrong."""
    name, message = FIELD_ERRORS.get(str(exc), (None, None))
    if name is not None and name in form:
        field_error(form[name], message)
        flash(_("Check the highlighted fields."), "danger")
    else:
        flash(_person_error(exc), "danger")


def _prepare_person_form(form: PersonForm) -> None:
    from casemgr.reference.queries import ethnicities

    form.ethnicity_code.choices = [SelectChoice("", "—")] + [
        SelectChoice(e.code, e.label) for e in ethnicities()
    ]
    units = [a.unit for a in current_user.roles if a.role in ("social_worker", "supervisor")]
    form.unit_id.choices = [SelectChoice(u.id, u.name) for u in units]
    form.area_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(a.id, a.name) for a in communes_for_units(units)
    ]


EXACT_MESSAGES = {
    "national_id": (
        _l("A person with this ID number is already registered (listed above)."),
        _l("A person with this ID number is already registered in another unit."),
    ),
    "phone": (
        _l("A person with this phone number is already registered (listed above)."),
        _l("A person with this phone number is already registered in another unit."),
    ),
}


def _block_exact(form: PersonForm, exact: duplicates.Exact) -> None:
    """Put the exact-match refusal under the ID number and phone fields."""
    for name in ("national_id", "phone"):
        found = getattr(exact, name)
        if found:
            shown, elsewhere = EXACT_MESSAGES[name]
            message = str(shown if found.visible else elsewhere)
            field_error(
                form[name],
                message
                + " "
                + _(
                    "Open the existing record, or tick the box below if this is a different person."
                ),
            )
    flash(_("Check the highlighted fields."), "danger")


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def register():
    form = PersonForm()
    _prepare_person_form(form)
    probable = None
    exact = duplicates.Exact()
    if form.validate_on_submit():
        area_id = form.area_id.data or None
        exact = duplicates.exact_matches(
            current_user,
            national_id=None if form.is_pseudonymous.data else form.national_id.data,
            phone=form.phone.data,
        )
        if exact and not form.different_person.data:
            _block_exact(form, exact)
            return render_template(
                "people/register.html", form=form, duplicates=None, exact=exact
            ), 409
        if not request.form.get("confirmed_new") and not form.is_pseudonymous.data:
            probable = registration.find_duplicates(
                current_user,
                surname=form.surname.data,
                middle_name=form.middle_name.data,
                given_name=form.given_name.data,
                sex=form.sex.data,
                area_id=area_id,
                birth_year=form.date_of_birth.data.year
                if form.date_of_birth.data
                else form.birth_year.data,
            )
        if not probable:
            return _register(form, area_id, exact)
    return render_template("people/register.html", form=form, duplicates=probable, exact=exact)


def _register(form: PersonForm, area_id: int | None, exact: duplicates.Exact):
    try:
        person = registration.register(
            current_user,
            db.get_or_404(Unit, form.unit_id.data),
            surname=form.surname.data,
            middle_name=form.middle_name.data,
            given_name=form.given_name.data,
            sex=form.sex.data,
            date_of_birth=form.date_of_birth.data,
            birth_year=form.birth_year.data,
            ethnicity_code=form.ethnicity_code.data or None,
            national_id=form.national_id.data,
            phone=form.phone.data,
            area_id=area_id,
            street_address=form.street_address.data,
            is_pseudonymous=form.is_pseudonymous.data,
            mother_given_name=form.mother_given_name.data,
        )
    except services.PersonError as exc:
        _refuse(form, exc)
        return render_template(
            "people/register.html", form=form, duplicates=None, exact=duplicates.Exact()
        )
    if exact and form.different_person.data:
        registration.record_distinctions(current_user, person, exact)
    for warning in identity.national_id_warnings(
        form.national_id.data, person.birth_year, person.sex
    ):
        flash(str(ID_WARNINGS[warning]), "warning")
    intake_id = request.args.get("intake", "")
    if intake_id.isascii() and intake_id.isdigit() and len(intake_id) < 10:  # a report's child
        flash(_("Registered. Now open the case for the report."), "success")
        return redirect(url_for("intake.open_case", report_id=intake_id, person_id=person.id))
    flash(_("Registered. Record consent and relatives, then open a case."), "success")
    return redirect(url_for("people.detail", person_id=person.id))


ID_WARNINGS = {
    "birth year differs from the ID number": _l(
        "Check the ID number: its digits 5-6 do not match the year of birth."
    ),
    "sex differs from the ID number": _l(
        "Check the ID number: its 4th digit does not match the recorded sex."
    ),
}


@bp.route("/<int:person_id>")
@requires(Action.VIEW_CASES)
def detail(person_id: int):
    person = access.load_person(current_user, person_id)
    ensure_readable(person)  # a tampered person is refused here (audited), never shown in part
    return _detail_page(person)


def _detail_page(
    person,
    relative_form: RelativeForm | None = None,
    consent_form: ConsentsForm | None = None,
    status: int = 200,
):
    """The person page; a refused relative or consent comes back with what was typed."""
    from casemgr.cases.queries import WITHOUT_LISTS, visible_cases

    relatives = registration.relatives_of(person, with_voided=True)
    consents_shown = registration.consents_of(person, with_voided=True)
    current_consents = [c for c in consents_shown if c.is_current]
    age = person.age_in(clock.today().year)
    # The forms are built (and drawn) only for a user who may submit them.
    may_edit = user_may(current_user, Action.EDIT_CASES)
    if may_edit and not person.is_erased:
        consent_form = _prepare_consents_form(
            consent_form or ConsentsForm(formdata=None),
            person,
            [r for r in relatives if r.is_current],  # the guardians: no second query
        )
        relative_form = relative_form or RelativeForm(formdata=None)
    else:
        consent_form = relative_form = None
    missing = {  # the givers in the form's order: the person first
        scope: [
            giver
            for giver in ConsentGiver
            if giver in identity.missing_consents(current_consents, scope, age, clock.today())
        ]
        for scope in ConsentScope
    }
    cases = db.session.scalars(
        visible_cases(current_user, narrow=True)
        .where(Case.person_id == person.id)
        .order_by(Case.opened_at.desc())
        # The list shows number, group and status only; the person is this page's own.
        .options(*WITHOUT_LISTS, lazyload(Case.person), lazyload(Case.unit), lazyload(Case.owner))
    ).all()
    # "No case yet" only when there is none: a case the user may not see is not said away.
    others_hidden = not cases and db.session.scalar(
        select(exists().where(Case.person_id == person.id))
    )
    return render_template(
        "people/detail.html",
        person=person,
        relatives=relatives,
        consents=consents_shown,
        missing=missing,
        consent_rule=CONSENT_RULE_LABELS[identity.consent_rule(age)],
        cases=cases,
        others_hidden=others_hidden,
        linked=_linked(person),
        relative_form=relative_form,
        consent_form=consent_form,
        may_edit=may_edit,
        may_correct=may_edit and not person.is_erased,
        today=clock.today(),
        relationship_labels=RELATIONSHIP_LABELS,
        link_reason_labels=LINK_REASON_LABELS,
        scope_labels=CONSENT_SCOPE_LABELS,
        giver_labels=CONSENT_GIVER_LABELS,
        sex_labels=SEX_LABELS,
    ), status


def _linked(person: Person) -> list[links.Shown]:
    """The person's same-person links, each with the other registration when the user may see
    it (people.access decides; one query when there are links, none otherwise)."""
    pairs = links.links_of(person)
    visible = access.visible_among(current_user, [other_id for other_id, _link in pairs])
    return [links.Shown(other_id, visible.get(other_id), link) for other_id, link in pairs]


def _form_values(person: Person) -> dict[str, object]:
    """The edit form's fields as loaded from `person` (also what a save made meanwhile holds)."""
    values: dict[str, object] = {
        name: getattr(person, name)
        for name in (
            "surname",
            "middle_name",
            "given_name",
            "national_id",
            "phone",
            "street_address",
            "ethnicity_code",
        )
    }
    values["sex"] = str(person.sex)
    # A year without a date is the year field's, whether or not it was flagged as estimated
    # (records made by services.register_person are not): left empty, saving the form as
    # shown would erase it.
    values["birth_year"] = None if person.date_of_birth else person.birth_year
    values["date_of_birth"] = (
        dt.date.fromisoformat(person.date_of_birth) if person.date_of_birth else None
    )
    values["area_id"] = person.area_id or 0
    return values


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def edit(person_id: int):
    person = access.load_person(current_user, person_id)
    if person.is_erased:
        abort(404)
    ensure_readable(person)
    form = PersonForm()
    _prepare_person_form(form)
    del form.unit_id, form.is_pseudonymous, form.mother_given_name, form.different_person
    if person.is_pseudonymous:  # known by code only: there are no names to correct
        del form.surname, form.middle_name, form.given_name, form.national_id
    if request.method == "GET":
        saved_meanwhile.load(form, _form_values(person))
        form.version.data = person.version
    conflict = None
    if request.method == "POST" and form.validate():
        area_id = form.area_id.data or None
        try:
            named = {
                name: form[name].data
                for name in ("surname", "middle_name", "given_name", "national_id")
                if name in form
            }
            registration.correct(
                current_user,
                person,
                expected_version=int(form.version.data or 0),
                sex=form.sex.data,
                birth_year=form.birth_year.data,
                date_of_birth=form.date_of_birth.data,
                ethnicity_code=form.ethnicity_code.data or None,
                phone=form.phone.data,
                area_id=area_id,
                street_address=form.street_address.data,
                **named,
            )
        except registration.StalePerson as exc:
            saved = exc.current
            form.version.data = saved.version
            conflict = saved_meanwhile.merge(form, form.loaded.data, _form_values(saved))
            flash(
                _(
                    "This person's record was saved elsewhere while you were editing (by "
                    "someone else, or by you in another tab). What changed is listed below and "
                    "is now in the form, except where you changed the same field: your value "
                    "is kept there. Check and save again."
                ),
                "warning",
            )
        except services.PersonError as exc:
            _refuse(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("people.detail", person_id=person.id))
    return render_template("people/edit.html", person=person, form=form, conflict=conflict)


@bp.route("/<int:person_id>/relatives", methods=["POST"])
@requires(Action.EDIT_CASES)
def add_relative(person_id: int):
    person = access.load_person(current_user, person_id)
    form = RelativeForm()
    if form.validate_on_submit():
        registration.add_relative(
            current_user,
            person,
            relationship_kind=form.relationship_kind.data,
            is_guardian=form.is_guardian.data,
            name=form.name.data,
            phone=form.phone.data,
        )
        flash(_("Relative added."), "success")
    else:
        return _detail_page(person, relative_form=form, status=400)
    return redirect(url_for("people.detail", person_id=person.id))


def _prepare_consents_form(
    form: ConsentsForm, person, current_relatives: list | None = None
) -> ConsentsForm:
    """Offer exactly the givers the person's age requires, and their current guardians
    (from `current_relatives` when the caller has them, else read)."""
    if current_relatives is None:
        current_relatives = registration.relatives_of(person)
    needed = identity.consent_givers_needed(person.age_in(clock.today().year))
    form.givers.choices = [
        SelectChoice(str(giver), CONSENT_GIVER_LABELS[giver])
        for giver in ConsentGiver
        if giver in needed
    ]
    form.relative_id.choices = starting_empty(
        (SelectChoice(r.id, r.name) for r in current_relatives if r.is_guardian and r.is_current),
        empty="",
    )
    return form


CONSENT_ERRORS = {
    "no scope": _l("Tick at least one thing the consent covers."),
    "no giver": _l("Tick who gave the consent."),
    "no date": _l("Enter the date the consent was given."),
    "date in the future": _l("A consent cannot be dated in the future."),
    "guardian consent needs a guardian": _l("Choose the parent or guardian who gave consent."),
}
GIVER_LEFT_OUT = {
    (ConsentGiver.SUBJECT, identity.ConsentRule.CHILD_WITH_OWN_CONSENT): _l(
        "A child aged 7 or more must also give their own consent to: %(scopes)s. Tick “%(giver)s”."
    ),
    ConsentGiver.SUBJECT: _l(
        "The person must give their own consent to: %(scopes)s. Tick “%(giver)s”."
    ),
    ConsentGiver.GUARDIAN: _l(
        "A parent or guardian must also consent for the child to: %(scopes)s. Tick “%(giver)s”."
    ),
}
NO_GUARDIAN = _l(
    "No parent or guardian is on record: add them under “Relatives and guardians” first."
)


def _refuse_consents(form: ConsentsForm, person, exc: consents.ConsentRefused) -> None:
    """Put each of the service's refusals under the field it concerns."""
    rule = identity.consent_rule(person.age_in(clock.today().year))
    for name, code in exc.problems.items():
        if code != "required giver left out":
            message = CONSENT_ERRORS[code]
            if name == "relative_id" and len(form.relative_id.choices) < 2:
                message = NO_GUARDIAN
            field_error(form[name], message)
    for giver, scopes in exc.missing.items():
        text = GIVER_LEFT_OUT.get((giver, rule), GIVER_LEFT_OUT[giver])
        listed = ", ".join(str(CONSENT_SCOPE_LABELS[scope]) for scope in scopes)
        field_error(form.givers, text % {"scopes": listed, "giver": CONSENT_GIVER_LABELS[giver]})


@bp.route("/<int:person_id>/consents", methods=["POST"])
@requires(Action.EDIT_CASES)
def add_consent(person_id: int):
    """Record consent to every ticked scope by every ticked giver, in one submission."""
    person = access.load_person(current_user, person_id)
    form = _prepare_consents_form(ConsentsForm(), person)
    if not form.validate_on_submit():
        return _detail_page(person, consent_form=form, status=400)
    relative = db.session.get(Relative, form.relative_id.data) if form.relative_id.data else None
    try:
        recorded = consents.record_consents(
            current_user,
            person,
            scopes=form.scopes.data,
            givers=form.givers.data,
            given_on=form.given_on.data,
            relative=relative,
            today=clock.today(),
        )
    except consents.ConsentRefused as exc:
        _refuse_consents(form, person, exc)
        return _detail_page(person, consent_form=form, status=400)
    except services.PersonError as exc:
        flash(_person_error(exc), "danger")
        return redirect(url_for("people.detail", person_id=person.id))
    flash(
        ngettext("%(num)d consent recorded.", "%(num)d consents recorded.", len(recorded)),
        "success",
    )
    return redirect(url_for("people.detail", person_id=person.id))


@bp.route("/<int:person_id>/consents/withdraw", methods=["POST"])
@requires(Action.EDIT_CASES)
def withdraw_consent(person_id: int):
    person = access.load_person(current_user, person_id)
    form = WithdrawConsentForm()
    if not form.validate_on_submit():
        abort(400)
    consent = db.session.get(Consent, form.consent_id.data)
    if consent is None or consent.person_id != person.id or not consent.is_current:
        abort(404)
    registration.withdraw_consent(current_user, consent, clock.today())
    flash(_("Consent withdrawn."), "success")
    return redirect(url_for("people.detail", person_id=person.id))


# -- same-person links (people.links) ---------------------------------------------------------

# A term of at most this many digits (or "#" and digits) is a person number: ID numbers have 9
# or 12 digits, phones 10 or more.
PERSON_NUMBER_DIGITS = 8
LINK_RESULTS = 20  # search results listed on the first step; narrow the term for more
NOT_FOUND_OR_NOT_ALLOWED = _l(
    "No person has this number, or you do not have access to that record."
)
LINK_ERRORS = {
    "same record": _l("This is the record you are on: choose the other registration."),
    "already linked": _l("These two records are already linked as the same person."),
    "not linked": _l("These two records are not linked."),
    "person erased": _l("This person was erased."),
}
DIFFERENCE_LABELS = {
    links.SEX_DIFFERS: _l("The recorded sex differs."),
    links.BIRTH_YEARS_DIFFER: _l("The years of birth are more than a year apart."),
    links.NATIONAL_IDS_DIFFER: _l("The ID numbers differ."),
}


def _linkable(person_id: int) -> Person:
    """The person whose links are changed: one the user may see (404 otherwise, audited), not
    erased, readable (a tampered record is refused, audited, never shown in part)."""
    person = access.load_person(current_user, person_id)
    if person.is_erased:
        abort(404)
    ensure_readable(person)
    return person


def _person_number(term: str) -> int | bool | None:
    """The person number a term names ("26", "#26"), None for a number no record can have
    ("0"), False when the term is not a person number (a name, an ID number, a phone)."""
    text = term.strip().removeprefix("#").strip()
    if not text.isascii() or not text.isdigit() or len(text) > PERSON_NUMBER_DIGITS:
        return False
    from casemgr.web.ids import parse_id

    return parse_id(text)


@bp.route("/<int:person_id>/links/new", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def link_find(person_id: int):
    """Step 1: name the other registration, by search (as the person search) or by number."""
    person = _linkable(person_id)
    form = LinkFindForm() if request.method == "POST" else LinkFindForm(formdata=None)
    results = None
    if request.method == "POST":
        if not form.validate_on_submit():
            return _link_find_page(person, form, None, status=400)
        number = _person_number(form.q.data)
        if number is not False:
            if number == person.id:
                links.refuse_same_record(current_user, person)
                field_error(form.q, LINK_ERRORS["same record"])
                return _link_find_page(person, form, None, status=400)
            other = access.find_person(current_user, number) if number else None
            if other is None:
                field_error(form.q, NOT_FOUND_OR_NOT_ALLOWED)
                return _link_find_page(person, form, None, status=400)
            return redirect(url_for("people.link", person_id=person.id, other_id=other.id))
        _kind, found = queries.search_persons(current_user, form.q.data)
        results = [p for p in found if p.id != person.id]
    return _link_find_page(person, form, results)


def _link_find_page(person: Person, form: LinkFindForm, results, status: int = 200):
    linked = {other_id for other_id, _link in links.links_of(person)}
    shown = results[:LINK_RESULTS] if results else results
    if shown:
        envelope.preload(db.session, [p.id for p in shown])
    return render_template(
        "people/link_find.html",
        person=person,
        form=form,
        results=shown,
        total=len(results) if results is not None else 0,
        linked=linked,
    ), status


def _other_for_link(person: Person, other_id: int) -> Person:
    """The other registration of a comparison: one the user may see (404 otherwise, as every
    record the user may not open; audited), readable."""
    other = access.load_person(current_user, other_id)
    ensure_readable(other)
    return other


def _side_by_side(person: Person, other: Person) -> dict:
    """What the comparison pages show of the two registrations (the read is audited)."""
    links.record_comparison(current_user, person, other)
    units = {
        u.id: u
        for u in db.session.scalars(
            select(Unit).where(Unit.id.in_({person.registered_unit_id, other.registered_unit_id}))
        )
    }
    differences = links.differences(person, other)
    return dict(
        person=person,
        other=other,
        units=units,
        differences=differences,
        difference_labels=DIFFERENCE_LABELS,
        sex_labels=SEX_LABELS,
    )


def _compare_page(person, other, form, existing, *, removing: bool, check, save, done: str):
    """The two registrations side by side for a link or its removal: a post that `check` lets
    through and whose form validates is saved by `save(reason)`; otherwise the page again,
    with what stopped it (400 for the form, 409 for a refusal)."""
    status = 200
    if request.method == "POST":
        try:
            check()
            if not form.validate_on_submit():
                status = 400
            else:
                save(form.reason.data)
                flash(done, "success")
                return redirect(url_for("people.detail", person_id=person.id))
        except services.PersonError as exc:
            flash(str(LINK_ERRORS.get(str(exc), _person_error(exc))), "danger")
            status = 409
    page = render_template(
        "people/link_compare.html",
        form=form,
        existing=existing,
        removing=removing,
        **_side_by_side(person, other),
    )
    return page, status


@bp.route("/<int:person_id>/links/<int:other_id>", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def link(person_id: int, other_id: int):
    """Step 2: the two registrations side by side, their differences flagged; the user ticks
    the confirmation and chooses the reason, and the link is saved."""
    person = _linkable(person_id)
    if other_id == person.id:
        links.refuse_same_record(current_user, person)
        flash(str(LINK_ERRORS["same record"]), "danger")
        return redirect(url_for("people.link_find", person_id=person.id))
    other = _other_for_link(person, other_id)
    existing = links.find_link(person, other)

    def check() -> None:
        if existing is not None:  # linked meanwhile (or the form posted anyway)
            raise links.refuse_already_linked(current_user, person)
        if other.is_erased:
            raise links.refuse_erased(current_user, person)

    return _compare_page(
        person, other, LinkForm(), existing, removing=False, check=check,
        save=lambda reason: links.link_same_person(current_user, person, other, reason),
        done=_("Linked as the same person; both records are kept."),
    )  # fmt: skip


@bp.route("/<int:person_id>/links/<int:other_id>/remove", methods=["GET", "POST"])
@requires(Action.EDIT_CASES)
def unlink(person_id: int, other_id: int):
    """Remove a wrong link ("Gỡ liên kết"): the two registrations side by side, a reason and a
    tick; both registrations stay."""
    person = _linkable(person_id)
    if other_id == person.id:
        abort(404)
    other = _other_for_link(person, other_id)
    existing = links.find_link(person, other)

    def check() -> None:
        if existing is None:  # removed meanwhile (or never made)
            raise links.refuse_not_linked(current_user, person)

    return _compare_page(
        person, other, UnlinkForm(), existing, removing=True, check=check,
        save=lambda reason: links.unlink(current_user, person, other, reason),
        done=_("The link was removed; both records are kept."),
    )  # fmt: skip
