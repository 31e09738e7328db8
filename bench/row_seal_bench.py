"""Measure what the row seal and format v2 (issue 16) add to each encrypted read and write.

Run: .venv/bin/python -m bench.row_seal_bench [--loops 2000] [--database-url URL]

Compares, in one run and in interleaved rounds (best round kept, CPU time of this process):
  v1 / v2 seal+open   the value format alone (v2: 8 more header bytes, generation in the AAD);
  seal compute        one row seal of a person (10 encrypted columns: HMAC-SHA256 over headers);
  first read          person.given_name right after the row was loaded (opens the value and
                      verifies the row seal), with and without the seal check;
  cached read         the same attribute read again (the check compares the row's state);
  write               person.note = value, then what the flush does for the row before its
                      UPDATE (re-seal it: crypto.fields._seal_rows), with and without the seal.
"With/without" monkeypatches the seal check and re-seal to no-ops in this process only, so
the difference is what the seal costs on the same path.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

from bench.crypto_bench import NOTE, make_app, scratch_database


def _timed(fns: dict[str, Callable[[], None]], loops: int, rounds: int = 25) -> dict[str, float]:
    """Best CPU time per call (ns) of each function, taking turns in every round. CPU time of
    this process, not wall time: the development machine runs other suites at once."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.process_time_ns()
            for _ in range(loops):
                fn()
            best[name] = min(best[name], (time.process_time_ns() - start) / loops)
    return best


def measure(app, loops: int) -> dict[str, float]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from sqlalchemy.orm.attributes import set_committed_value

    from casemgr.crypto import envelope, fields, rowseal
    from casemgr.crypto.valueformat import ValueContext, open_v1, open_value, seal, seal_v1
    from casemgr.extensions import db
    from casemgr.people.services import register_person

    with app.app_context():
        person = register_person(
            None, surname="Nguyễn", middle_name="Thị", given_name="Ánh", national_id="079085001234",
            phone="0912345678", street_address="12 Ngõ Huế", note=NOTE, date_of_birth="2010-01-02",
        )  # fmt: skip
        db.session.commit()
        key = envelope.open_key(db.session, person.id)
        context = ValueContext("persons", "given_name_enc", person.id, person.id)
        data = "Nguyễn Thị Ánh".encode()
        aead = AESGCM(os.urandom(32))

        def aead_for(_key_id: int) -> AESGCM:
            return aead

        columns = type(person).sealed_columns()
        blobs = [getattr(person, c) for c in columns]
        stored = person.given_name_enc

        def first_read() -> None:
            # As after a fresh load: a new bytes object, nothing verified on the object yet.
            set_committed_value(person, "given_name_enc", bytes(bytearray(stored)))
            person.__dict__.pop(fields._VERIFIED, None)
            _ = person.given_name

        def cached_read() -> None:
            _ = person.given_name

        # Writes go to persons of their own: the run without the seal leaves its row unsealed.
        written = {
            mode: register_person(None, surname="Trần", given_name="Bình", note=NOTE)
            for mode in ("with", "without")
        }
        db.session.commit()

        def write(mode: str = "with") -> None:
            written[mode].note = "ghi chú ngắn"
            fields._seal_rows([written[mode]])  # the flush's work for the row, SQL aside

        real_verify, real_seal_rows = fields._verify, fields._seal_rows

        def _unseal_only(objs) -> None:  # the next write advances the version, as after a flush
            for obj in objs:
                obj.__dict__.pop(fields._UNSEALED, None)

        def without_seal(fn):
            def run() -> None:
                fields._verify, fields._seal_rows = (lambda *a: None), _unseal_only
                try:
                    fn()
                finally:
                    fields._verify, fields._seal_rows = real_verify, real_seal_rows

            return run

        functions = {
            "v1 seal+open": lambda: open_v1(aead_for, seal_v1(aead, 1, data, context), context),
            "v2 seal+open": lambda: open_value(
                aead_for, seal(aead, 1, data, context, generation=3), context
            ),
            "seal compute (10 columns)": lambda: rowseal.compute(
                key.row_mac, "persons", person.id, person.id, 1, columns, blobs
            ),
            "first read, with seal": first_read,
            "first read, without": without_seal(first_read),
            "cached read, with seal": cached_read,
            "cached read, without": without_seal(cached_read),
            "write, with seal": write,
            "write, without": without_seal(lambda: write("without")),
        }
        result = _timed(functions, loops)
        db.session.rollback()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")
    with scratch_database(args.database_url) as url:
        app = make_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        result = measure(app, args.loops)
    for name, ns in result.items():
        print(f"{name:28} {ns / 1000:8.2f} µs")
    for what in ("first read", "cached read", "write"):
        added = result[f"{what}, with seal"] - result[f"{what}, without"]
        print(f"added by the row seal, {what:12} {added / 1000:+8.2f} µs")
    added = result["v2 seal+open"] - result["v1 seal+open"]
    print(f"added by format v2 (seal+open)    {added / 1000:+8.2f} µs")


if __name__ == "__main__":
    main()
