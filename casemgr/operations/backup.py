"""Encrypted backups: a consistent copy of the database with the audit files, and its restore.

A backup is one sealed file (casemgr.operations.sealed) holding a gzip tar of:
  manifest.json        format, time, dialect, schema revision, row counts, file hashes;
  database.sqlite      SQLite: a copy made with the online backup API (the app keeps serving);
  database.dump        PostgreSQL: pg_dump in custom format, from the snapshot that was counted;
  audit-checkpoints/   the signed checkpoint files (they live outside the database);
  audit-archives/      archived audit events with their signed manifests.
The archive anchors live in the database (audit_anchors) and travel with it.

Checkpoints are copied before the database snapshot, so none names an event the copy lacks;
archives after it, so every anchor in the copy finds its archive. The backup key (a file of
its own, never the data keys) seals the whole; fields stay sealed under the data keys inside.
"""

from __future__ import annotations

import base64
import datetime as dt
import glob
import gzip
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from casemgr import clock
from casemgr.operations.sealed import (
    ChunkReader,
    SealedFileError,
    SealingWriter,
    open_chunks,
    read_header,
)

BACKUP_FORMAT = 1
BACKUP_KEY_FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.dump"
CHECKPOINTS = "audit-checkpoints"
ARCHIVES = "audit-archives"
SUFFIX = ".cmbk"
# gzip level of the sealed tar: 1 for a SQLite file (its plain columns shrink; sealed fields do
# not); 0 (stored) for pg_dump's custom format, which compresses its data itself.
COMPRESS_LEVEL = {"sqlite": 1, "postgresql": 0}


class BackupError(RuntimeError):
    """A backup, verification or restore could not be done; the message says why."""


class RestoreRefused(BackupError):
    """The restore target is not an empty database (or the backup does not fit it)."""


# --- the backup key -----------------------------------------------------------------------


@dataclass(frozen=True)
class BackupKey:
    """The key that seals backups; kept apart from the data keys (and escrowed with them)."""

    id: str
    key: bytes = field(repr=False)

    def document(self) -> dict[str, Any]:
        """The key as stored in its file and in the escrow."""
        return {
            "format": BACKUP_KEY_FORMAT,
            "id": self.id,
            "key": base64.b64encode(self.key).decode("ascii"),
        }


def parse_backup_key(document: Any, source: str) -> BackupKey:
    """Validate a backup key document; raise BackupError naming the problem."""
    try:
        if document.get("format") != BACKUP_KEY_FORMAT or not isinstance(document["id"], str):
            raise ValueError
        key = base64.b64decode(document["key"], validate=True)
        if len(key) != 32:
            raise ValueError
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BackupError(f"{source} is not a casemgr backup key") from None
    return BackupKey(document["id"], key)


def load_backup_key(path: str | os.PathLike[str]) -> BackupKey:
    """Read the backup key file, refusing one that is missing or readable by others."""
    target = Path(path)
    if not target.exists():
        raise BackupError(
            f"backup key file {target} is missing: create one with 'flask --app wsgi casemgr "
            "backup-key', or restore it from the key escrow ('casemgr keys import-escrow')"
        )
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        raise BackupError(f"backup key file {target} is readable by others: chmod 600 {target}")
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"backup key file {target} is not valid JSON") from None
    return parse_backup_key(document, f"backup key file {target}")


def write_backup_key(path: str | os.PathLike[str], key: BackupKey) -> None:
    """Write the backup key file atomically with mode 0600."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(key.document(), handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def new_backup_key() -> BackupKey:
    """A fresh random backup key with an id such as bk-20261205-3f9a."""
    return BackupKey(f"bk-{clock.today():%Y%m%d}-{secrets.token_hex(2)}", secrets.token_bytes(32))


# --- the manifest -------------------------------------------------------------------------


@dataclass
class Manifest:
    """What a backup holds, as written inside it."""

    created_at: str
    dialect: str
    schema_revision: str | None
    row_counts: dict[str, int]
    files: dict[str, dict[str, Any]]
    key_ids: list[str]
    backup_key_id: str
    tool: str = ""

    def as_json(self) -> bytes:
        """The manifest file's bytes."""
        body = {"format": BACKUP_FORMAT, **self.__dict__}
        return json.dumps(body, indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse a manifest; raise BackupError when it is malformed."""
        try:
            body = json.loads(data)
            if body.pop("format") != BACKUP_FORMAT:
                raise ValueError
            return cls(**body)
        except (ValueError, TypeError, KeyError):
            raise BackupError("the backup's manifest is malformed") from None

    @property
    def database_member(self) -> str:
        """The name of the database file inside the backup."""
        return SQLITE_MEMBER if self.dialect == "sqlite" else PG_MEMBER


# --- databases ----------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _count_rows(conn: sa.Connection) -> tuple[str | None, dict[str, int]]:
    tables = sorted(sa.inspect(conn).get_table_names())
    counts = {
        name: conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()  # noqa: S608
        for name in tables
    }
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return revision, counts


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise BackupError(f"{name} is not installed (the PostgreSQL client tools are needed)")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the URL, and the environment carrying its password."""

    def quote(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts.update({k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()})
    conninfo = " ".join(f"{k}={quote(str(v))}" for k, v in parts.items() if v is not None)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    # The binary is found by name on PATH; the arguments are ours, no shell.
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-1500:]}")
    return done.stdout


