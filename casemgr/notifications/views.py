"""The notification centre: the unread count in the header and the page of notifications."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.notifications import services
from casemgr.notifications.forms import MarkAllReadForm, MarkReadForm
from casemgr.notifications.models import NotificationKind
from casemgr.web.access import signed_in
from casemgr.web.pagination import paginate

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

K = NotificationKind
KIND_LABELS = {
    K.PLAN_APPROVED: _l("Plan approved"),
    K.PLAN_RETURNED: _l("Plan returned for changes"),
    K.CLOSURE_APPROVED: _l("Closure approved"),
    K.CLOSURE_DECLINED: _l("Closure declined"),
    K.REFERRAL_ANSWERED: _l("Referral answered"),
    K.TRANSFER_ACCEPTED: _l("Transfer accepted"),
    K.TRANSFER_DECLINED: _l("Transfer declined"),
    K.CASE_ASSIGNED: _l("Case assigned to you"),
    K.CASE_REASSIGNED: _l("Case reassigned to you"),
    K.BREAK_GLASS: _l("Emergency access to your case"),
    K.DUE_TOMORROW: _l("A task is due tomorrow"),
    K.OVERDUE: _l("A task is overdue"),
}


@bp.app_context_processor
def badge():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.route("/")
@signed_in
def index():
    page = paginate(services.for_user(current_user))
    visible = services.linkable(current_user, page.items)
    return render_template(
        "notifications/index.html",
        page=page,
        visible=visible,
        kind_labels=KIND_LABELS,
        unread=services.unread_count(current_user),
        read_form=MarkReadForm(formdata=None),
        all_form=MarkAllReadForm(formdata=None),
    )


@bp.route("/read", methods=["POST"])
@signed_in
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    if not services.mark_read(current_user, form.notification_id.data):
        abort(404)  # someone else's or unknown: the same answer
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@signed_in
def mark_all_read():
    form = MarkAllReadForm()
    if not form.validate_on_submit():
        abort(400)
    count = services.mark_all_read(current_user)
    flash(_("%(num)d notifications marked read.", num=count), "success")
    return redirect(url_for("notifications.index"))
