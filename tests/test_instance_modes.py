"""A fresh instance made like `make run` makes it is private; one opened up does not start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from casemgr import create_app
from casemgr.audit.checkpoints import load_checkpoints
from casemgr.instance import UnsafeFileMode
from casemgr.jobs import tasks
from tests.dbsetup import base_url

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    base_url() is not None, reason="the embedded SQLite default's files (once per suite)"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def environment(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(
        CASEMGR_INSTANCE_PATH=str(instance),
        CASEMGR_ARGON2_TIME_COST="1",
        CASEMGR_ARGON2_MEMORY_KIB="1024",
        CASEMGR_ARGON2_PARALLELISM="1",
    )
    return env


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """`flask casemgr init` on a new instance folder, with the usual umask (022)."""
    instance = tmp_path_factory.mktemp("make-run") / "instance"
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "casemgr"]
    result = subprocess.run(
        [*flask, "init", "--skip-areas"],
        cwd=ROOT,
        env=environment(instance),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "audit checkpoint written" in result.stdout
    return instance


def test_make_run_leaves_a_private_instance(made, monkeypatch):
    monkeypatch.setenv("CASEMGR_INSTANCE_PATH", str(made))
    for name in ("CASEMGR_DATABASE_URL", "CASEMGR_KEYS", "CASEMGR_AUDIT_CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    old = os.umask(0o022)
    try:
        app = create_app({"CASEMGR_AUDIT_AUTO_CHECKPOINT": True})  # as gunicorn starts it
        app.test_client().get("/auth/login")
        from casemgr.jobs.queue import huey

        huey.enqueue(tasks.duties_tick.s())  # the queue file is written (and its -wal)
        huey.flush()
    finally:
        os.umask(old)
        with app.app_context():
            from casemgr.extensions import db

            db.engine.dispose()
    assert mode(made) == 0o700
    assert mode(made / "casemgr.sqlite") == 0o600
    assert mode(made / "casemgr.keys") == 0o600
    for companion in ("casemgr.sqlite-wal", "casemgr.sqlite-shm", "casemgr.sqlite-journal"):
        if (made / companion).exists():
            assert mode(made / companion) == 0o600, companion
    assert mode(made / "audit-checkpoints") == 0o700
    for name in ("queue.sqlite", "queue.sqlite-wal", "queue.sqlite-shm"):
        if (made / name).exists():
            assert mode(made / name) == 0o600, name
    # init's only: the web process signs none (the worker does, at its start).
    assert len(load_checkpoints(made / "audit-checkpoints")) == 1


@pytest.mark.parametrize(
    ("path", "opened"),
    [
        ("", 0o755),
        ("casemgr.sqlite", 0o644),
        ("casemgr.sqlite-wal", 0o644),
        ("audit-checkpoints", 0o755),
    ],
)
def test_an_instance_opened_to_others_does_not_start(made, monkeypatch, path, opened):
    monkeypatch.setenv("CASEMGR_INSTANCE_PATH", str(made))
    monkeypatch.delenv("CASEMGR_DATABASE_URL", raising=False)
    target = made / path
    made_here = not target.exists()
    if made_here:
        target.touch(mode=0o600)
    kept = mode(target)
    target.chmod(opened)
    try:
        with pytest.raises(UnsafeFileMode, match=f"run 'chmod [67]00 {target}'"):
            create_app()
    finally:
        target.chmod(kept)
        if made_here:
            target.unlink()


@pytest.mark.parametrize("command", [["init", "--skip-areas"], ["create-user", "x"]])
def test_the_flask_command_refuses_an_open_instance_in_one_line(tmp_path, command):
    """The refusal to start is a one-line error naming the fix, with a non-zero status: not a
    Python traceback (the app factory itself still raises, as above)."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "casemgr", *command],
        cwd=ROOT,
        env=environment(instance),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: instance folder {instance} is open to other users (mode 755); "
        f"run 'chmod 700 {instance}'"
    ]
    assert not (instance / "casemgr.keys").exists()  # refused before the keys were made
