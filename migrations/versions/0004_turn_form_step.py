"""turns.form_step: which turns answered the lead form, so a refused consent can erase them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A test or tool may have made the table with create_all: leave it as it is (as 0001-0003 do).
    if "form_step" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("turns")}:
        return
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_step", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_column("form_step")
