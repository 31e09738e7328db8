"""The case scope helper: own caseload, unit subtree, nothing for auditors and administrators."""

from __future__ import annotations

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


def test_list_scope_matches_the_predicate(make, db):
    """The list queries' scope (its UNION ALL of arms, or the subtree's OR), its row-by-row
    form (narrow=True) and the loader's predicate agree on every combination of unit, owner
    and co-worker, for every role."""
    from casemgr.cases.models import Case
    from casemgr.cases.queries import arm_union, scope_arms, visible_cases
    from casemgr.cases.services import set_co_worker
    from casemgr.clock import utcnow
    from tests.cases.conftest import open_child_case

    province = make.unit()
    commune, sibling = make.unit(province), make.unit(province)
    other = make.unit()
    supervisor = make.user(Role.SUPERVISOR, commune)
    worker = make.user(Role.SOCIAL_WORKER, commune)
    helper = make.user(Role.SOCIAL_WORKER, commune)
    outsider = make.user(Role.SOCIAL_WORKER, other)
    cases = [
        open_child_case(worker, commune),
        open_child_case(helper, commune),
        open_child_case(outsider, other),
    ]
    from casemgr.cases.policy import case_access

    shared = cases[1]
    set_co_worker(helper, shared, case_access(helper, shared, None, utcnow()), worker, on=True)
    # A worker who also supervises elsewhere: owns a case outside the subtree they supervise.
    from casemgr.admin.services import assign_role

    assign_role(None, outsider, Role.SUPERVISOR, sibling)
    cases.append(open_child_case(outsider, sibling))  # in their subtree and their own
    users = [supervisor, worker, helper, outsider, make.user(Role.AUDITOR, province)]
    ids = [case.id for case in cases]
    for user in users:
        expected = {c.id for c in cases if case_access(user, c, None, utcnow()).can_read}
        listed = set(
            db.session.scalars(
                visible_cases(user).where(Case.id.in_(ids)).with_only_columns(Case.id)
            )
        )
        by_row = set(
            db.session.scalars(
                visible_cases(user, narrow=True).where(Case.id.in_(ids)).with_only_columns(Case.id)
            )
        )
        arms = scope_arms(user)
        union = set(db.session.scalars(arm_union(arms))) & set(ids)
        assert listed == by_row == union == expected, user.username
        own = {c.id for c in cases if c.id in expected and user.id in c.worker_ids()}
        mine = visible_cases(user, own_only=True).where(Case.id.in_(ids))
        assert set(db.session.scalars(mine.with_only_columns(Case.id))) == own, user.username
        every = list(db.session.scalars(arm_union(arms)))
        assert len(every) == len(set(every)), "the arms are disjoint"
    assert {c.id for c in cases if case_access(outsider, c, None, utcnow()).can_read} == {
        cases[2].id,
        cases[3].id,
    }


def test_a_subtree_scope_writes_its_unit_paths_into_the_statement(make, db):
    """A supervisor's subtree is written into the SQL, not bound: PostgreSQL's generic plan of a
    prepared statement cannot see a bound prefix, and guessed one unit for a province-wide
    subtree (casemgr.db.in_subtree)."""
    from sqlalchemy import event, select

    from casemgr.org.models import Unit

    province = make.unit()
    supervisor = make.user(Role.SUPERVISOR, province)
    statement = select(Unit.id).where(case_scope(supervisor).units_condition(Unit.path))
    sent = []

    def record(conn, cursor, sql, parameters, context, executemany):
        sent.append((sql, parameters))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        ids = db.session.scalars(statement).all()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert province.id in ids
    sql, parameters = sent[-1]
    assert f"'{province.path}'" in sql, sql
    values = parameters.values() if isinstance(parameters, dict) else parameters
    assert province.path not in [str(value) for value in values or ()]


def test_a_subtree_path_is_quoted_in_the_statement(db):
    from sqlalchemy import select

    from casemgr.db import in_subtree
    from casemgr.org.models import Unit

    hostile = "/1/' OR 1=1 --"
    statement = select(Unit.id).where(in_subtree(Unit.path, hostile))
    assert db.session.scalars(statement).all() == []
