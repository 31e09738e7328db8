"""The instance folder and the files the app keeps there: created private, refused when not.

The instance folder holds the key file, the SQLite database (password hashes, the audit
metadata, ciphertexts), signed audit checkpoints and archives. Other local
users must read none of it: folders are 0700, the database and its -wal, -shm and -journal
files 0600. Checked at start like the key file (casemgr.crypto.keyfile): a path that others
may open stops the app with a message that says which command fixes it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


class UnsafeFileMode(RuntimeError):
    """A folder or file of the instance is open to other users; the message says how to fix it."""


def sqlite_file(uri: str) -> Path | None:
    """The database file of a SQLite URI (None for other databases and in-memory ones)."""
    url = make_url(uri)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # SQLite URI filenames: left to whoever wrote one
        return None
    return Path(database)


def _folders(app: Flask) -> list[tuple[str, Path]]:
    config = app.config
    instance = Path(app.instance_path)
    return [
        ("instance folder", instance),
        ("audit checkpoint folder", Path(config["CASEMGR_AUDIT_CHECKPOINT_DIR"])),
        (
            "audit archive folder",
            Path(config.get("CASEMGR_AUDIT_ARCHIVE_DIR") or instance / "audit-archives"),
        ),
    ]


def _refuse_if_open(what: str, path: Path, wanted: int) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        raise UnsafeFileMode(
            f"{what} {path} is open to other users (mode {mode:o}); run 'chmod {wanted:o} {path}'"
        )


def secure_instance(app: Flask) -> None:
    """Create the instance folder (0700) and the SQLite file (0600) if missing; refuse to start
    when either, the database's companion files, or the checkpoint, archive and export folders
    are open to other users."""
    Path(app.instance_path).mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    database = sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if database is not None and not database.exists():
        # Before anything connects: SQLite would create it with the umask's mode (0644), and
        # makes its -wal, -shm and -journal files with the database file's own mode.
        database.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first: checked below
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for what, folder in _folders(app):
        _refuse_if_open(what, folder, PRIVATE_FOLDER)
    if database is not None:
        for suffix in ("", *SQLITE_COMPANIONS):
            _refuse_if_open("database file", Path(f"{database}{suffix}"), PRIVATE_FILE)