def _tool_version(binary: str) -> str:
    return _run([binary, "--version"]).strip()


def _check_client(version: str, server_major: int) -> None:
    """Refuse client tools older than the server (they cannot read its catalogue)."""
    try:
        major = int(version.split()[-1].split(".")[0])
    except (IndexError, ValueError):
        raise BackupError(f"cannot read the version of the PostgreSQL tools: {version}") from None
    if major < server_major:
        raise BackupError(
            f"{version} is older than the server (PostgreSQL {server_major}): install the "
            f"client tools of version {server_major}"
        )


@contextmanager
def _private_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="casemgr-backup-") as folder:
        os.chmod(folder, 0o700)
        yield Path(folder)


def _copy_folder(source: Path | None, target: Path, pattern: str) -> None:
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    if source is None or not source.is_dir():
        return
    for path in sorted(source.glob(pattern)):
        if path.is_file() and not path.name.endswith(".tmp"):
            shutil.copy2(path, target / path.name)


def _snapshot_sqlite(url: URL, work: Path) -> tuple[str | None, dict[str, int], str]:
    source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
    target = sqlite3.connect(work / SQLITE_MEMBER)
    try:
        source.backup(target, pages=1024)  # pages in steps: writers are not held off for long
    finally:
        source.close()
        target.close()
    engine = sa.create_engine(f"sqlite:///{work / SQLITE_MEMBER}")
    try:
        with engine.connect() as conn:
            revision, counts = _count_rows(conn)
    finally:
        engine.dispose()
    return revision, counts, f"sqlite {sqlite3.sqlite_version}"


def _snapshot_postgres(url: URL, work: Path) -> tuple[str | None, dict[str, int], str]:
    binary = _pg_tool("pg_dump")
    engine = sa.create_engine(url, isolation_level="REPEATABLE READ")
    conninfo, env = _libpq(url)
    dump_version = _tool_version(binary)
    try:
        with engine.connect() as conn:
            server = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
            _check_client(dump_version, int(server) // 10000)
            conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            revision, counts = _count_rows(conn)
            # pg_dump reads the very snapshot that was counted, while this transaction holds it.
            _run(
                [binary, "--format=custom", f"--snapshot={snapshot}", "--no-password",
                 f"--file={work / PG_MEMBER}", f"--dbname={conninfo}"],
                env,
            )  # fmt: skip
    finally:
        engine.dispose()
    return revision, counts, f"{dump_version}; server {int(server) // 10000}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _members(work: Path) -> list[str]:
    return sorted(
        str(PurePosixPath(*path.relative_to(work).parts))
        for path in work.rglob("*")
        if path.is_file()
    )


# --- making a backup ----------------------------------------------------------------------


@dataclass
class BackupResult:
    """What `make_backup` wrote."""

    path: Path
    manifest: Manifest
    size: int


def backup_path(dest: Path, now: dt.datetime) -> Path:
    """DEST itself, or a time-stamped file inside it when DEST is a folder."""
    if dest.is_dir():
        return dest / f"casemgr-backup-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}{SUFFIX}"
    return dest


def make_backup(
    database_uri: str,
    dest: Path,
    key: BackupKey,
    *,
    checkpoint_dir: Path | None,
    archive_dir: Path | None,
    key_ids: list[str],
) -> BackupResult:
    """Write a consistent, sealed backup of the database and the audit files to `dest`."""
    now = clock.utcnow()
    target = backup_path(dest, now)
    if target.exists():
        raise BackupError(f"{target} already exists; backups are never overwritten")
    url = make_url(database_uri)
    dialect = url.get_backend_name()
    with _private_folder() as work:
        _copy_folder(checkpoint_dir, work / CHECKPOINTS, "*")  # before the snapshot
        if dialect == "sqlite":
            revision, counts, tool = _snapshot_sqlite(url, work)
        elif dialect == "postgresql":
            revision, counts, tool = _snapshot_postgres(url, work)
        else:
            raise BackupError(f"cannot back up a {dialect} database")
        _copy_folder(archive_dir, work / ARCHIVES, "*")  # after it
        files = {
            name: {"sha256": _sha256(work / name), "size": (work / name).stat().st_size}
            for name in _members(work)
        }
        manifest = Manifest(
            created_at=now.astimezone(dt.UTC).isoformat(timespec="seconds"),
            dialect=dialect,
            schema_revision=revision,
            row_counts=counts,
            files=files,
            key_ids=key_ids,
            backup_key_id=key.id,
            tool=tool,
        )
        _write_sealed(target, key, manifest, work)
    return BackupResult(target, manifest, target.stat().st_size)


def _write_sealed(target: Path, key: BackupKey, manifest: Manifest, work: Path) -> None:
    header = {
        "format": BACKUP_FORMAT,
        "kind": "casemgr-backup",
        "key_id": key.id,
        "created_at": manifest.created_at,
        "dialect": manifest.dialect,
    }
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            writer = SealingWriter(out, key.key, header)
            level = COMPRESS_LEVEL[manifest.dialect]
            gz = gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=level, mtime=0)
            with gz, tarfile.open(fileobj=gz, mode="w|") as tar:
                data = manifest.as_json()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, _BytesReader(data))
                for name in manifest.files:
                    tar.add(work / name, arcname=name, recursive=False)
            writer.close()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = len(self._data)
        out, self._data = self._data[:size], self._data[size:]
        return out


