"""handoffs.claimed_at, closed_reason, language: staff claim a handoff, and one that nobody claims ends in the lead form.

Revision ID: 0005_handoff_claims
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_handoff_claims"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_reason", sa.String(length=16), nullable=True),
    sa.Column("language", sa.String(length=8), nullable=False, server_default="zh"),
)


def upgrade() -> None:
    # A test or tool may have made the table with create_all: add only what is missing (as 0004 does).
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("handoffs")}
    missing = [c for c in COLUMNS if c.name not in present]
    if missing:
        with op.batch_alter_table("handoffs", schema=None) as batch_op:
            for column in missing:
                batch_op.add_column(column)
    # Handoffs closed before this revision were all released by staff.
    op.execute("UPDATE handoffs SET closed_reason = 'released' WHERE status = 'closed' AND closed_reason IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column.name)
