"""WeChat signed queries already used (bot/wechat/replay.py): a replay is refused.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An app start may have made the table already (as in 0001): leave it as it is.
    if "wechat_signatures" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "wechat_signatures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("wechat_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_signatures_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wechat_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_signatures_expires_at"))
    op.drop_table("wechat_signatures")
