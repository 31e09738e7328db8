"""Value versions: every encrypted row gets `enc_version` and `enc_seal`; values move to v2.

Reviewed by hand. Schema: two columns on each of the 18 tables with encrypted values: an
integer version (NOT NULL, default 0) and a 32-byte row seal (NULL until sealed). No index, no
constraint, no personal data.

Data: every value is re-encrypted from format v1 to v2 (its header names the generation, 1
here), and each row gets its seal (crypto.rowseal) under a key derived from the person's data
key, so the running app can tell a rolled-back or blanked value from a genuine one. This needs
the master keys: run through `flask db upgrade` (the app's key ring). Tables are read in
batches of 2,000 by id; each data key is unwrapped once (a cache of up to 20,000). Rows that
cannot be converted are left as they are and counted in the log: an erased person (no key,
nothing to convert), or a value or key that no longer authenticates (the app then reports it
as an integrity failure on first read). Downgrading re-encrypts v2 values to v1 and drops the
two columns.

The case history (`case_events`) is append-only: a trigger refuses UPDATE (0011). Its sealed
reasons are re-encrypted here all the same, the same plaintext in the new format, with the
trigger set aside for this transaction only (PostgreSQL: DISABLE/ENABLE TRIGGER; SQLite: the
trigger dropped and created again with its text from 0011). No other column of it changes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 08:10:00

"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 2000
SEAL_BYTES = 32

# (table, column naming the person, or "other_table.foreign_key" when another row names the
# person, encrypted columns sorted by name), as of this revision.
TABLES = [
    ("assessments", "person_id", ("answers_enc",)),
    ("attachments", "person_id", ("content_enc", "filename_enc")),
    ("break_glass_grants", "person_id", ("reason_enc",)),
    ("case_events", "person_id", ("reason_enc",)),
    ("case_notes", "person_id", ("body_enc", "correction_reason_enc", "void_reason_enc")),
    ("case_reassignments", "person_id", ("reason_text_enc",)),
    ("case_transfers", "person_id", ("decline_reason_enc", "override_reason_enc", "reason_enc")),
    ("cases", "person_id", ("summary_enc",)),
    ("consents", "person_id", ("correction_reason_enc", "void_reason_enc")),
    ("drug_programmes", "person_id", ("note_enc",)),
    # A drug test names its programme; the programme names the person.
    ("drug_tests", "drug_programmes.programme_id", ("correction_reason_enc", "void_reason_enc")),
    ("no_contact_orders", "person_id", ("details_enc",)),
    (
        "persons",
        "id",
        (
            "date_of_birth_enc",
            "given_name_enc",
            "middle_name_enc",
            "national_id_enc",
            "note_enc",
            "phone_enc",
            "street_address_enc",
            "surname_enc",
            "uic_enc",
        ),
    ),
    (
        "plan_actions",
        "person_id",
        ("action_enc", "correction_reason_enc", "goal_enc", "responsible_enc", "void_reason_enc"),
    ),
    (
        "referrals",
        "person_id",
        ("decline_reason_enc", "outcome_enc", "override_reason_enc", "reason_enc"),
    ),
    (
        "relatives",
        "person_id",
        ("correction_reason_enc", "name_enc", "note_enc", "phone_enc", "void_reason_enc"),
    ),
    (
        "service_deliveries",
        "person_id",
        ("correction_reason_enc", "note_enc", "provider_enc", "void_reason_enc"),
    ),
    ("trafficking_statuses", "person_id", ("decision_ref_enc", "note_enc")),
]


class _Keys:
    """Data keys unwrapped on demand for one batch of rows (None: erased or not openable)."""

    def __init__(self, connection) -> None:
        from flask import current_app

        self.connection = connection
        self.ring = current_app.extensions["casemgr.keyring"]
        self.open: dict = {}

    def load(self, person_ids: set[int]) -> None:
        from casemgr.crypto.envelope import OpenKey, unwrap
        from casemgr.crypto.errors import CryptoError

        if len(self.open) > 20_000:
            self.open.clear()
        wanted = sorted(pid for pid in person_ids if pid not in self.open)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.connection.execute(
                sa.text(
                    "SELECT id, person_id, wrapped_key, master_key_id, destroyed_at "
                    "FROM data_keys WHERE person_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": chunk},
            ).all()
            for pid in chunk:
                self.open[pid] = None
            for row in rows:
                if row.wrapped_key is None or row.destroyed_at is not None:
                    continue
                try:
                    raw = unwrap(self.ring, row.master_key_id, row.person_id, row.wrapped_key)
                except CryptoError:
                    continue
                self.open[row.person_id] = OpenKey(row.id, raw)


def _convert(to_v2: bool) -> None:
    from casemgr.crypto import rowseal
    from casemgr.crypto.errors import IntegrityFailure
    from casemgr.crypto.valueformat import ValueContext, open_v1, open_value, seal, seal_v1

    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM data_keys")).scalar() == 0:
        return  # nothing was ever sealed (a new database): no key needed
    keys = _Keys(connection)
    for table, person_column, columns in TABLES:
        converted = skipped = failed = 0
        own = person_column if "." not in person_column else None
        t = sa.table(
            table,
            sa.column("id"),
            *((sa.column(own),) if own else ()),
            *((sa.column(person_column.split(".")[1]),) if not own else ()),
            sa.column("enc_version"),
            sa.column("enc_seal", sa.LargeBinary()),
            *(sa.column(c, sa.LargeBinary()) for c in columns),
        )
        if own:
            person, source = t.c[own], t
        else:
            other, foreign_key = person_column.split(".")
            o = sa.table(other, sa.column("id"), sa.column("person_id"))
            person = o.c.person_id
            source = t.outerjoin(o, o.c.id == t.c[foreign_key])
        select = (
            sa.select(t.c.id, person.label("person_id"), *(t.c[c] for c in columns))
            .select_from(source)
            .where(t.c.id > sa.bindparam("last"))
            .order_by(t.c.id)
            .limit(BATCH)
        )
        update = (
            t.update()
            .where(t.c.id == sa.bindparam("row_id"))
            .values({c: sa.bindparam(c) for c in (*columns, "enc_version", "enc_seal")})
        )
        last = 0
        while True:
            rows = connection.execute(select, {"last": last}).all()
            if not rows:
                break
            last = rows[-1].id
            keys.load({row.person_id for row in rows if row.person_id is not None})
            changes = []
            for row in rows:
                key = keys.open.get(row.person_id)
                if key is None:
                    skipped += 1
                    continue
                values = {}
                ok = True
                for column in columns:
                    blob = getattr(row, column)
                    if blob is None:
                        values[column] = None
                        continue
                    context = ValueContext(table, column, row.id, row.person_id)
                    try:
                        if to_v2:
                            plain = open_v1(key.aead_for, bytes(blob), context)
                            values[column] = seal(
                                key.aead, key.key_id, plain, context, generation=1
                            )
                        else:
                            plain = open_value(key.aead_for, bytes(blob), context)
                            values[column] = seal_v1(key.aead, key.key_id, plain, context)
                    except IntegrityFailure:
                        ok = False
                        break
                if not ok:
                    failed += 1
                    continue
                values["row_id"] = row.id
                if to_v2:
                    values["enc_version"] = 1
                    values["enc_seal"] = rowseal.compute(
                        key.row_key, table, row.id, row.person_id, 1, columns,
                        [values[c] for c in columns],
                    )  # fmt: skip
                else:
                    values["enc_version"], values["enc_seal"] = 0, None
                changes.append(values)
            if changes:
                _allow_updates(table, True)  # a failure aborts the whole migration anyway
                connection.execute(update, changes)
                _allow_updates(table, False)
                converted += len(changes)
        if skipped or failed:
            log.warning(
                "%s: %d rows converted, %d skipped (erased or key not openable), %d left as "
                "they were (a value failed to authenticate)",
                table, converted, skipped, failed,
            )  # fmt: skip


APPEND_ONLY = "case_events"
SQLITE_NO_UPDATE = (
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'casemgr: the case history is append-only'); END"
)


def _allow_updates(table: str, allowed: bool) -> None:
    """Set the append-only trigger of the case history aside (and back) in this transaction."""
    if table != APPEND_ONLY:
        return
    if op.get_bind().dialect.name == "postgresql":
        verb = "DISABLE" if allowed else "ENABLE"
        op.execute(f"ALTER TABLE case_events {verb} TRIGGER case_events_append_only")
    elif allowed:
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
    else:
        op.execute(SQLITE_NO_UPDATE)


def upgrade():
    for table, _, _ in TABLES:
        op.add_column(
            table, sa.Column("enc_version", sa.Integer(), nullable=False, server_default="0")
        )
        op.add_column(table, sa.Column("enc_seal", sa.LargeBinary(length=SEAL_BYTES)))
    _convert(to_v2=True)


def downgrade():
    _convert(to_v2=False)
    for table, _, _ in TABLES:
        # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of the table would
        # lose the case history's triggers.
        op.drop_column(table, "enc_seal")
        op.drop_column(table, "enc_version")
