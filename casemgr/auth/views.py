"""Sign-in, second factor, enrolment, sign-out, password change and language switch."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from casemgr.auth import mfa, recovery, services
from casemgr.auth.forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    MfaCodeForm,
    RecoveryCodesForm,
    TotpForm,
)
from casemgr.auth.models import User
from casemgr.auth.sessions import end_current_session, keep_alive, start_session, time_left
from casemgr.extensions import db, limiter
from casemgr.web.access import public, signed_in

bp = Blueprint("auth", __name__, url_prefix="/auth")

PENDING_SECONDS = 300
ALLOWED_WHILE_PASSWORD_EXPIRED = {
    "auth.password",
    "auth.logout",
    "auth.language",
    "auth.keepalive",
    "static",
    "bootstrap.static",
    "home.healthz",
    "ops.readyz",
    "ops.metrics_page",
}


def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _account_key() -> str:
    # Per-account throttling counts failures per typed username, known or not, so that the
    # limiter itself cannot reveal which accounts exist.
    typed = request.form.get("username") or session.get("pending_username") or ""
    return "account:" + services.normalise_username(typed)[:64]


def _user_key() -> str:
    return f"user:{current_user.get_id()}"


def _failed(response) -> bool:
    # A redirect, or the page showing new recovery codes, is a success.
    return response.status_code != 302 and not g.get("codes_shown")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.dashboard")


def _pending_user() -> User | None:
    uid, since = session.get("pending_uid"), session.get("pending_at", 0)
    if uid is None or time.time() - since > PENDING_SECONDS:
        return None
    user = db.session.get(User, uid)
    return user if user is not None and user.is_enabled else None


def _finish_sign_in(user: User, codes: list[str] | None = None, notice: str | None = None):
    target = _safe_next(session.get("pending_next"))
    start_session(user)  # a fresh session: flash only after it
    services.record_login(user)
    if notice:
        flash(notice, "warning")
    if codes is not None:
        return _show_codes(codes, target)
    return redirect(target)


def _show_codes(codes: list[str], next_url: str):
    """The one and only showing of new recovery codes: never cached, never kept in the session."""
    response = make_response(
        render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
    )
    response.headers["Cache-Control"] = "no-store"
    g.codes_shown = True
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 200
        if not mfa.mfa_required(user):
            session["pending_next"] = request.args.get("next")
            return _finish_sign_in(user)
        session.update(
            pending_uid=user.id,
            pending_at=time.time(),
            pending_username=user.username,
            pending_next=request.args.get("next"),
        )
        return redirect(url_for("auth.mfa_verify" if user.mfa_enrolled else "auth.mfa_enrol"))
    return render_template("auth/login.html", form=form)


@bp.route("/mfa", methods=["GET", "POST"])
@public  # reachable only with a fresh password step in the session (checked below)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def mfa_verify():
    user = _pending_user()
    if user is None or not user.mfa_enrolled:
        return redirect(url_for("auth.login"))
    form = MfaCodeForm()
    if form.validate_on_submit():
        if recovery.looks_like_code(form.code.data):
            if services.confirm_recovery_code(user, form.code.data):
                notice = _(
                    "You signed in with a recovery code; it cannot be used again. "
                    "Recovery codes left: %(n)d.",
                    n=recovery.remaining(user),
                )
                return _finish_sign_in(user, notice=notice)
            flash(_("That recovery code is not valid or has been used."), "danger")
        elif services.confirm_totp(user, form.code.data):
            return _finish_sign_in(user)
        else:
            flash(_("That code is not valid. Wait for a new code and try again."), "danger")
    return render_template("auth/mfa_verify.html", form=form)


@bp.route("/mfa/enrol", methods=["GET", "POST"])
@public  # a signed-in user, or a fresh password step that still needs a second factor
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def mfa_enrol():
    user = current_user if current_user.is_authenticated else _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.mfa_enrolled:
        flash(_("Two-step sign-in is already on. An administrator can reset it."), "info")
        return redirect(
            url_for("auth.password" if current_user.is_authenticated else "auth.mfa_verify")
        )
    # The new secret waits, sealed, in the session until a code confirms it: nothing is stored
    # on GET, and an abandoned enrolment leaves no trace.
    secret = mfa.unseal_pending(user, session.get("totp_pending", ""))
    if secret is None:
        secret = mfa.new_secret()
        session["totp_pending"] = mfa.seal_pending(user, secret)
    form = TotpForm()
    if form.validate_on_submit():
        if services.confirm_enrolment(user, secret, form.code.data):
            session.pop("totp_pending", None)
            codes = services.make_recovery_codes(user)
            if current_user.is_authenticated:
                flash(_("Two-step sign-in is now on for your account."), "success")
                return _show_codes(codes, url_for("home.dashboard"))
            return _finish_sign_in(user, codes)
        flash(_("That code is not valid. Check the key in your app and try again."), "danger")
    return render_template(
        "auth/mfa_enrol.html", form=form, secret=secret, qr=mfa.provisioning_qr_svg(user, secret)
    )


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    services.record_logout(current_user)
    end_current_session("signed out")
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.app_template_global()
def session_time_left() -> dict[str, int] | None:
    """The signed-in session's limits for the layout's expiry warning (None when signed out)."""
    return time_left()


@bp.route("/keepalive", methods=["POST"])
@signed_in
def keepalive():
    """The page's "keep me signed in" (a button, or typing in a form): the session's idle clock
    starts again; the answer says how long is left."""
    left = keep_alive()
    if left is None:
        abort(400)
    return jsonify(left)


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            changed = services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except services.PasswordRejected as exc:
            form.new_password.errors = list(exc.problems)
        else:
            if changed:
                flash(
                    _("Your password has been changed. Your other sessions have ended."), "success"
                )
                return redirect(url_for("home.dashboard"))
            form.current_password.errors = [_("The current password is wrong.")]
    return render_template("auth/password.html", form=form)


@bp.route("/recovery-codes", methods=["GET", "POST"])
@signed_in
@limiter.limit(_account_limit, key_func=_user_key, methods=["POST"], deduct_when=_failed)
def recovery_codes():
    if not current_user.mfa_enrolled:
        return redirect(url_for("auth.mfa_enrol"))
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        codes = services.regenerate_recovery_codes(current_user, form.current_password.data)
        if codes is not None:
            flash(_("New recovery codes made. The earlier ones no longer work."), "success")
            return _show_codes(codes, url_for("auth.password"))
        form.current_password.errors = [_("The current password is wrong.")]
    return render_template(
        "auth/recovery_codes_new.html", form=form, remaining=recovery.remaining(current_user)
    )


@bp.route("/language", methods=["POST"])
@public
def language():
    form = LanguageForm()
    if not form.validate_on_submit() or form.locale.data not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = form.locale.data
    if current_user.is_authenticated:
        services.set_locale(current_user, form.locale.data)
    return redirect(_safe_next(request.form.get("next")))


@bp.before_app_request
def require_password_change():
    """A user with a temporary password must set their own before doing anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ALLOWED_WHILE_PASSWORD_EXPIRED
    ):
        flash(_("Please choose your own password before continuing."), "warning")
        return redirect(url_for("auth.password"))
    return None