# --- reading a backup ---------------------------------------------------------------------


def backup_header(path: Path) -> dict[str, Any]:
    """The readable header of a backup file (dialect, time, backup key id)."""
    try:
        with path.open("rb") as handle:
            header, _ = read_header(handle)
    except SealedFileError as exc:
        raise BackupError(f"{path}: {exc}") from None
    return header


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


def unpack(path: Path, key: BackupKey, work: Path) -> Manifest:
    """Open, authenticate and unpack a backup into `work`; check every file against the
    manifest. Raise BackupError on any difference."""
    header = backup_header(path)
    if header.get("key_id") != key.id:
        raise BackupError(
            f"{path} was sealed with backup key {header.get('key_id')}, not {key.id}: "
            "use that key (from its file or the key escrow)"
        )
    try:
        with path.open("rb") as handle:
            stream = ChunkReader(open_chunks(handle, key.key))
            with tarfile.open(fileobj=stream, mode="r|gz") as tar:
                for member in tar:
                    if not member.isfile() or not _safe_name(member.name):
                        raise BackupError(f"unexpected entry {member.name!r} in the backup")
                    target = work / member.name
                    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    with target.open("wb") as out:
                        shutil.copyfileobj(source, out)
            stream.read()  # to the end: the final chunk must authenticate too
    except SealedFileError as exc:
        raise BackupError(f"{path}: {exc}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{path}: the backup's contents are unreadable ({exc})") from None
    if not (work / MANIFEST).is_file():
        raise BackupError(f"{path}: the backup has no manifest")
    manifest = Manifest.from_json((work / MANIFEST).read_bytes())
    found = set(_members(work)) - {MANIFEST}
    if found != set(manifest.files):
        raise BackupError(f"{path}: the files in the backup differ from its manifest")
    for name, facts in manifest.files.items():
        if _sha256(work / name) != facts["sha256"]:
            raise BackupError(f"{path}: {name} does not match its hash in the manifest")
    if manifest.database_member not in manifest.files:
        raise BackupError(f"{path}: the backup holds no database")
    return manifest


@dataclass
class VerifyResult:
    """What `verify_backup` checked."""

    manifest: Manifest
    checks: list[str]


