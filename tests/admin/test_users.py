"""Administrators manage users: create, roles, disable, reset MFA, temporary passwords."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.auth.roles import Role


def test_create_user_shows_a_temporary_password_once(app, client, make, db):
    admin = make.user(Role.ADMINISTRATOR)
    unit = make.unit()
    client.login(admin)
    page = client.post_form(
        "/admin/users/new",
        {
            "username": "Lan.Nguyen",
            "display_name": "Nguyễn Thị Lan",
            "email": "",
            "role": "social_worker",
            "unit_id": unit.id,
        },
    ).get_data(as_text=True)
    temp = re.search(r'data-testid="temporary-password">([^<]+)<', page).group(1)
    user = db.session.scalar(select(User).where(User.username == "lan.nguyen"))
    assert user.must_change_password and user.password_hash.startswith("$argon2id$")
    assert temp not in user.password_hash
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert all(temp not in repr(vars(e)) and "Nguyễn" not in repr(vars(e)) for e in events)


def test_duplicate_username_is_explained(client, make):
    admin = make.user(Role.ADMINISTRATOR)
    existing = make.user(Role.SOCIAL_WORKER)
    client.login(admin)
    client.post_form("/auth/language", {"locale": "en"})
    response = client.post_form(
        "/admin/users/new",
        {
            "username": existing.username.upper(),
            "display_name": "X",
            "role": "social_worker",
            "unit_id": existing.roles[0].unit_id,
        },
    )
    assert response.status_code == 200
    assert "This username is already taken." in response.get_data(as_text=True)


def test_a_taken_username_is_named_beside_the_other_refusals(client, make, db):
    """The walk's finding: the taken username was reported only once the email was right."""
    from tests.validation.browser_form import errors_under

    admin = make.user(Role.ADMINISTRATOR)
    existing = make.user(Role.SOCIAL_WORKER)
    client.login(admin)
    users = db.session.scalar(select(func.count(User.id)))
    response = client.post_form(
        "/admin/users/new",
        {
            "username": existing.username,
            "display_name": "Người dùng thử",
            "email": "not-an-email",
            "role": "social_worker",
            "unit_id": existing.roles[0].unit_id,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(User.id))) == users
    assert errors_under(html, "username") == ["Tên đăng nhập này đã được sử dụng."]
    assert errors_under(html, "email") == ["Nhập địa chỉ email hợp lệ."]


def test_roles_are_added_and_the_last_one_is_kept(client, make, db):
    admin = make.user(Role.ADMINISTRATOR)
    user = make.user(Role.SOCIAL_WORKER)
    other_unit = make.unit()
    client.login(admin)
    client.post_form(
        f"/admin/users/{user.id}/roles", {"role": "supervisor", "unit_id": other_unit.id}
    )
    roles = {(a.role, a.unit_id) for a in db.session.get(User, user.id).roles}
    assert (Role.SUPERVISOR, other_unit.id) in roles and len(roles) == 2
    for assignment in list(db.session.get(User, user.id).roles):
        client.post_form(f"/admin/users/{user.id}/roles/{assignment.id}/remove")
    assert len(db.session.get(User, user.id).roles) == 1


def test_over_posting_cannot_change_username_or_roles(client, make, db):
    admin = make.user(Role.ADMINISTRATOR)
    user = make.user(Role.SOCIAL_WORKER)
    client.login(admin)
    client.post_form(
        f"/admin/users/{user.id}",
        {
            "display_name": "New name",
            "username": "hijacked",
            "is_enabled": "0",
            "role": "administrator",
            "password_hash": "x",
        },
    )
    stored = db.session.get(User, user.id)
    assert stored.display_name == "New name"
    assert stored.username == user.username and stored.is_enabled
    assert stored.role_set() == {Role.SOCIAL_WORKER}


def test_reset_mfa_makes_the_user_enrol_again(client, make, db, app):
    admin = make.user(Role.ADMINISTRATOR)
    supervisor = make.user(Role.SUPERVISOR)
    client.login(admin)
    client.post_form(f"/admin/users/{supervisor.id}/reset-mfa")
    assert not db.session.get(User, supervisor.id).mfa_enrolled
    response = app.test_client().login(supervisor)
    assert response.headers["Location"].endswith("/auth/mfa/enrol")


def test_admin_cannot_disable_themself(client, make, db):
    admin = make.user(Role.ADMINISTRATOR)
    client.login(admin)
    client.post_form(f"/admin/users/{admin.id}/disable")
    assert db.session.get(User, admin.id).is_enabled


def test_user_list_paginates_and_searches(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    admin = make.user(Role.ADMINISTRATOR)
    for _ in range(3):
        make.user(Role.SOCIAL_WORKER)
    client.login(admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'class="pagination"' in html
    html = client.get(f"/admin/users?q={admin.username}").get_data(as_text=True)
    assert admin.username in html


def test_disabling_an_owner_of_open_cases_warns_and_needs_a_confirmation(client, make, db):
    from casemgr.cases.models import Case
    from tests.cases.conftest import open_child_case

    admin = make.user(Role.ADMINISTRATOR)
    commune = make.unit()
    worker = make.user(Role.SOCIAL_WORKER, commune)
    supervisor = make.user(Role.SUPERVISOR, commune)
    elsewhere = make.user(Role.SUPERVISOR)  # supervises another unit: not named
    idle = make.user(Role.SOCIAL_WORKER, commune)
    for _ in range(2):
        open_child_case(worker, commune)
    closed = open_child_case(worker, commune)
    closed.status = "closed"
    db.session.commit()
    client.login(admin)
    client.post_form("/auth/language", {"locale": "en"})
    page = client.get(f"/admin/users/{worker.id}").get_data(as_text=True)
    assert 'data-testid="open-cases-warning"' in page
    assert "This user owns 2 open cases." in page
    assert supervisor.username in page and elsewhere.username not in page
    assert (
        "Reassign cases" in page and "/supervision/reassign" not in page
    )  # no link the admin may not open
    # Without the explicit confirmation nothing changes, and the page says why.
    response = client.post_form(f"/admin/users/{worker.id}/disable", follow_redirects=True)
    assert "Tick the box to confirm" in response.get_data(as_text=True)
    assert db.session.get(User, worker.id).is_enabled
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.disable")
    ).all()
    # With it, the user is disabled and the trail says how many cases were left.
    client.post_form(f"/admin/users/{worker.id}/disable", {"acknowledge": "y"})
    assert not db.session.get(User, worker.id).is_enabled
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.disable"))
    assert event.reason == "open cases: 2"
    # The cases stay with their owner: the supervisor reassigns them.
    owned = db.session.scalars(select(Case).where(Case.owner_id == worker.id)).all()
    assert len(owned) == 3
    # A user without open cases is disabled with the plain confirmation, as before.
    assert "open-cases-warning" not in client.get(f"/admin/users/{idle.id}").get_data(as_text=True)
    client.post_form(f"/admin/users/{idle.id}/disable")
    assert not db.session.get(User, idle.id).is_enabled
