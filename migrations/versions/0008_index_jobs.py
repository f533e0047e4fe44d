"""index_jobs.progress and started_at: the table is now the re-index worker's queue.

Revision ID: 0008_index_jobs
Revises: 0007_conversation_tokens
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_index_jobs"
down_revision = "0007_conversation_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A test or tool may have made the table with create_all: add only what is missing (as 0004 does).
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("index_jobs")}
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        if "progress" not in have:
            batch_op.add_column(sa.Column("progress", sa.Integer(), nullable=False, server_default="0"))
        if "started_at" not in have:
            batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("index_jobs", schema=None) as batch_op:
        batch_op.drop_column("started_at")
        batch_op.drop_column("progress")