def verify_backup(path: Path, key: BackupKey) -> VerifyResult:
    """Check a backup without restoring it: authenticity, hashes, and the database copy."""
    with _private_folder() as work:
        manifest = unpack(path, key, work)
        checks = [f"{len(manifest.files)} files authenticated and match the manifest"]
        database = work / manifest.database_member
        if manifest.dialect == "sqlite":
            engine = sa.create_engine(f"sqlite:///{database}")
            try:
                with engine.connect() as conn:
                    result = conn.execute(sa.text("PRAGMA integrity_check")).scalar()
                    if result != "ok":
                        raise BackupError(f"the SQLite copy fails its integrity check: {result}")
                    revision, counts = _count_rows(conn)
            finally:
                engine.dispose()
            if counts != manifest.row_counts or revision != manifest.schema_revision:
                raise BackupError("the SQLite copy's row counts differ from the manifest")
            checks.append("SQLite integrity check ok; row counts match the manifest")
        else:
            listing = _run([_pg_tool("pg_restore"), "--list", str(database)])
            tables = {
                line.split()[-2]
                for line in listing.splitlines()
                if " TABLE DATA " in line and not line.startswith(";")
            }
            missing = set(manifest.row_counts) - tables
            if missing:
                raise BackupError(f"the dump lacks data for {len(missing)} tables of the manifest")
            checks.append("pg_restore reads the dump; it holds every table of the manifest")
    return VerifyResult(manifest, checks)


# --- restoring ----------------------------------------------------------------------------


def database_tables(database_uri: str) -> list[str]:
    """Every table, view and sequence in the target database (none: it is empty)."""
    url = make_url(database_uri)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                return list(
                    conn.execute(
                        sa.text(
                            "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE c.relkind IN ('r','p','v','m','S','f') "
                            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                            "AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
                        )
                    ).scalars()
                )
            return list(
                conn.execute(
                    sa.text(
                        "SELECT name FROM sqlite_master "
                        "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def _check_folder_free(source: Path, target: Path | None, what: str) -> None:
    if target is None or not target.is_dir():
        return
    for path in source.glob("*"):
        existing = target / path.name
        if existing.exists() and existing.read_bytes() != path.read_bytes():
            raise RestoreRefused(f"{existing} exists with other contents; move the {what} away")


def _place_folder(source: Path, target: Path | None) -> int:
    if target is None:
        return 0
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    placed = 0
    for path in sorted(source.glob("*")):
        if not (target / path.name).exists():
            shutil.copy2(path, target / path.name)
            placed += 1
    return placed


@dataclass
class RestoreResult:
    """What `restore_backup` loaded."""

    manifest: Manifest
    row_counts: dict[str, int]
    checkpoints: int
    archives: int


def restore_backup(
    database_uri: str,
    path: Path,
    key: BackupKey,
    *,
    checkpoint_dir: Path | None,
    archive_dir: Path | None,
    key_ids: list[str],
) -> RestoreResult:
    """Load a backup into an EMPTY database, and its audit files into their folders.

    Refuses a database holding any table (nothing there is ever overwritten), a backup of
    another kind of database, and a backup that does not authenticate. After loading, the
    row counts must equal the manifest's. `key_ids` are the data keys loaded: the backup's
    must be among them, or the restored data could not be read (nor the trail continued).
    """
    url = make_url(database_uri)
    dialect = url.get_backend_name()
    found = database_tables(database_uri)
    if found:
        raise RestoreRefused(
            f"the target database is not empty ({len(found)} tables or sequences, e.g. "
            f"{sorted(found)[0]}): restore loads into an empty database only; create a new, "
            "empty database and point CASEMGR_DATABASE_URL at it"
        )
    header = backup_header(path)
    if header.get("dialect") != dialect:
        raise RestoreRefused(
            f"this is a {header.get('dialect')} backup; the target database is {dialect}"
        )
    with _private_folder() as work:
        manifest = unpack(path, key, work)
        lacking = sorted(set(manifest.key_ids) - set(key_ids))
        if lacking:
            raise RestoreRefused(
                f"the loaded key document lacks the keys {lacking} this backup was written "
                "with: import the key escrow of that time first ('casemgr keys import-escrow')"
            )
        _check_folder_free(work / CHECKPOINTS, checkpoint_dir, "checkpoint files")
        _check_folder_free(work / ARCHIVES, archive_dir, "audit archives")
        database = work / manifest.database_member
        if dialect == "sqlite":
            source = sqlite3.connect(database)
            target = sqlite3.connect(_sqlite_path(url))
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        else:
            conninfo, env = _libpq(url)
            _run(
                [_pg_tool("pg_restore"), "--no-owner", "--single-transaction",
                 "--exit-on-error", "--no-password", f"--dbname={conninfo}", str(database)],
                env,
            )  # fmt: skip
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                revision, counts = _count_rows(conn)
        finally:
            engine.dispose()
        if counts != manifest.row_counts or revision != manifest.schema_revision:
            raise BackupError(
                "the restored database's row counts differ from the manifest; do not use it"
            )
        checkpoints = _place_folder(work / CHECKPOINTS, checkpoint_dir)
        archives = _place_folder(work / ARCHIVES, archive_dir)
    return RestoreResult(manifest, counts, checkpoints, archives)
