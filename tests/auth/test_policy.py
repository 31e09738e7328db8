"""The case scope helper: own caseload, unit subtree, nothing for auditors and administrators."""

from __future__ import annotations

from sqlalchemy import literal, select

from casemgr.auth.policy import case_scope
from casemgr.auth.roles import Role, Scope


def test_scope_by_role(make, db):
    province = make.unit()
    commune = make.unit(province)
    other = make.unit()
    worker = make.user(Role.SOCIAL_WORKER, commune)
    assert case_scope(worker).kind == Scope.OWN
    assert not case_scope(worker).covers_unit_path(commune.path)
    supervisor = make.user(Role.SUPERVISOR, province)
    scope = case_scope(supervisor)
    assert scope.kind == Scope.SUBTREE and scope.unit_paths == (province.path,)
    assert scope.covers_unit_path(commune.path) and not scope.covers_unit_path(other.path)
    for role in (Role.AUDITOR, Role.ADMINISTRATOR):
        assert case_scope(make.user(role, province)).kind == Scope.NONE


def test_roles_combine_to_the_widest_and_nested_paths_collapse(make, db):
    from casemgr.admin.services import assign_role

    province = make.unit()
    commune = make.unit(province)
    user = make.user(Role.SOCIAL_WORKER, commune)
    assign_role(None, user, Role.SUPERVISOR, commune)
    assign_role(None, user, Role.SUPERVISOR, province)
    scope = case_scope(user)
    assert scope.kind == Scope.SUBTREE and scope.unit_paths == (province.path,)


def test_sql_condition_matches_the_predicate(make, db):
    """The list-query condition and the object predicate agree on every combination."""
    province = make.unit()
    commune = make.unit(province)
    other = make.unit()
    supervisor = make.user(Role.SUPERVISOR, commune)
    worker = make.user(Role.SOCIAL_WORKER, other)
    rows = [(commune.path, 0), (province.path, 0), (other.path, worker.id), (other.path, 0)]
    for user in (supervisor, worker):
        scope = case_scope(user)
        for unit_path, owner_id in rows:
            condition = scope.condition(literal(unit_path), literal(owner_id) == user.id)
            in_sql = bool(db.session.scalar(select(condition)))
            expected = scope.covers_unit_path(unit_path) or owner_id == user.id
            assert in_sql == expected, (user.username, unit_path, owner_id)
