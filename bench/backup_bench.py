"""Backup, verify and restore times at a size closer to an office's (issue 14).

Run: .venv/bin/python -m bench.backup_bench [--persons 2000] [--events 200000] [--db both]
     (PostgreSQL: CASEMGR_TEST_DATABASE_URL names the server; fresh databases are created and
     dropped.)

For each database: registers N persons through the services (every field sealed, a 20 kB
attachment each), adds a chained audit log of E synthetic events, then times `casemgr backup`,
`backup --verify` and `restore` into a new empty database, and prints the sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from casemgr import create_app
from casemgr.extensions import db
from tests.audit.synthetic import insert_events, synthetic_events
from tests.dbsetup import fresh_database
from tests.operations.test_restore_drill import close, drill_config, run


def _fill(app, persons: int, events: int) -> None:
    from casemgr.audit.recorder import chain_head
    from casemgr.people.services import add_attachment, register_person

    with app.app_context():
        upgrade()
        for i in range(persons):
            person = register_person(None, surname=f"Nguyễn{i}", middle_name="Văn",
                                     given_name="An", national_id=f"0012{i:08d}",
                                     phone=f"09{i:08d}", street_address=f"Số {i}, thôn Đông",
                                     note="Ghi chú " * 40)  # fmt: skip
            add_attachment(None, person, filename=f"giay-{i}.png", content_type="image/png",
                           data=b"\x89PNG\r\n\x1a\n" + os.urandom(20_000))  # fmt: skip
            if i % 200 == 199:
                db.session.commit()
        db.session.commit()
        seq, mac = chain_head(db.session)
        key = app.extensions["casemgr.keys"].audit_mac_key
        with db.engine.begin() as conn:
            insert_events(conn, synthetic_events(key, events, first_seq=seq + 1, prev_mac=mac))
        db.session.remove()


def measure(persons: int, events: int) -> dict:
    """Fill a database, back it up, verify and restore it; return the times and sizes."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        with fresh_database("bench_backup") as url, fresh_database("bench_restore") as target:
            app = create_app(drill_config(url, base / "host"))
            started = time.perf_counter()
            _fill(app, persons, events)
            out["fill_s"] = round(time.perf_counter() - started, 1)
            run(app, "backup-key")
            for name, args in (
                ("backup_s", ["backup", str(base)]),
                ("verify_s", None),
            ):
                if args is None:
                    args = ["backup", "--verify", str(next(base.glob("*.cmbk")))]
                started = time.perf_counter()
                run(app, *args)
                out[name] = round(time.perf_counter() - started, 2)
            backup_file = next(base.glob("*.cmbk"))
            out["backup_mb"] = round(backup_file.stat().st_size / 2**20, 1)
            close(app)
            restore_host = base / "restore-host"
            restore_host.mkdir()
            for name in ("casemgr.keys", "backup.key"):
                (restore_host / name).write_bytes((base / "host" / name).read_bytes())
                os.chmod(restore_host / name, 0o600)
            loader = create_app(drill_config(target, restore_host))
            started = time.perf_counter()
            run(loader, "restore", str(backup_file))
            out["restore_s"] = round(time.perf_counter() - started, 2)
            close(loader)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    server = os.environ.get("CASEMGR_TEST_DATABASE_URL")
    results = {}
    for name in ("sqlite", "postgresql"):
        if args.db not in (name, "both"):
            continue
        if name == "postgresql" and not server:
            print("postgresql: skipped (set CASEMGR_TEST_DATABASE_URL)")
            continue
        if name == "sqlite":
            os.environ.pop("CASEMGR_TEST_DATABASE_URL", None)
        else:
            os.environ["CASEMGR_TEST_DATABASE_URL"] = server
        results[name] = measure(args.persons, args.events)
        print(name, json.dumps(results[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
