"""The "vietnamese" collation, so that lists of places, units and people sort in Vietnamese
alphabetical order (casemgr/collation.py).

Reviewed by hand: one collation, no table or data changes.

PostgreSQL: an ICU collation with the locale "vi-u-kn" (CLDR's Vietnamese order: ă after a,
đ after d, tones compared last; "kn": numbers by their value, so "Phường 2" comes before
"Phường 10" and the units' paths "/1/2/" before "/1/10/"). PostgreSQL has ICU when it was
built with it, as Debian's and Ubuntu's packages are; without ICU this migration stops with
PostgreSQL's own error, before anything else changed. SQLite keeps collations on the
connection, not in the file: the app adds it to each connection it opens
(casemgr.db.configure_sqlite), so there is nothing to do here.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 13:30:00

"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE COLLATION IF NOT EXISTS vietnamese (provider = icu, locale = 'vi-u-kn')"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP COLLATION IF EXISTS vietnamese")
