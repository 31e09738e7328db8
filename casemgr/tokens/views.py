"""Token screens: a user's own tokens (make, see once, revoke); every live token for admins."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from casemgr import clock
from casemgr.audit import record
from casemgr.auth.roles import Action
from casemgr.extensions import db
from casemgr.tokens import services
from casemgr.tokens.forms import SCOPE_LABELS, SCOPE_NAMES, RevokeForm, TokenForm
from casemgr.tokens.models import ApiToken
from casemgr.web.access import requires, signed_in

bp = Blueprint("tokens", __name__, url_prefix="/tokens")

DEFAULT_DAYS = 30
# The signed session cookie carries only the new token's id (never its value) to the page
# that shows the value once.
SHOW_KEY = "token_to_show"


@bp.context_processor
def _scope_names() -> dict:
    """`scope_names(token)`: the token's scopes as translated names, in scope order."""
    return {
        "scope_names": lambda token: ", ".join(
            str(SCOPE_NAMES[s]) for s in token.scopes.split(",") if s
        )
    }


def _form() -> TokenForm:
    form = TokenForm()
    form.scopes.choices = [
        SelectChoice(s.value, SCOPE_LABELS[s.value]) for s in services.allowed_scopes(current_user)
    ]
    today = clock.today()  # the date picker offers only the days the rule allows
    form.expires_on.render_kw = {
        "min": (today + dt.timedelta(days=1)).isoformat(),
        "max": (today + dt.timedelta(days=services.MAX_DAYS)).isoformat(),
    }
    return form


def _page(form: TokenForm, status: int = 200):
    return render_template(
        "tokens/index.html",
        form=form,
        tokens=services.own_tokens(current_user),
        revoke_form=RevokeForm(formdata=None),
        now=clock.utcnow(),
        max_days=services.MAX_DAYS,
    ), status


@bp.route("/")
@signed_in
def index():
    form = _form()
    form.expires_on.data = clock.today() + dt.timedelta(days=DEFAULT_DAYS)
    return _page(form)


@bp.route("/", methods=["POST"])
@signed_in
def create():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        token = services.create_pending_token(
            current_user,
            name=form.name.data,
            scopes=form.scopes.data,
            expires_on=form.expires_on.data,
            today=clock.today(),
        )
    except services.TokenError:
        form.scopes.errors = [_("These scopes are not allowed for your account.")]
        return _page(form, 400)
    session[SHOW_KEY] = token.id
    # POST-redirect-GET: reloading the page that shows the value cannot make another token.
    return redirect(url_for("tokens.shown"), 303)


@bp.route("/new")
@signed_in
def shown():
    revealed = services.reveal(current_user, session.pop(SHOW_KEY, 0))
    if revealed is None:
        flash(_("A token's value is shown only once. If you did not copy it, revoke the token "
                "and make a new one."), "warning")  # fmt: skip
        return redirect(url_for("tokens.index"))
    token, value = revealed
    # The one and only showing of the value: never cached, never kept anywhere.
    response = make_response(render_template("tokens/created.html", token=token, value=value))
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_or_404(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or not services.may_revoke(current_user, token):
        record("token.revoke", actor=current_user, object_type="api_token", object_id=token_id,
               outcome="denied", reason="out of scope")  # fmt: skip
        abort(404)
    return token


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int):
    token = _token_or_404(token_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    services.revoke_token(current_user, token)
    flash(_("Token revoked: it no longer works."), "success")
    if token.user_id != current_user.id:
        return redirect(url_for("tokens.all_tokens"))
    return redirect(url_for("tokens.index"))


@bp.route("/all")
@requires(Action.MANAGE_USERS)
def all_tokens():
    return render_template(
        "tokens/all.html",
        tokens=services.all_tokens(),
        revoke_form=RevokeForm(formdata=None),
    )
