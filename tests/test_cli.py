"""The CLI: create-user reads the password from standard input; demo data loads once."""

from __future__ import annotations

from sqlalchemy import select

from casemgr.auth.models import User
from casemgr.auth.passwords import verify_password


def test_create_user_reads_password_from_stdin(app, db, make):
    unit = make.unit(code="CLI-UNIT")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "casemgr",
            "create-user",
            "cli.worker",
            "--role",
            "social_worker",
            "--unit",
            "CLI-UNIT",
        ],
        input="a-scripted-passphrase-9\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "cli.worker"))
    assert verify_password(user.password_hash, "a-scripted-passphrase-9")
    assert "a-scripted-passphrase-9" not in result.output
    assert unit.id == user.roles[0].unit_id


def test_create_user_refuses_a_weak_password(app, db, make):
    make.unit(code="CLI-UNIT2")
    result = app.test_cli_runner().invoke(
        args=["casemgr", "create-user", "weak", "--role", "auditor", "--unit", "CLI-UNIT2"],
        input="password\n",
    )
    assert result.exit_code != 0 and "password refused" in result.output


def test_demo_data_loads_once_and_prints_logins(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["casemgr", "demo-data"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output and "demo.supervisor" not in first.output
    assert "demo.sup1" in first.output and "demo.auditor" in first.output
    second = runner.invoke(args=["casemgr", "demo-data"])
    assert "already present" in second.output
    demo_users = db.session.scalars(select(User).where(User.is_demo)).all()
    assert len(demo_users) == 8 and all(u.display_name.startswith("[DEMO]") for u in demo_users)
